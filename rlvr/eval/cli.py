"""The ``rlvr eval`` command: ``key=value`` settings (``rlvr train``'s error style) or ``compare A B``."""

from __future__ import annotations

import sys
from pathlib import Path

from rlvr.errors import RecipeError
from rlvr.eval.benchmarks import SUITES

USAGE = f"""usage: rlvr eval model=PATH|tiny suite=NAME|b1,b2 data_root=DIR output_dir=DIR [key=value ...]
       rlvr eval compare RUN_A RUN_B [output=DIR] [resamples=10000]

  model=...          a Hugging Face folder, an rlvr run or checkpoint folder, or tiny
  suite=...          {", ".join(sorted(SUITES))}, or benchmark names separated by commas
  prompt=...         auto (training template if the model's run recorded one) | medevalkit | train
  dry_run=true       list the benchmarks found under data_root and their row counts; generate nothing
  train_files=[...]  training parquet to check for contamination (default: the model's run's);
                     allow_overlap=true evaluates despite an overlap
  judge.base_url=... judge.model=... judge.api_key_env=VAR   optional LLM judge for open answers
  other keys: backend batch_size max_new_tokens max_prompt_length seed limit open_metric
              bootstrap_resamples synth.rows synth.seed synth.tasks synth.image_size judge.*
"""
EXIT_USER_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help", "help") for a in argv):
        print(USAGE)
        return 0
    try:
        if argv and argv[0] == "compare":
            from rlvr.eval.compare import main as compare_main

            return compare_main(argv[1:])
        from rlvr.eval.config import parse_overrides
        from rlvr.eval.runner import run_eval

        cfg = parse_overrides(argv)
        details = run_eval(cfg)
        if details:
            print(f"done: {cfg.output_dir}/table.md")
            print((Path(cfg.output_dir) / "table.md").read_text())
    except RecipeError as exc:
        print(f"rlvr eval: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
