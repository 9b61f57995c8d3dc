"""Warm-up rows that teach a task's answer format but not the task: each row's ground truth is swapped with
another row's of the same answer type, so the answers keep their prior and lose their link to the input."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq

from rlvr.data.io import write_parquet_files


def answer_type(row: dict) -> str:
    return str((row.get("extra_info") or {}).get("answer_type") or "")


def shuffle_answers(rows: Sequence[dict], seed: int) -> list[dict]:
    """``rows`` with ``reward_model.ground_truth`` permuted among the rows of each answer type."""
    rng = random.Random(seed)
    by_type: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_type[answer_type(row)].append(index)
    shuffled = [dict(row) for row in rows]
    for indices in by_type.values():
        answers = [rows[i]["reward_model"]["ground_truth"] for i in indices]
        rng.shuffle(answers)
        for i, answer in zip(indices, answers, strict=True):
            shuffled[i]["reward_model"] = {**rows[i]["reward_model"], "ground_truth": answer}
    return shuffled


def write_shuffled_answers(files: Sequence[str | Path], out_path: str | Path, seed: int) -> Path:
    """One parquet at ``out_path`` holding every row of ``files`` (verl's RL schema), answers shuffled."""
    rows = [row for name in files for row in pq.read_table(name).to_pylist()]
    out_path = Path(out_path)
    metadata = {"generator": "rlvr.data.shuffled_answers", "seed": seed, "sources": [str(f) for f in files]}
    write_parquet_files({out_path: (shuffle_answers(rows, seed), metadata)})
    return out_path
