"""The ``rlvr`` command: dispatches each sub-command to the module that implements it.

Every command exits 0 when done, 1 when its run failed, 2 for a bad command, recipe or input, 3 for a
cluster fault, and 130 when interrupted (Ctrl-C or SIGTERM), with one line instead of a traceback.
"""

from __future__ import annotations

import importlib
import sys

from rlvr.errors import EXIT_INTERRUPTED, EXIT_USER_ERROR
from rlvr.interrupts import sigterm_as_interrupt

# sub-command -> (module with a ``main(argv: list[str]) -> int``, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "rewards": ("rewards.cli", "score response files with the verifiers; list verifiers"),
    "data": ("rlvr.data.cli", "build RL-ready parquet: synthetic task or public medical VQA sets"),
    "sft": ("base_training.cli", "run a supervised stage (align_shallow, align_deep, instruct, reasoning)"),
    "train": ("rlvr.cli.train", "run an RL recipe (GRPO/PPO) on the local or verl backend"),
    "eval": ("rlvr.eval.cli", "the Lingshu benchmark table for a model, scored by the training verifiers"),
    "recipes": ("rlvr.cli.recipes", "list the shipped recipes; --keys: where each recipe key goes"),
    "sweep": ("rlvr.cli.sweep", "summarise a Hydra multirun sweep"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    rows = "\n".join(f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items())
    return f"usage: rlvr <command> [args...]\n\ncommands:\n{rows}\n"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"rlvr: unknown command {name!r}.\n\n{usage()}", file=sys.stderr)
        return EXIT_USER_ERROR
    try:
        with sigterm_as_interrupt():
            module = importlib.import_module(COMMANDS[name][0])
            return int(module.main(rest) or 0)
    except KeyboardInterrupt:
        print(f"rlvr {name}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
