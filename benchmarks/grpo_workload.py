"""The GRPO work both sides of ``bench_grpo.py`` run: model, prompts, fixed response length, and the table.

Every response is exactly ``response_length`` tokens long on both sides (``min_new_tokens`` blocks EOS),
so tokens/s compare the same amount of generation and training.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

SIZES = {
    "tiny": {},  # the quickstart model (recipes/quickstart.yaml), with its synthetic images
    "large": {  # ~25M parameters: generation and updates dominate fixed overheads
        "hidden_size": 512, "intermediate_size": 1408, "num_hidden_layers": 8,
        "num_attention_heads": 8, "num_key_value_heads": 4,
    },
}  # fmt: skip
SPLIT_PARTS = ("rollout", "reward", "update", "weight sync", "other")
MAX_LOAD_GAP = 0.5  # a ratio between two sides whose 1-min load averages differ by more is not reported
TARGET_RATIO = 1.5  # ours vs TRL tokens/s on the large workload (issue 14)
MAX_SYNC_SHARE = 0.05  # weight sync's share of a step at ~25M parameters


@dataclass
class Work:
    """One benchmark point: what both trainers do."""

    size: str
    model_dir: Path
    rows: list[dict]  # verl RL rows; images only for the tiny (quickstart) model
    group_size: int
    response_length: int
    steps: int
    prompts_per_step: int
    kl_coef: float
    gradient_checkpointing: bool = True  # both trainers' default (verl's and TRL's)
    lr: float = 1e-5

    @property
    def with_images(self) -> bool:
        return any(row["images"] for row in self.rows)

    @property
    def parameters_m(self) -> float:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(self.model_dir)
        text = config.text_config
        per_layer = (
            2 * text.hidden_size * text.hidden_size  # q and o projections
            + 2 * text.hidden_size * text.num_key_value_heads * (text.hidden_size // text.num_attention_heads)
            + 3 * text.hidden_size * text.intermediate_size
        )
        return (per_layer * text.num_hidden_layers + 2 * text.vocab_size * text.hidden_size) / 1e6


@dataclass
class Timing:
    """Per-step means over the timed steps (the first, warm-up step is left out on both sides)."""

    seconds_per_step: float
    tokens_per_s: float  # generated response tokens per second of whole step
    response_length: float  # mean tokens per response, to check both sides did the same work
    split: dict[str, float]  # SPLIT_PARTS -> seconds per step
    details: dict[str, float] = field(default_factory=dict)  # parts inside the split, seconds per step
    load: float = 0.0  # the machine's 1-min load average, mean of the side's start and end
    sync_ms: float = 0.0  # one policy -> rollout weight sync, milliseconds (ours only)


def text_only(row: dict) -> dict:
    """The row without its images (the ``<image>`` placeholders removed from the prompt)."""
    row = copy.deepcopy(row)
    for message in row["prompt"]:
        message["content"] = message["content"].replace("<image>", "").strip()
    row["images"] = []
    return row


def build_work(size: str, root: Path, *, steps: int, n: int, prompts_per_step: int, response_length: int,
               kl_coef: float, gradient_checkpointing: bool = True) -> Work:  # fmt: skip
    """Build the model for ``size`` under ``root``, pin its response length, and pick the prompts."""
    from transformers import GenerationConfig

    from base_training.tiny import build_tiny_qwen2_5_vl
    from rlvr.data.schema import build_row
    from rlvr.data.synth import make_sample
    from rlvr.data.templates import DEFAULT_TEMPLATE, get_template

    model_dir = build_tiny_qwen2_5_vl(root / f"model_{size}", seed=0, **SIZES[size])
    generation = GenerationConfig.from_pretrained(model_dir)
    generation.min_new_tokens = response_length  # our rollout worker reads it from the model folder
    generation.save_pretrained(model_dir)
    template = get_template(DEFAULT_TEMPLATE)
    count = prompts_per_step * (steps + 1)
    rows = [build_row(make_sample(0, "train", i), template, "train", i) for i in range(count)]
    if size != "tiny":
        rows = [text_only(row) for row in rows]
    return Work(
        size, model_dir, rows, n, response_length, steps, prompts_per_step, kl_coef, gradient_checkpointing
    )  # fmt: skip


def format_table(work: Work, sides: dict[str, Timing], errors: dict[str, str]) -> str:
    """The comparison table of one size (every side with its load average), each side's inner parts, weight
    sync against parameter count, and ours/TRL ratios where the two sides ran under similar load."""
    kind = "VLM, synthetic images" if work.with_images else "text-only prompts"
    lines = [
        f"\n== {work.size}: ~{work.parameters_m:.1f}M LM parameters, {kind}; {work.prompts_per_step} prompts"
        f" x n={work.group_size}, {work.response_length} tokens each, beta={work.kl_coef},"
        f" gradient checkpointing {'on' if work.gradient_checkpointing else 'off'},"
        f" {work.steps} timed steps",
        f"{'trainer':<10} {'s/step':>7} {'tok/s':>7} {'load':>5} {'resp len':>8} "
        + " ".join(f"{part:>11}" for part in SPLIT_PARTS),
    ]
    for name, timing in sides.items():
        speed = f"{timing.seconds_per_step:7.2f} {timing.tokens_per_s:7.1f} {timing.load:5.1f}"
        lines.append(
            f"{name:<10} {speed} {timing.response_length:8.1f} "
            + " ".join(f"{timing.split.get(part, 0.0):11.2f}" for part in SPLIT_PARTS)
        )
    for name, timing in sides.items():
        if timing.details:
            inner = ", ".join(f"{key} {value:.2f}s" for key, value in timing.details.items())
            lines.append(f"  {name} inside the split: {inner}")
    lines.extend(f"  {name} could not run: {error}" for name, error in errors.items())
    for name, timing in sides.items():
        if timing.sync_ms:
            lines.append(f"  {name} weight sync: {sync_line(work, timing)}")
    trl = sides.get("trl")
    for name, ours in sides.items():
        if name != "trl" and trl is not None:
            lines.append(f"  {name}/trl: {ratio_line(work, ours, trl)}")
    return "\n".join(lines)


def sync_line(work: Work, timing: Timing) -> str:
    """Milliseconds per sync against parameter count (its growth), and its share of a step."""
    share = timing.split["weight sync"] / timing.seconds_per_step
    verdict = ""
    if work.parameters_m >= 20:
        verdict = f" (under {MAX_SYNC_SHARE:.0%}: {'met' if share < MAX_SYNC_SHARE else 'NOT met'})"
    per_m = timing.sync_ms / work.parameters_m
    return (
        f"{timing.sync_ms:.0f} ms per sync for {work.parameters_m:.1f}M parameters ({per_m:.1f} ms per M), "
        f"{share:.1%} of a step{verdict}"
    )


def ratio_line(work: Work, ours: Timing, trl: Timing) -> str:
    """The tokens/s ratio, or why it is withheld (the two sides ran under different load)."""
    gap = abs(ours.load - trl.load)
    if gap > MAX_LOAD_GAP:
        return (f"ratio withheld: the load averages differ by {gap:.1f} (> {MAX_LOAD_GAP}); rerun on a quiet "
                "machine")  # fmt: skip
    ratio = ours.tokens_per_s / trl.tokens_per_s
    target = ""
    if work.parameters_m >= 20:
        target = f"; target x{TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    warning = "" if abs(ours.response_length - trl.response_length) <= 0.5 else " (response lengths differ!)"
    return f"x{ratio:.2f} tokens/s{target}{warning}; " + "; ".join(where_time_goes(ours, trl)[:2])


def where_time_goes(ours: Timing, trl: Timing) -> list[str]:
    """Per part of the split, how much slower or faster ours measured, largest difference first."""
    differences = sorted(
        ((ours.split.get(p, 0.0) - trl.split.get(p, 0.0), p) for p in SPLIT_PARTS), key=lambda d: -abs(d[0])
    )
    return [f"{part} {delta:+.2f}s" for delta, part in differences if abs(delta) >= 0.01]
