"""Recipe group 'model' (YAML only)."""
