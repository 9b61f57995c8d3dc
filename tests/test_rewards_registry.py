"""Verifier registry: decorator, duplicates, unknown names, dotted paths and real entry points."""

from __future__ import annotations

import sys
import textwrap

import pytest

from rewards import dispatch, registry
from rewards.registry import VerifierError, get_verifier, list_verifiers, register_verifier
from rewards.score import RewardConfig, compute_score

BUILTINS = {"choice", "closed", "numeric", "open"}


@pytest.fixture(autouse=True)
def isolated_registry(monkeypatch):
    """Each test sees the built-ins plus only what it registers itself."""
    registry._load_all()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_PROBLEMS", dict(registry._PROBLEMS))
    monkeypatch.setattr(registry, "_loaded", False)
    dispatch.resolve_trusted.cache_clear()
    yield
    dispatch.resolve_trusted.cache_clear()


def exact_match(answer: str, ground_truth: str, extra_info) -> float:
    """Exact string equality (test verifier)."""
    return float(answer == ground_truth)


def test_builtins_are_registered_with_descriptions():
    verifiers = list_verifiers()
    assert BUILTINS <= set(verifiers)
    assert all(callable(fn) for fn in verifiers.values())


def test_decorator_registers_and_returns_the_function():
    decorated = register_verifier("test_exact")(exact_match)
    assert decorated is exact_match
    assert get_verifier("test_exact") is exact_match
    assert "test_exact" in list_verifiers()
    scores = compute_score("<answer>x</answer>", "x", {}, RewardConfig(verifier="test_exact"))
    assert scores["acc"] == 1.0


def test_duplicate_name_is_an_error_naming_the_holder():
    register_verifier("test_dup")(exact_match)
    register_verifier("test_dup")(exact_match)  # the same function again is harmless (module reloads)
    with pytest.raises(VerifierError, match=r"'test_dup' is already registered \(.*exact_match\)"):
        register_verifier("test_dup")(lambda a, g, e: 0.0)
    with pytest.raises(VerifierError, match="already registered"):
        register_verifier("choice")(exact_match)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(VerifierError) as info:
        get_verifier("chioce")
    message = str(info.value)
    assert "unknown verifier 'chioce'" in message
    assert all(name in message for name in BUILTINS)


def test_unknown_verifier_in_config_or_row_fails_loudly():
    with pytest.raises(VerifierError, match="unknown verifier 'nope'"):
        compute_score("<answer>A</answer>", "A", {}, RewardConfig(verifier="nope"))
    with pytest.raises(VerifierError, match="unknown verifier 'nope'"):
        compute_score("<answer>A</answer>", "A", {"verifier": "nope"})


@pytest.mark.parametrize("path", [f"{__name__}:exact_match", f"{__name__}.exact_match"])
def test_dotted_paths_load_a_function_from_config_only(path):
    assert get_verifier(path) is exact_match
    assert compute_score("<answer>yes</answer>", "yes", {}, RewardConfig(verifier=path))["acc"] == 1.0
    with pytest.raises(VerifierError, match="is a dotted path, which a data row may not name"):
        compute_score("<answer>yes</answer>", "yes", {"verifier": path})


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("no_such_module_xyz:fn", "cannot load verifier 'no_such_module_xyz:fn'"),
        (f"{__name__}:missing", "cannot load verifier"),
        (f"{__name__}:BUILTINS", "is not callable"),
        (":fn", "is not a dotted path"),
    ],
)
def test_bad_dotted_paths_say_what_is_wrong(path, message):
    with pytest.raises(VerifierError, match=message):
        get_verifier(path)


def _install_plugin(tmp_path, monkeypatch, entry_point: str) -> None:
    """A real installed distribution: a module plus a ``*.dist-info`` whose ``entry_points.txt`` holds
    ``entry_point`` in the ``medrlvr.verifiers`` group."""
    (tmp_path / "medrlvr_demo_plugin.py").write_text(textwrap.dedent(PLUGIN_SOURCE))
    dist_info = tmp_path / "medrlvr_demo_plugin-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: medrlvr-demo-plugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[{registry.ENTRY_POINT_GROUP}]\n{entry_point}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "medrlvr_demo_plugin", raising=False)


PLUGIN_SOURCE = '''
    def shout(answer, ground_truth, extra_info):
        """Case-insensitive exact match (plugin verifier)."""
        return float(answer.upper() == ground_truth.upper())
'''


def test_entry_point_plugin_is_found_listed_and_used(tmp_path, monkeypatch):
    _install_plugin(tmp_path, monkeypatch, "shout = medrlvr_demo_plugin:shout")
    verifiers = list_verifiers()
    assert verifiers["shout"].__module__ == "medrlvr_demo_plugin"
    assert BUILTINS <= set(verifiers)
    scores = compute_score("<answer>Pneumonia</answer>", "PNEUMONIA", {"verifier": "shout"})
    assert scores["acc"] == 1.0


def test_broken_entry_point_is_skipped_and_named_when_asked_for(tmp_path, monkeypatch):
    _install_plugin(tmp_path, monkeypatch, "broken = medrlvr_demo_plugin:nothing")
    assert get_verifier("choice") is list_verifiers()["choice"]  # the others still work
    assert "broken" not in list_verifiers()
    with pytest.raises(VerifierError, match="'broken' = 'medrlvr_demo_plugin:nothing'.*failed to load"):
        get_verifier("broken")


def test_entry_point_cannot_replace_a_builtin(tmp_path, monkeypatch):
    _install_plugin(tmp_path, monkeypatch, "choice = medrlvr_demo_plugin:shout")
    assert list_verifiers()["choice"].__module__ == "rewards.choice"
    problem = registry.plugin_problems()["choice"]
    assert "rewards.choice" in problem and "medrlvr_demo_plugin:shout" in problem
