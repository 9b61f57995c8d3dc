"""Console lines, signal handling and the resume rule, on their own (the CLI tests run them end to end)."""

from __future__ import annotations

import os
import signal
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from omegaconf import OmegaConf

from rlvr.cli import main as dispatcher
from rlvr.console import PLAIN_OUTPUT_ENV, plain_output_env, progress, step_line
from rlvr.interrupts import sigterm_as_interrupt, stop_on_signals
from rlvr.recipe.run_config import (
    CONFIG_FILE,
    LEGACY_CONFIG_FILE,
    VERL_LATEST_CHECKPOINT,
    changed_settings,
    resume_conflict,
    save_config,
    saved_config_path,
)

KEYS = [
    "reward/mean",
    "reward/acc",
    "reward/format",
    "reward/errors",
    "reward/timeouts",
    "val/acc",
    "actor/kl",
]


@given(st.dictionaries(st.sampled_from(KEYS), st.floats(allow_nan=False, allow_infinity=False), min_size=1))
def test_property_step_lines_are_plain_and_name_train_and_val_apart(metrics):
    line = step_line(7, metrics, KEYS)
    assert line.startswith("step 7: ") and "\r" not in line and "\x1b" not in line
    names = [item.split("=")[0] for item in line.removeprefix("step 7: ").split()]
    assert len(names) == len(set(names)) == len(metrics)  # no two metrics share a name
    assert ("train/acc" in names) == ("reward/acc" in metrics)
    assert ("val/acc" in names) == ("val/acc" in metrics)
    assert "acc" not in names


def test_off_a_terminal_there_is_no_bar_and_ray_prints_no_colours(capsys):
    assert plain_output_env() == PLAIN_OUTPUT_ENV  # pytest's captured stderr is no terminal
    bar = progress(10, 0, "rl")
    bar.update(1)
    bar.set_postfix(**{"train/acc": 0.5})
    bar.close()
    assert capsys.readouterr().err == ""


def test_first_signal_asks_to_stop_second_abandons_and_handlers_come_back():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    notices = []
    with stop_on_signals(notices.append) as stop:
        assert stop.received is None
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.received == "SIGTERM" and "finishing this step" in notices[0]
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_sigterm_is_an_interrupt_for_every_command():
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == previous


SETTINGS = {
    "algorithm.kl_coef": st.floats(0, 1),
    "rollout.n": st.integers(1, 16),
    "trainer.total_training_steps": st.integers(1, 1000),
    "logger.wandb": st.booleans(),
    "reward.max_error_rate": st.floats(0, 1),
    "cluster.address": st.sampled_from([None, "auto", "head:6379"]),
    "model.path": st.sampled_from(["tiny", "/ckpt/a", "/ckpt/b"]),
}
LEARNING = {"algorithm.kl_coef", "rollout.n", "model.path"}


def nested(flat: dict) -> dict:
    out: dict = {}
    for key, value in flat.items():
        group, leaf = key.split(".")
        out.setdefault(group, {})[leaf] = value
    return out


@given(old=st.fixed_dictionaries(SETTINGS), new=st.fixed_dictionaries(SETTINGS))
def test_property_only_settings_that_change_learning_count_as_changes(old, new):
    changes = changed_settings(nested(old), nested(new))
    expected = sorted(k for k in LEARNING if old[k] != new[k])
    assert [key for key, _, _ in changes] == expected
    assert all((was, now) == (old[k], new[k]) for k, was, now in changes)


def run_cfg(output_dir, resume="auto", kl=0.001, steps=10):
    return OmegaConf.create({
        "recipe": "r", "dry_run": False,
        "algorithm": {"kl_coef": kl}, "rollout": {"n": 8},
        "trainer": {"output_dir": str(output_dir), "resume": resume, "total_training_steps": steps},
    })  # fmt: skip


def test_resume_refuses_a_changed_config_unless_forced(tmp_path):
    save_config(run_cfg(tmp_path), tmp_path)
    assert resume_conflict(run_cfg(tmp_path, kl=0.5)) is None  # no checkpoint yet: nothing to resume
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / VERL_LATEST_CHECKPOINT).write_text("3")
    conflict = resume_conflict(run_cfg(tmp_path, kl=0.5, steps=20))
    assert "algorithm.kl_coef: 0.001 -> 0.5" in conflict and "trainer.resume=force" in conflict
    assert "total_steps" not in conflict  # training longer is what a resume is for
    assert resume_conflict(run_cfg(tmp_path, steps=20)) is None
    assert resume_conflict(run_cfg(tmp_path, resume="force", kl=0.5)) is None
    assert resume_conflict(run_cfg(tmp_path, resume="never", kl=0.5)) is None


def test_one_config_file_per_run_and_old_runs_still_read(tmp_path):
    OmegaConf.save(run_cfg(tmp_path), tmp_path / LEGACY_CONFIG_FILE)
    assert saved_config_path(tmp_path) == tmp_path / LEGACY_CONFIG_FILE
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / VERL_LATEST_CHECKPOINT).write_text("3")
    assert "rollout.n: 8 -> 4" in resume_conflict(OmegaConf.merge(run_cfg(tmp_path), {"rollout": {"n": 4}}))
    save_config(run_cfg(tmp_path), tmp_path)
    assert saved_config_path(tmp_path) == tmp_path / CONFIG_FILE
    assert not (tmp_path / LEGACY_CONFIG_FILE).exists()


def test_verls_rollout_dependency_is_installed_with_the_project():
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    dependencies = text[text.index("dependencies = [") : text.index("\n]", text.index("dependencies = ["))]
    assert '"cachetools"' in dependencies  # `make` installs it: verl's rollout router imports it


@pytest.mark.parametrize("raised", [KeyboardInterrupt, None])
def test_every_command_exits_130_on_ctrl_c_or_sigterm(raised, monkeypatch, capsys):
    def command(argv: list[str]) -> int:
        if raised is not None:
            raise raised
        os.kill(os.getpid(), signal.SIGTERM)  # delivered while the command runs
        return 0

    module = types.ModuleType("loud_fake_command")
    module.main = command
    monkeypatch.setitem(sys.modules, "loud_fake_command", module)
    monkeypatch.setitem(dispatcher.COMMANDS, "fake", ("loud_fake_command", "a command that is interrupted"))
    assert dispatcher.main(["fake"]) == 130
    assert capsys.readouterr().err.strip() == "rlvr fake: interrupted"


def test_an_older_runs_config_without_newer_keys_still_resumes(tmp_path):
    old = OmegaConf.to_container(run_cfg(tmp_path))
    del old["rollout"]  # a group the schema did not have when that run started
    OmegaConf.save(OmegaConf.create(old), tmp_path / LEGACY_CONFIG_FILE)
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / VERL_LATEST_CHECKPOINT).write_text("3")
    assert resume_conflict(run_cfg(tmp_path)) is None
