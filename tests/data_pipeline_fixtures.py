"""Fixtures for the `rlvr data prepare`/`check` tests: images drawn with PIL and a test-only source that
yields RawRecord/Rejected exactly as written in a JSONL file (splits, language, body part included)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from rlvr.data.records import RawRecord, Rejected
from rlvr.data.sources import SOURCES, Source

RECORDS_SOURCE = "test_records"


def image_bytes(seed: int, size: tuple[int, int] = (64, 48), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    """A picture that differs for every ``seed`` below ~100k: a gradient, a square placed/shaded by it."""
    width, height = size
    image = Image.linear_gradient("L").resize(size)
    x, y = seed % (width - 8), (seed // (width - 8)) % (height - 8)
    ImageDraw.Draw(image).rectangle([x, y, x + 7, y + 7], fill=255 - (seed // 2000) % 200)
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def write_image(path: Path, seed: int, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image_bytes(seed, **kwargs))
    return path


def _record(where: str, row: dict, root: Path) -> RawRecord | Rejected:
    splits = {key: row.get(key, "") for key in ("official_split", "benchmark_split")}
    if "reason" in row:
        return Rejected(row["reason"], where, row.get("detail", "bad row"), **splits)
    return RawRecord(
        where=where,
        question=row["question"],
        answer=row["answer"],
        answer_type=row.get("answer_type"),
        options=row.get("options", {}),
        images=[root / name for name in row.get("images", [])],
        modality=row.get("modality", ""),
        language=row.get("language", "en"),
        body_part=row.get("body_part", ""),
        notes=[tuple(note) for note in row.get("notes", [])],
        **splits,
    )


def _read(root: Path):
    path = root / "records.jsonl"
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        yield _record(f"{path}:{lineno}", json.loads(line), root)


def install_records_source(monkeypatch: pytest.MonkeyPatch) -> str:
    """Register the test-only source for one test (the registry is restored afterwards); its name."""
    monkeypatch.setitem(SOURCES, RECORDS_SOURCE, Source(RECORDS_SOURCE, "test records", _read))
    return RECORDS_SOURCE


def write_records(root: Path, rows: list[dict]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "records.jsonl").write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    return root


def image_rows(
    root: Path, n_images: int, questions_per_image: int = 2, start: int = 0, **fields
) -> list[dict]:
    """Images ``start`` .. ``start + n_images - 1`` drawn on disk, each asked ``questions_per_image`` closed
    questions ("Is finding {q} present in image {i}?"); ``fields`` are added to every row."""
    rows = []
    for i in range(start, start + n_images):
        write_image(root / f"img{i}.png", seed=i)
        for q in range(questions_per_image):
            question = f"Is finding {q} present in image {i}?"
            answer = "yes" if (i + q) % 2 else "no"
            rows.append({"question": question, "answer": answer, "images": [f"img{i}.png"], **fields})
    return rows
