"""The parquet row schema that `rlvr data` writes (verl's RL dataset schema) and the row builder.

``extra_info.options`` is a struct with every letter A-J always present, ``None`` where a row has no
such option (non-choice rows: all ``None``): an empty struct cannot be written to parquet and every
row must share one schema. ``rlvr.data.io.read_rows`` and ``rewards.verl_adapter`` drop the ``None``
letters, giving ``{"A": "CT", ...}`` or ``{}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa

from rewards.answer_types import ANSWER_TYPES
from rlvr.data.templates import PromptTemplate

ABILITY = "medical_vqa"
METADATA_KEY = b"medrlvr"
OPTION_LETTERS = "ABCDEFGHIJ"  # the most options a row may have

EXTRA_INFO_FIELDS = [
    pa.field("answer_type", pa.string()),
    pa.field("options", pa.struct([(letter, pa.string()) for letter in OPTION_LETTERS])),
    pa.field("split", pa.string()),
    pa.field("index", pa.int64()),
    pa.field("question", pa.string()),
    pa.field("modality", pa.string()),  # a name of rlvr.data.modality.MODALITIES for prepared sets
    pa.field("modality_raw", pa.string()),  # the set's own label, as released
    pa.field("body_part", pa.string()),  # organ or region as the set labels it ("" if it does not)
    pa.field("language", pa.string()),  # ISO 639-1 code of the question
    pa.field("benchmark_split", pa.string()),  # the evaluation split the row belongs to, "" if none
    pa.field("data_source", pa.string()),
    pa.field("question_type", pa.string()),
    pa.field("source_id", pa.string()),  # where the row came from: "file:row" or a generator id
    pa.field("template", pa.string()),
]

ROW_SCHEMA = pa.schema(
    [
        pa.field("data_source", pa.string()),
        pa.field("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
        pa.field("images", pa.list_(pa.struct([("bytes", pa.binary())]))),
        pa.field("ability", pa.string()),
        pa.field("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
        pa.field("extra_info", pa.struct(EXTRA_INFO_FIELDS)),
    ]
)


@dataclass
class Sample:
    """One question about zero or more images, before it is placed in a split and rendered."""

    data_source: str
    question: str
    answer: str
    answer_type: str
    images: list[bytes] = field(default_factory=list)  # encoded images (JPEG or PNG)
    options: dict[str, str] = field(default_factory=dict)  # letter -> text, choice rows only
    modality: str = ""
    question_type: str = ""
    source_id: str = ""
    modality_raw: str = ""
    body_part: str = ""
    language: str = "en"
    benchmark_split: str = ""


def encode_options(options: Mapping[str, str]) -> dict[str, str | None]:
    """``{letter: text}`` -> the always-all-letters struct value; other keys are an error."""
    unknown = sorted(set(options) - set(OPTION_LETTERS))
    if unknown:
        raise ValueError(f"option keys must be letters A-J (at most 10 options), got {unknown}")
    return {letter: options.get(letter) for letter in OPTION_LETTERS}


def decode_options(value: Mapping[str, str | None] | None) -> dict[str, str]:
    """The struct value back to ``{letter: text}`` for the letters the row has."""
    return {letter: text for letter, text in (value or {}).items() if text is not None}


def build_row(sample: Sample, template: PromptTemplate, split: str, index: int) -> dict:
    """The verl row for ``sample`` (its ``index``-th row of ``split``) rendered with ``template``."""
    if sample.answer_type not in ANSWER_TYPES:
        raise ValueError(f"answer_type {sample.answer_type!r} is not one of {', '.join(ANSWER_TYPES)}")
    return {
        "data_source": sample.data_source,
        "prompt": template.messages(sample.question, sample.options, len(sample.images)),
        "images": [{"bytes": image} for image in sample.images],
        "ability": ABILITY,
        "reward_model": {"style": "rule", "ground_truth": sample.answer},
        "extra_info": {
            "answer_type": sample.answer_type,
            "options": encode_options(sample.options),
            "split": split,
            "index": index,
            "question": sample.question,
            "modality": sample.modality,
            "modality_raw": sample.modality_raw,
            "body_part": sample.body_part,
            "language": sample.language,
            "benchmark_split": sample.benchmark_split,
            "data_source": sample.data_source,
            "question_type": sample.question_type,
            "source_id": sample.source_id,
            "template": template.name,
        },
    }
