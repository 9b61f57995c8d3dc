"""Streaming prepare: row groups, every row exactly once, one copy of an image per row group, original bytes
kept, image groups split together (train/val overlap 0), atomic output, split precision and stability."""

from __future__ import annotations

import io
import random

import pyarrow.parquet as pq
import pytest
from data_pipeline_fixtures import image_bytes, image_rows, install_records_source, write_image, write_records
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import rlvr.data.prepare as prepare_module
import rlvr.data.writer as writer_module
from rlvr.data.check import find_overlap
from rlvr.data.fingerprints import digest
from rlvr.data.io import read_metadata, read_rows
from rlvr.data.prepare import PrepareOptions, prepare
from rlvr.data.splitting import ImageGroups, SplitAssignment


def shuffled_set(root, n_images=60, questions=3, seed=0):
    """JPEG images big enough to be kept as given, their questions scattered through the file."""
    rows = []
    for i in range(n_images):
        write_image(root / f"img{i}.jpg", seed=i, size=(96, 80), fmt="JPEG")
        rows += [
            {"question": f"Q{q} about {i}?", "answer": "yes", "images": [f"img{i}.jpg"]}
            for q in range(questions)
        ]
    random.Random(seed).shuffle(rows)
    return write_records(root, rows)


def test_many_row_groups_every_row_once_and_images_stored_once(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    monkeypatch.setattr(writer_module, "ROW_GROUP_ROWS", 7)
    root = shuffled_set(tmp_path / "in")
    paths, report = prepare(
        PrepareOptions(sources=[(source, root)], out_dir=tmp_path / "out", val_fraction=0.2)
    )
    expected = {f"{root / 'records.jsonl'}:{line}" for line in range(1, 181)}
    rows = {split: read_rows(path) for split, path in paths.items()}
    seen = [row["extra_info"]["source_id"] for split_rows in rows.values() for row in split_rows]
    assert sorted(seen) == sorted(expected) and sum(report.written.values()) == 180

    train = pq.ParquetFile(paths["train"])
    assert train.metadata.num_row_groups > 5
    for group in range(train.metadata.num_row_groups):
        table = train.read_row_group(group, columns=["images"])
        images = [row["images"][0]["bytes"] for row in table.to_pylist()]
        assert len(images) % 3 == 0 and len(set(images)) == len(images) // 3  # whole image groups only
    unique_bytes = sum(len(image) for image in {row["images"][0] for row in rows["train"]})
    meta = train.metadata
    stored = sum(
        meta.row_group(g).column(c).total_compressed_size
        for g in range(meta.num_row_groups)
        for c in range(meta.num_columns)
        if meta.row_group(g).column(c).path_in_schema == "images.list.element.bytes"
    )
    assert unique_bytes < stored < 1.2 * unique_bytes  # each image's bytes once per file, not 3 times

    first = rows["train"][0]
    number = int(first["extra_info"]["question"].split()[-1].rstrip("?"))
    assert first["images"][0] == (root / f"img{number}.jpg").read_bytes()  # original JPEG bytes kept
    assert report.images.kept_as_given == report.images.distinct == 60


def test_copies_of_an_image_under_other_names_land_in_one_split(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    rows = image_rows(tmp_path / "in", 40)
    original = (tmp_path / "in" / "img7.png").read_bytes()
    (tmp_path / "in" / "copy_of_7.png").write_bytes(original)
    bmp = io.BytesIO()
    Image.open(io.BytesIO(original)).save(bmp, format="BMP")
    (tmp_path / "in" / "img7.bmp").write_bytes(bmp.getvalue())  # same pixels, other encoding
    for i, name in enumerate(["copy_of_7.png", "img7.bmp"] * 10):
        rows.append({"question": f"Another question {i} about seven?", "answer": "no", "images": [name]})
    root = write_records(tmp_path / "in", rows)
    for seed in range(4):
        out = tmp_path / f"out{seed}"
        paths, report = prepare(
            PrepareOptions(sources=[(source, root)], out_dir=out, seed=seed, val_fraction=0.3)
        )
        assert report.train_val_overlap.overlapping_rows == 0
        assert report.train_val_overlap.train_rows + report.train_val_overlap.eval_rows == 100
        assert not find_overlap([paths["train"]], [paths["val"]]).found
        assert read_metadata(paths["val"])["report"]["train_val_overlap"]["overlapping_rows"] == 0


def test_rows_sharing_any_image_form_one_group():
    groups = ImageGroups()
    keys = [digest(str(i).encode()) for i in range(6)]
    anchors = [
        groups.add_row([keys[0], keys[1]]),
        groups.add_row([keys[2], keys[1]]),
        groups.add_row([keys[2]]),
    ]
    anchors += [groups.add_row([keys[3]]), groups.add_row([keys[4], keys[5]])]
    sizes = groups.sizes()
    assert sorted(sizes.values()) == [1, 1, 3] and min(keys[:3]) in sizes
    for seed in range(20):
        assignment = SplitAssignment(groups, 0.5, seed)
        assert len({assignment.split_of(anchor) for anchor in anchors[:3]}) == 1


@given(
    n_groups=st.integers(2, 8),
    fraction=st.floats(0.001, 0.999),
    seed=st.integers(0, 2**31),
)
def test_both_splits_are_never_empty(n_groups, fraction, seed):
    groups = ImageGroups()
    anchors = [groups.add_row([digest(f"{seed}:{i}".encode())]) for i in range(n_groups)]
    assignment = SplitAssignment(groups, fraction, seed)
    assert {assignment.split_of(anchor) for anchor in anchors} == {"train", "val"}
    assert assignment.rows["train"] + assignment.rows["val"] == n_groups


@pytest.mark.parametrize("fraction", [0.05, 0.1, 0.3])
def test_val_share_precision_and_stability(fraction):
    groups = ImageGroups()
    anchors = [groups.add_row([digest(str(i).encode())]) for i in range(20_000)]
    assignment = SplitAssignment(groups, fraction, seed=3)
    share = assignment.rows["val"] / 20_000
    assert abs(share - fraction) < 4 * (fraction * (1 - fraction) / 20_000) ** 0.5  # documented precision
    before = {anchor: assignment.split_of(anchor) for anchor in anchors[:2000]}
    for i in range(20_000, 25_000):  # more data elsewhere never moves a group
        groups.add_row([digest(str(i).encode())])
    after = SplitAssignment(groups, fraction, seed=3)
    assert all(after.split_of(anchor) == split for anchor, split in before.items())


def test_failure_while_writing_leaves_the_output_folder_as_it_was(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    root = write_records(tmp_path / "in", image_rows(tmp_path / "in", 30))
    out = tmp_path / "out"
    out.mkdir()
    (out / "train.parquet").write_bytes(b"previous train")
    (out / "val.parquet").write_bytes(b"previous val")
    calls = {"n": 0}
    real_build_row = prepare_module.build_row

    def failing_build_row(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 25:
            raise OSError("disk full")
        return real_build_row(*args, **kwargs)

    monkeypatch.setattr(prepare_module, "build_row", failing_build_row)
    monkeypatch.setattr(writer_module, "ROW_GROUP_ROWS", 4)  # some row groups are already on disk
    with pytest.raises(OSError, match="disk full"):
        prepare(PrepareOptions(sources=[(source, root)], out_dir=out))
    assert sorted(p.name for p in out.iterdir()) == ["train.parquet", "val.parquet"]
    assert (out / "train.parquet").read_bytes() == b"previous train"

    fresh = tmp_path / "new" / "nested"
    calls["n"] = 0
    with pytest.raises(OSError, match="disk full"):
        prepare(PrepareOptions(sources=[(source, root)], out_dir=fresh))
    assert not (tmp_path / "new").exists()


def test_text_rows_dedup_on_question_and_options_and_stay_together(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    two, three = {"A": "x", "B": "y"}, {"A": "x", "B": "y", "C": "z"}
    rows = [{"question": f"Text question {i}?", "answer": "A", "options": two} for i in range(50)]
    rows += [{"question": f"TEXT question {i}", "answer": "B", "options": three} for i in range(50)]  # kept
    rows += [{"question": "text  QUESTION 3 ?", "answer": "A", "options": two}]  # a duplicate
    rows += [{"question": "Text question 4", "answer": "B", "options": two}]  # a duplicate, other answer
    root = write_records(tmp_path / "in", rows)
    paths, report = prepare(
        PrepareOptions(sources=[(source, root)], out_dir=tmp_path / "out", val_fraction=0.3)
    )
    assert report.by_modality == {"text": 100}
    assert (report.duplicates, report.duplicates_with_other_answer) == (2, 1)
    assert report.train_val_overlap.question_rows == 0  # one question's rows share a split
    assert not find_overlap([paths["train"]], [paths["val"]]).found


def test_each_image_file_is_read_once(tmp_path, monkeypatch):
    source = install_records_source(monkeypatch)
    root = write_records(tmp_path / "in", image_rows(tmp_path / "in", 5, questions_per_image=4))
    _, report = prepare(PrepareOptions(sources=[(source, root)], out_dir=tmp_path / "out"))
    assert report.images.distinct == 5 and report.images.bytes_in == sum(
        len(image_bytes(i)) for i in range(5)
    )
