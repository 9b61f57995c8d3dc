"""Recipe group 'logger' (YAML only)."""
