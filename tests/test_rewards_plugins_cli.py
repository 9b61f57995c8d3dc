"""``rlvr rewards`` with broken, clashing and decorator-registered plugins, and with faulting verifiers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = textwrap.dedent(
    '''
    import time

    from rewards import register_verifier


    @register_verifier("shouty")
    def shouty(answer, ground_truth, extra_info):
        """Case-insensitive exact match (decorator-registered)."""
        return float(answer.upper() == ground_truth.upper())


    @register_verifier("crashy")
    def crashy(answer, ground_truth, extra_info):
        if answer == "boom":
            raise ZeroDivisionError("division by zero in crashy")
        return 1.0


    @register_verifier("nan_score")
    def nan_score(answer, ground_truth, extra_info):
        return float("nan")


    @register_verifier("sleepy")
    def sleepy(answer, ground_truth, extra_info):
        time.sleep(30)
        return 1.0
    '''
)
ENTRY_MODULE = '''
def plain(answer, ground_truth, extra_info):
    """A plain function for entry points."""
    return 1.0
'''


@pytest.fixture
def plugin_env(tmp_path) -> dict[str, str]:
    """A folder on PYTHONPATH with the modules ``loud_plugins`` (decorators) and ``loud_entry``, and an
    installed distribution whose entry points are one broken, one clashing with the built-in ``closed``,
    and one good."""
    (tmp_path / "loud_plugins.py").write_text(PLUGINS)
    (tmp_path / "loud_entry.py").write_text(ENTRY_MODULE)
    dist = tmp_path / "loud_plugins-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: loud-plugins\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[medrlvr.verifiers]\n"
        "broken = loud_plugins_missing:fn\n"
        "closed = loud_entry:plain\n"
        "fine = loud_entry:plain\n"
    )
    return {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}


def rewards_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rlvr", "rewards", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def write_rows(path: Path, verifier: str, answers: list[str]) -> Path:
    rows = [
        {"response": f"<think>t</think><answer>{a}</answer>", "ground_truth": "yes",
         "extra_info": {"verifier": verifier}}
        for a in answers
    ]  # fmt: skip
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def columns(stdout: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in stdout.splitlines() if line.strip()}


def test_list_survives_broken_and_clashing_plugins_and_names_them(plugin_env):
    done = rewards_cli(["list"], plugin_env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    listed = columns(done.stdout)
    assert listed["closed"][0] == "rewards.closed"  # the built-in keeps its name
    assert listed["fine"][0] == "loud_entry"
    assert "broken" not in listed
    broken = next(line for line in done.stderr.splitlines() if "'broken'" in line)
    assert "loud_plugins_missing:fn" in broken and "ModuleNotFoundError" in broken
    assert "loud-plugins" in broken  # the package it came from
    clash = next(line for line in done.stderr.splitlines() if "plugin 'closed'" in line)
    assert "rewards.closed" in clash and "loud_entry:plain" in clash  # both sources


def test_score_runs_past_a_broken_plugin_but_refuses_to_use_it(plugin_env, tmp_path):
    rows = write_rows(tmp_path / "rows.jsonl", "closed", ["yes", "no"])
    done = rewards_cli(["score", str(rows), "--workers", "0"], plugin_env)
    assert done.returncode == 0, done.stderr
    assert "verifier plugin 'broken' skipped" in done.stderr
    assert columns(done.stdout)["closed"][:2] == ["2", "0.500"]
    for asked in ("broken", "closed"):
        refused = rewards_cli(["score", str(rows), "--verifier", asked], plugin_env)
        assert refused.returncode == 2
        assert f"verifier {asked!r} cannot be used" in refused.stderr
        assert "Traceback" not in refused.stderr


def test_decorator_verifiers_reach_pool_workers_through_imports(plugin_env, tmp_path):
    rows = write_rows(tmp_path / "rows.jsonl", "shouty", ["YES", "no", "Yes"] * 4)
    done = rewards_cli(["score", str(rows), "--workers", "2", "--imports", "loud_plugins"], plugin_env)
    assert done.returncode == 0, done.stderr
    assert columns(done.stdout)["shouty"][:2] == ["12", "0.667"]
    missing = rewards_cli(["score", str(rows), "--workers", "0"], plugin_env)
    assert missing.returncode == 1 and "its module in reward.imports" in missing.stderr
    unimportable = rewards_cli(["score", str(rows), "--imports", "no_such_module_xyz"], plugin_env)
    assert unimportable.returncode == 2 and "cannot import module 'no_such_module_xyz'" in unimportable.stderr


def test_faults_are_counted_named_and_stop_above_the_rate(plugin_env, tmp_path):
    rows = write_rows(tmp_path / "rows.jsonl", "crashy", ["ok"] * 6 + ["boom"] * 2)
    done = rewards_cli(["score", str(rows), "--workers", "0", "--imports", "loud_plugins"], plugin_env)
    assert done.returncode == 1
    first = f"{rows}:7"
    assert f"{first}: error: verifier 'crashy' raised ZeroDivisionError" in done.stderr
    assert f"{rows}:8: skipped: not scored" in done.stderr  # 1 fault of 8 rows is over 1%: it stopped
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("rlvr rewards score: error: verifier faults in 1 of the first 7 of 8 rows")
    assert first in error and "division by zero in crashy" in error and "--max-error-rate=0.01" in error
    tolerant = ["--max-error-rate", "0.25", "--imports", "loud_plugins", "--workers", "0"]
    done = rewards_cli(["score", str(rows), *tolerant], plugin_env)
    assert done.returncode == 0, done.stderr
    table = columns(done.stdout)
    assert table["crashy"][:2] == ["8", "1.000"]  # the means leave the faulted rows out
    assert table["crashy"][4:6] == ["2", "0"]  # errors, timeouts


@pytest.mark.parametrize(("verifier", "column"), [("nan_score", 4), ("sleepy", 5)])
def test_nan_and_timeouts_are_counted_in_their_columns(plugin_env, tmp_path, verifier, column):
    rows = write_rows(tmp_path / "rows.jsonl", verifier, ["a", "b"])
    args = ["score", str(rows), "--imports", "loud_plugins", "--timeout", "0.5", "--max-error-rate", "1"]
    done = rewards_cli(args, plugin_env)
    assert done.returncode == 0, done.stderr
    assert columns(done.stdout)["all"][column] == "2"
