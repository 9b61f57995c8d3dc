"""Hostile model output: nothing is executed, no big-number blow-up, no regex blow-up; acc 0, quickly."""

from __future__ import annotations

import builtins
import contextlib
import time
from collections.abc import Iterator

import pytest

from rewards.score import compute_score

TYPES = {
    "choice": ("B", {"answer_type": "choice", "options": {"A": "lung", "B": "liver", "C": "heart"}}),
    "closed": ("yes", {"answer_type": "closed", "options": {}}),
    "numeric": ("4.5 cm", {"answer_type": "numeric", "options": {}}),
    "open": ("left lower lobe consolidation", {"answer_type": "open", "options": {}}),
}


def _attacks(marker: str) -> dict[str, str]:
    return {
        "power tower": "<answer>9**9**9**9**9**9**9</answer>",
        "latex power tower": "<answer>\\boxed{10^{10^{10^{10^{10}}}}}</answer>",
        "50,000 digits": "<answer>" + "7" * 50_000 + "</answer>",
        "huge exponent": "<answer>1e999999999 cm</answer>",
        "code": f"<answer>__import__('os').system('touch {marker}')</answer>",
        "lambda": f"<answer>(lambda: __import__('os').system('touch {marker}'))()</answer>",
        "nested tags": "<answer>" * 20_000 + "x" + "</answer>" * 20_000,
        "unclosed tags": "<answer><think>" * 30_000,
        "huge response": "<think>" + "lorem ipsum " * 500_000 + "</think><answer>zzz</answer>",
        "backtracking bait": "<answer>" + "1." * 20_000 + "!" + "</answer>",
        "all letters": "<answer>A B C D E F G H I J K L M N O P Q R S T U V W X Y Z</answer>",
    }


@contextlib.contextmanager
def evaluators_trapped() -> Iterator[list[str]]:
    """While active, eval/exec/compile and sympy's parsers record the attempt and raise."""
    hits: list[str] = []
    targets = [(builtins, name) for name in ("eval", "exec", "compile")]
    try:
        import sympy
        import sympy.parsing.sympy_parser as sympy_parser

        targets += [(sympy, "sympify"), (sympy_parser, "parse_expr")]
    except ImportError:
        pass
    saved = [(owner, name, getattr(owner, name)) for owner, name in targets]

    def trap(name: str):
        def refuse(*args, **kwargs):
            hits.append(name)
            raise RuntimeError(f"{name} called while scoring model output")

        return refuse

    for owner, name in targets:
        setattr(owner, name, trap(name))
    try:
        yield hits
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


@pytest.fixture(scope="module", autouse=True)
def warm_up():
    """Lazy imports (which compile) happen before any trap is set."""
    for gt, info in TYPES.values():
        compute_score("<answer>warm up</answer>", gt, info)


@pytest.mark.parametrize("answer_type", sorted(TYPES))
def test_attacks_score_zero_quickly_and_execute_nothing(answer_type, tmp_path):
    marker = tmp_path / "pwned"
    gt, info = TYPES[answer_type]
    for name, response in _attacks(str(marker)).items():
        start = time.perf_counter()
        with evaluators_trapped() as hits:
            scores = compute_score(response, gt, info)
        elapsed = time.perf_counter() - start
        assert hits == [], (answer_type, name)
        assert scores["acc"] == 0.0, (answer_type, name)
        assert elapsed < 2.0, (answer_type, name, elapsed)  # generous on a shared CPU; blow-ups take minutes
    assert not marker.exists()


def test_numeric_attack_against_a_huge_ground_truth_is_bounded():
    start = time.perf_counter()
    with evaluators_trapped() as hits:
        scores = compute_score(f"<answer>{'9' * 50_000}</answer>", "9" * 50_000, {"answer_type": "numeric"})
    assert hits == []
    assert scores["acc"] in (0.0, 1.0)
    assert time.perf_counter() - start < 2.0


def test_the_trap_itself_catches_evaluation():
    with evaluators_trapped() as hits, pytest.raises(RuntimeError, match="eval called"):
        eval("1 + 1")
    assert hits == ["eval"]
    assert eval("1 + 1") == 2  # restored afterwards
