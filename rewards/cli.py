"""``rlvr rewards``: score a JSONL file of responses (summary table per answer type) or list the verifiers.

Verifier faults (a crash, a non-score, a timeout) are counted and listed by row, never averaged in as
wrong answers; more than ``--max-error-rate`` of the rows faulting is exit 1. Exit 2: bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rewards.batch import BatchResult, score_batch
from rewards.faults import DEFAULT_MAX_ERROR_RATE, allowed_faults, check_max_error_rate, fault_report
from rewards.registry import VerifierError, import_modules, list_verifiers, plugin_problems
from rewards.score import RewardConfig

REQUIRED_KEYS = ("response", "ground_truth")
SUMMARY_KEYS = ("acc", "format", "score")


def read_rows(path: Path) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """``("file:line", row)`` for each non-blank line of ``path``; a line that is no valid row gives
    ``("file:line", why)`` instead."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield where, f"not valid JSON ({exc.msg} at column {exc.colno})"
                continue
            if not isinstance(row, dict):
                yield where, f"expected a JSON object, got {type(row).__name__}"
                continue
            missing = [key for key in REQUIRED_KEYS if key not in row]
            if missing:
                yield where, f"missing key(s) {', '.join(missing)}; each row needs {REQUIRED_KEYS}"
                continue
            if row.get("extra_info") is not None and not isinstance(row["extra_info"], dict):
                yield where, "extra_info must be a JSON object or null"
                continue
            yield where, row


def _summary_line(name: str, members: list[BatchResult]) -> str:
    judged = [r for r in members if r.kind is None]  # a fault is no verdict: left out of the means
    n = len(judged)
    acc, fmt, score = (sum(r.scores[key] for r in judged) / n if n else 0.0 for key in SUMMARY_KEYS)
    report = fault_report(members)
    counts = f"{report.errors:>7} {report.timeouts:>8}"
    return f"{name:<14} {len(members):>6} {acc:>7.3f} {fmt:>7.3f} {score:>7.3f} {counts}"


def summary_table(results: list[BatchResult], malformed: int) -> str:
    """Mean acc / format / score over the judged rows, and row and fault counts, per verifier, then all."""
    groups: dict[str, list[BatchResult]] = {}
    for result in results:
        groups.setdefault(result.verifier or "(failed)", []).append(result)
    columns = f"{'acc':>7} {'format':>7} {'score':>7} {'errors':>7} {'timeouts':>8}"
    lines = [f"{'answer type':<14} {'n':>6} {columns}"]
    lines += [_summary_line(name, members) for name, members in sorted(groups.items())]
    lines.append(_summary_line("all", results))
    lines.append(f"malformed rows skipped: {malformed}")
    return "\n".join(lines)


def warn_skipped_plugins(prog: str) -> None:
    """One stderr line per broken or clashing verifier plugin (skipped; asking for it is an error)."""
    for name, problem in plugin_problems().items():
        print(f"{prog}: warning: verifier plugin {name!r} skipped: {problem}", file=sys.stderr)


def _config(args: argparse.Namespace) -> RewardConfig:
    settings = {
        key: value
        for key, value in (
            ("acc_weight", args.acc_weight),
            ("format_weight", args.format_weight),
            ("verifier", args.verifier),
            ("imports", args.imports),
        )
        if value is not None
    }
    return RewardConfig(**settings)


def _score(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"rlvr rewards score: no such file: {path}", file=sys.stderr)
        return 2
    try:
        config = _config(args)
        max_error_rate = check_max_error_rate(args.max_error_rate)
    except ValueError as exc:
        print(f"rlvr rewards score: {exc}", file=sys.stderr)
        return 2
    warn_skipped_plugins("rlvr rewards score")
    rows, places, malformed = [], [], 0
    for where, row in read_rows(path):
        if isinstance(row, str):
            malformed += 1
            print(f"{where}: skipped: {row}", file=sys.stderr)
        else:
            rows.append(row)
            places.append(where)
    try:
        results = score_batch(
            rows, config, workers=args.workers, timeout_s=args.timeout,
            max_faults=allowed_faults(len(rows), max_error_rate),
        )  # fmt: skip
    except (VerifierError, ValueError) as exc:  # a typo'd --verifier / --imports, a bad --timeout / --workers
        print(f"rlvr rewards score: {exc}", file=sys.stderr)
        return 2
    for where, result in zip(places, results, strict=True):
        if result.error:
            print(f"{where}: {result.kind}: {result.error}", file=sys.stderr)
    if args.out:
        with Path(args.out).open("w", encoding="utf-8") as out:
            for row, result in zip(rows, results, strict=True):
                out.write(json.dumps({**row, **asdict(result)}, ensure_ascii=False) + "\n")
    print(summary_table(results, malformed))
    report = fault_report(results, places)
    if report.exceeds(max_error_rate):
        why = report.describe(max_error_rate, "--max-error-rate")
        print(f"rlvr rewards score: error: {why}", file=sys.stderr)
        return 1
    return 0 if rows else 1


def _list(args: argparse.Namespace) -> int:
    try:
        import_modules(tuple(args.imports or ()))
        verifiers = list_verifiers()
    except VerifierError as exc:
        print(f"rlvr rewards list: {exc}", file=sys.stderr)
        return 2
    width = max((len(name) for name in verifiers), default=4)
    print(f"{'name':<{width}}  {'module':<28}  description")
    for name, fn in verifiers.items():
        doc = (getattr(fn, "__doc__", None) or "").strip().splitlines()
        print(f"{name:<{width}}  {getattr(fn, '__module__', '?'):<28}  {doc[0] if doc else ''}")
    warn_skipped_plugins("rlvr rewards list")
    return 0


def _add_imports(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--imports", action="append", default=None, metavar="MODULE",
        help="import this module first (its @register_verifier verifiers); repeatable",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlvr rewards", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="score a JSONL file of {response, ground_truth, extra_info}")
    score.add_argument("file", help="JSONL file, one row per line")
    score.add_argument("--workers", type=int, default=None, help="worker processes (default: CPU count)")
    score.add_argument("--timeout", type=float, default=5.0, help="seconds per row before it is a timeout")
    score.add_argument(
        "--max-error-rate", type=float, default=DEFAULT_MAX_ERROR_RATE,
        help="fraction of rows whose verifier may fault (crash, non-score, timeout) before exit 1",
    )  # fmt: skip
    _add_imports(score)
    score.add_argument("--acc-weight", type=float, default=None)
    score.add_argument("--format-weight", type=float, default=None)
    score.add_argument("--verifier", default=None, help="one verifier for every row (name or dotted path)")
    score.add_argument("--out", default=None, help="write each row with its scores to this JSONL file")
    score.set_defaults(run=_score)
    listing = commands.add_parser("list", help="list the registered verifiers")
    _add_imports(listing)
    listing.set_defaults(run=_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
