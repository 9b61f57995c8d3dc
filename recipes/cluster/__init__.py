"""Recipe group 'cluster' (YAML only)."""
