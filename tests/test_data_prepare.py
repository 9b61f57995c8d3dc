"""`rlvr data prepare`: bad rows, --on-error fail, dedup, seeded split, ratios, resizing, option checks."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from rlvr.data.cli import main as data_main
from rlvr.data.images import PixelBounds
from rlvr.data.io import read_metadata, read_rows
from rlvr.data.prepare import PrepareError, PrepareOptions, prepare
from rlvr.data.splitting import parse_ratio


def write_image(path: Path, shade: int, size: tuple[int, int] = (64, 48)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color=(shade, shade, shade)).save(path)


def generic_set(root: Path, n_images: int = 20, extra: list | None = None) -> Path:
    """``n_images`` distinct images, two questions each (a closed and a choice one), plus ``extra`` lines."""
    lines = []
    for i in range(n_images):
        write_image(root / f"img{i}.png", shade=5 + 12 * i)
        lines.append(
            {
                "image": f"img{i}.png",
                "question": f"Is image {i} abnormal?",
                "answer": "yes" if i % 2 else "no",
            }
        )
        lines.append(
            {
                "image": f"img{i}.png",
                "question": f"Which modality is image {i}?",
                "answer": "A",
                "options": {"A": "CT", "B": "MRI"},
                "answer_type": "choice",
                "modality": "CT",
            }
        )
    lines += extra or []
    (root / "rows.jsonl").write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
    )
    return root


def options(root: Path, out: Path, **kwargs) -> PrepareOptions:
    return PrepareOptions(sources=[("generic", root)], out_dir=out, **kwargs)


def all_rows(paths: dict[str, Path]) -> dict[str, list[dict]]:
    return {split: read_rows(path) for split, path in paths.items()}


BAD_LINES = [
    {"image": "missing.png", "question": "Q1?", "answer": "yes"},
    {"image": "corrupt.png", "question": "Q2?", "answer": "yes"},
    {"image": "img0.png", "question": "Q3?", "answer": ""},
    {"image": "img0.png", "question": "Q4?", "answer": "x", "answer_type": "bogus"},
    "{not json",
    {"image": "img0.png", "question": "", "answer": "yes"},
]


def test_bad_rows_are_skipped_counted_and_named(tmp_path):
    root = generic_set(tmp_path / "in", extra=BAD_LINES)
    (root / "corrupt.png").write_bytes(b"this is not a png")
    paths, report = prepare(options(root, tmp_path / "out"))
    rows = all_rows(paths)
    assert report.rows_read == 40 + len(BAD_LINES)
    assert sum(len(r) for r in rows.values()) == sum(report.written.values()) == 40
    assert dict(report.rejected) == {
        "missing_image": 1,
        "unreadable_image": 1,
        "empty_answer": 1,
        "unknown_answer_type": 1,
        "malformed_row": 1,
        "empty_question": 1,
    }
    jsonl = root / "rows.jsonl"
    assert f"{jsonl}:41: missing image: image file {root / 'missing.png'} does not exist" in report.problems
    assert any(p.startswith(f"{jsonl}:42: unreadable image") for p in report.problems)
    assert any(p.startswith(f"{jsonl}:45: malformed row") for p in report.problems)
    text = report.format()
    assert re.search(r"rows read\s+46\n", text) and re.search(r"skipped\s+1\s+missing_image", text)
    assert read_metadata(paths["train"])["report"]["left_out"]["empty_answer"] == 1


def test_on_error_fail_names_the_row_and_writes_nothing(tmp_path):
    root = generic_set(tmp_path / "in", extra=BAD_LINES[:1])
    out = tmp_path / "out"
    out.mkdir()
    (out / "train.parquet").write_bytes(b"previous run")
    with pytest.raises(PrepareError, match=r"rows\.jsonl:41: missing image"):
        prepare(options(root, out, on_error="fail"))
    assert sorted(p.name for p in out.iterdir()) == ["train.parquet"]
    assert (out / "train.parquet").read_bytes() == b"previous run"


def test_answer_types_are_set_per_row(tmp_path):
    extra = [
        {"image": "img1.png", "question": "How many nodules?", "answer": "3"},
        {"image": "img2.png", "question": "Which lobe?", "answer": "right upper lobe"},
        {"image": "img3.png", "question": "Pick one", "answer": "MRI", "options": {"A": "CT", "B": "MRI"}},
        {"image": "img4.png", "question": "Fracture?", "answer": "No", "answer_type": "yes/no"},
    ]
    paths, report = prepare(options(generic_set(tmp_path / "in", extra=extra), tmp_path / "out"))
    by_question = {r["extra_info"]["question"]: r for rows in all_rows(paths).values() for r in rows}
    assert by_question["How many nodules?"]["extra_info"]["answer_type"] == "numeric"
    assert by_question["Which lobe?"]["extra_info"]["answer_type"] == "open"
    assert by_question["Is image 1 abnormal?"]["extra_info"]["answer_type"] == "closed"
    choice = by_question["Which modality is image 1?"]
    assert choice["extra_info"]["answer_type"] == "choice" and choice["extra_info"]["options"] == {
        "A": "CT",
        "B": "MRI",
    }
    assert "A. CT\nB. MRI" in choice["prompt"][-1]["content"]
    assert by_question["Which lobe?"]["extra_info"]["options"] == {}
    assert by_question["Pick one"]["reward_model"]["ground_truth"] == "B"  # option text -> its letter
    assert by_question["Fracture?"]["extra_info"]["answer_type"] == "closed"  # alias accepted
    assert set(report.by_answer_type) == {"closed", "choice", "numeric", "open"}


def test_duplicates_dropped_and_no_image_in_both_splits(tmp_path):
    extra = [
        {
            "image": "img3.png",
            "question": "  is IMAGE 3 abnormal? ",
            "answer": "no",
        },  # same pair, other answer
        {
            "image": "copy_of_img4.png",
            "question": "Is image 4 abnormal?",
            "answer": "no",
        },  # same bytes, other file
    ]
    root = generic_set(tmp_path / "in", extra=extra)
    (root / "copy_of_img4.png").write_bytes((root / "img4.png").read_bytes())
    paths, report = prepare(options(root, tmp_path / "out", val_fraction=0.3))
    assert (report.duplicates, report.duplicates_with_other_answer) == (2, 1)
    rows = all_rows(paths)
    images = {split: {r["images"][0] for r in split_rows} for split, split_rows in rows.items()}
    assert images["train"] and images["val"] and not images["train"] & images["val"]
    assert 0.2 <= len(rows["val"]) / (len(rows["train"]) + len(rows["val"])) <= 0.4


def test_split_is_deterministic_by_seed(tmp_path):
    root = generic_set(tmp_path / "in")

    def val_questions(seed: int, out: str) -> list[str]:
        paths, _ = prepare(options(root, tmp_path / out, seed=seed, val_fraction=0.25))
        return [r["extra_info"]["question"] for r in read_rows(paths["val"])]

    assert val_questions(1, "a") == val_questions(1, "b")
    assert val_questions(1, "a") != val_questions(2, "c")
    indexes = [r["extra_info"]["index"] for r in read_rows(tmp_path / "a" / "train.parquet")]
    assert indexes == list(range(len(indexes)))


def test_ratios_sample_per_source_and_modality(tmp_path):
    root = generic_set(tmp_path / "in")
    _, full = prepare(options(root, tmp_path / "full"))
    _, half = prepare(options(root, tmp_path / "half", ratios={"modality:CT": 0.5}))
    assert full.by_modality["CT"] == 20 and 4 <= half.by_modality["CT"] <= 16
    assert half.by_modality["other"] == 20 and half.dropped_by_ratio == 20 - half.by_modality["CT"]
    with pytest.raises(ValueError, match="'vqa_rad' is not one of the sources"):
        prepare(options(root, tmp_path / "x", ratios={"vqa_rad": 0.5}))
    assert parse_ratio("modality:CT=0.2") == ("modality:CT", 0.2)
    for bad in ("vqa_rad", "vqa_rad=2", "=0.5", "vqa_rad=half"):
        with pytest.raises(ValueError, match="--ratio"):
            parse_ratio(bad)


def test_images_resized_into_pixel_bounds(tmp_path):
    root = tmp_path / "in"
    write_image(root / "big.png", 40, size=(400, 300))
    write_image(root / "small.png", 90, size=(20, 10))
    lines = [
        {"image": "big.png", "question": "Big?", "answer": "yes"},
        {"image": "small.png", "question": "Small?", "answer": "no"},
    ]
    (root / "rows.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    paths, _ = prepare(options(root, tmp_path / "out", val_fraction=0.5, bounds=PixelBounds(3136, 10_000)))
    sizes = {
        r["extra_info"]["question"]: Image.open(io.BytesIO(r["images"][0])).size
        for rows in all_rows(paths).values()
        for r in rows
    }
    (bw, bh), (sw, sh) = sizes["Big?"], sizes["Small?"]
    assert bw * bh <= 10_000 and abs(bw / bh - 4 / 3) < 0.05
    assert sw * sh >= 3136 and abs(sw / sh - 2) < 0.1


def test_too_few_rows_is_an_error_not_an_empty_file(tmp_path):
    root = generic_set(tmp_path / "in", n_images=1)
    with pytest.raises(PrepareError, match="share one image"):
        prepare(options(root, tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_cli_prepare_vqa_rad_and_official_splits(tmp_path, capsys):
    root = tmp_path / "vqa_rad"
    rows = []
    for i in range(6):
        write_image(root / "VQA_RAD Image Folder" / f"synpic{i}.jpg", 20 * i)
        rows.append(
            {
                "image_name": f"synpic{i}.jpg",
                "question": f"Is there a mass {i}?",
                "answer": "Yes",
                "answer_type": "CLOSED",
                "question_type": "PRES",
                "phrase_type": "test_freeform" if i == 5 else "freeform",
            }
        )
    (root / "VQA_RAD Dataset Public.json").write_text(json.dumps(rows))
    out = tmp_path / "out"
    argv = [
        "prepare",
        "--source",
        "vqa_rad",
        "--input",
        str(root),
        "--out",
        str(out),
        "--val-fraction",
        "0.2",
    ]
    assert data_main(argv) == 0
    printed = capsys.readouterr().out
    # VQA-RAD's test rows are an official test split and, where the converter tags them, a benchmark split
    assert re.search(r"rows written\s+5 ", printed)
    assert re.search(r"filtered\s+1\s+(excluded_split|benchmark_split)", printed)
    train = read_rows(out / "train.parquet")
    assert train[0]["data_source"] == "vqa_rad" and train[0]["extra_info"]["question_type"] == "PRES"
    assert read_metadata(out / "val.parquet")["template"]["name"] == "think_answer"

    everything = [
        "--official-splits",
        "train,test",
        "--allow-benchmark-training",
        "--out",
        str(tmp_path / "all"),
    ]
    assert data_main([*argv, *everything]) == 0
    assert re.search(r"rows written\s+6 ", capsys.readouterr().out)

    assert (
        data_main(["prepare", "--source", "vqa_rad", "--source", "slake", "--input", str(root), "--out", "x"])
        == 2
    )
    assert "give one --input per source" in capsys.readouterr().err
    assert data_main([*argv, "--official-splits", "validation"]) == 2
    assert "unknown split(s) ['validation']" in capsys.readouterr().err


def test_only_test_split_rows_hint_at_official_splits(tmp_path):
    root = tmp_path / "mx"
    (root / "MM").mkdir(parents=True)
    line = {"id": "MM-1", "question": "Q?", "options": {"A": "x", "B": "y"}, "label": "A", "images": []}
    (root / "MM" / "test.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(PrepareError, match="--official-splits train,val,test,none"):
        prepare(PrepareOptions(sources=[("medxpertqa", root)], out_dir=tmp_path / "out"))


def _source_that_must_not_be_read(monkeypatch) -> str:
    from rlvr.data.sources import SOURCES, Source

    def read(root):
        raise AssertionError("a row was read before the options were checked")

    monkeypatch.setitem(SOURCES, "untouchable", Source("untouchable", "fails when read", read))
    return "untouchable"


@pytest.mark.parametrize("fraction", ["0", "1", "1.5", "-0.1", "nan"])
def test_bad_val_fraction_is_rejected_before_any_row_is_read(tmp_path, monkeypatch, capsys, fraction):
    source = _source_that_must_not_be_read(monkeypatch)
    argv = ["prepare", "--source", source, "--input", str(tmp_path), "--out", str(tmp_path / "out")]
    assert data_main([*argv, "--val-fraction", fraction]) == 2
    assert "--val-fraction must be strictly between 0 and 1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("out", ["a_file", "a_file/below"])
def test_out_that_is_a_file_is_rejected_before_any_row_is_read(tmp_path, monkeypatch, capsys, out):
    source = _source_that_must_not_be_read(monkeypatch)
    (tmp_path / "a_file").write_text("keep me")
    argv = ["prepare", "--source", source, "--input", str(tmp_path), "--out", str(tmp_path / out)]
    assert data_main(argv) == 2
    assert f"{tmp_path / 'a_file'} is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "a_file").read_text() == "keep me"


def test_unreadable_embedded_image_is_named_by_file_and_row(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    images = []
    for shade in (9, 99):
        good = io.BytesIO()
        Image.new("RGB", (64, 64), color=(shade, shade, shade)).save(good, format="PNG")
        images += [{"bytes": good.getvalue(), "path": "a.png"}, {"bytes": b"GIF89a broken", "path": "b.png"}]
    table = pa.table({"image": images, "question": ["Q1?", "Q2?", "Q3?", "Q4?"], "answer": ["yes"] * 4})
    (tmp_path / "in" / "data").mkdir(parents=True)
    parquet = tmp_path / "in" / "data" / "train-00000-of-00001.parquet"
    pq.write_table(table, parquet)
    _, report = prepare(PrepareOptions(sources=[("pathvqa", tmp_path / "in")], out_dir=tmp_path / "out"))
    assert report.rejected["unreadable_image"] == 2
    assert report.problems[0].startswith(
        f"{parquet}:1: unreadable image: image 1 of the row: not a readable image"
    )
    assert not any("BytesIO" in problem or "0x" in problem for problem in report.problems)
