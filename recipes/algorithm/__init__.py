"""Recipe group 'algorithm' (YAML only)."""
