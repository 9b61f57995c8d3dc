"""RL recipes: the typed schema, composition with overrides, validation and multirun sweeps."""
