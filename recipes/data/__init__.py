"""Recipe group 'data' (YAML only)."""
