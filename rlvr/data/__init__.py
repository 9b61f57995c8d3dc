"""`rlvr data`: RL-ready parquet (verl's schema) from public medical VQA sets or a synthetic task."""
