"""The synthetic task: schema, determinism, answer balance, distinct modalities, CLI."""

from __future__ import annotations

import io
from collections import Counter

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from rewards.answer_types import ANSWER_TYPES
from rlvr.data.cli import main as data_main
from rlvr.data.io import read_metadata, read_rows
from rlvr.data.schema import ROW_SCHEMA
from rlvr.data.synth import MODALITIES, QUADRANTS, make_sample, write_synth


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    write_synth(out, n=400, seed=3, val_fraction=0.25)
    return out


def test_writes_train_and_val_in_the_row_schema(synth_dir):
    for split, size in (("train", 300), ("val", 100)):
        path = synth_dir / f"{split}.parquet"
        assert pq.read_schema(path).remove_metadata().equals(ROW_SCHEMA)
        rows = read_rows(path)
        assert len(rows) == size
        assert [r["extra_info"]["index"] for r in rows] == list(range(size))
        assert {r["extra_info"]["split"] for r in rows} == {split}
        meta = read_metadata(path)
        assert meta["seed"] == 3 and meta["template"]["name"] == "think_answer"


def test_rows_are_well_formed(synth_dir):
    for row in read_rows(synth_dir / "train.parquet"):
        extra = row["extra_info"]
        assert extra["answer_type"] in ANSWER_TYPES
        assert row["ability"] == "medical_vqa" and row["reward_model"]["style"] == "rule"
        system, user = row["prompt"]
        assert system["role"] == "system" and user["role"] == "user"
        assert user["content"].count("<image>") == len(row["images"]) == 1
        assert "<think>" in user["content"] and "<answer>" in user["content"]
        assert Image.open(io.BytesIO(row["images"][0])).size == (56, 56)
        truth = row["reward_model"]["ground_truth"]
        if extra["answer_type"] == "choice":
            assert set(extra["options"]) == set("ABCD") and truth in extra["options"]
            assert all(f"{k}. {v}" in user["content"] for k, v in extra["options"].items())
        else:
            assert extra["options"] == {}
        if extra["answer_type"] == "open":
            assert truth in QUADRANTS
        if extra["answer_type"] == "numeric":
            assert truth in {"0", "1", "2", "3"}


def test_all_tasks_present_and_answers_not_guessable_by_one_constant(synth_dir):
    rows = read_rows(synth_dir / "train.parquet")
    tasks = Counter(r["extra_info"]["question_type"] for r in rows)
    assert set(tasks) == {"modality", "presence", "count", "location", "location_choice"}
    by_task: dict[str, Counter] = {}
    for r in rows:
        by_task.setdefault(r["extra_info"]["question_type"], Counter())[
            r["reward_model"]["ground_truth"]
        ] += 1
    for task, answers in by_task.items():
        most_common_share = answers.most_common(1)[0][1] / sum(answers.values())
        assert most_common_share < 0.7, (task, answers)


def test_deterministic_by_seed_and_independent_of_n(tmp_path):
    a = write_synth(tmp_path / "a", n=40, seed=7)
    b = write_synth(tmp_path / "b", n=40, seed=7)
    c = write_synth(tmp_path / "c", n=80, seed=7)
    d = write_synth(tmp_path / "d", n=40, seed=8)
    rows_a, rows_b = read_rows(a["train"]), read_rows(b["train"])
    assert rows_a == rows_b
    assert read_rows(c["train"])[:10] == rows_a[:10]
    assert read_rows(d["train"]) != rows_a


def test_modalities_differ_in_global_statistics():
    """A tiny vision encoder must be able to tell modalities apart: their mean/std clusters separate."""
    stats: dict[str, list[tuple[float, float]]] = {m: [] for m in MODALITIES}
    for i in range(200):
        sample = make_sample(0, "train", i)
        pixels = np.asarray(Image.open(io.BytesIO(sample.images[0])).convert("L"), dtype=float)
        stats[sample.modality].append((pixels.mean(), pixels.std()))
    centres = {m: np.mean(v, axis=0) for m, v in stats.items()}
    for m1 in MODALITIES:
        for m2 in MODALITIES:
            if m1 < m2:
                assert np.linalg.norm(centres[m1] - centres[m2]) > 10, (m1, m2, centres)


def test_lesion_count_matches_bright_blobs():
    for i in range(30):
        sample = make_sample(1, "val", i)
        if sample.question_type != "count":
            continue
        pixels = np.asarray(Image.open(io.BytesIO(sample.images[0])).convert("L"))
        half = pixels.shape[0] // 2
        quads = [pixels[:half, :half], pixels[:half, half:], pixels[half:, :half], pixels[half:, half:]]
        assert sum(int((q == 255).sum() > 10) for q in quads) == int(sample.answer)


def test_bad_arguments_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="val_fraction"):
        write_synth(tmp_path, n=10, val_fraction=1.5)
    with pytest.raises(ValueError, match="n must be at least 2"):
        write_synth(tmp_path, n=1)
    with pytest.raises(KeyError, match="known templates"):
        write_synth(tmp_path, n=10, template="nope")
    assert not list(tmp_path.iterdir())


def test_tasks_subset_draws_only_those_question_types(tmp_path):
    paths = write_synth(tmp_path, n=60, seed=0, tasks=["presence", "count"])
    rows = read_rows(paths["train"]) + read_rows(paths["val"])
    assert {r["extra_info"]["question_type"] for r in rows} == {"presence", "count"}
    assert read_metadata(paths["train"])["tasks"] == ["presence", "count"]
    answers = Counter(
        r["reward_model"]["ground_truth"] for r in rows if r["extra_info"]["question_type"] == "presence"
    )
    assert set(answers) == {"yes", "no"}


def test_unknown_or_empty_tasks_fail_before_writing(tmp_path):
    for tasks in (["presence", "colour"], []):
        with pytest.raises(ValueError, match="subset of"):
            write_synth(tmp_path, n=10, tasks=tasks)
    assert not list(tmp_path.iterdir())


def test_cli_synth(tmp_path, capsys):
    assert data_main(["synth", "--out", str(tmp_path), "--n", "20", "--seed", "1"]) == 0
    assert len(read_rows(tmp_path / "train.parquet")) + len(read_rows(tmp_path / "val.parquet")) == 20
    assert data_main(["synth", "--out", str(tmp_path), "--n", "1"]) == 2
    assert "n must be at least 2" in capsys.readouterr().err
    assert data_main(["synth", "--out", str(tmp_path / "p"), "--n", "10", "--tasks", "presence"]) == 0
    assert {r["extra_info"]["question_type"] for r in read_rows(tmp_path / "p" / "train.parquet")} == {
        "presence"
    }


def test_verifiers_score_the_ground_truth_as_correct(synth_dir):
    """The rows carry what the verifiers need: the right answer scores 1, a wrong one 0, on every type."""
    import pyarrow.parquet as pq

    from rewards.verl_adapter import compute_score

    raw_rows = pq.read_table(synth_dir / "val.parquet").to_pylist()  # as verl hands them over
    for row in raw_rows:
        truth = row["reward_model"]["ground_truth"]
        wrong = {"yes": "no", "no": "yes"}.get(truth, "3" if truth == "0" else "0")
        if row["extra_info"]["answer_type"] == "choice":
            wrong = next(letter for letter in "ABCD" if letter != truth)
        if row["extra_info"]["answer_type"] == "open":  # the diagonal quadrant shares no word (token F1 0)
            wrong = QUADRANTS[3 - QUADRANTS.index(truth)]
        for answer, expected in ((truth, 1.0), (wrong, 0.0)):
            response = f"<think>looking</think><answer>{answer}</answer>"
            scores = compute_score(row["data_source"], response, truth, row["extra_info"])
            assert scores["acc"] == expected, (row["extra_info"], answer, scores)
