"""PubMedQA (text), yes/no/maybe as choices A/B/C, in the layouts of the repo and of the model hubs.

Read (from pubmedqa/pubmedqa and its README; hub layouts from their cards):
- PQA-L ``ori_pqal.json`` {pmid: {QUESTION, CONTEXTS, LABELS, MESHES, final_decision, ...}}: 1000
  expert-labelled questions, 500 of them the official test set ("PubMedQA test", listed in
  ``test_ground_truth.json``), the other 500 the cross-validation set (official "train").
- PQA-A ``ori_pqaa.json`` (same fields, 211k generated questions; the usual training set: "train").
- qiaojin/PubMedQA parquet: ``pqa_labeled/`` and ``pqa_artificial/`` with ``pubid``, ``question``,
  ``context`` {contexts, labels, meshes}, ``long_answer``, ``final_decision`` (PQA-L as above).
- openlifescienceai/pubmedqa parquet (MedEvalKit's): ``data/{train,validation,test}-*.parquet`` with
  ``data`` {Question, Context, Options {A,B,C}, Correct Option}; its test split is the benchmark.
PQA-U (``ori_pqau.json``, ``pqa_unlabeled/``) has no labels and is not read.

Test set without ``test_ground_truth.json`` (or the split script's ``test_set.json``): the repo's
``preprocess/split_dataset.py`` draws it with ``random.seed(0)``, shuffling each label's pmids in file
order and taking the second half. That draw is reproduced here and accepted only if its ids hash to
the official test set's (``OFFICIAL_TEST_SHA256``, checked against the repo's file); otherwise (another
row order, a subset) every PQA-L row is conservatively tagged "PubMedQA test".
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import find_files, json_object_items, load_json, parquet_columns, parquet_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import TEXT_MODALITY, Row, RowProblem, Splits, convert_rows, split_token, text

OPTIONS = {"A": "yes", "B": "no", "C": "maybe"}
BENCHMARK = "PubMedQA test"
TEST_ID_FILES = ("test_ground_truth.json", "test_set.json")
# sha256 of the 500 official test pmids, sorted and comma-joined (test_ground_truth.json of the repo)
OFFICIAL_TEST_SHA256 = "849f8c5496168d4bc2080ca64fc87ee1f431024600118eb171427c73a0331b6d"
SPLIT_SEED = 0  # split_dataset.py: random.seed(0)


def _question(question: str, contexts: Any) -> str:
    if not isinstance(contexts, list):
        raise RowProblem("malformed_row", "the contexts must be a list of strings")
    return "Context:\n" + "\n".join(str(c) for c in contexts) + "\n\nQuestion: " + question


def _record(where: str, question: str, contexts: Any, decision: str) -> RawRecord:
    decision = decision.strip().lower()
    if decision and decision not in OPTIONS.values():
        raise RowProblem("unknown_answer_type", f"final_decision {decision!r} is not yes/no/maybe")
    return RawRecord(
        where=where,
        question=_question(question, contexts) if question else "",
        answer=next((letter for letter, value in OPTIONS.items() if value == decision), ""),
        answer_type="choice",
        options=dict(OPTIONS),
        modality=TEXT_MODALITY,
    )


def _from_repo(where: str, row: Row) -> RawRecord:
    decision = text(row, "final_decision") if "final_decision" in row else ""
    return _record(where, text(row, "QUESTION"), row.get("CONTEXTS") or [], decision)


def _from_qiaojin(where: str, row: Row) -> RawRecord:
    context = row.get("context") or {}
    contexts = context.get("contexts") if isinstance(context, Mapping) else None
    return _record(where, text(row, "question"), contexts or [], text(row, "final_decision"))


def _from_openlifescience(where: str, row: Row) -> RawRecord:
    data = row.get("data")
    if not isinstance(data, Mapping):
        raise RowProblem("malformed_row", "missing field 'data' {Question, Context, Options, Correct Option}")
    options = data.get("Options")
    options = {str(k).strip().upper(): str(v).strip() for k, v in options.items()} if options else OPTIONS
    record = _record(where, text(data, "Question"), data.get("Context") or [], "")
    record.options, record.answer = options, text(data, "Correct Option").upper()
    return record


def official_test_ids(labels: Iterable[tuple[str, str]]) -> set[str] | None:
    """split_dataset.py's test half of PQA-L, given (pmid, final_decision) in file order, or None when
    the draw does not hash to the official test set."""
    by_label: dict[str, list[str]] = {"yes": [], "no": [], "maybe": []}
    for pmid, label in labels:
        if label not in by_label:
            return None
        by_label[label].append(pmid)
    draw, kept, test = random.Random(SPLIT_SEED), [], []
    for pmids in by_label.values():  # each label's pmids shuffled, first half kept for cross-validation
        draw.shuffle(pmids)
        cut = math.ceil(len(pmids) / 2)
        kept += pmids[:cut]
        test += pmids[cut:]
    if len(test) != len(kept):  # the script then moves one random kept pmid to the test half
        test.append(draw.choice(kept))
    digest = hashlib.sha256(",".join(sorted(test)).encode()).hexdigest()
    return set(test) if digest == OFFICIAL_TEST_SHA256 else None


def _listed_test_ids(root: Path, near: Path) -> set[str] | None:
    for folder in (near.parent, root):
        for name in TEST_ID_FILES:
            if (folder / name).is_file():
                data = load_json(folder / name)
                return {str(pmid) for pmid in data} if isinstance(data, Mapping | list) else None
    return None


def _labelled_splits(
    rows: list[tuple[str, Row]], key: str, listed: set[str] | None
) -> Callable[[Row], Splits]:
    """PQA-L rows' splits: listed test ids, else the reproduced draw, else every row a test row."""
    test = listed or official_test_ids((str(r.get(key)), str(r.get("final_decision", ""))) for _, r in rows)

    def splits(row: Row) -> Splits:
        if test is None or str(row.get(key)) in test:
            return Splits("test", BENCHMARK)
        return Splits("train")

    return splits


def _pqal(root: Path, path: Path) -> Iterator[Record]:
    """PQA-L (1000 rows, read whole: the draw needs every label): each row carries its pmid as "_pmid"."""
    rows = [
        (f"{path}:{pmid}", {**row, "_pmid": pmid} if isinstance(row, Mapping) else {})
        for pmid, row in json_object_items(path)
    ]
    yield from convert_rows(rows, _from_repo, _labelled_splits(rows, "_pmid", _listed_test_ids(root, path)))


def _pqaa(path: Path) -> Iterator[Record]:
    rows = (
        (f"{path}:{pmid}", row if isinstance(row, Mapping) else {}) for pmid, row in json_object_items(path)
    )
    yield from convert_rows(rows, _from_repo, Splits("train"))


def _hub(root: Path, path: Path) -> Iterator[Record]:
    names = {part.lower() for part in path.relative_to(root).parts[:-1]} if path != root else set()
    if "pqa_labeled" in names:
        rows = list(parquet_rows(path))
        splits = _labelled_splits(rows, "pubid", _listed_test_ids(root, path))
        yield from convert_rows(rows, _from_qiaojin, splits)
    elif "pqa_artificial" in names:
        yield from convert_rows(parquet_rows(path), _from_qiaojin, Splits("train"))
    elif "data" in parquet_columns(path):
        token = split_token(path, root)
        yield from convert_rows(
            parquet_rows(path), _from_openlifescience, Splits.of(token, {"test": BENCHMARK})
        )


@register_source(
    "pubmedqa",
    "PubMedQA (text): ori_pqal.json (+ test_ground_truth.json), ori_pqaa.json, hub parquet pqa_labeled/ "
    "pqa_artificial/ or data/{train,validation,test}-*.parquet",
    {"PQA-L test": BENCHMARK},
)
def read_pubmedqa(root: Path) -> Iterator[Record]:
    patterns = ["**/ori_pqal.json", "**/ori_pqaa.json", "**/*.parquet"]
    for path in find_files(root, patterns, "PubMedQA files"):
        if path.name == "ori_pqal.json":
            yield from _pqal(root, path)
        elif path.name == "ori_pqaa.json":
            yield from _pqaa(path)
        elif path.suffix == ".parquet":
            yield from _hub(root, path)
