"""``rlvr train ... eval.suite=...``: the suite on the initial policy and on the final checkpoint, both
tables and the paired comparison, under ``<trainer.output_dir>/eval/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from rlvr.eval.compare import compare_runs, render, write_compare
from rlvr.eval.config import EvalConfig
from rlvr.eval.runner import run_eval


def hook_config(cfg: DictConfig, model: str, output_dir: Path) -> EvalConfig:
    hook = cfg.eval
    return EvalConfig(
        model=model,
        suite=str(hook.suite),
        data_root=str(hook.data_root),
        output_dir=str(output_dir),
        prompt=str(hook.prompt),
        batch_size=int(hook.batch_size),
        max_new_tokens=hook.max_new_tokens or int(cfg.data.max_response_length),
        limit=int(hook.limit),
        seed=int(cfg.trainer.seed),
    )


def evaluate_run(cfg: DictConfig, summary: dict[str, Any]) -> Path | None:
    """Evaluate ``initial_policy`` and ``final_checkpoint`` of the run summary; returns compare.md's path."""
    initial, final = summary.get("initial_policy"), summary.get("final_checkpoint")
    if not initial or not final:
        print("eval.suite: the run summary names no initial policy and final checkpoint; nothing evaluated")
        return None
    out = Path(str(cfg.trainer.output_dir)).expanduser() / "eval"
    for label, model in (("initial", initial), ("final", final)):
        print(f"eval.suite={cfg.eval.suite}: evaluating the {label} policy ({model})")
        run_eval(hook_config(cfg, str(model), out / label))
    results = compare_runs(out / "initial", out / "final")
    print(render(out / "initial", out / "final", results), end="")
    return write_compare(out, out / "initial", out / "final", results)
