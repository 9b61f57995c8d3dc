"""The red-team holdout: hostile and paraphrased responses, each a real assertion.

Each row of ``tests/data/verifier_holdout.jsonl`` names what its response must earn:
``right`` (acc 1), ``wrong``/``hack`` (acc 0), ``<=X`` (acc at most X) or ``error``
(the row itself is refused: a verifier it may not name, a setting out of range).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewards import compute_score
from rewards.registry import VerifierError
from rewards.row_settings import RowSettingError

HOLDOUT = Path(__file__).parent / "data" / "verifier_holdout.jsonl"
CASES = [json.loads(line) for line in HOLDOUT.read_text(encoding="utf-8").splitlines() if line]


def _case_id(case: dict) -> str:
    return f"{case['family']}:{case['note'][:60]}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_holdout_case(case: dict) -> None:
    expected = case["expected"]
    if expected == "error":
        with pytest.raises((VerifierError, RowSettingError)):
            compute_score(case["response"], case["ground_truth"], case["extra_info"])
        return
    acc = compute_score(case["response"], case["ground_truth"], case["extra_info"])["acc"]
    if expected == "right":
        assert acc == 1, f"a correct answer scored {acc}"
    elif expected in ("wrong", "hack"):
        assert acc == 0, f"a {expected} answer scored {acc}"
    else:
        assert expected.startswith("<="), f"unknown expectation {expected!r}"
        assert acc <= float(expected[2:]), f"scored {acc}, above the bound {expected}"


def test_holdout_covers_every_family() -> None:
    families = {case["family"] for case in CASES}
    assert {"choice", "closed", "open", "numeric", "hack", "chinese", "units"} <= families
    assert len(CASES) >= 400
