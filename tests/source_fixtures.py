"""Helpers for converter tests: write tiny releases in their real layouts (images drawn with PIL)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from rlvr.data.records import RawRecord, Rejected
from rlvr.data.sources import get_source


def png_bytes(shade: int = 100, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, color=shade).save(buffer, format="PNG")
    return buffer.getvalue()


def hub_image(shade: int) -> dict:
    """A hub parquet image cell: {bytes, path}."""
    return {"bytes": png_bytes(shade), "path": f"{shade}.png"}


def write_image(path: Path, shade: int = 100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), color=(shade, shade, shade)).save(path)
    return path


def write_jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


def write_csv(path: Path, header: list[str] | None, rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def write_parquet(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {key: [row.get(key) for row in rows] for key in rows[0]}
    pq.write_table(pa.table(columns), path)
    return path


def read(name: str, root: Path) -> tuple[list[RawRecord], list[Rejected]]:
    records = list(get_source(name).read(root))
    return [r for r in records if isinstance(r, RawRecord)], [r for r in records if isinstance(r, Rejected)]


def tags(records) -> list[tuple[str, str]]:
    return [(r.official_split, r.benchmark_split) for r in records]
