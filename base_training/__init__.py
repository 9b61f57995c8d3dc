"""Supervised stages (alignment, instruction tuning) that produce the initial RL policy."""
