"""Hydra configs of the SFT app (`rlvr sft stage=...`): sft.yaml + the stage group."""
