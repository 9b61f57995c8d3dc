"""Verifier faults are never wrong answers: counted by kind, named with verifier and row, and a stop rule."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.batch import score_batch
from rewards.faults import TooManyFaults, allowed_faults, check_max_error_rate, fault_report
from rewards.score import RewardConfig

HERE = __name__
GOOD = "<think>look</think><answer>{}</answer>"
BEHAVIOUR: dict[str, object] = {}  # answer text -> what the verifier returns (or raises)


def scripted_verifier(answer, ground_truth, extra_info):
    """Returns (or raises) whatever BEHAVIOUR holds for the answer; sleeps for 'sleep'."""
    if answer == "sleep":
        time.sleep(30)
    outcome = BEHAVIOUR[answer]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def sleepy_verifier(answer, ground_truth, extra_info):
    time.sleep(30)
    return 1.0


def _rows(answers: list[str]) -> list[dict]:
    return [{"response": GOOD.format(a), "ground_truth": "x", "extra_info": {}} for a in answers]


def _config(verifier: str = "scripted_verifier") -> RewardConfig:
    return RewardConfig(verifier=f"{HERE}:{verifier}")  # a dotted path: trusted config, not a data row


NON_SCORES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: math.isnan(v) or not 0 <= v <= 1),
    st.sampled_from([None, "1", "0.5", True, False, [1.0], {"score": 1.0}, 1j, b"1"]),
    st.integers().filter(lambda v: v not in (0, 1)),
)
EXCEPTIONS = st.sampled_from([ZeroDivisionError("boom"), KeyError("options"), ValueError("bad"),
                              RecursionError("deep"), TypeError("x"), RuntimeError("")])  # fmt: skip
SCORES = st.floats(min_value=0.0, max_value=1.0) | st.sampled_from([0, 1])


@given(outcomes=st.lists(st.one_of(NON_SCORES, EXCEPTIONS, SCORES), min_size=1, max_size=12))
def test_property_every_non_score_is_an_error_fault_and_every_score_a_verdict(outcomes):
    BEHAVIOUR.clear()
    answers = [f"a{i}" for i in range(len(outcomes))]
    BEHAVIOUR.update(zip(answers, outcomes, strict=True))
    results = score_batch(_rows(answers), _config(), workers=0, timeout_s=5)
    for outcome, result in zip(outcomes, results, strict=True):
        is_score = not isinstance(outcome, BaseException | bool) and isinstance(outcome, int | float)
        is_score = is_score and not math.isnan(outcome) and 0 <= outcome <= 1
        if is_score:
            assert result.kind is None and result.error is None
            assert result.scores["acc"] == pytest.approx(float(outcome))
        else:
            assert result.kind == "error"
            assert f"'{HERE}:scripted_verifier'" in result.error  # the fault names its verifier
            assert ("raised" in result.error) == isinstance(outcome, BaseException)
    report = fault_report(results)
    assert report.errors == sum(r.kind == "error" for r in results) and report.timeouts == 0


@pytest.mark.parametrize(("workers", "timeout_s"), [(0, 0.5), (2, 4.0)])  # a pool worker imports this file
def test_timeouts_are_their_own_kind_in_process_and_in_the_pool(workers, timeout_s):
    results = score_batch(_rows(["sleep", "ok"]), _config(), workers=workers, timeout_s=timeout_s)
    assert results[0].kind == "timeout"
    assert f"verifier '{HERE}:scripted_verifier' timed out after {timeout_s:g}s" in results[0].error
    assert results[1].kind == "error"  # 'ok' is not in BEHAVIOUR: KeyError, an error fault
    report = fault_report(results, ["f.jsonl:1", "f.jsonl:2"])
    assert (report.errors, report.timeouts, report.first[0]) == (1, 1, "f.jsonl:1")


@pytest.mark.parametrize("workers", [0, 2])
def test_a_hanging_verifier_stops_the_batch_after_the_allowed_faults(workers):
    results = score_batch(
        _rows(["x"] * 30), _config("sleepy_verifier"), workers=workers, timeout_s=0.3, max_faults=1
    )
    kinds = [r.kind for r in results]
    assert kinds.count("timeout") >= 2 and kinds.count("skipped") >= 20
    assert "stopped after more than 1 verifier fault" in results[-1].error
    report = fault_report(results)
    assert report.skipped == kinds.count("skipped") and report.exceeds(0.5)  # a stopped batch always exceeds


@given(rows=st.integers(1, 500), rate=st.floats(0, 1), data=st.data())
def test_property_stop_rule_is_rate_strictly_above_max_error_rate(rows, rate, data):
    faults = data.draw(st.integers(0, rows))
    report = fault_report([])
    report = type(report)(rows=rows, errors=faults, first=("train.parquet:row 7", "verifier 'v' raised X"))
    assert report.exceeds(rate) == (faults > allowed_faults(rows, rate))
    assert report.exceeds(rate) == (faults / rows > rate + 1e-9)
    if report.exceeds(rate):
        with pytest.raises(TooManyFaults) as info:
            report.check(rate)
        message = str(info.value)
        assert "train.parquet:row 7" in message and "verifier 'v' raised X" in message
        assert f"reward.max_error_rate={rate:g}" in message
    else:
        report.check(rate)


@pytest.mark.parametrize("value", [-0.1, 1.5, "0.1", None, True, math.nan])
def test_max_error_rate_must_be_a_fraction(value):
    with pytest.raises(ValueError, match="reward.max_error_rate"):
        check_max_error_rate(value)


def test_fault_free_batches_report_nothing():
    rows = [{"response": GOOD.format("yes"), "ground_truth": "yes", "extra_info": {"answer_type": "closed"}}]
    report = fault_report(score_batch(rows * 3, workers=0))
    assert (report.rows, report.faults, report.first, report.rate) == (3, 0, None, 0.0)
    report.check(0.0)
    assert not report.exceeds(0.0)


def test_imports_setting_is_validated():
    assert RewardConfig(imports=["json", "os.path"]).imports == ("json", "os.path")
    for bad in ("json", ["json; rm"], [3], ["a..b"]):
        with pytest.raises(ValueError, match="imports"):
            RewardConfig(imports=bad)
