"""Recipe group 'reward' (YAML only)."""
