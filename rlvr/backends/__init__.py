"""The two trainers a recipe can run on: ``local`` (our loop on Ray actors) and ``verl`` (verl's trainer)."""
