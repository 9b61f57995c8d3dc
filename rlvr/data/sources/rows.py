"""Shared row handling for converters: rows -> records tagged with their splits, bad rows -> reasons.

A converter supplies ``convert(where, row) -> RawRecord``; raising ``RowProblem`` (or a plain
KeyError/TypeError/ValueError for a malformed row) rejects that row only, never the whole file.
``convert_rows`` tags every record and every rejection with the row's official and benchmark split.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvr.data.records import RawRecord, Record, Rejected

TEXT_MODALITY = "text"  # the modality of text-only questions (MMLU, MedQA, PubMedQA, ...)

Row = Mapping[str, Any]
LETTERS = "ABCDEFGHIJ"  # the most options a row may have
_OPTION_PREFIX = re.compile(r"^\s{0,8}\(?[A-J]\s{0,3}[:.)]\s*")  # "A:", "A.", "(A)" before an option's text
_WORD = re.compile(r"[a-z]+")
# Split names as releases spell them -> the official split ("train", "val", "test").
SPLIT_NAMES = {
    "train": "train", "trainset": "train", "training": "train",
    "val": "val", "valid": "val", "validate": "val", "validation": "val", "valset": "val",
    "dev": "val", "devset": "val",
    "test": "test", "testset": "test",
}  # fmt: skip
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class SourceError(ValueError):
    """The input as a whole is unusable (no files found, a file that is not JSON): the run stops."""


class RowProblem(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Splits:
    """A row's official split ("train"/"val"/"test", "" if the set has none) and the benchmark it is part
    of, named as the Lingshu tables name it ("VQA-RAD test"), "" when no table evaluates on it."""

    official: str = ""
    benchmark: str = ""

    @classmethod
    def of(cls, token: str, benchmarks: Mapping[str, str] | None = None) -> Splits:
        """The splits of a raw split token ("dev", "validation", "test"); ``benchmarks`` maps a raw token
        or an official split to its benchmark name (MMMU: "validation" only, not its few-shot "dev")."""
        official = SPLIT_NAMES.get(token, "")
        table = benchmarks or {}
        return cls(official, table.get(token) or table.get(official, ""))


SplitsOf = Splits | Callable[[Row], Splits]


def convert_rows(
    rows: Iterable[tuple[str, Row]], convert: Callable[[str, Row], RawRecord], splits: SplitsOf = Splits()
) -> Iterator[Record]:
    """One record per row: ``convert``'s, or a ``Rejected`` naming the row; both carry ``splits``."""
    for where, row in rows:
        split = _splits_of(row, splits)
        try:
            record = convert(where, row)
        except RowProblem as problem:
            yield Rejected(problem.reason, where, problem.detail, split.official, split.benchmark)
            continue
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            detail = f"{type(exc).__name__}: {exc}"
            yield Rejected("malformed_row", where, detail, split.official, split.benchmark)
            continue
        record.official_split, record.benchmark_split = split.official, split.benchmark
        yield record


def _splits_of(row: Row, splits: SplitsOf) -> Splits:
    if isinstance(splits, Splits):
        return splits
    try:
        return splits(row)
    except (RowProblem, KeyError, TypeError, ValueError, AttributeError):
        return Splits()


def split_token(path: Path, root: Path) -> str:
    """The split a file's path below ``root`` announces, innermost name first: ``default/test/0000.parquet``
    -> "test", ``data/validation-00000-of-00001.parquet`` -> "validation", ``trainset.json`` -> "trainset";
    "" if none. Folders at or above ``root`` do not count (a user's "test_data" folder is not a split).
    """
    try:
        names = list(path.relative_to(root).parts) or [path.name]
    except ValueError:
        names = [path.name]
    names[-1] = Path(names[-1]).stem
    for name in reversed(names):
        for word in _WORD.findall(name.lower()):
            if word in SPLIT_NAMES:
                return word
    return ""


def text(row: Row, key: str) -> str:
    """``row[key]`` as stripped text ('' for null/NaN); a missing key is a malformed row."""
    if "__malformed__" in row:
        raise RowProblem("malformed_row", row["__malformed__"])
    if key not in row:
        raise RowProblem("malformed_row", f"missing field {key!r}")
    return plain_text(row[key])


def plain_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def option_text(value: Any, letter: str = "") -> str:
    """An option's text without a leading "A:"-style label (PMC-VQA writes "B:CT scan"): only the
    option's own ``letter`` when given, so choice C's "A. baumannii" keeps its "A."."""
    prefix = _OPTION_PREFIX.pattern.replace("[A-J]", re.escape(letter)) if letter else _OPTION_PREFIX.pattern
    return re.sub(prefix, "", "" if value is None else str(value), count=1).strip()


def lettered(values: Iterable[Any]) -> dict[str, str]:
    """A list of option texts as {"A": ..., "B": ...}; more than ten options is a malformed row."""
    values = [plain_text(value) for value in values]
    if len(values) > len(LETTERS):
        raise RowProblem("malformed_row", f"{len(values)} options: at most {len(LETTERS)} are supported")
    return dict(zip(LETTERS, values, strict=False))


def same_text(a: str, b: str) -> bool:
    """Equal up to case, spacing and a trailing full stop: how answer texts are matched to options."""
    return _comparable(a) == _comparable(b)


def _comparable(value: str) -> str:
    return " ".join(value.casefold().split()).rstrip(" .")


def letter_of(options: Mapping[str, str], answer: str) -> str:
    """The letter whose option text equals ``answer`` (case/space-insensitive)."""
    for letter, option in options.items():
        if same_text(option, answer):
            return letter
    raise RowProblem("malformed_row", f"answer {answer!r} is not one of the options {dict(options)}")


def checked_letter(options: Mapping[str, str], letter: str) -> str:
    letter = letter.strip().upper()
    if not letter:
        raise RowProblem("empty_answer", "no answer letter")
    if letter not in options:
        raise RowProblem("malformed_row", f"answer letter {letter!r} is not among options {sorted(options)}")
    return letter


def text_choice_record(
    where: str, row: Row, options: Mapping[str, str], label: str, question_type: str, language: str = "en"
) -> RawRecord:
    """A text-only multiple-choice row (``question``, ``answer`` text beside the letter ``label``), its letter
    reconciled with the text by ``reconciled_letter`` (a paraphrased text keeps the label)."""
    notes: list[tuple[str, str]] = []
    answer_text = str(row.get("answer") or "").strip()
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=reconciled_letter(options, label, answer_text, notes, strict=False),
        answer_type="choice",
        options=options,
        modality=TEXT_MODALITY,
        question_type=question_type,
        language=language,
        notes=notes,
    )


def reconciled_letter(
    options: Mapping[str, str], label: str, answer_text: str, notes: list[tuple[str, str]], strict: bool
) -> str:
    """The correct letter when a row gives both a label and the answer's text.

    They agree: the label. They disagree and the text is exactly one choice's: that choice, with a
    ("label_fixed", why) note appended to ``notes``. The text is several choices', or (``strict``) none:
    ``label_mismatch``. Not ``strict``: text matching no choice (a paraphrase) keeps the label.
    """
    label = label.strip().upper()
    if not answer_text:
        return checked_letter(options, label)
    named = [letter for letter, option in options.items() if same_text(option, answer_text)]
    if label in named or (label in options and not named and not strict):
        return label
    if len(named) == 1:
        if label:
            notes.append(("label_fixed", f"label {label!r} but the answer text is choice {named[0]}'s"))
        return named[0]
    if label not in options and not named:
        checked_letter(options, label)  # raises: the label names no choice and the text none either
    raise RowProblem(
        "label_mismatch",
        f"label {label!r} and answer text {answer_text!r} do not agree on one choice of {dict(options)}",
    )


def closed_or_open(row: Row) -> str:
    """The row's declared answer type (VQA-RAD, SLAKE) as "closed"/"open", else a ``RowProblem``."""
    declared = text(row, "answer_type").upper()
    if declared not in ("CLOSED", "OPEN"):
        raise RowProblem("unknown_answer_type", f"answer_type {declared!r} is neither CLOSED nor OPEN")
    return declared.lower()


def language_of(value: str) -> str:
    """ "zh" when at least a fifth of the first 400 non-space characters are CJK ideographs, else "en"."""
    sample = "".join(value[:2000].split())[:400]
    return "zh" if sample and len(_CJK.findall(sample)) * 5 >= len(sample) else "en"
