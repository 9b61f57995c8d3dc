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
from rewards.registry import register_verifier  # noqa: E402
from rewards.score import SCORE_KEYS  # noqa: E402
from rlvr.backends import verl_reward  # noqa: E402

RESPONSE = "<think>t</think><answer>{}</answer>"


@register_verifier("loud_crashing")
def crashing(answer, ground_truth, extra_info):
    raise ZeroDivisionError("crash in the verifier")


@register_verifier("loud_slow")
def slow(answer, ground_truth, extra_info):
    time.sleep(2)
    return 1.0


@register_verifier("loud_nan")
def nan_value(answer, ground_truth, extra_info):
    return math.nan


ROWS = [  # (verifier in extra_info or None, answer, group)
    (None, "yes", "g0"),
    ("loud_crashing", "yes", "g0"),
    (None, "no", "g0"),
    ("loud_slow", "yes", "g1"),
    ("loud_nan", "yes", "g1"),
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


def manager_for(tokenizer, monkeypatch, max_error_rate: float, step_rows: int, reward_kwargs=None):
    monkeypatch.setenv(verl_reward.MAX_ERROR_RATE_ENV, str(max_error_rate))
    monkeypatch.setenv(verl_reward.STEP_ROWS_ENV, str(step_rows))
    manager_cfg = {"source": "importlib", "name": verl_reward.MANAGER_NAME,
                   "module": {"path": verl_reward.MANAGER_PATH}}  # fmt: skip
    config = OmegaConf.create({
        "reward": {
            "custom_reward_function": {"path": "pkg://rewards.verl_adapter", "name": "compute_score",
                                       "reward_kwargs": {}},
            "reward_manager": manager_cfg, "sandbox_fusion": None, "timeout": 0.5,
            "reward_kwargs": reward_kwargs or {},
        }
    })  # fmt: skip
    manager = load_reward_manager(config, tokenizer)
    assert isinstance(manager, verl_reward.FaultCountingRewardManager)
    return manager


def test_recipe_reward_keys_map_onto_verls_manager():
    settings = verl_reward.reward_manager_settings(OmegaConf.create({"timeout_s": 7, "num_workers": 0}))
    assert settings["reward.reward_manager.name"] == verl_reward.MANAGER_NAME
    assert (settings["+reward.timeout"], settings["reward.num_workers"]) == (7.0, 1)
    env = verl_reward.fault_env(OmegaConf.create({"max_error_rate": 0.05}), step_rows=128)
    assert env == {verl_reward.MAX_ERROR_RATE_ENV: "0.05", verl_reward.STEP_ROWS_ENV: "128"}


def run_rows(manager, data) -> list[dict]:
    return [manager.loop.run_until_complete(manager.run_single(data[i : i + 1])) for i in range(len(data))]


def test_every_row_has_the_same_keys_and_faults_are_flagged(tokenizer, monkeypatch, capsys):
    outputs = run_rows(manager_for(tokenizer, monkeypatch, 1.0, 6), batch(tokenizer))
    keys = {frozenset(out["reward_extra_info"]) for out in outputs}
    assert keys == {frozenset(SCORE_KEYS) | set(verl_reward.FAULT_KEYS)}  # verl stacks them column-wise
    flags = [
        (out["reward_extra_info"]["reward_error"], out["reward_extra_info"]["reward_timeout"])
        for out in outputs
    ]
    assert flags == [(0, 0), (1, 0), (0, 0), (0, 1), (1, 0), (0, 0)]
    scores = [out["reward_score"] for out in outputs]
    assert all(math.isfinite(s) for s in scores)  # verl places them straight into the token rewards
    assert scores[0] == pytest.approx(1.5) and scores[2] == pytest.approx(0.5)
    err = capsys.readouterr().err
    assert "reward fault (timeout) at row 3 of synth: verifier 'loud_slow' timed out after 0.5s" in err
    assert "reward fault (error) at row 1 of synth: verifier" in err and "crash in the verifier" in err


def test_too_many_faults_stop_naming_verifier_error_and_row(tokenizer, monkeypatch):
    manager = manager_for(tokenizer, monkeypatch, 0.01, 6)
    with pytest.raises(TooManyFaults) as info:
        run_rows(manager, batch(tokenizer))
    message = str(info.value)
    assert "verifier faults in 1 of 6 rows (1 error(s), 0 timeout(s))" in message
    assert "row 1 of synth" in message and "'loud_crashing' raised ZeroDivisionError" in message
    assert "reward.max_error_rate=0.01" in message


@given(verdicts=st.lists(st.sampled_from([None, "error", "timeout"]), max_size=60),
       window=st.integers(1, 20), rate=st.sampled_from([0.0, 0.1, 0.25, 1.0]))  # fmt: skip
def test_property_ledger_stops_exactly_when_a_window_holds_too_many_faults(verdicts, window, rate):
    ledger = verl_reward.FaultLedger(window, rate)
    for i, kind in enumerate(verdicts):
        recent = verdicts[max(0, i + 1 - window) : i + 1]
        over = kind is not None and sum(k is not None for k in recent) > math.floor(rate * window + 1e-9)
        if over:
            with pytest.raises(TooManyFaults):
                ledger.add("boom", kind, f"row {i}")
            return
        ledger.add(None if kind is None else "boom", kind, f"row {i}")


@pytest.mark.parametrize("buffer_len,factor", [(2, 1.0), (4, 0.5), (1000, 2.0)])
def test_overlong_buffer_penalises_long_responses_as_verls_dapo_manager(
    tokenizer, monkeypatch, buffer_len, factor
):
    data = batch(tokenizer)
    lengths = [verl_reward.response_length(data[i]) for i in range(len(data))]
    max_len = max(lengths) + 1
    overlong = {"overlong_buffer_cfg": {"enable": True, "len": buffer_len, "penalty_factor": factor},
                "max_resp_len": max_len}  # fmt: skip
    plain = run_rows(manager_for(tokenizer, monkeypatch, 1.0, 6), data)
    penalised = run_rows(manager_for(tokenizer, monkeypatch, 1.0, 6, overlong), data)
    for length, before, after in zip(lengths, plain, penalised, strict=True):
        if before["reward_extra_info"]["reward_error"] or before["reward_extra_info"]["reward_timeout"]:
            assert after["reward_score"] == 0.0  # a fault has no score to penalise
            continue
        expected = min(0.0, -(length - (max_len - buffer_len)) / buffer_len * factor)
        assert after["reward_score"] == pytest.approx(before["reward_score"] + expected)
        assert after["reward_extra_info"]["acc"] == before["reward_extra_info"]["acc"]  # acc never shaped
