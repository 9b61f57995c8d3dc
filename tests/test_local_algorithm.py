"""Local backend pieces that need no model: verl math as we call it, response masks, checkpoints, logs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rlvr.backends.local import tracking
from rlvr.backends.local.algorithm import (
    LossSettings,
    check_estimator,
    compute_advantages,
    outcome_rewards,
    policy_loss,
)
from rlvr.backends.local.checkpoint import (
    COMPLETE_MARKER,
    checkpoints_root,
    latest_checkpoint,
    save_checkpoint,
)
from rlvr.backends.local.rollout import pad_responses, resolve_engine
from rlvr.metrics import read_metric_rows


def _group_batch(scores: list[float], group_size: int, width: int = 5):
    mask = torch.ones(len(scores), width)
    mask[0, 3:] = 0  # one shorter response
    return (
        outcome_rewards(torch.tensor(scores), mask),
        mask,
        np.repeat(np.arange(len(scores) // group_size), group_size),
    )


@pytest.mark.parametrize("estimator", ["grpo", "rloo"])
def test_group_advantages_are_zero_mean_per_group(estimator):
    rewards, mask, groups = _group_batch([1, 0, 0, 1, 0.5, 0.5, 1, 0], group_size=4)
    advantages, _ = compute_advantages(estimator, rewards, mask, groups)
    per_response = advantages[:, 0]  # outcome advantages are constant over a response
    for group in range(2):
        assert per_response[groups == group].mean().abs() < 1e-5
    assert per_response[0] > 0 > per_response[1]  # the rewarded response is pushed up, the other down


def test_reinforce_plus_plus_is_whitened_over_the_batch():
    rewards, mask, groups = _group_batch([1, 0, 0, 1], group_size=2)
    advantages, _ = compute_advantages("reinforce_plus_plus", rewards, mask, groups)
    assert (advantages * mask).sum() / mask.sum() == pytest.approx(0, abs=1e-5)


def test_outcome_reward_sits_on_the_last_response_token():
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.float32)
    rewards = outcome_rewards(torch.tensor([2.0, 3.0]), mask)
    assert rewards.tolist() == [[0, 0, 2, 0], [0, 0, 0, 3]]


def test_unknown_estimator_lists_the_choices():
    with pytest.raises(ValueError, match="grpo, rloo, reinforce_plus_plus, gae"):
        check_estimator("remaxx")


def test_policy_loss_descends_towards_positive_advantages():
    log_prob = torch.zeros(2, 3, requires_grad=True)
    advantages = torch.tensor([[1.0] * 3, [-1.0] * 3])
    mask = torch.ones(2, 3)
    loss, metrics = policy_loss(
        log_prob,
        log_prob.detach(),
        advantages,
        mask,
        torch.zeros(2, 3),
        None,
        LossSettings(entropy_coeff=0.0),
    )
    loss.backward()
    assert log_prob.grad[0].sum() < 0 < log_prob.grad[1].sum()  # gradient descent raises row 0, lowers row 1
    assert metrics["actor/clip_frac"] == 0.0


def test_kl_loss_is_added_only_when_asked():
    log_prob, ref = torch.zeros(1, 2), torch.full((1, 2), -1.0)
    common = (log_prob, log_prob, torch.zeros(1, 2), torch.ones(1, 2), torch.zeros(1, 2), ref)
    _, without = policy_loss(*common, LossSettings(use_kl_loss=False))
    _, with_kl = policy_loss(*common, LossSettings(use_kl_loss=True, kl_coef=0.1))
    assert "actor/kl_loss" not in without and with_kl["actor/kl_loss"] > 0


def test_responses_are_cut_after_the_first_eos_and_padded():
    ids, mask = pad_responses([[5, 6, 2, 7], [5, 6, 7, 8, 9]], eos_ids={2}, pad_id=0, width=4)
    assert ids.tolist() == [[5, 6, 2, 0], [5, 6, 7, 8]]
    assert mask.tolist() == [[1, 1, 1, 0], [1, 1, 1, 1]]


def test_vllm_requested_without_it_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ValueError, match="vLLM is not installed.*rollout.engine=hf"):
        resolve_engine("vllm")
    assert resolve_engine("auto") == "hf"


def _write_model(path):
    (path / "weights.bin").write_text("w")


def test_half_written_checkpoints_are_never_picked(tmp_path):
    save_checkpoint(tmp_path, 2, _write_model, {"prompts_consumed": 16})
    root = checkpoints_root(tmp_path)
    (root / ".step_000003.tmp-dead").mkdir()  # killed while writing
    (root / "step_000004").mkdir()  # renamed by hand / marker missing
    (root / "step_000004" / "trainer_state.json").write_text("{}")
    latest = latest_checkpoint(tmp_path)
    assert latest == root / "step_000002"
    assert json.loads((latest / "trainer_state.json").read_text()) == {"prompts_consumed": 16, "step": 2}
    assert (latest / COMPLETE_MARKER).is_file()


def test_a_failed_save_leaves_no_checkpoint(tmp_path):
    def crash(path):
        raise OSError("disk full")

    with pytest.raises(OSError):
        save_checkpoint(tmp_path, 1, crash, {})
    assert latest_checkpoint(tmp_path) is None
    assert list(checkpoints_root(tmp_path).iterdir()) == []


def test_old_checkpoints_are_pruned(tmp_path):
    for step in (1, 2, 3):
        save_checkpoint(tmp_path, step, _write_model, {}, keep=2)
    assert [p.name for p in sorted(checkpoints_root(tmp_path).iterdir())] == ["step_000002", "step_000003"]


def test_resumed_metrics_forget_steps_after_the_checkpoint(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s, "reward/mean": 0.1}) + "\n" for s in (0, 1, 2, 3)))
    tracking.drop_steps_after(path, 2)
    assert [r["step"] for r in read_metric_rows(path)] == [0, 1, 2]


def test_missing_tracker_package_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(tracking.TRACKER_PACKAGES, "mlflow", "no_such_tracker_package")
    with pytest.raises(RuntimeError, match="logger.mlflow=true but its package is not installed"):
        tracking.MetricsSink(tmp_path, {"mlflow": True}, run_name="t")


def test_curves_png_is_written(tmp_path):
    records = [{"step": s, "reward/mean": s / 10, "reward/acc": s / 20, "val/acc": s / 30} for s in range(4)]
    png = tracking.plot_curves(records, tmp_path / "curves.png")
    assert png is not None and png.read_bytes()[:4] == b"\x89PNG"
