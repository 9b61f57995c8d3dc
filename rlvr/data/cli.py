"""`rlvr data synth|prepare|templates`: command-line front end of the data package."""

from __future__ import annotations

import argparse
import sys

from rlvr.data.templates import DEFAULT_TEMPLATE, TEMPLATES


def _add_synth(commands: argparse._SubParsersAction) -> None:
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


def _run_synth(args: argparse.Namespace) -> int:
    from rlvr.data.synth import write_synth

    paths = write_synth(args.out, args.n, args.seed, args.val_fraction, args.image_size, args.template)
    for split, path in paths.items():
        print(f"{split}: {path}")
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
    commands.add_parser("templates", help="list the prompt templates")
    return parser


RUNNERS = {"synth": _run_synth, "templates": _run_templates}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return RUNNERS[args.command](args)
    except (ValueError, KeyError, OSError) as exc:
        print(f"rlvr data {args.command}: error: {exc}", file=sys.stderr)
        return 2
