"""compute_score: fixed float keys, verifier dispatch, weights, penalties, config errors, properties."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.registry import register_verifier
from rewards.row_settings import MAX_ROW_RTOL
from rewards.score import SCORE_KEYS, RewardConfig, VerifierFault, compute_score, score_response

OPTIONS = {"A": "pneumothorax", "B": "pleural effusion", "C": "cardiomegaly", "D": "normal"}
CHOICE = {"answer_type": "choice", "options": OPTIONS}
GOOD = "<think>Meniscus sign at the base.</think><answer>B</answer>"

calls: list[tuple[str, str, dict]] = []


@register_verifier("test_recording")
def recording_verifier(answer, ground_truth, extra_info):
    """Records its arguments; right when the answer equals the ground truth."""
    calls.append((answer, ground_truth, dict(extra_info)))
    return float(answer == ground_truth)


def crashing_verifier(answer, ground_truth, extra_info):
    raise ZeroDivisionError("boom")


def out_of_range_verifier(answer, ground_truth, extra_info):
    return {"1.5": 1.5, "nan": math.nan, "str": "1", "none": None, "neg": -0.1}[answer]


HERE = __name__


@pytest.fixture(autouse=True)
def fresh_state():
    calls.clear()


def test_keys_are_always_the_same_floats():
    for response, gt, info in [
        (GOOD, "B", CHOICE),
        ("", "B", CHOICE),
        ("no tags at all, a long rambling text " * 5, "4.5", {"answer_type": "numeric"}),
        (None, None, None),
    ]:
        scores = compute_score(response, gt, info)
        assert tuple(scores) == SCORE_KEYS
        assert all(type(value) is float for value in scores.values())


def test_correct_and_wrong_choice_with_default_weights():
    right = compute_score(GOOD, "B", CHOICE)
    assert right == {"score": 1.5, "acc": 1.0, "format": 1.0, "length_penalty": 0.0,
                     "repetition_penalty": 0.0, "answer_found": 1.0}
    wrong = compute_score(GOOD.replace(">B<", ">C<"), "B", CHOICE)
    assert (wrong["acc"], wrong["format"], wrong["score"]) == (0.0, 1.0, 0.5)


def test_weights_combine_linearly():
    config = RewardConfig(acc_weight=2.0, format_weight=0.25)
    assert compute_score(GOOD, "B", CHOICE, config)["score"] == pytest.approx(2.25)


def test_no_answer_scores_zero_without_calling_the_verifier():
    config = RewardConfig(verifier=f"{HERE}:recording_verifier")
    scores = compute_score("<think>I cannot tell from this image, sorry about that, really.</think>", "B", {},
                           config)
    assert scores["answer_found"] == 0.0 and scores["acc"] == 0.0
    assert calls == []


def test_dispatch_order_config_then_row_then_inferred():
    row = {**CHOICE, "verifier": "test_recording"}  # a row may name a registered verifier
    assert score_response(GOOD, "B", CHOICE).verifier == "choice"
    assert score_response(GOOD, "B", row).verifier == "test_recording"
    forced = RewardConfig(verifier="closed")
    assert score_response(GOOD, "B", row, forced).verifier == "closed"


def test_verifier_receives_extracted_answer_and_config_settings():
    config = RewardConfig(verifier=f"{HERE}:recording_verifier", numeric_rtol=0.05, open_metric="exact")
    compute_score("<think>t</think><answer> 4.5 cm </answer>", "4.5 cm", {"modality": "CT"}, config)
    answer, gt, info = calls[-1]
    assert (answer, gt) == ("4.5 cm", "4.5 cm")
    assert info == {"numeric_rtol": 0.05, "open_metric": "exact", "modality": "CT"}
    compute_score("<answer>x</answer>", "x", {"numeric_rtol": 0.01}, config)
    assert calls[-1][2]["numeric_rtol"] == 0.01  # a row's own setting (within the row cap) wins
    compute_score("<answer>x</answer>", "x", {"numeric_rtol": None, "open_metric": None}, config)
    assert calls[-1][2]["numeric_rtol"] == 0.05  # ... but not a None that parquet filled in
    assert calls[-1][2]["open_metric"] == "exact"


def test_crashing_verifier_is_a_fault_not_a_wrong_answer():
    config = RewardConfig(verifier=f"{HERE}:crashing_verifier")
    with pytest.raises(VerifierFault, match=r"crashing_verifier' raised ZeroDivisionError: boom") as info:
        compute_score(GOOD, "B", CHOICE, config)
    assert info.value.verifier == f"{HERE}:crashing_verifier"
    scored = score_response(GOOD, "B", CHOICE, config)
    assert scored.fault == "raised ZeroDivisionError: boom"


@pytest.mark.parametrize("returned", ["1.5", "nan", "str", "none", "neg"])
def test_out_of_range_verifier_value_is_a_fault(returned):
    config = RewardConfig(verifier=f"{HERE}:out_of_range_verifier")
    with pytest.raises(VerifierFault, match=r"not a number in \[0, 1\]"):
        compute_score(f"<answer>{returned}</answer>", "B", {}, config)


def test_length_penalty_ramps_from_target_to_max():
    config = RewardConfig(length_penalty=0.4, length_unit="words", length_target=10, length_max=20)

    def response(words: int) -> str:  # tags attach to the first and last word: ``words`` words in all
        return "<think>" + " ".join(["w"] * words) + "</think><answer>B</answer>"

    assert compute_score(response(10), "B", CHOICE, config)["length_penalty"] == 0.0
    assert compute_score(response(15), "B", CHOICE, config)["length_penalty"] == pytest.approx(0.2)
    long = compute_score(response(500), "B", CHOICE, config)
    assert long["length_penalty"] == pytest.approx(0.4)
    assert long["score"] == pytest.approx(1.5 - 0.4)
    chars = RewardConfig(length_penalty=1.0, length_unit="chars", length_target=10, length_max=20)
    assert compute_score("<answer>B</answer>" + "x" * 100, "B", CHOICE, chars)["length_penalty"] == 1.0


def test_repetition_penalty_counts_repeated_ngrams():
    config = RewardConfig(repetition_penalty=1.0, repetition_ngram=2)
    varied = "<think>the effusion layers along the left costophrenic angle</think><answer>B</answer>"
    looped = "<think>" + "effusion left " * 50 + "</think><answer>B</answer>"
    assert compute_score(varied, "B", CHOICE, config)["repetition_penalty"] == 0.0
    looping = compute_score(looped, "B", CHOICE, config)
    assert looping["repetition_penalty"] > 0.9
    assert looping["score"] == pytest.approx(1.5 - looping["repetition_penalty"])


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"acc_weight": -1}, "acc_weight"),
        ({"format_weight": math.nan}, "format_weight"),
        ({"format_weight": True}, "format_weight"),
        ({"numeric_rtol": "0.1"}, "numeric_rtol"),
        ({"length_penalty": math.inf}, "length_penalty"),
        ({"length_target": 100, "length_max": 50}, "length_max"),
        ({"length_unit": "tokens"}, "length_unit"),
        ({"repetition_ngram": 0}, "repetition_ngram"),
        ({"answer_tag": "ans wer"}, "answer_tag"),
        ({"think_tag": ""}, "think_tag"),
        ({"open_metric": "bleu"}, "open_metric"),
        ({"verifier": 3}, "verifier"),
    ],
)
def test_invalid_config_names_the_field(settings, field):
    with pytest.raises(ValueError, match=f"reward setting {field}="):
        RewardConfig(**settings)


def test_from_mapping_rejects_typos_and_accepts_the_recipe_alias():
    expected = "unknown key 'formatweight' in reward settings; known keys: .*format_weight"
    with pytest.raises(TypeError, match=expected):
        RewardConfig.from_mapping({"formatweight": 1.0})
    config = RewardConfig.from_mapping({"format_weight": 1, "custom_verifier": "closed"})
    assert config.format_weight == 1.0 and isinstance(config.format_weight, float)
    assert config.verifier == "closed"


def test_unknown_answer_type_is_a_clear_error():
    with pytest.raises(ValueError, match="extra_info\\['answer_type'\\] is 'multiple choise'"):
        compute_score(GOOD, "B", {"answer_type": "multiple choise"})


def test_extra_info_must_be_a_mapping():
    with pytest.raises(TypeError, match="extra_info must be a mapping"):
        compute_score(GOOD, "B", ["choice"])


# ---- properties: arbitrary model output, ground truths and metadata never break training ----

FRAGMENTS = st.sampled_from(
    ["<think>", "</think>", "<answer>", "</answer>", "<ANSWER >", "A", "B", "yes", "no", "4.5", " cm", "mm",
     "\\boxed{", "}", " ", "\n", "the answer is ", "Answer:", "1e308", "9" * 60, "**", "-", "/", "%", "and"]
)
RESPONSES = st.one_of(st.text(max_size=400), st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=40)
                      .map("".join))
TRUTHS = st.one_of(st.text(max_size=40), st.sampled_from(["B", "yes", "no", "4.5 cm", "12%", "left lung"]),
                   st.integers(), st.floats(), st.none())
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
EXTRA_INFOS = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            # an unknown answer_type is a data error (see test_unknown_answer_type_is_a_clear_error)
            "answer_type": st.sampled_from(
                ["choice", "closed", "numeric", "open", "CLOSED", "mcq", "yes/no", "", None]
            ),
            "options": st.one_of(st.dictionaries(st.text(max_size=3), SCALARS, max_size=6),
                                 st.lists(SCALARS, max_size=4), SCALARS),
            "question": SCALARS,
            "numeric_rtol": st.floats(0, MAX_ROW_RTOL),
        },
    ),
)
PENALISED = RewardConfig(length_penalty=1.0, length_target=5, length_max=50, repetition_penalty=1.0)


@given(response=RESPONSES, ground_truth=TRUTHS, extra_info=EXTRA_INFOS, penalised=st.booleans())
def test_property_never_raises_components_bounded(response, ground_truth, extra_info, penalised):
    config = PENALISED if penalised else None
    start = time.perf_counter()
    scores = compute_score(response, ground_truth, extra_info, config)
    elapsed = time.perf_counter() - start
    assert tuple(scores) == SCORE_KEYS
    assert all(type(v) is float and math.isfinite(v) for v in scores.values())
    for key in ("acc", "format", "length_penalty", "repetition_penalty", "answer_found"):
        assert 0.0 <= scores[key] <= 1.0, key
    weights = config or RewardConfig()
    expected = (weights.acc_weight * scores["acc"] + weights.format_weight * scores["format"]
                - scores["length_penalty"] - scores["repetition_penalty"])
    assert scores["score"] == pytest.approx(expected)
    assert elapsed < 2.0  # generous: a blow-up (regex backtracking, big numbers) takes far longer
