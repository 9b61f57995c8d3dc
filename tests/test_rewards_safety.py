"""Hostile model output and hostile rows: nothing is imported or executed, no blow-up; acc 0, quickly."""

from __future__ import annotations

import builtins
import contextlib
import importlib
import math
import re
import time
from collections.abc import Iterator
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.batch import score_batch
from rewards.registry import VerifierError
from rewards.row_settings import MAX_ROW_RTOL, RowSettingError
from rewards.score import RewardConfig, compute_score
from rewards.verl_adapter import compute_score as verl_compute_score

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


# ---- a data row cannot make the reward import or run code, nor loosen a verifier past its cap ----

EXPLOIT_PATHS = ["cProfile:run", "cProfile.run", "os:system", "os.system", "subprocess:run", "builtins:eval",
                 "runpy:run_path", "pdb:run", "profile:run", "timeit:timeit", "code:interact"]
NAME = r"[a-z_][a-z0-9_]{0,8}"
DOTTED = st.from_regex(rf"{NAME}(\.{NAME}){{0,3}}[:.]{NAME}", fullmatch=True)


@pytest.fixture
def imports_recorded(monkeypatch) -> list[str]:
    """``importlib.import_module`` records every module name it is asked for."""
    asked: list[str] = []
    real = importlib.import_module

    def record(name, *args, **kwargs):
        asked.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", record)
    return asked


def _planting(marker) -> str:
    """A response whose answer, run as Python, creates ``marker``."""
    return f"<think>t</think><answer>open({str(marker)!r}, 'w').write('pwned')</answer>"


@pytest.mark.parametrize("path", EXPLOIT_PATHS)
def test_a_row_naming_a_dotted_path_is_refused_and_runs_nothing(path, tmp_path, imports_recorded):
    marker = tmp_path / "pwned"
    with pytest.raises(VerifierError, match=rf"extra_info\['verifier'\]='{path}' is a dotted path") as info:
        compute_score(_planting(marker), "x", {"verifier": path})
    assert "reward.custom_verifier" in str(info.value)  # says where a dotted path belongs
    assert not marker.exists()
    assert imports_recorded == []


def test_the_issue_exploit_through_verl_and_batch_creates_no_file(tmp_path, imports_recorded):
    marker = tmp_path / "pwned"
    row = {"response": _planting(marker), "ground_truth": "x", "extra_info": {"verifier": "cProfile:run"}}
    with pytest.raises(VerifierError):
        verl_compute_score("synth", row["response"], "x", row["extra_info"])
    [result] = score_batch([row], workers=0)
    assert result.error is not None and "dotted path" in result.error
    assert result.scores["acc"] == 0.0
    assert not marker.exists()
    assert imports_recorded == []


@given(path=DOTTED)
def test_property_no_generated_dotted_path_in_a_row_is_imported(path):
    with patch.object(importlib, "import_module", side_effect=AssertionError("imported")) as imported:
        with pytest.raises(VerifierError, match="a data row may name only a registered verifier"):
            compute_score("<answer>x</answer>", "x", {"verifier": path})
    imported.assert_not_called()


@pytest.mark.parametrize("name", ["chioce", "Choice", "choice ", 3, ["choice"], {"a": 1}])
def test_a_row_naming_no_registered_verifier_is_a_loud_error(name):
    with pytest.raises(VerifierError, match="a data row may name only a registered verifier: choice"):
        compute_score("<answer>B</answer>", "B", {"verifier": name})


def test_the_config_may_still_name_a_dotted_path():
    config = RewardConfig(verifier="rewards.closed:verify_closed")
    assert compute_score("<answer>yes</answer>", "yes", {}, config)["acc"] == 1.0


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("numeric_rtol", 1e308, r"\[0, 0.05\]"),
        ("numeric_rtol", 0.0501, r"\[0, 0.05\]"),
        ("numeric_rtol", -1e-3, r"\[0, 0.05\]"),
        ("numeric_rtol", math.nan, r"\[0, 0.05\]"),
        ("numeric_rtol", math.inf, r"\[0, 0.05\]"),
        ("numeric_rtol", "0.01", r"\[0, 0.05\]"),
        ("numeric_rtol", True, r"\[0, 0.05\]"),
        ("numeric_rtol", [0.01], r"\[0, 0.05\]"),
        ("numeric_atol", 1.0, r"\[0, 1e-06\]"),
        ("numeric_atol", -1.0, r"\[0, 1e-06\]"),
        ("open_metric", "bleu", "one of 'f1', 'recall', 'exact'"),
        ("open_metric", 1, "one of 'f1', 'recall', 'exact'"),
    ],
)
def test_out_of_range_row_settings_are_refused_naming_key_value_and_range(key, value, allowed):
    with pytest.raises(RowSettingError) as info:
        compute_score("<answer>4.5 cm</answer>", "4.5 cm", {"answer_type": "numeric", key: value})
    message = str(info.value)
    assert f"extra_info[{key!r}]={value!r}" in message
    assert re.search(allowed, message), message
    assert f"reward.{key}" in message  # what to do instead


@given(rtol=st.floats(allow_nan=True, allow_infinity=True))
def test_property_row_rtol_is_accepted_exactly_inside_its_cap(rtol):
    info = {"answer_type": "numeric", "numeric_rtol": rtol}
    if 0 <= rtol <= MAX_ROW_RTOL:
        assert compute_score("<answer>4.5 cm</answer>", "4.5 cm", info)["acc"] == 1.0
    else:
        with pytest.raises(RowSettingError, match="numeric_rtol"):
            compute_score("<answer>4.5 cm</answer>", "4.5 cm", info)


def test_a_capped_tolerance_cannot_make_a_wrong_number_right():
    info = {"answer_type": "numeric", "numeric_rtol": MAX_ROW_RTOL}
    assert compute_score("<answer>9 cm</answer>", "4.5 cm", info)["acc"] == 0.0
    assert compute_score("<answer>4.5 cm</answer>", "4.5 cm", {**info, "numeric_rtol": None})["acc"] == 1.0
