"""`rlvr sft stage=... [hydra overrides] [dry_run=true]` / `python -m base_training`: compose the stage
config, check it, and run it (or, with ``dry_run=true``, print it). Exit codes as for every ``rlvr``
command: 0 done, 2 a bad command, config or input (one ``rlvr sft: error:`` line, no traceback)."""

from __future__ import annotations

import sys

from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from base_training.checks import check_stage, did_you_mean
from base_training.config import compose_config

STAGES = ("align_shallow", "align_deep", "instruct", "reasoning")
EXIT_USER_ERROR = 2  # rlvr.errors.EXIT_USER_ERROR (base_training does not import rlvr)
DRY_RUN_ON = ("dry_run=true", "dry_run=True", "dry_run=1")
OLD_DRY_RUN_FLAG = "--cfg"

USAGE = f"""usage: rlvr sft stage=<{"|".join(STAGES)}> [key=value ...] [dry_run=true]

Hydra overrides of base_training/conf/sft.yaml, e.g.
  rlvr sft stage=align_shallow init=tiny:// output_dir=outputs/sft/align_shallow \\
      'data.sources=[{{path: data/captions.jsonl, ratio: 1}}]' train.steps=200
  rlvr sft stage=instruct init=outputs/sft/align_deep \\
      'data.sources=[{{path: data/synth/train.parquet, ratio: 0.7}}, {{path: data/textqa.jsonl, ratio: 0.3}}]'
dry_run=true composes and checks the stage (init, data files, choices), prints the config and exits.
"""


def parse_args(argv: list[str]) -> tuple[list[str], bool]:
    """(Hydra overrides, dry run?); ``--cfg`` still means ``dry_run=true``, with a one-line notice."""
    if OLD_DRY_RUN_FLAG in argv:
        print(f"note: {OLD_DRY_RUN_FLAG} is now dry_run=true (as for rlvr train); the flag still works",
              file=sys.stderr)  # fmt: skip
    dry_run = any(a in DRY_RUN_ON or a == OLD_DRY_RUN_FLAG for a in argv)
    overrides = [a for a in argv if a != OLD_DRY_RUN_FLAG and not a.startswith("dry_run=")]
    return overrides, dry_run


def error(message: str) -> int:
    print(f"rlvr sft: error: {message}", file=sys.stderr)
    return EXIT_USER_ERROR


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help", "help") for a in argv):
        print(USAGE)
        return 0
    overrides, dry_run = parse_args(argv)
    from base_training.dataset import DataError
    from base_training.modules import StageConfigError
    from base_training.run import run_stage, to_stage_config

    try:
        cfg = to_stage_config(compose_config(overrides))
        check_stage(cfg)
        if dry_run:
            print(f"# stage {cfg.stage.name!r}, composed and checked (dry run: nothing was trained)")
            print(OmegaConf.to_yaml(cfg, resolve=True))
            return 0
        out_dir = run_stage(cfg)
    except (HydraException, OmegaConfBaseException) as err:
        hint = did_you_mean(str(err))
        text = str(err).strip().splitlines()[0] if hint else str(err).strip()  # Hydra's "+key" hint misleads
        return error(f"bad configuration: {text}{hint}\n\n{USAGE}")
    except (DataError, StageConfigError) as err:
        return error(str(err))
    print(f"[sft] output: {out_dir}")
    return 0
