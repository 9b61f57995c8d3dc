"""score_batch: order kept, a crash or timeout costs one row (worker killed and replaced), never the rest."""

from __future__ import annotations

import os
import threading
import time

import pytest

from rewards.batch import BatchResult, score_batch
from rewards.registry import register_verifier
from rewards.score import SCORE_KEYS, compute_score

CHOICE = {"answer_type": "choice", "options": {"A": "lung", "B": "liver"}}


@register_verifier("test_misbehaving")
def misbehaving_verifier(answer, ground_truth, extra_info):
    """Sleeps, spins, or kills its own process, as the answer asks; else exact match."""
    if answer == "sleep":
        time.sleep(60)
    if answer == "spin":
        while True:
            pass
    if answer == "exit":
        os._exit(3)
    return float(answer == ground_truth)


def _row(answer: str, gt: str = "B", info: dict | None = None) -> dict:
    return {
        "response": f"<think>t</think><answer>{answer}</answer>",
        "ground_truth": gt,
        "extra_info": info if info is not None else {"verifier": "test_misbehaving"},
    }


def _assert_scored_like_compute_score(row: dict, result: BatchResult) -> None:
    assert result.error is None
    assert result.scores == compute_score(row["response"], row["ground_truth"], row["extra_info"])


def test_pool_keeps_order_and_isolates_failures():
    good = [_row("B"), _row("A"), _row("B", info=CHOICE), _row("A", info=CHOICE)] * 2
    rows = [*good[:3], _row("sleep"), *good[3:5], _row("exit"), {"response": "x"}, *good[5:],
            {**_row("B"), "extra_info": "not a dict"},
            {**_row("B"), "extra_info": {"lock": threading.Lock()}}]
    start = time.monotonic()
    results = score_batch(rows, workers=2, timeout_s=2.0)
    assert time.monotonic() - start < 40  # the 60 s sleep was cut off
    assert len(results) == len(rows)
    errors = {i: r.error for i, r in enumerate(results) if r.error}
    assert set(errors) == {3, 6, 7, 11, 12}
    assert "timed out after 2s (worker killed)" in errors[3]
    assert "worker process died (exit code 3)" in errors[6]
    assert "no 'ground_truth' key" in errors[7]
    assert "extra_info must be a mapping" in errors[11]
    assert "cannot be sent to a worker" in errors[12]
    for i in errors:
        assert results[i].scores == dict.fromkeys(SCORE_KEYS, 0.0)
    for row, result in zip(rows, results, strict=True):
        if result.error is None:
            _assert_scored_like_compute_score(row, result)
    assert [r.verifier for r in results[:3]] == ["test_misbehaving"] * 2 + ["choice"]


def test_in_process_timeout_stops_pure_python_spin():
    rows = [_row("B"), _row("spin"), _row("B", info=CHOICE)]
    results = score_batch(rows, workers=0, timeout_s=0.5)
    assert results[1].error == "verifier 'test_misbehaving' timed out after 0.5s"
    assert results[1].kind == "timeout"
    _assert_scored_like_compute_score(rows[0], results[0])
    _assert_scored_like_compute_score(rows[2], results[2])


def test_small_batches_default_to_in_process():
    rows = [_row("B", info=CHOICE), _row("C", info=CHOICE)]
    results = score_batch(rows)
    assert [r.scores["acc"] for r in results] == [1.0, 0.0]
    assert score_batch([]) == []


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"timeout_s": 0}, "timeout_s"), ({"workers": -1}, "workers")]
)
def test_bad_arguments_are_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        score_batch([_row("B")], **kwargs)
