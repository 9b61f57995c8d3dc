"""`rlvr sft stage=... [hydra overrides]` / `python -m base_training`: compose the stage config and run it."""

from __future__ import annotations

import sys

from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from base_training.config import compose_config

STAGES = ("align_shallow", "align_deep", "instruct", "reasoning")

USAGE = f"""usage: rlvr sft stage=<{"|".join(STAGES)}> [key=value ...] [--cfg]

Hydra overrides of base_training/conf/sft.yaml, e.g.
  rlvr sft stage=align_shallow init=tiny:// output_dir=outputs/sft/align_shallow \\
      'data.sources=[{{path: data/captions.jsonl, ratio: 1}}]' train.steps=200
  rlvr sft stage=instruct init=outputs/sft/align_deep \\
      'data.sources=[{{path: data/synth/train.parquet, ratio: 0.7}}, {{path: data/textqa.jsonl, ratio: 0.3}}]'
--cfg prints the composed config and exits.
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help", "help") for a in argv):
        print(USAGE)
        return 0
    show_only = "--cfg" in argv
    overrides = [a for a in argv if a != "--cfg"]
    try:
        cfg = compose_config(overrides)
        if show_only:
            print(OmegaConf.to_yaml(cfg, resolve=True))
            return 0
        from base_training.dataset import DataError
        from base_training.modules import StageConfigError
        from base_training.run import run_stage

        try:
            out_dir = run_stage(cfg)
        except (DataError, StageConfigError) as err:
            print(f"rlvr sft: {err}", file=sys.stderr)
            return 2
    except (HydraException, OmegaConfBaseException) as err:
        print(f"rlvr sft: bad configuration: {err}\n\n{USAGE}", file=sys.stderr)
        return 2
    print(f"[sft] output: {out_dir}")
    return 0
