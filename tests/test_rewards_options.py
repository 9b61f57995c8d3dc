"""Choice options in every shape pipelines write them score the same through ``rewards.compute_score``
and the verl adapter: one normaliser (``rewards.options.normalize_options``) serves both."""

from __future__ import annotations

import json
import string

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.choice import parse_options
from rewards.options import normalize_options
from rewards.score import compute_score
from rewards.verl_adapter import compute_score as verl_compute_score

TEXTS = ["CT", "MRI", "X-ray", "Ultrasound", "PET", "Angiography", "Mammography", "Fluoroscopy",
         "Endoscopy", "Scintigraphy"]


def shapes(texts: list[str]) -> dict[str, object]:
    """The same options as each writer spells them."""
    letters = string.ascii_uppercase[: len(texts)]
    mapping = dict(zip(letters, texts, strict=True))
    return {
        "dict": mapping,
        "list": list(texts),
        "tuple": tuple(texts),
        "json list": json.dumps(texts),
        "json dict": json.dumps(mapping),
        "parquet struct": {**mapping, **{x: None for x in string.ascii_uppercase[len(texts) : 10]}},
        "parquet map pairs": [[letter, text] for letter, text in mapping.items()],
        "numpy array": np.array(texts, dtype=object),
        "numpy pairs": np.array([[letter, text] for letter, text in mapping.items()], dtype=object),
        "labelled list": [f"{letter}. {text}" for letter, text in mapping.items()],
        "lower-case keys": {letter.lower(): text for letter, text in mapping.items()},
    }


@pytest.mark.parametrize("shape", sorted(shapes(TEXTS[:4])))
def test_every_shape_normalises_to_the_same_letters(shape):
    expected = dict(zip("ABCD", TEXTS[:4], strict=True))
    assert normalize_options(shapes(TEXTS[:4])[shape]) == expected


@pytest.mark.parametrize("shape", sorted(shapes(TEXTS[:4])))
@pytest.mark.parametrize(
    ("answer", "right"), [("B", 1.0), ("MRI", 1.0), ("(b)", 1.0), ("A", 0.0), ("PET", 0.0)]
)
def test_verl_adapter_scores_every_shape_as_compute_score_does(shape, answer, right):
    response = f"<think>t</think><answer>{answer}</answer>"
    options = shapes(TEXTS[:4])[shape]
    direct = compute_score(response, "B", {"options": options})
    through_verl = verl_compute_score("synth", response, "B", {"options": options})
    assert direct == through_verl
    assert direct["acc"] == right


@st.composite
def option_rows(draw):
    texts = draw(st.permutations(TEXTS))[: draw(st.integers(2, 10))]
    letters = string.ascii_uppercase[: len(texts)]
    gold = draw(st.sampled_from(letters))
    said = draw(st.sampled_from(letters))
    answer = draw(st.sampled_from([said, f"({said})", f"{said}. {texts[letters.index(said)]}",
                                   texts[letters.index(said)], f"Option {said}"]))
    return texts, gold, said, answer


@given(row=option_rows(), shape=st.sampled_from(sorted(shapes(TEXTS[:2]))))
def test_property_many_option_rows_score_alike_in_every_shape(row, shape):
    texts, gold, said, answer = row
    response = f"<think>t</think><answer>{answer}</answer>"
    options = shapes(texts)[shape]
    through_verl = verl_compute_score("synth", response, gold, {"answer_type": "choice", "options": options})
    assert through_verl == compute_score(response, gold, {"answer_type": "choice", "options": options})
    assert through_verl["acc"] == float(said == gold)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
RAW_OPTIONS = st.one_of(
    SCALARS,
    st.dictionaries(
        st.one_of(st.text(max_size=3), st.sampled_from(["A", "B", "(C)", "d"])),
        st.one_of(SCALARS, st.sampled_from(TEXTS), st.sampled_from(["A. CT", "B) MRI", "  PET "])),
        max_size=10,
    ),
    st.lists(st.one_of(SCALARS, st.sampled_from(TEXTS)), max_size=10),
    st.lists(st.sampled_from(TEXTS), max_size=10).map(json.dumps),
)


@given(raw=RAW_OPTIONS)
def test_property_the_normaliser_agrees_with_the_choice_verifiers_parser(raw):
    assert normalize_options(raw) == parse_options(raw)
    assert normalize_options(raw) == normalize_options(raw)  # the cache gives the same answer


def test_a_cached_result_is_a_fresh_dict():
    first = normalize_options(["CT", "MRI"])
    first["Z"] = "mutated"
    assert normalize_options(["CT", "MRI"]) == {"A": "CT", "B": "MRI"}
