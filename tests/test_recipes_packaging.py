"""Recipes ship inside the wheel and compose from an installed (non-editable) copy, from any directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("rlvr", "rewards", "base_training", "recipes")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """medrlvr's wheel installed into a bare folder (dependencies come from the test venv)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"  # build from a copy: setuptools writes build/ and egg-info next to the sources
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for package in PACKAGES:
        shutil.copytree(REPO / package, source / package, ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(root / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = (root / "dist").glob("medrlvr-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(root / "site"), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return root / "site"


def run_installed(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}  # ahead of the editable install of the repo
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_installed_copy_lists_and_dry_runs_recipes(installed, tmp_path):
    where = run_installed(
        installed, tmp_path, "-c", "import recipes, rlvr; print(recipes.__file__, rlvr.__file__)"
    )
    assert where.stdout.split() == [
        str(installed / "recipes/__init__.py"),
        str(installed / "rlvr/__init__.py"),
    ]
    listed = run_installed(installed, tmp_path, "-m", "rlvr", "recipes")
    assert "quickstart" in listed.stdout.split() and "medvqa_grpo_qwen2_5_vl_7b" in listed.stdout.split()
    # a group option from the installed copy (a hub-id model group is refused by the local backend)
    dry = run_installed(installed, tmp_path, "-m", "rlvr", "train", "recipe=quickstart", "algorithm=ppo",
                        "dry_run=true")  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "adv_estimator: gae" in dry.stdout
