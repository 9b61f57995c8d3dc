"""Open-ended verifier: abbreviations, spelling, negation, metrics and reward hacking by padding."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards import registry
from rewards.medical_terms import canonical_terms, normalize_word
from rewards.open_ended import OPEN_METRICS, clinical_terms, verify_open
from rewards.text import normalize_text

METRICS = [{"open_metric": m} for m in ("f1", "recall")]


@pytest.mark.parametrize(
    ("answer", "reference"),
    [
        ("CT", "computed tomography"),
        ("CT scan", "CT"),
        ("Computerised tomography", "ct"),
        ("CT angiography", "CTA"),
        ("MRI", "magnetic resonance imaging"),
        ("chest X-ray", "CXR"),
        ("chest radiograph", "CXR"),
        ("X-ray", "radiograph"),
        ("US", "ultrasound"),
        ("sonography", "ultrasound"),
        ("PET scan", "positron emission tomography"),
        ("EKG", "ECG"),
        ("electrocardiogram", "ECG"),
        ("MI", "myocardial infarction"),
        ("COPD", "chronic obstructive pulmonary disease"),
        ("ARDS", "acute respiratory distress syndrome"),
        ("DVT", "deep vein thrombosis"),
        ("PE", "pulmonary embolism"),
        ("pulmonary emboli", "PE"),
        ("LV", "left ventricle"),
        ("RV", "right ventricle"),
        ("LLL", "left lower lobe"),
        ("pneumonia in the RLL", "right lower lobe pneumonia"),
        ("H&E", "hematoxylin and eosin"),
        ("H & E stain", "haematoxylin and eosin stain"),
        ("oedema", "edema"),
        ("Haemorrhage", "hemorrhage"),
        ("oesophagus", "esophagus"),
        ("tumour", "tumor"),
        ("nodules", "nodule"),
        ("masses", "mass"),
        ("metastases", "metastasis"),
        ("arteries", "artery"),
        ("Pneumonia.", "pneumonia"),
        ("consistent with pneumonia", "pneumonia"),
        ("There is a pneumothorax", "pneumothorax"),
        ("left-sided", "left"),
        ("pneumonia cannot be excluded", "pneumonia"),  # a hedge, not a negation
        ("no pneumonia", "no pneumonia"),
        ("pneumonia is absent", "no evidence of pneumonia"),
        ("negative for malignancy", "no malignancy"),
        ("pneumonia without effusion", "pneumonia, no effusion"),
    ],
)
def test_equivalent_answers_score_one_with_every_metric(answer: str, reference: str) -> None:
    for info in [*METRICS, {"open_metric": "exact"}]:
        assert verify_open(answer, reference, info) == 1.0, info


@pytest.mark.parametrize(
    ("answer", "reference"),
    [
        ("us", "ultrasound"),  # the pronoun is not an abbreviation
        ("pe", "pleural effusion"),
        ("left lung", "right lung"),
        ("edema", "pneumonia"),
        ("", "pneumonia"),
        ("   ", "pneumonia"),
    ],
)
def test_different_answers_do_not_score_one(answer: str, reference: str) -> None:
    assert verify_open(answer, reference, {}) < 1.0


@pytest.mark.parametrize(
    "answer",
    [
        "no pneumonia",
        "No pneumonia.",
        "not pneumonia",
        "pneumonia is absent",
        "without pneumonia",
        "negative for pneumonia",
        "rules out pneumonia",
        "pneumonia was ruled out",
        "pneumonia excluded",
        "pneumonia is not seen",
        "no evidence of pneumonia",
        "free of pneumonia",
        "pneumonia or no pneumonia",  # hedging both ways is a contradiction too
    ],
)
def test_negated_answer_against_positive_reference_scores_zero(answer: str) -> None:
    for info in METRICS:
        assert verify_open(answer, "pneumonia", info) == 0.0
        assert verify_open(answer, "right lower lobe pneumonia", info) == 0.0


@pytest.mark.parametrize("answer", ["pneumonia", "there is pneumonia", "pneumonia in the LLL"])
@pytest.mark.parametrize("reference", ["no pneumonia", "pneumonia is absent", "negative for pneumonia"])
def test_positive_answer_against_negated_reference_scores_zero(answer: str, reference: str) -> None:
    for info in METRICS:
        assert verify_open(answer, reference, info) == 0.0


def test_negation_stops_at_the_clause() -> None:
    assert clinical_terms("no pneumonia, but effusion is present") == {"no_pneumonia", "effusion"}
    assert clinical_terms("no pneumonia. Effusion.") == {"no_pneumonia", "effusion"}
    assert clinical_terms("pneumonia without effusion") == {"pneumonia", "no_effusion"}
    assert verify_open("effusion but no pneumonia", "effusion", {"open_metric": "recall"}) == 1.0


def test_f1_and_recall_reward_partial_answers() -> None:
    assert verify_open("pneumonia", "left lower lobe pneumonia", {}) == pytest.approx(2 / 3)
    assert verify_open("pneumonia", "lll pneumonia", {"open_metric": "recall"}) == pytest.approx(0.5)
    # two items for a one-item gold: at most 1/2 under f1, so listing a second guess never pays (issue 10)
    assert verify_open("LLL pneumonia with effusion", "LLL pneumonia", {}) == pytest.approx(0.5)
    assert verify_open("LLL pneumonia with effusion", "LLL pneumonia", {"open_metric": "recall"}) == 1.0
    assert verify_open("LLL pneumonia with effusion", "LLL pneumonia", {"open_metric": "exact"}) == 0.0


PADDINGS = [
    "pneumonia effusion edema mass nodule atelectasis",
    "pneumonia, effusion, edema, mass, nodule, atelectasis, fracture, pneumothorax, cardiomegaly",
    "pneumonia " * 50,
    "pneumonia pneumonia pneumonia effusion effusion effusion",
    "pneumonia " + "lung " * 30,
    "pneumonia or edema or effusion or mass",
    "pneumonia and also maybe tuberculosis, lymphoma, sarcoidosis or metastasis",
]


@pytest.mark.parametrize("padded", PADDINGS, ids=range(len(PADDINGS)))
@pytest.mark.parametrize("info", METRICS, ids=lambda i: i["open_metric"])
def test_padding_never_beats_the_concise_answer(padded: str, info: dict) -> None:
    concise = verify_open("pneumonia", "pneumonia", info)
    assert concise == 1.0
    assert verify_open(padded, "pneumonia", info) <= concise


@pytest.mark.parametrize("info", METRICS, ids=lambda i: i["open_metric"])
def test_listing_candidates_loses_reward(info: dict) -> None:
    shotgun = "pneumonia, edema, effusion, mass, nodule"
    assert verify_open(shotgun, "pneumonia", info) <= 0.5
    assert verify_open("right lower lobe pneumonia, edema, effusion, mass", "RLL pneumonia", info) < 1.0


@pytest.mark.parametrize("info", METRICS, ids=lambda i: i["open_metric"])
def test_repeating_words_changes_nothing(info: dict) -> None:
    once = verify_open("left lower lobe pneumonia", "left lower lobe pneumonia effusion", info)
    assert verify_open("left lower lobe pneumonia " * 20, "left lower lobe pneumonia effusion", info) == once


@pytest.mark.parametrize("size", range(1, 6))
def test_recall_tolerates_a_little_extra_and_no_more(size: int) -> None:
    reference = " ".join(["pneumonia", "effusion", "edema", "mass", "nodule"][:size])
    extra = " ".join(f"filler{i}" for i in range(40))
    scores = [verify_open(f"{reference} {' '.join(extra.split()[:n])}", reference, {"open_metric": "recall"})
              for n in range(0, 40, 2)]
    assert scores[0] == 1.0
    assert scores == sorted(scores, reverse=True)
    assert scores[-1] < 0.25


def test_a_reference_of_filler_words_falls_back_to_exact_text() -> None:
    assert verify_open("None", "none", {}) == 1.0
    assert verify_open("no", "none", {}) == 0.0


def test_unknown_metric_is_an_error_that_lists_the_metrics() -> None:
    with pytest.raises(ValueError, match="open_metric.*f1"):
        verify_open("a", "a", {"open_metric": "bleu"})
    assert set(OPEN_METRICS) == {"f1", "recall", "exact"}
    assert verify_open("pneumonia", "pneumonia", None) == 1.0


def test_registered_as_open() -> None:
    assert registry._REGISTRY["open"] is verify_open


def test_vocabulary_helpers() -> None:
    assert normalize_word("oedemas") == "edema"
    assert normalize_word("stenosis") == "stenosis"
    assert normalize_word("pancreas") == "pancreas"
    assert normalize_word("haematomas") == "hematoma"
    assert [t for t, _ in canonical_terms("ct of left lower lobe".split())] == ["ct", "of", "lll"]


HOSTILE = [
    "no " * 5_000 + "pneumonia",
    "not " * 3_000,
    "pneumonia " * 10_000,
    "a" * 100_000,
    "left lower lobe " * 3_000,
    "cannot be " * 3_000,
    ". " * 20_000,
    "__import__('os').system('ls')",
    "\x00\u202e" * 5_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_fast_and_bounded(text: str) -> None:
    start = time.perf_counter()
    for info in [*METRICS, {"open_metric": "exact"}]:
        assert 0.0 <= verify_open(text, "left lower lobe pneumonia", info) <= 1.0
        assert 0.0 <= verify_open("pneumonia", text, info) <= 1.0
    assert time.perf_counter() - start < 1.0


@given(st.text(max_size=300), st.text(max_size=80), st.sampled_from(OPEN_METRICS))
def test_verify_open_is_total_and_bounded(answer: str, reference: str, metric: str) -> None:
    start = time.perf_counter()
    assert 0.0 <= verify_open(answer, reference, {"open_metric": metric}) <= 1.0
    assert time.perf_counter() - start < 1.0


_WORDS = st.sampled_from(
    ["pneumonia", "effusion", "no", "not", "absent", "LLL", "left", "lower", "lobe", "CT", "US", "and", "but",
     ".", ",", "cannot", "be", "excluded", "edema", "oedema", "nodules"]
)


@given(st.lists(_WORDS, max_size=12).map(" ".join), st.lists(_WORDS, min_size=1, max_size=6).map(" ".join))
def test_an_answer_equal_to_the_reference_scores_one_unless_empty(answer: str, reference: str) -> None:
    score = verify_open(reference, reference, {})
    assert score == (1.0 if clinical_terms(reference) or normalize_text(reference) else 0.0)
    assert 0.0 <= verify_open(answer, reference, {}) <= 1.0
