"""``rlvr eval compare RUN_A RUN_B``: per-benchmark accuracy deltas (B - A) on the rows both runs answered,
with paired-bootstrap 95% intervals and p-values, as a markdown table (also written as compare.md/.csv).
"""

from __future__ import annotations

import csv
from pathlib import Path

from rlvr.errors import RecipeError
from rlvr.eval.benchmarks import BENCHMARKS
from rlvr.eval.predictions import PREDICTIONS_FILE, read_predictions
from rlvr.eval.stats import PairedResult, paired_bootstrap

HEADER = ("benchmark", "n paired", "A acc", "B acc", "delta (B-A)", "95% CI", "p-value", "unpaired")


def benchmarks_in(run: Path) -> list[str]:
    return sorted(p.parent.name for p in run.glob(f"*/{PREDICTIONS_FILE}"))


def compare_runs(
    run_a: Path, run_b: Path, resamples: int = 10_000, seed: int = 0
) -> list[tuple[str, PairedResult, int]]:
    """(benchmark, paired result, rows in only one run) for each benchmark both runs have predictions for."""
    for run in (run_a, run_b):
        if not run.is_dir():
            raise RecipeError(f"compare: {run} is not a folder written by `rlvr eval`")
    shared = [name for name in benchmarks_in(run_a) if name in set(benchmarks_in(run_b))]
    if not shared:
        raise RecipeError(f"compare: {run_a} and {run_b} share no benchmark with {PREDICTIONS_FILE}")
    results = []
    for name in shared:
        a = read_predictions(run_a / name / PREDICTIONS_FILE)
        b = read_predictions(run_b / name / PREDICTIONS_FILE)
        ids = sorted(a.keys() & b.keys())
        paired = paired_bootstrap(
            [float(a[i]["acc"]) for i in ids], [float(b[i]["acc"]) for i in ids], resamples, seed
        )
        results.append((name, paired, len(a.keys() ^ b.keys())))
    return results


def _rows(results: list[tuple[str, PairedResult, int]]) -> list[list[str]]:
    rows = []
    for name, r, unpaired in results:
        title = BENCHMARKS[name].title if name in BENCHMARKS else name
        rows.append(
            [
                title,
                str(r.n),
                f"{100 * r.mean_a:.1f}",
                f"{100 * r.mean_b:.1f}",
                f"{100 * r.delta:+.1f}",
                f"[{100 * r.ci_low:+.1f}, {100 * r.ci_high:+.1f}]",
                f"{r.p_value:.4f}",
                str(unpaired),
            ]
        )
    return rows


def render(run_a: Path, run_b: Path, results: list[tuple[str, PairedResult, int]]) -> str:
    lines = [f"A = {run_a}", f"B = {run_b}", "", "| " + " | ".join(HEADER) + " |", "|---" * len(HEADER) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(results)]
    return "\n".join(lines) + "\n"


def write_compare(
    out_dir: Path, run_a: Path, run_b: Path, results: list[tuple[str, PairedResult, int]]
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "compare.md").write_text(render(run_a, run_b, results))
    with (out_dir / "compare.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(_rows(results))
    return out_dir / "compare.md"


def main(argv: list[str]) -> int:
    """compare RUN_A RUN_B [output=DIR] [resamples=N]"""
    paths = [a for a in argv if "=" not in a]
    options = dict(a.split("=", 1) for a in argv if "=" in a)
    unknown = set(options) - {"output", "resamples"}
    if len(paths) != 2 or unknown:
        raise RecipeError(
            "usage: rlvr eval compare RUN_A RUN_B [output=DIR] [resamples=10000]"
            + (f" (unknown option(s): {', '.join(sorted(unknown))})" if unknown else "")
        )
    try:
        resamples = int(options.get("resamples", 10_000))
    except ValueError:
        raise RecipeError(f"resamples={options['resamples']!r} is not a whole number") from None
    run_a, run_b = (Path(p).expanduser() for p in paths)
    results = compare_runs(run_a, run_b, resamples)
    print(render(run_a, run_b, results), end="")
    if "output" in options:
        print(f"written: {write_compare(Path(options['output']).expanduser(), run_a, run_b, results)}")
    return 0
