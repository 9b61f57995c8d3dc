"""Rows left out on purpose: evaluation splits (unless loudly allowed), official splits, other languages."""

from __future__ import annotations

import re

import pytest
from data_pipeline_fixtures import image_rows, install_records_source, write_records

from rlvr.data.cli import main as data_main
from rlvr.data.io import read_metadata, read_rows
from rlvr.data.prepare import BenchmarkTrainingWarning, PrepareError, PrepareOptions, prepare


def benchmark_set(root):
    """20 training images, 4 of VQA-RAD test, 3 of MMMU-Med validation (official split val), 2 OmniMedVQA."""
    rows = image_rows(root, 20)
    evaluation = [("VQA-RAD test", "test", 4), ("MMMU-Med validation", "val", 3), ("OmniMedVQA", "", 2)]
    for start, (split_name, official, count) in zip((100, 200, 300), evaluation, strict=True):
        fields = {"benchmark_split": split_name, "official_split": official}
        rows += image_rows(root, count, questions_per_image=1, start=start, **fields)
    return write_records(root, rows)


def image_number(row: dict) -> int:
    return int(row["extra_info"]["question"].rsplit(" ", 1)[1].rstrip("?"))


def all_rows(paths):
    return [row for path in paths.values() for row in read_rows(path)]


def test_no_evaluation_row_is_written_by_default(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    root = benchmark_set(tmp_path / "in")
    paths, report = prepare(
        PrepareOptions(sources=[(source, root)], out_dir=tmp_path / "out", on_error="fail")
    )
    rows = all_rows(paths)
    assert len(rows) == 40 and not any(row["extra_info"]["benchmark_split"] for row in rows)
    assert max(image_number(row) for row in rows) < 100
    assert report.rejected["benchmark_split"] == 9 and report.errors == 0
    assert report.benchmark_held_out[source] == {"VQA-RAD test": 4, "MMMU-Med validation": 3, "OmniMedVQA": 2}
    meta = read_metadata(paths["train"])
    assert meta["allow_benchmark_training"] is False
    assert meta["report"]["benchmark_held_out"] == {source: dict(report.benchmark_held_out[source])}
    text = report.format()
    assert "held out: rows of evaluation splits" in text and re.search(r"VQA-RAD test\s+4", text)
    assert "TRAINED ON EVALUATION ROWS" not in text


def test_allow_benchmark_training_includes_them_loudly(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    root = benchmark_set(tmp_path / "in")
    options = PrepareOptions(
        sources=[(source, root)], out_dir=tmp_path / "out", allow_benchmark_training=True
    )
    with pytest.warns(BenchmarkTrainingWarning, match="contaminated"):
        paths, report = prepare(options)
    rows = all_rows(paths)
    tagged = {row["extra_info"]["benchmark_split"] for row in rows} - {""}
    assert tagged == {
        "MMMU-Med validation",
        "OmniMedVQA",
    }  # VQA-RAD test rows still need --official-splits test
    assert report.benchmark_trained[source] == {"MMMU-Med validation": 3, "OmniMedVQA": 2}
    assert report.rejected["excluded_split"] == 4 and not report.rejected["benchmark_split"]
    assert "WARNING: TRAINED ON EVALUATION ROWS" in report.format()
    meta = read_metadata(paths["val"])
    assert meta["allow_benchmark_training"] is True
    assert meta["report"]["benchmark_rows_trained_on"] == {
        source: {"MMMU-Med validation": 3, "OmniMedVQA": 2}
    }


def test_cli_flag_warns_on_stderr(tmp_path, monkeypatch, capsys):
    source = install_records_source(monkeypatch)
    root = benchmark_set(tmp_path / "in")
    argv = ["prepare", "--source", source, "--input", str(root), "--out", str(tmp_path / "out")]
    assert data_main(argv) == 0
    captured = capsys.readouterr()
    assert "WARNING" not in captured.err and re.search(r"filtered\s+9\s+benchmark_split", captured.out)
    assert data_main([*argv, "--allow-benchmark-training", "--official-splits", "train,val,test,none"]) == 0
    captured = capsys.readouterr()
    assert "WARNING: --allow-benchmark-training" in captured.err
    assert "9 rows of evaluation splits were written" in captured.err
    assert re.search(r"rows written\s+49 ", captured.out)


@pytest.mark.parametrize(
    ("splits", "reason"),
    [({"official_split": "test"}, "excluded_split"), ({"benchmark_split": "SLAKE test"}, "benchmark_split")],
)
def test_bad_rows_of_excluded_splits_do_not_stop_on_error_fail(tmp_path, monkeypatch, splits, reason):
    source = install_records_source(monkeypatch)
    rows = image_rows(tmp_path / "in", 10)
    rows.append({"reason": "empty_answer", "detail": "the answer is empty", **splits})
    rows.append({"question": "Q?", "answer": "yes", "images": ["missing.png"], **splits})
    root = write_records(tmp_path / "in", rows)
    _, report = prepare(PrepareOptions(sources=[(source, root)], out_dir=tmp_path / "out", on_error="fail"))
    assert report.rejected[reason] == 2 and report.errors == 0 and sum(report.written.values()) == 20


def test_bad_rows_of_kept_splits_still_stop_on_error_fail(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    rows = image_rows(tmp_path / "in", 10) + [
        {"reason": "empty_answer", "detail": "no answer", "official_split": "train"}
    ]
    root = write_records(tmp_path / "in", rows)
    with pytest.raises(PrepareError, match=r"records\.jsonl:21: empty answer: no answer"):
        prepare(PrepareOptions(sources=[(source, root)], out_dir=tmp_path / "out", on_error="fail"))
    assert not (tmp_path / "out").exists()


def _bilingual(root):
    rows = image_rows(root, 10)
    for row in image_rows(root, 6, start=10, language="zh"):
        row["question"] = (
            row["question"].replace("Is finding", "发现").replace("present in image", "在图片中吗")
        )
        rows.append(row)
    rows.append({**rows[0], "question": "Mixed tag?", "language": "en-US"})
    return write_records(root, rows)


def test_lang_keeps_english_by_default_and_chinese_when_asked(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    root = _bilingual(tmp_path / "in")
    paths, report = prepare(PrepareOptions(sources=[(source, root)], out_dir=tmp_path / "en"))
    assert report.rejected["other_language"] == 12 and report.by_language == {"en": 21}
    paths, report = prepare(
        PrepareOptions(sources=[(source, root)], out_dir=tmp_path / "both", languages=("en", "ZH"))
    )
    assert report.by_language == {"en": 21, "zh": 12} and not report.rejected["other_language"]
    languages = {row["extra_info"]["language"] for row in all_rows(paths)}
    assert languages == {"en", "zh"}
    assert read_metadata(paths["train"])["languages"] == ["en", "zh"]


@pytest.mark.parametrize("bad", ["", "english", "e1", ","])
def test_bad_lang_is_rejected_before_reading(tmp_path, monkeypatch, capsys, bad):
    source = install_records_source(monkeypatch)
    root = _bilingual(tmp_path / "in")
    argv = [
        "prepare",
        "--source",
        source,
        "--input",
        str(root),
        "--out",
        str(tmp_path / "out"),
        "--lang",
        bad,
    ]
    assert data_main(argv) == 2
    assert "--lang wants ISO 639-1 codes" in capsys.readouterr().err


def test_only_evaluation_rows_hint_at_the_flag(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    rows = [{**row, "benchmark_split": "PubMedQA test"} for row in image_rows(tmp_path / "in", 3)]
    root = write_records(tmp_path / "in", rows)
    with pytest.raises(PrepareError, match="6 rows are in evaluation splits.*--allow-benchmark-training"):
        prepare(PrepareOptions(sources=[(source, root)], out_dir=tmp_path / "out"))
