"""`rlvr data synth|prepare|check|sources|templates`: command-line front end of the data package."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from rlvr.data.templates import DEFAULT_TEMPLATE, TEMPLATES


def _add_synth(commands: argparse._SubParsersAction) -> None:
    from rlvr.data.synth import TASKS

    synth = commands.add_parser(
        "synth",
        help="write the synthetic VQA task (train.parquet + val.parquet)",
        description="Generate the synthetic medical-style VQA task locally (no downloads).",
    )
    synth.add_argument("--out", required=True, help="output folder for train.parquet and val.parquet")
    synth.add_argument("--n", type=int, default=1000, help="rows in total (default 1000)")
    synth.add_argument("--seed", type=int, default=0, help="generation seed (default 0)")
    synth.add_argument("--val-fraction", type=float, default=0.1, help="share of rows in val (default 0.1)")
    synth.add_argument("--image-size", type=int, default=56, help="image side in pixels (default 56)")
    synth.add_argument(
        "--template", default=DEFAULT_TEMPLATE, choices=sorted(TEMPLATES), help="prompt template"
    )
    synth.add_argument(
        "--tasks",
        default=",".join(TASKS),
        help=f"comma-separated question types to draw from (default: all of {','.join(TASKS)})",
    )


def _run_synth(args: argparse.Namespace) -> int:
    from rlvr.data.synth import write_synth

    tasks = [task.strip() for task in args.tasks.split(",") if task.strip()]
    paths = write_synth(args.out, args.n, args.seed, args.val_fraction, args.image_size, args.template, tasks)
    for split, path in paths.items():
        print(f"{split}: {path}")
    return 0


def _add_prepare(commands: argparse._SubParsersAction) -> None:
    from rlvr.data.images import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS
    from rlvr.data.options import DEFAULT_LANGUAGES

    prepare = commands.add_parser(
        "prepare",
        help="convert public medical VQA sets on disk to train.parquet + val.parquet",
        description=(
            "Convert one or more datasets, each in its released layout, into RL-ready parquet. "
            "Give --source and --input once per dataset (paired in order). "
            "See `rlvr data sources` for the layouts read."
        ),
    )
    prepare.add_argument("--source", action="append", required=True, help="dataset name (repeatable)")
    prepare.add_argument(
        "--input", action="append", required=True, help="its folder (repeatable, same order)"
    )
    prepare.add_argument("--out", required=True, help="output folder for train.parquet and val.parquet")
    prepare.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="share of image groups in val, strictly between 0 and 1 (default 0.1)",
    )
    prepare.add_argument("--seed", type=int, default=0, help="seed of sampling and the split (default 0)")
    prepare.add_argument(
        "--ratio",
        action="append",
        default=[],
        metavar="KEY=FRACTION",
        help=(
            "keep this fraction of a source's rows (vqa_rad=0.5) or a modality's (modality:CT=0.2; names "
            "from the vocabulary X-ray, CT, MRI, ultrasound, ..., other, text, in any case)"
        ),
    )
    prepare.add_argument("--min-pixels", type=int, default=DEFAULT_MIN_PIXELS, help="upscale smaller images")
    prepare.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="downscale larger images")
    prepare.add_argument(
        "--on-error",
        choices=("skip", "fail"),
        default="skip",
        help="bad rows (missing/unreadable image, empty answer, ...): skip and count them, or stop the run",
    )
    prepare.add_argument(
        "--official-splits",
        default="train,val,none",
        help="which of each set's own splits to read (train,val,test,none); default leaves test sets out",
    )
    prepare.add_argument(
        "--allow-benchmark-training",
        action="store_true",
        help=(
            "also write rows of the splits the benchmark tables evaluate on (VQA-RAD test, MMMU-Med "
            "validation, OmniMedVQA, ...); left out by default, and reported loudly when given"
        ),
    )
    prepare.add_argument(
        "--lang",
        default=",".join(DEFAULT_LANGUAGES),
        help="question languages to keep, ISO 639-1 codes (default en; SLAKE also has zh)",
    )
    prepare.add_argument(
        "--template", default=DEFAULT_TEMPLATE, choices=sorted(TEMPLATES), help="prompt template"
    )
    prepare.add_argument(
        "--work-dir",
        default=None,
        help="folder for the temporary image store (about the input images' size; default: system temp)",
    )


def _official_splits(spec: str) -> tuple[str, ...]:
    names = [name.strip() for name in spec.split(",")]
    unknown = sorted(set(names) - {"train", "val", "test", "none"})
    if unknown:
        raise ValueError(f"--official-splits: unknown split(s) {unknown}; use train, val, test, none")
    return tuple("" if name == "none" else name for name in names)


def _run_prepare(args: argparse.Namespace) -> int:
    from rlvr.data.images import PixelBounds
    from rlvr.data.prepare import (
        BENCHMARK_WARNING,
        BenchmarkTrainingWarning,
        PrepareError,
        PrepareOptions,
        prepare,
    )
    from rlvr.data.splitting import parse_ratio

    if len(args.source) != len(args.input):
        raise ValueError(
            f"got {len(args.source)} --source but {len(args.input)} --input: give one --input per source"
        )
    options = PrepareOptions(
        sources=[(name, Path(folder)) for name, folder in zip(args.source, args.input, strict=True)],
        out_dir=Path(args.out),
        val_fraction=args.val_fraction,
        seed=args.seed,
        ratios=dict(parse_ratio(spec) for spec in args.ratio),
        bounds=PixelBounds(args.min_pixels, args.max_pixels),
        on_error=args.on_error,
        template=args.template,
        official_splits=_official_splits(args.official_splits),
        languages=tuple(code.strip() for code in args.lang.split(",")),
        allow_benchmark_training=args.allow_benchmark_training,
        work_dir=Path(args.work_dir) if args.work_dir else None,
    )
    options.check()
    if options.allow_benchmark_training:
        print(f"rlvr data prepare: WARNING: {BENCHMARK_WARNING}", file=sys.stderr)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BenchmarkTrainingWarning)  # printed above, once
            paths, report = prepare(options)
    except PrepareError as exc:
        print(exc.report.format(), file=sys.stderr)
        print(f"rlvr data prepare: stopped, nothing written: {exc}", file=sys.stderr)
        return 1
    print(report.format())
    for split, path in paths.items():
        print(f"{split}: {path}")
    if report.benchmark_trained:
        trained = sum(sum(counts.values()) for counts in report.benchmark_trained.values())
        print(
            f"rlvr data prepare: WARNING: {trained} rows of evaluation splits were written", file=sys.stderr
        )
    return 0


def _add_check(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser(
        "check",
        help="find evaluation rows that training parquet files already contain (exit 1 if any)",
        description=(
            "Compare `rlvr data` parquet files: an evaluation row overlaps when a training row has the same "
            "image (decoded pixels, so a lossless re-encoding still matches) or, when one of the two rows "
            "is text-only, the same question (case, Unicode form, punctuation and spacing ignored). "
            "Exit 0: no overlap; 1: overlap found; 2: bad input."
        ),
    )
    for flag, what in (("--train", "training"), ("--eval", "evaluation")):
        check.add_argument(
            flag,
            nargs="+",
            action="extend",
            required=True,
            metavar="PATH",
            help=f"{what} parquet files, folders (all *.parquet inside) or glob patterns",
        )


def _run_check(args: argparse.Namespace) -> int:
    from rlvr.data.check import find_overlap

    report = find_overlap(args.train, args.eval)
    print(report.format())
    return 1 if report.found else 0


def _run_sources(args: argparse.Namespace) -> int:
    from rlvr.data.sources import SOURCES

    width = max(map(len, SOURCES))
    for name, source in sorted(SOURCES.items()):
        print(f"{name:<{width}}  {source.description}")
    return 0


def _run_templates(args: argparse.Namespace) -> int:
    for name, template in sorted(TEMPLATES.items()):
        print(f"{name}{' (default)' if name == DEFAULT_TEMPLATE else ''}")
        print(f"  system:      {template.system_prompt or '(none)'}")
        print(f"  instruction: {template.instruction}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlvr data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_synth(commands)
    _add_prepare(commands)
    _add_check(commands)
    commands.add_parser("sources", help="list the dataset converters and the layouts they read")
    commands.add_parser("templates", help="list the prompt templates")
    return parser


RUNNERS = {
    "synth": _run_synth,
    "prepare": _run_prepare,
    "check": _run_check,
    "sources": _run_sources,
    "templates": _run_templates,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return RUNNERS[args.command](args)
    except (ValueError, KeyError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc  # no repr() quotes
        print(f"rlvr data {args.command}: error: {message}", file=sys.stderr)
        return 2
