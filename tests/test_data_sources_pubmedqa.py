"""PubMedQA: PQA-L test tagging (listed ids, the reproduced official draw, or conservatively all), PQA-A,
and the hub layouts (qiaojin pqa_* folders, openlifescienceai data/*.parquet)."""

from __future__ import annotations

import hashlib
import math
import random

import pytest
from source_fixtures import read, tags, write_json, write_parquet

from rlvr.data.sources import pubmedqa
from rlvr.data.sources.rows import SourceError

LABELS = ["yes"] * 11 + ["no"] * 6 + ["maybe"] * 3  # unbalanced halves: the script's extra draw runs


def pqal(n: int = len(LABELS)) -> dict[str, dict]:
    return {
        str(1000 + i): {
            "QUESTION": f"Does treatment {i} help?",
            "CONTEXTS": [f"Background {i}.", "Results."],
            "LABELS": ["BACKGROUND", "RESULTS"],
            "MESHES": ["Humans"],
            "YEAR": "2001",
            "reasoning_required_pred": "yes",
            "reasoning_free_pred": "yes",
            "final_decision": LABELS[i % len(LABELS)],
            "LONG_ANSWER": "It does.",
        }
        for i in range(n)
    }


def split_script_test_ids(dataset: dict[str, dict]) -> set[str]:
    """An oracle written from split_dataset.py's description: global random.seed(0); per label (yes, no,
    maybe) the pmids in file order are shuffled and cut at ceil(n/2); the second halves form the test
    fold; when the folds differ in size one random pmid of the first fold moves to the test fold."""
    random.seed(0)
    groups = {"yes": [], "no": [], "maybe": []}
    for pmid, info in dataset.items():
        groups[info["final_decision"]].append(pmid)
    first, second = {}, {}
    for pmids in groups.values():
        random.shuffle(pmids)
        half = math.ceil(len(pmids) / 2)
        first.update(dict.fromkeys(pmids[:half]))
        second.update(dict.fromkeys(pmids[half:]))
    if len(first) != len(second):
        second[random.choice(list(first))] = None
    return set(second)


def pmid_of(record) -> str:
    return record.where.rsplit(":", 1)[1]


def test_listed_test_ids_are_the_benchmark(tmp_path):
    data = pqal()
    write_json(tmp_path / "data" / "ori_pqal.json", data)
    listed = sorted(data)[:7]
    write_json(
        tmp_path / "data" / "test_ground_truth.json", {pmid: data[pmid]["final_decision"] for pmid in listed}
    )
    records, _ = read("pubmedqa", tmp_path)
    assert {pmid_of(r) for r in records if r.benchmark_split == "PubMedQA test"} == set(listed)
    assert {tags([r])[0] for r in records} == {("test", "PubMedQA test"), ("train", "")}
    first = records[0]
    assert first.options == {"A": "yes", "B": "no", "C": "maybe"} and first.answer == "A"
    assert first.question == "Context:\nBackground 0.\nResults.\n\nQuestion: Does treatment 0 help?"


def test_without_listed_ids_the_official_draw_is_reproduced_when_it_checks_out(tmp_path, monkeypatch):
    data = pqal()
    expected = split_script_test_ids(data)
    digest = hashlib.sha256(",".join(sorted(expected)).encode()).hexdigest()
    monkeypatch.setattr(pubmedqa, "OFFICIAL_TEST_SHA256", digest)  # pretend this is the released file
    write_json(tmp_path / "ori_pqal.json", data)
    records, _ = read("pubmedqa", tmp_path)
    assert {pmid_of(r) for r in records if r.official_split == "test"} == expected
    assert len(expected) == 9 + 1  # halves of 11 and 9: the extra draw moved one pmid to test


def test_without_listed_ids_an_unverifiable_draw_tags_every_labelled_row(tmp_path):
    write_json(tmp_path / "ori_pqal.json", pqal())  # not the released file: its draw does not hash right
    records, _ = read("pubmedqa", tmp_path)
    assert set(tags(records)) == {("test", "PubMedQA test")} and len(records) == len(LABELS)


def test_pqa_artificial_is_training_data_and_bad_rows_are_named(tmp_path):
    data = pqal(4)
    data["1001"]["final_decision"] = "perhaps"
    data["1002"] = ["not", "an", "object"]
    write_json(tmp_path / "ori_pqaa.json", data)
    records, rejected = read("pubmedqa", tmp_path)
    assert [pmid_of(r) for r in records] == ["1000", "1003"] and set(tags(records)) == {("train", "")}
    assert [(r.reason, pmid_of(r)) for r in rejected] == [
        ("unknown_answer_type", "1001"),
        ("malformed_row", "1002"),
    ]


def test_qiaojin_hub_folders(tmp_path):
    def hub_row(pmid: int, decision: str) -> dict:
        context = {"contexts": ["C."], "labels": ["RESULTS"], "meshes": ["Humans"]}
        return {
            "pubid": pmid,
            "question": "Q?",
            "context": context,
            "long_answer": "L.",
            "final_decision": decision,
        }

    write_parquet(
        tmp_path / "pqa_labeled" / "train-00000-of-00001.parquet", [hub_row(1, "yes"), hub_row(2, "no")]
    )
    write_parquet(tmp_path / "pqa_artificial" / "train-00000-of-00001.parquet", [hub_row(3, "no")])
    write_parquet(
        tmp_path / "pqa_unlabeled" / "train-00000-of-00001.parquet", [{"pubid": 4, "question": "Q?"}]
    )
    write_json(tmp_path / "test_ground_truth.json", {"2": "no"})
    records, rejected = read("pubmedqa", tmp_path)
    assert not rejected
    assert [(r.answer, *tags([r])[0]) for r in records] == [
        ("B", "train", ""),  # pqa_artificial
        ("A", "train", ""),
        ("B", "test", "PubMedQA test"),
    ]
    assert records[0].question == "Context:\nC.\n\nQuestion: Q?"


def test_openlifescienceai_hub_layout(tmp_path):
    data = {"Question": "Q?", "Context": ["C1.", "C2."], "Options": {"A": "yes", "B": "no", "C": "maybe"},
            "Correct Option": "C", "Correct Answer": "maybe"}  # fmt: skip
    for split in ("train", "validation", "test"):
        write_parquet(tmp_path / "data" / f"{split}-00000-of-00001.parquet", [{"id": "1", "data": data}])
    records, _ = read("pubmedqa", tmp_path)
    assert [(r.answer, *tags([r])[0]) for r in records] == [
        ("C", "test", "PubMedQA test"),
        ("C", "train", ""),
        ("C", "val", ""),
    ]
    assert records[0].question == "Context:\nC1.\nC2.\n\nQuestion: Q?"


@pytest.mark.parametrize("content", ["{not json", '{"1": {"QUESTION": "Q"}', "[1, 2]", ""])
def test_an_unreadable_file_stops_the_run_naming_it(tmp_path, content):
    (tmp_path / "ori_pqal.json").write_text(content)
    with pytest.raises(SourceError, match="ori_pqal.json: not a readable JSON file"):
        read("pubmedqa", tmp_path)
