"""The errors a user of ``rlvr`` sees instead of a traceback, and the exit code of each."""

from __future__ import annotations

EXIT_DONE = 0
EXIT_RUN_FAILED = 1  # the run started and could not go on (e.g. too many verifier faults in a step)
EXIT_USER_ERROR = 2  # a mistake in the command line, the recipe or the input: fix it and run again
EXIT_CLUSTER_ERROR = 3  # the Ray cluster cannot run the recipe as asked (unreachable, token, too small)
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM (128 + SIGINT, what shells report); a run saved what it could


class RecipeError(ValueError):
    """A recipe could not be composed because of a user mistake; the message says how to fix it."""


class ClusterError(RuntimeError):
    """The Ray cluster cannot run the recipe: unreachable, token refused, too few resources, no vLLM."""
