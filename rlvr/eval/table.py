"""``table.md`` / ``table.csv`` in Lingshu's layout (one row per model, one column per benchmark, then Avg)
with the published reference rows, and a PNG bar chart per group.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rlvr.eval.benchmarks import BENCHMARKS, GROUP_TITLES, SUITES

# Published accuracies (%), multimodal QA: the Lingshu-7B model card's "Medical Multimodal VQA" table
# (huggingface.co/lingshu-medical-mllm/Lingshu-7B; arXiv 2506.07044, Table "multimodal QA"). Each row's
# average equals the published Avg (61.8, 66.6, 52.0). No text-QA reference rows are listed: their
# per-benchmark numbers were not confirmed from a source here.
REFERENCE_ROWS: dict[str, dict[str, dict[str, float]]] = {
    "mm": {
        "Lingshu-7B (published)": {
            "mmmu_med": 54.0,
            "vqa_rad": 67.9,
            "slake": 83.1,
            "pathvqa": 61.9,
            "pmc_vqa": 56.3,
            "omnimedvqa": 82.9,
            "medxpertqa_mm": 26.7,
        },
        "Lingshu-32B (published)": {
            "mmmu_med": 62.3,
            "vqa_rad": 76.5,
            "slake": 89.2,
            "pathvqa": 65.9,
            "pmc_vqa": 57.9,
            "omnimedvqa": 83.4,
            "medxpertqa_mm": 31.4,
        },
        "Qwen2.5-VL-7B (published)": {
            "mmmu_med": 50.6,
            "vqa_rad": 64.5,
            "slake": 67.2,
            "pathvqa": 44.1,
            "pmc_vqa": 51.9,
            "omnimedvqa": 63.6,
            "medxpertqa_mm": 22.3,
        },
    },
}
PUBLISHED_AVG = {
    "Lingshu-7B (published)": 61.8,
    "Lingshu-32B (published)": 66.6,
    "Qwen2.5-VL-7B (published)": 52.0,
}
GROUP_COLUMNS = {"mm": SUITES["lingshu_mm"], "text": SUITES["lingshu_text"], "synth": SUITES["synth"]}


def _cell(value: float | None) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}"


def group_rows(model_label: str, accuracies: Mapping[str, float], group: str) -> list[tuple[str, list, Any]]:
    """(label, per-column value or None, avg) rows of one group: this run, then the reference rows."""
    columns = GROUP_COLUMNS[group]
    ours = [100 * accuracies[name] if name in accuracies else None for name in columns]
    present = [v for v in ours if v is not None]
    avg = sum(present) / len(present) if present else None
    avg_note = "" if len(present) == len(columns) else f" ({len(present)}/{len(columns)})"
    rows = [(model_label, ours, (avg, avg_note))]
    for label, values in REFERENCE_ROWS.get(group, {}).items():
        rows.append((label, [values.get(name) for name in columns], (PUBLISHED_AVG.get(label), "")))
    return rows


def render_markdown(model_label: str, accuracies: Mapping[str, float], details: Mapping[str, dict]) -> str:
    """The groups that have at least one evaluated benchmark; an Avg over fewer columns says so."""
    out = []
    for group, columns in GROUP_COLUMNS.items():
        if not any(name in accuracies for name in columns):
            continue
        titles = [BENCHMARKS[name].title for name in columns]
        out += [
            f"## {GROUP_TITLES[group]}",
            "",
            "| Model | " + " | ".join(titles) + " | Avg |",
            "|---" * (len(titles) + 2) + "|",
        ]
        for label, values, (avg, note) in group_rows(model_label, accuracies, group):
            out.append(f"| {label} | " + " | ".join(_cell(v) for v in values) + f" | {_cell(avg)}{note} |")
        out.append("")
    out += [
        "## Per benchmark",
        "",
        "| Benchmark | n | Accuracy | 95% CI | Unparseable | Truncated | Notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, info in details.items():
        low, high = info.get("ci95", [None, None])
        ci = f"{_cell(100 * low)}–{_cell(100 * high)}" if low is not None else "—"
        out.append(
            f"| {BENCHMARKS[name].title} ({name}) | {info.get('n', 0)} | {_cell(100 * info['accuracy'])} "
            f"| {ci} | {_cell(100 * info.get('unparseable_rate', 0))}% "
            f"| {_cell(100 * info.get('truncated_rate', 0))}% | "
            f"{'; '.join(info.get('notes', []))} |"
        )
    return "\n".join(out) + "\n"


def write_csv(path: Path, model_label: str, accuracies: Mapping[str, float]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for group, columns in GROUP_COLUMNS.items():
            if not any(name in accuracies for name in columns):
                continue
            writer.writerow(["group", "model", *[BENCHMARKS[n].title for n in columns], "Avg"])
            for label, values, (avg, _) in group_rows(model_label, accuracies, group):
                writer.writerow(
                    [
                        group,
                        label,
                        *["" if v is None else f"{v:.2f}" for v in values],
                        "" if avg is None else f"{avg:.2f}",
                    ]
                )


def write_charts(
    out_dir: Path, model_label: str, accuracies: Mapping[str, float], cis: Mapping
) -> list[Path]:
    """One PNG per group: this run's accuracy with its 95% interval, beside Lingshu-7B's published number."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for group, columns in GROUP_COLUMNS.items():
        names = [n for n in columns if n in accuracies]
        if not names:
            continue
        ours = [100 * accuracies[n] for n in names]
        errors = [
            [100 * (accuracies[n] - cis[n][0]) for n in names],
            [100 * (cis[n][1] - accuracies[n]) for n in names],
        ]
        figure, axis = plt.subplots(figsize=(1.6 * len(names) + 2, 3.6))
        positions = range(len(names))
        axis.bar([p - 0.2 for p in positions], ours, 0.4, yerr=errors, capsize=3, label=model_label)
        reference = REFERENCE_ROWS.get(group, {}).get("Lingshu-7B (published)")
        if reference:
            axis.bar(
                [p + 0.2 for p in positions],
                [reference.get(n, 0) for n in names],
                0.4,
                color="lightgrey",
                label="Lingshu-7B (published)",
            )
        axis.set_xticks(list(positions), [BENCHMARKS[n].title for n in names], rotation=20)
        axis.set_ylabel("accuracy (%)")
        axis.set_ylim(0, 100)
        axis.set_title(GROUP_TITLES[group])
        axis.legend(fontsize=8)
        figure.tight_layout()
        path = out_dir / f"chart_{group}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written


def write_table(out_dir: Path, model_label: str, details: Mapping[str, dict]) -> dict[str, Path]:
    """table.md, table.csv and the charts for the benchmarks in ``details`` (name -> metrics + notes)."""
    accuracies = {
        name: info["accuracy"] for name, info in details.items() if info.get("accuracy") is not None
    }
    cis = {name: info["ci95"] for name, info in details.items() if name in accuracies}
    (out_dir / "table.md").write_text(
        f"# {model_label}\n\n" + render_markdown(model_label, accuracies, details)
    )
    write_csv(out_dir / "table.csv", model_label, accuracies)
    charts = write_charts(out_dir, model_label, accuracies, cis)
    return {
        "table_md": out_dir / "table.md",
        "table_csv": out_dir / "table.csv",
        **{c.stem: c for c in charts},
    }
