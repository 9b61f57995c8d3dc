"""Recipe group 'rollout' (YAML only)."""
