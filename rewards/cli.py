"""``rlvr rewards``: score a JSONL file of responses (summary table per answer type), explain one score,
or list the verifiers.

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

from rewards.audit import Explanation, explain_score
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


class UsageError(Exception):
    """A command-line mistake: printed as one line, exit code 2."""


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
    try:
        return RewardConfig(**settings)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _explanation(where: str, row: dict[str, Any], config: RewardConfig) -> Explanation:
    try:
        return explain_score(row["response"], row["ground_truth"], row.get("extra_info"), config)
    except (VerifierError, ValueError, TypeError) as exc:  # a bad row or setting: name the row
        raise UsageError(f"{where}: {exc}") from exc


def _score(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    config = _config(args)
    try:
        max_error_rate = check_max_error_rate(args.max_error_rate)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
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
        raise UsageError(str(exc)) from exc
    if args.explain:
        for where, row in zip(places, rows, strict=True):
            try:
                print(f"== {where}\n{_explanation(where, row, config)}\n")
            except UsageError as exc:  # the row's error is also reported below; audit the others
                print(f"== {where}\nerror: {exc}\n")
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


def _explain(args: argparse.Namespace) -> int:
    config = _config(args)
    if args.file is not None:
        where, row = _row_at(Path(args.file), args.line)
    else:
        if args.response is None or args.ground_truth is None:
            raise UsageError("give --response and --ground-truth (and optionally --extra-info), or --file")
        where, row = (
            "command line",
            {
                "response": args.response,
                "ground_truth": args.ground_truth,
                "extra_info": _json_object(args.extra_info, "--extra-info"),
            },
        )
    explanation = _explanation(where, row, config)
    if args.json:
        print(json.dumps({"where": where, **asdict(explanation)}, ensure_ascii=False, indent=2))
    else:
        print(f"== {where}\n{explanation}")
    return 0


def _row_at(path: Path, line: int) -> tuple[str, dict[str, Any]]:
    """The row on ``line`` (1-based, as ``rlvr rewards score`` reports) of a JSONL file."""
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    for where, row in read_rows(path):
        if where == f"{path}:{line}":
            if isinstance(row, str):
                raise UsageError(f"{where}: {row}")
            return where, row
    raise UsageError(f"{path} has no row on line {line} (lines are numbered from 1; blank lines hold none)")


def _json_object(text: str | None, flag: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{flag} is not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if value is not None and not isinstance(value, dict):
        raise UsageError(f'{flag} must be a JSON object such as \'{{"answer_type": "closed"}}\'')
    return value


def _list(args: argparse.Namespace) -> int:
    try:
        import_modules(tuple(args.imports or ()))
        verifiers = list_verifiers()
    except VerifierError as exc:
        raise UsageError(str(exc)) from exc
    width = max((len(name) for name in verifiers), default=4)
    print(f"{'name':<{width}}  {'module':<28}  description")
    for name, fn in verifiers.items():
        doc = (getattr(fn, "__doc__", None) or "").strip().splitlines()
        print(f"{name:<{width}}  {getattr(fn, '__module__', '?'):<28}  {doc[0] if doc else ''}")
    warn_skipped_plugins("rlvr rewards list")
    return 0


def _reward_settings() -> argparse.ArgumentParser:
    settings = argparse.ArgumentParser(add_help=False)
    settings.add_argument("--acc-weight", type=float, default=None)
    settings.add_argument("--format-weight", type=float, default=None)
    settings.add_argument("--verifier", default=None, help="one verifier for every row (name or dotted path)")
    _add_imports(settings)
    return settings


def _add_imports(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--imports", action="append", default=None, metavar="MODULE",
        help="import this module first (its @register_verifier verifiers); repeatable",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlvr rewards", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    settings = _reward_settings()
    score = commands.add_parser(
        "score", parents=[settings], help="score a JSONL file of {response, ground_truth, extra_info}"
    )
    score.add_argument("file", help="JSONL file, one row per line")
    score.add_argument("--workers", type=int, default=None, help="worker processes (default: CPU count)")
    score.add_argument("--timeout", type=float, default=5.0, help="seconds per row before it is a timeout")
    score.add_argument(
        "--max-error-rate", type=float, default=DEFAULT_MAX_ERROR_RATE,
        help="fraction of rows whose verifier may fault (crash, non-score, timeout) before exit 1",
    )  # fmt: skip
    score.add_argument("--out", default=None, help="write each row with its scores to this JSONL file")
    score.add_argument("--explain", action="store_true", help="also print how each row's score came about")
    score.set_defaults(run=_score)
    explain = commands.add_parser(
        "explain",
        parents=[settings],
        help="show how one response was scored: answer and where found, verifier and why, rules, scores",
    )
    explain.add_argument("--response", help="the model's response")
    explain.add_argument("--ground-truth", help="the reference answer")
    explain.add_argument("--extra-info", help="the row's extra_info as a JSON object")
    explain.add_argument("--file", help="a JSONL file of rows (as for `score`) instead of the flags above")
    explain.add_argument("--line", type=int, default=1, help="which line of --file to explain (from 1)")
    explain.add_argument("--json", action="store_true", help="print the explanation as JSON")
    explain.set_defaults(run=_explain)
    listing = commands.add_parser("list", help="list the registered verifiers")
    _add_imports(listing)
    listing.set_defaults(run=_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"rlvr rewards {args.command}: {exc}", file=sys.stderr)
        return 2
