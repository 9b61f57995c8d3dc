"""The issue-12 algorithm features of the local loop, each against its definition: validation with n > 1
(mean@n, unbiased pass@k, maj@n), dynamic sampling on the verifier's accuracy, the overlong buffer and
truncated-response masking, named constants (dual-clip bound, critic grad clip), verifier faults kept out of
the advantage, frozen vision tower and LoRA, and old key names."""

from __future__ import annotations

import dataclasses
import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rlvr.backends.local.algorithm import (
    AdvantageInputs,
    LossSettings,
    compute_advantages,
    judged_advantages,
    outcome_rewards,
    policy_loss,
)
from rlvr.backends.local.reward import OverlongBuffer
from rlvr.backends.local.sampling import informative_groups
from rlvr.backends.local.step import loss_mask
from rlvr.backends.local.val_metrics import majority_correct, pass_at_k, sampled_metrics
from rlvr.errors import RecipeError
from rlvr.recipe import aliases


@given(n=st.integers(1, 8), data=st.data())
def test_property_pass_at_k_is_the_chance_that_k_of_n_samples_hold_a_correct_one(n, data):
    correct = data.draw(st.integers(0, n))
    k = data.draw(st.integers(1, n))
    samples = [True] * correct + [False] * (n - correct)
    draws = list(itertools.combinations(samples, k))
    assert pass_at_k(n, correct, k) == pytest.approx(sum(any(d) for d in draws) / len(draws))


def test_majority_vote_counts_extracted_answers_and_ignores_responses_without_one():
    texts = ["<answer>Yes</answer>", "<answer> yes </answer>", "<answer>no</answer>", "<answer></answer>"]
    assert majority_correct(texts, [1.0, 1.0, 0.0, 0.0], "answer") == 1.0
    # a tie goes to the answer seen first; a response without an answer does not vote
    tie = ["<answer>no</answer>", "<answer>yes</answer>", ""]
    assert majority_correct(tie, [0.0, 1.0, 1.0], "answer") == 0.0
    assert majority_correct(["", "<answer></answer>"], [1.0, 1.0], "answer") == 0.0


def test_sampled_metrics_report_mean_pass_and_majority_at_n():
    groups = [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    texts = [["<answer>a</answer>", "<answer>b</answer>", "<answer>b</answer>", "<answer>c</answer>"]] * 2
    metrics = sampled_metrics(groups, texts, "answer")
    assert metrics["val/acc/mean@4"] == pytest.approx(0.125)
    assert metrics["val/acc/pass@1"] == pytest.approx(0.125)  # pass@1 is the mean accuracy
    assert metrics["val/acc/pass@2"] == pytest.approx((1 - math.comb(3, 2) / math.comb(4, 2)) / 2)
    assert metrics["val/acc/pass@4"] == pytest.approx(0.5)
    assert metrics["val/acc/maj@4"] == 0.0  # "b" wins the vote in both rows, and "b" is wrong
    assert "val/acc/pass@3" not in metrics  # k = 1, 2, 4, ... up to n


@settings(max_examples=60, deadline=None)
@given(
    accs=st.lists(st.lists(st.sampled_from([0.0, 1.0]), min_size=2, max_size=4), min_size=1, max_size=6),
    data=st.data(),
)
def test_property_dynamic_sampling_keeps_groups_whose_judged_accuracy_varies(accs, data):
    size = len(accs[0])
    accs = [(group + [0.0] * size)[:size] for group in accs]
    flat = torch.tensor([a for group in accs for a in group])
    judged = torch.tensor(data.draw(st.lists(st.booleans(), min_size=len(flat), max_size=len(flat))))
    group_ids = np.repeat(np.arange(len(accs)), size)
    expected = []
    for g, group in enumerate(accs):
        seen = {a for a, ok in zip(group, judged[g * size : (g + 1) * size].tolist(), strict=True) if ok}
        if len(seen) > 1:
            expected.append(g)
    assert informative_groups(flat, group_ids, judged) == expected


def test_dynamic_sampling_filters_on_accuracy_never_on_the_shaped_score():
    acc = torch.tensor([1.0, 1.0, 0.0, 0.0])  # group 0 all right, group 1 all wrong: nothing to learn
    group_ids = np.array([0, 0, 1, 1])
    # the shaped score varies (format bonus), the accuracy does not: neither group is informative
    assert informative_groups(acc, group_ids, torch.ones(4, dtype=torch.bool)) == []
    varied = torch.tensor([1.0, 0.0, 0.0, 0.0])
    assert informative_groups(varied, group_ids, torch.ones(4, dtype=torch.bool)) == [0]


@given(
    max_length=st.integers(8, 512), data=st.data(), factor=st.floats(0.1, 2.0), enable=st.booleans()
)
def test_property_overlong_buffer_is_dapos_linear_penalty(max_length, data, factor, enable):
    buffer_len = data.draw(st.integers(1, max_length - 1))
    lengths = data.draw(st.lists(st.integers(0, max_length), min_size=1, max_size=8))
    penalties = OverlongBuffer(enable, buffer_len, factor).penalties(lengths, max_length)
    expected_length = max_length - buffer_len
    for length, penalty in zip(lengths, penalties, strict=True):
        if not enable or length <= expected_length:
            assert penalty == 0.0
        else:
            assert -factor - 1e-9 <= penalty < 0
            assert penalty == pytest.approx(-(length - expected_length) / buffer_len * factor)


def test_truncated_responses_are_masked_from_the_loss_only_when_asked():
    rollout = SimpleNamespace(
        response_mask=torch.ones(3, 4), truncated=torch.tensor([False, True, False])
    )
    experience = SimpleNamespace(rollout=rollout)
    assert loss_mask(experience, SimpleNamespace(mask_truncated_responses=False)) is None
    mask = loss_mask(experience, SimpleNamespace(mask_truncated_responses=True))
    assert mask.tolist() == [[1.0] * 4, [0.0] * 4, [1.0] * 4]


def dual_clip_loss(clip_ratio_c: float) -> float:
    """A token whose ratio went far up under a negative advantage: only the dual-clip bound limits it."""
    mask = torch.ones(1, 1)
    loss, _ = policy_loss(
        log_prob=torch.tensor([[math.log(20.0)]]), old_log_prob=torch.zeros(1, 1),
        advantages=torch.tensor([[-1.0]]), response_mask=mask, entropy=torch.zeros(1, 1), ref_log_prob=None,
        settings=LossSettings(clip_ratio_c=clip_ratio_c, loss_agg_mode="token-mean"),
    )  # fmt: skip
    return float(loss)


def test_dual_clip_bound_is_the_named_setting():
    assert dual_clip_loss(3.0) == pytest.approx(3.0)  # -A * clip_ratio_c
    assert dual_clip_loss(10.0) == pytest.approx(10.0)


def test_a_faulted_response_neither_moves_its_group_baseline_nor_gets_an_advantage():
    scores = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0, 1.0])
    mask = torch.ones(6, 3)
    ids = np.array([0, 0, 0, 1, 1, 1])
    judged = torch.tensor([True, True, False, True, True, True])
    inputs = AdvantageInputs(outcome_rewards(scores, mask), mask, ids)
    advantages, _ = judged_advantages("grpo", inputs, judged)
    assert advantages[2].abs().sum() == 0
    kept = torch.tensor([0, 1, 3, 4, 5])
    alone, _ = compute_advantages("grpo", inputs.select(kept))
    assert torch.allclose(advantages[kept], alone)  # the others as if the faulted one had never been
    full, _ = judged_advantages("grpo", inputs, torch.ones(6, dtype=torch.bool))
    assert torch.allclose(full, compute_advantages("grpo", inputs)[0])


def test_advantage_inputs_select_cuts_every_input_alike():
    inputs = AdvantageInputs(
        torch.arange(8.0).view(4, 2), torch.ones(4, 2), np.array([0, 0, 1, 1]), values=torch.zeros(4, 2),
        score_parts={"acc": np.array([1.0, 0.0, 1.0, 0.0])},
    )  # fmt: skip
    picked = inputs.select(torch.tensor([1, 3]))
    assert picked.token_rewards.tolist() == [[2.0, 3.0], [6.0, 7.0]]
    assert picked.group_ids.tolist() == [0, 1] and picked.score_parts["acc"].tolist() == [0.0, 0.0]
    assert picked.values.shape == (2, 2) and picked.old_log_prob is None
    assert {f.name for f in dataclasses.fields(picked)} == {f.name for f in dataclasses.fields(inputs)}


def test_critic_clips_its_gradients_to_algorithm_grad_clip(monkeypatch):
    from rlvr.backends.local.critic import Critic

    backbone = torch.nn.Linear(2, 2)
    backbone.config = SimpleNamespace(get_text_config=lambda: SimpleNamespace(hidden_size=2))
    seen = []
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", lambda params, max_norm: seen.append(max_norm))
    Critic(backbone, lr=1e-3, grad_clip=0.25).step()
    assert seen == [0.25]


def test_old_key_names_are_rewritten_with_one_notice_each(capsys):
    aliases.notice_rename.cache_clear()
    out = aliases.translate_overrides(
        ["trainer.total_steps=3", "+rollout.engine=hf", "trainer.total_steps=4", "rollout.n=2"]
    )
    assert out == ["trainer.total_training_steps=3", "+rollout.name=hf", "trainer.total_training_steps=4",
                   "rollout.n=2"]  # fmt: skip
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "note: trainer.total_steps is now trainer.total_training_steps (verl's name); the old name still "
        "works",
        "note: rollout.engine is now rollout.name (verl's name); the old name still works",
    ]
    with pytest.raises(RecipeError, match="algorithm.name was removed"):
        aliases.translate_overrides(["algorithm.name=grpo"])
