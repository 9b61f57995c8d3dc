"""`rlvr data synth|prepare|sources|templates`: command-line front end of the data package."""

from __future__ import annotations

import argparse
import sys
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
    prepare.add_argument("--val-fraction", type=float, default=0.1, help="share of rows in val (default 0.1)")
    prepare.add_argument("--seed", type=int, default=0, help="seed of sampling and the split (default 0)")
    prepare.add_argument(
        "--ratio",
        action="append",
        default=[],
        metavar="KEY=FRACTION",
        help="keep this fraction of a source's rows (vqa_rad=0.5) or a modality's (modality:CT=0.2)",
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
        "--template", default=DEFAULT_TEMPLATE, choices=sorted(TEMPLATES), help="prompt template"
    )


def _run_prepare(args: argparse.Namespace) -> int:
    from rlvr.data.images import PixelBounds
    from rlvr.data.prepare import PrepareError, PrepareOptions, prepare
    from rlvr.data.splitting import parse_ratio

    if len(args.source) != len(args.input):
        raise ValueError(
            f"got {len(args.source)} --source but {len(args.input)} --input: give one --input per source"
        )
    names = [name.strip() for name in args.official_splits.split(",")]
    unknown = sorted(set(names) - {"train", "val", "test", "none"})
    if unknown:
        raise ValueError(f"--official-splits: unknown split(s) {unknown}; use train, val, test, none")
    official = tuple("" if name == "none" else name for name in names)
    options = PrepareOptions(
        sources=[(name, Path(folder)) for name, folder in zip(args.source, args.input, strict=True)],
        out_dir=Path(args.out),
        val_fraction=args.val_fraction,
        seed=args.seed,
        ratios=dict(parse_ratio(spec) for spec in args.ratio),
        bounds=PixelBounds(args.min_pixels, args.max_pixels),
        on_error=args.on_error,
        template=args.template,
        official_splits=official,
    )
    try:
        paths, report = prepare(options)
    except PrepareError as exc:
        print(exc.report.format(), file=sys.stderr)
        print(f"rlvr data prepare: stopped, nothing written: {exc}", file=sys.stderr)
        return 1
    print(report.format())
    for split, path in paths.items():
        print(f"{split}: {path}")
    return 0


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
    commands.add_parser("sources", help="list the dataset converters and the layouts they read")
    commands.add_parser("templates", help="list the prompt templates")
    return parser


RUNNERS = {"synth": _run_synth, "prepare": _run_prepare, "sources": _run_sources, "templates": _run_templates}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return RUNNERS[args.command](args)
    except (ValueError, KeyError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc  # no repr() quotes
        print(f"rlvr data {args.command}: error: {message}", file=sys.stderr)
        return 2
