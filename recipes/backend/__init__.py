"""Recipe group 'backend' (YAML only)."""
