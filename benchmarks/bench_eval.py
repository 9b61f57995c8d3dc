"""``rlvr eval`` throughput: rows/s of greedy generation with HF ``generate`` (and vLLM where installed and a
GPU is visible) on the tiny model, and the share of the time spent scoring (target: under 1%).

    .venv/bin/python benchmarks/bench_eval.py [--rows 64] [--batch-size 16] [--max-new-tokens 24] [--model M]

Runs the real path (``rlvr.eval.runner.run_eval`` on the synthetic suite) in a temporary folder; the load
average is printed because this 2-core machine is shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import tempfile
from pathlib import Path

import torch

from rlvr.eval.config import parse_overrides
from rlvr.eval.runner import run_eval


def engines() -> list[str]:
    found = ["hf"]
    if importlib.util.find_spec("vllm") is not None and torch.cuda.is_available():
        found.append("vllm")
    return found


def measure(engine: str, args: argparse.Namespace, work: Path) -> dict:
    out = work / engine
    cfg = parse_overrides([
        f"model={args.model}", "suite=synth", f"synth.rows={args.rows}", f"batch_size={args.batch_size}",
        f"max_new_tokens={args.max_new_tokens}", f"backend={engine}", f"output_dir={out}",
        "prompt=medevalkit", "bootstrap_resamples=100",
    ])  # fmt: skip
    metrics = run_eval(cfg)["synth"]
    timing = metrics["timing"]
    total = timing["generate_s"] + timing["score_s"]
    return {
        "engine": engine,
        "rows": int(timing["rows"]),
        "rows_per_s": round(timing["rows"] / total, 2) if total else None,
        "generate_s": round(timing["generate_s"], 3),
        "score_s": round(timing["score_s"], 4),
        "scoring_share_pct": round(100 * timing["score_s"] / total, 3) if total else None,
        "scores_per_s": round(timing["rows"] / timing["score_s"]) if timing["score_s"] else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--model", default="tiny", help="tiny, an HF folder or an rlvr run/checkpoint")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}, torch threads: {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as work:
        for engine in engines():
            print(json.dumps(measure(engine, args, Path(work))))
    print(f"load average after: {os.getloadavg()}")
    if "vllm" not in engines():
        print("vLLM: not measured (not installed here, or no GPU visible)")


if __name__ == "__main__":
    main()
