"""rlvr's verl reward manager, driven the way verl drives it: faults keep the row's keys, never score as a
wrong answer, get no advantage, and stop the run above ``reward.max_error_rate``."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("verl")

from omegaconf import OmegaConf  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.trainer.ppo.reward import load_reward_manager  # noqa: E402

from rewards.faults import TooManyFaults  # noqa: E402
from rewards.score import SCORE_KEYS  # noqa: E402
from rlvr.backends import verl_reward  # noqa: E402

HERE = __name__
RESPONSE = "<think>t</think><answer>{}</answer>"


def crashing(answer, ground_truth, extra_info):
    raise ZeroDivisionError("crash in the verifier")


def slow(answer, ground_truth, extra_info):
    time.sleep(2)
    return 1.0


def nan_value(answer, ground_truth, extra_info):
    return math.nan


ROWS = [  # (verifier in extra_info or None, answer, group)
    (None, "yes", "g0"),
    (f"{HERE}:crashing", "yes", "g0"),
    (None, "no", "g0"),
    (f"{HERE}:slow", "yes", "g1"),
    (f"{HERE}:nan_value", "yes", "g1"),
    (None, "yes", "g1"),
]


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<pad>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator([RESPONSE.format(a) for a in ("yes", "no")] + ["Question?"], trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>")


def batch(tokenizer: PreTrainedTokenizerFast) -> DataProto:
    prompts = [tokenizer.encode("Question?") for _ in ROWS]
    responses = [tokenizer.encode(RESPONSE.format(answer)) for _, answer, _ in ROWS]
    width = max(map(len, responses))
    pad = tokenizer.pad_token_id
    response_ids = torch.tensor([r + [pad] * (width - len(r)) for r in responses])
    mask = torch.tensor(
        [[1] * (len(p) + len(r)) + [0] * (width - len(r)) for p, r in zip(prompts, responses, strict=True)]
    )
    infos = [
        {"answer_type": "closed", "index": i} | ({"verifier": v} if v else {})
        for i, (v, _, _) in enumerate(ROWS)
    ]
    return DataProto.from_dict(
        tensors={"prompts": torch.tensor(prompts), "responses": response_ids, "attention_mask": mask},
        non_tensors={
            "data_source": np.array(["synth"] * len(ROWS), dtype=object),
            "reward_model": np.array([{"ground_truth": "yes"} for _ in ROWS], dtype=object),
            "extra_info": np.array(infos, dtype=object),
            "uid": np.array([group for _, _, group in ROWS], dtype=object),
        },
    )


@pytest.fixture(scope="module")
def scored(tokenizer):
    config = OmegaConf.create({
        "reward": {
            "custom_reward_function": {"path": "pkg://rewards.verl_adapter", "name": "compute_score",
                                       "reward_kwargs": {}},
            "reward_manager": {"source": "importlib", "name": verl_reward.MANAGER_NAME,
                               "module": {"path": verl_reward.MANAGER_PATH}},
            "sandbox_fusion": None,
            "timeout": 0.5,
        }
    })  # fmt: skip
    manager = load_reward_manager(config, tokenizer)
    assert isinstance(manager, verl_reward.FaultCountingRewardManager)
    data = batch(tokenizer)
    outputs = [manager.loop.run_until_complete(manager.run_single(data[i : i + 1])) for i in range(len(data))]
    return manager, data, outputs


def test_every_row_has_the_same_keys_and_faults_are_flagged(scored):
    _, _, outputs = scored
    keys = {frozenset(out["reward_extra_info"]) for out in outputs}
    assert keys == {frozenset(SCORE_KEYS) | set(verl_reward.FAULT_KEYS)}  # verl stacks them column-wise
    flags = [
        (out["reward_extra_info"]["reward_error"], out["reward_extra_info"]["reward_timeout"])
        for out in outputs
    ]
    assert flags == [(0, 0), (1, 0), (0, 0), (0, 1), (1, 0), (0, 0)]
    scores = [out["reward_score"] for out in outputs]
    assert math.isnan(scores[1]) and math.isinf(scores[3]) and math.isnan(scores[4])
    assert scores[0] == pytest.approx(1.5) and scores[2] == pytest.approx(0.5)


def test_too_many_faults_stop_naming_verifier_error_and_row(scored, monkeypatch):
    manager, data, outputs = scored
    monkeypatch.delenv(verl_reward.MAX_ERROR_RATE_ENV, raising=False)
    verl_reward.record_first_fault(
        "row 1 of synth: verifier 'tests:crashing' raised ZeroDivisionError: crash"
    )
    with pytest.raises(TooManyFaults) as info:
        manager.assemble_rm_scores(data, [out["reward_score"] for out in outputs])
    message = str(info.value)
    assert "verifier faults in 3 of 6 rows (2 error(s), 1 timeout(s))" in message
    assert (
        "row 1 of synth" in message
        and "ZeroDivisionError" in message
        and "reward.max_error_rate=0.01" in message
    )


def test_tolerated_faults_get_their_groups_mean_reward(scored, monkeypatch):
    manager, data, outputs = scored
    monkeypatch.setenv(verl_reward.MAX_ERROR_RATE_ENV, "0.5")
    rm_scores = manager.assemble_rm_scores(data, [out["reward_score"] for out in outputs])
    totals = rm_scores.sum(-1).tolist()
    assert totals[1] == pytest.approx((1.5 + 0.5) / 2)  # group g0's judged rows: 1.5 and 0.5
    assert totals[3] == pytest.approx(1.5) and totals[4] == pytest.approx(1.5)  # g1: only row 5 judged
    assert all(math.isfinite(t) for t in totals)


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from([0.0, 0.5, 1.5, math.nan, math.inf])),
                min_size=1, max_size=20))  # fmt: skip
def test_property_neutral_scores_leave_group_baselines_alone(rows):
    groups, scores = [g for g, _ in rows], [s for _, s in rows]
    out = verl_reward.neutral_scores(scores, groups)
    assert all(math.isfinite(v) for v in out)
    for group in set(groups):
        judged = [s for g, s in rows if g == group and math.isfinite(s)]
        members = [v for g, v in zip(groups, out, strict=True) if g == group]
        if judged:
            assert sum(members) / len(members) == pytest.approx(sum(judged) / len(judged))
        else:
            assert members == [0.0] * len(members)
