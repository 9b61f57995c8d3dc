"""medrlvr's RL side: data preparation, recipes and the GRPO/PPO training loop."""
