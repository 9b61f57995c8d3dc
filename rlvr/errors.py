"""The errors a user of ``rlvr`` sees instead of a traceback, and the exit code of each."""

from __future__ import annotations

EXIT_USER_ERROR = 2  # a mistake in the command line or the recipe: fix it and run again
EXIT_CLUSTER_ERROR = 3  # the Ray cluster cannot run the recipe as asked


class RecipeError(ValueError):
    """A recipe could not be composed because of a user mistake; the message says how to fix it."""


class ClusterError(RuntimeError):
    """The Ray cluster cannot run the recipe (too few GPUs, vLLM missing on the workers)."""
