"""Scoring: the training verifiers on every row, and MedEvalKit's pitfalls that must not come back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.score import RewardConfig, compute_score
from rlvr.data.synth import TASKS, make_sample
from rlvr.eval.loading import EvalItem
from rlvr.eval.scoring import benchmark_metrics, judged_accuracy, score_item
from rlvr.eval.stats import bootstrap_ci, paired_bootstrap

CONFIG = RewardConfig()
OPTIONS = {"A": "Pneumonia", "B": "Pneumothorax", "C": "Effusion", "D": "Atelectasis"}


def choice_item(answer: str = "A") -> EvalItem:
    return EvalItem(id="q", question="What is shown?", answer=answer, answer_type="choice", options=OPTIONS)


def closed_item(question: str, answer: str) -> EvalItem:
    return EvalItem(id="q", question=question, answer=answer, answer_type="closed")


def open_item(answer: str) -> EvalItem:
    return EvalItem(id="q", question="Where is the lesion?", answer=answer, answer_type="open")


NO_ANSWER = st.one_of(
    st.sampled_from(["", " ", "\n\n", "<answer></answer>", "<answer> </answer>", "I cannot answer this.",
                     "Sorry, I am not able to determine that from the image.", "<think>hmm</think>",
                     "I don't know", "None of the above can be determined."]),
    st.text(alphabet=" \t\n.,;:!?-", max_size=40),
)  # fmt: skip


@given(NO_ANSWER)
def test_an_empty_or_refused_answer_never_scores_on_option_a(response):
    assert score_item(choice_item("A"), response, "exact", CONFIG)["acc"] == 0.0


@pytest.mark.parametrize("letter", list("ABCD"))
@pytest.mark.parametrize("form", ["{l}", "Option {l}", "option ({l})", "({l})", "The answer is {l}.",
                                  "<answer>{l}</answer>", "Answer: {l}"])  # fmt: skip
def test_a_stated_letter_scores_on_its_own_key_only(letter, form):
    response = form.format(l=letter)
    for key in "ABCD":
        assert score_item(choice_item(key), response, "exact", CONFIG)["acc"] == float(key == letter), (
            response,
            key,
        )


@pytest.mark.parametrize(
    ("question", "response", "truth"),
    [
        ("Is there a nodule?", "Yes, a nodule is seen", "yes"),
        ("Is there a nodule?", "Yes, a nodule is seen in the right upper lobe.", "yes"),
        ("Is there a nodule?", "No nodule is seen.", "no"),
        ("Is the heart size normal?", "normal", "yes"),
        ("Is the heart size normal?", "Yes", "yes"),
        ("Is there an abnormality?", "No", "no"),
    ],
)
def test_yes_no_is_read_by_meaning_not_by_substring(question, response, truth):
    assert score_item(closed_item(question, truth), response, "exact", CONFIG)["acc"] == 1.0
    other = "no" if truth == "yes" else "yes"
    assert score_item(closed_item(question, other), response, "exact", CONFIG)["acc"] == 0.0


def test_open_answers_report_accuracy_f1_and_recall_apart():
    padded = score_item(open_item("right lung"), "right lung and heart", "exact", CONFIG)
    assert padded["acc"] == 0.0  # not the same terms: exact accuracy says no ...
    assert padded["recall"] == 1.0 and 0 < padded["f1"] < 1  # ... f1 is not recall
    exact = score_item(open_item("right lung"), "The right lung", "exact", CONFIG)
    assert exact["acc"] == 1.0 and exact["f1"] == 1.0
    empty = score_item(open_item("right lung"), "", "exact", CONFIG)  # no crash on an empty answer
    assert empty["acc"] == 0.0 and empty["f1"] == 0.0 and not empty["answer_found"]


def test_open_accuracy_is_divided_by_the_row_count_once():
    records = [
        {"acc": 1.0, "answer_found": True, "answer_type": "open", "f1": 1.0, "recall": 1.0},
        {"acc": 0.0, "answer_found": True, "answer_type": "open", "f1": 0.5, "recall": 1.0},
        {"acc": 1.0, "answer_found": True, "answer_type": "closed"},
        {"acc": 0.0, "answer_found": False, "answer_type": "closed", "finish_reason": "length"},
    ]
    metrics = benchmark_metrics(records, 200, 0)
    assert metrics["n"] == 4 and metrics["accuracy"] == 0.5
    assert metrics["open"] == {"n": 2, "accuracy": 0.5, "token_f1": 0.75, "token_recall": 1.0}
    assert metrics["unparseable_rate"] == 0.25 and metrics["truncated_rate"] == 0.25
    assert metrics["breakdowns"]["answer_type"]["closed"] == {"n": 2, "accuracy": 0.5}


def test_closed_rows_are_counted_once_with_a_judge_and_judge_errors_are_not_wrong():
    records = [
        {"acc": 1.0, "answer_type": "closed"},
        {"acc": 0.0, "answer_type": "open", "judge": "correct"},
        {"acc": 0.0, "answer_type": "open", "judge": "judge_error"},
        {"acc": 1.0, "answer_type": "open", "judge": "incorrect"},
    ]
    assert judged_accuracy(records) == {"accuracy": 2 / 3, "n": 3, "judge_errors": 1}


RESPONSES = st.one_of(
    st.sampled_from(["<think>I check the image.</think><answer>yes</answer>", "<answer>no</answer>", "yes",
                     "<answer>B</answer>", "<think>x</think><answer>2</answer>", "upper left", "A", ""]),
    st.text(max_size=80),
)  # fmt: skip


@given(index=st.integers(0, 400), response=RESPONSES)
def test_eval_accuracy_is_the_training_acc_on_the_synthetic_rows(index, response):
    sample = make_sample(0, "val", index, 56, TASKS)
    item = EvalItem(id="s", question=sample.question, answer=sample.answer, answer_type=sample.answer_type,
                    options=sample.options)  # fmt: skip
    training_info = {
        "answer_type": sample.answer_type,
        "options": sample.options,
        "question": sample.question,
    }
    expected = compute_score(response, sample.answer, training_info)["acc"]
    assert score_item(item, response, "f1", CONFIG)["acc"] == expected


def test_bootstrap_interval_brackets_the_mean_and_is_reproducible():
    values = [1.0] * 70 + [0.0] * 30
    low, high = bootstrap_ci(values, 500, 0)
    assert low < 0.7 < high and 0.55 < low and high < 0.85
    assert bootstrap_ci(values, 500, 0) == (low, high)


def test_paired_bootstrap_finds_a_real_improvement_and_not_a_null_one():
    before = [0.0] * 60 + [1.0] * 40
    after = [1.0] * 30 + [0.0] * 30 + [1.0] * 40
    better = paired_bootstrap(before, after, 2000, 0)
    assert better.delta == pytest.approx(0.3) and better.p_value < 0.01 and better.ci_low > 0
    same = paired_bootstrap(before, before, 2000, 0)
    assert same.delta == 0 and same.p_value == 1.0
    with pytest.raises(ValueError, match="equal lengths"):
        paired_bootstrap([1.0], [1.0, 0.0])
