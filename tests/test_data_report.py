"""The prepare report: converter repairs and left-out rows counted per source, in text and metadata."""

from __future__ import annotations

import re

from data_pipeline_fixtures import image_rows, install_records_source, write_records

from rlvr.data.io import read_metadata
from rlvr.data.prepare import PrepareOptions, prepare


def test_repairs_and_left_out_rows_are_counted_per_source(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    rows = image_rows(tmp_path / "in", 10)
    for row in rows[:3]:
        row["notes"] = [["label_fixed", "label C but the answer text is choice B's"]]
    rows += [
        {"reason": "label_mismatch", "detail": "label A and text 'x' disagree"},
        {"question": "Q?", "answer": "yes", "images": ["img0.png"], "language": "de"},
    ]
    root = write_records(tmp_path / "in", rows)
    paths, report = prepare(PrepareOptions(sources=[(source, root)], out_dir=tmp_path / "out"))
    assert report.repairs[source] == {"label_fixed": 3}
    assert report.left_out_by_source[source] == {"label_mismatch": 1, "other_language": 1}
    text = report.format()
    assert re.search(rf"repaired\s+3\s+label_fixed \({source}\)", text)
    assert re.search(rf"skipped\s+1\s+label_mismatch \({source} 1\)", text)
    assert re.search(rf"filtered\s+1\s+other_language \({source} 1\)", text)
    meta = read_metadata(paths["train"])["report"]
    assert meta["repairs"] == {source: {"label_fixed": 3}}
    assert meta["left_out_by_source"] == {source: {"label_mismatch": 1, "other_language": 1}}
