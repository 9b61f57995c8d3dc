"""The verl adapter driven through verl's own reward manager (``load_reward_manager`` -> ``run_single``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("verl")

from omegaconf import DictConfig, OmegaConf  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.trainer.ppo.reward import load_reward_manager  # noqa: E402

import rewards.verl_adapter as adapter  # noqa: E402
from rewards.score import SCORE_KEYS  # noqa: E402

ADAPTER_FILE = Path(adapter.__file__)

SAMPLES = [  # (data_source, response, ground_truth, extra_info as it comes back from parquet)
    (
        "synth",
        "<think>The arrow points at the left lung.</think><answer>B</answer>",
        "B",
        {
            "answer_type": "choice",
            "options": {"A": "right lung", "B": "left lung", "C": "heart", "D": None, "E": None},
            "question": "Which organ?",
        },
    ),
    (
        "synth",
        "<think>Fluid is visible.</think><answer>no</answer>",
        "yes",
        {"answer_type": "closed", "options": {"A": None, "B": None}},
    ),
    (
        "synth",
        "<think>Measure it.</think><answer>4.0 cm</answer>",
        "4",
        {"answer_type": "numeric", "options": [("A", None)], "index": np.int64(3)},
    ),
    ("pmc_vqa", "the left kidney <answer>kidney cyst</answer>", "renal cyst", {}),  # verl needs a dict
]


def _tokenizer(texts: list[str]) -> PreTrainedTokenizerFast:
    """A byte-level BPE trained here on ``texts``: decoding gives back exactly the encoded text."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<pad>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>")


def _batch(tokenizer: PreTrainedTokenizerFast) -> DataProto:
    """Left-padded prompts and right-padded responses, as verl's rollout produces them."""
    prompts = [tokenizer.encode("Question about the image:") for _ in SAMPLES]
    responses = [tokenizer.encode(response) for _, response, _, _ in SAMPLES]
    prompt_len, response_len = max(map(len, prompts)), max(map(len, responses)) + 3
    pad = tokenizer.pad_token_id
    prompt_ids = torch.tensor([[pad] * (prompt_len - len(p)) + p for p in prompts])
    response_ids = torch.tensor([r + [pad] * (response_len - len(r)) for r in responses])
    mask = torch.tensor(
        [[0] * (prompt_len - len(p)) + [1] * (len(p) + len(r)) + [0] * (response_len - len(r))
         for p, r in zip(prompts, responses, strict=True)]
    )
    return DataProto.from_dict(
        tensors={
            "prompts": prompt_ids,
            "responses": response_ids,
            "input_ids": torch.cat([prompt_ids, response_ids], dim=1),
            "attention_mask": mask,
        },
        non_tensors={
            "data_source": np.array([s for s, _, _, _ in SAMPLES], dtype=object),
            "reward_model": np.array([{"ground_truth": gt, "style": "rule"} for _, _, gt, _ in SAMPLES]),
            "extra_info": np.array([info for _, _, _, info in SAMPLES], dtype=object),
        },
    )


def _config(path: str, reward_kwargs: dict) -> DictConfig:
    return OmegaConf.create(
        {
            "reward": {
                "custom_reward_function": {
                    "path": path, "name": "compute_score", "reward_kwargs": reward_kwargs
                },
                "reward_manager": {"source": "register", "name": "naive", "module": {"path": None}},
                "sandbox_fusion": None,
            }
        }
    )


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return _tokenizer([response for _, response, _, _ in SAMPLES] + ["Question about the image:"])


@pytest.mark.parametrize("path", ["pkg://rewards.verl_adapter", str(ADAPTER_FILE)], ids=["pkg", "file"])
def test_naive_manager_rewards_match_direct_compute_score(tokenizer, path):
    manager = load_reward_manager(_config(path, {"format_weight": 0.25}), tokenizer)
    data = _batch(tokenizer)
    outputs = [manager.loop.run_until_complete(manager.run_single(data[i : i + 1])) for i in range(len(data))]
    rm_scores = manager.assemble_rm_scores(data, [out["reward_score"] for out in outputs])

    for i, (source, response, gt, info) in enumerate(SAMPLES):
        assert tokenizer.decode(tokenizer.encode(response)) == response  # the manager sees our exact text
        expected = adapter.compute_score(source, response, gt, info, format_weight=0.25)
        extra = outputs[i]["reward_extra_info"]
        assert set(extra) == set(SCORE_KEYS) and all(type(v) is float for v in extra.values())
        assert extra == pytest.approx(expected)
        last = len(tokenizer.encode(response)) - 1
        assert rm_scores[i, last].item() == pytest.approx(expected["score"])
        assert rm_scores[i].abs().sum().item() == pytest.approx(abs(expected["score"]))  # only that token
    assert outputs[0]["reward_extra_info"]["acc"] == 1.0  # the choice row is right, the closed one wrong
    assert outputs[1]["reward_extra_info"]["acc"] == 0.0


def test_reward_kwargs_reach_the_config_through_verl(tokenizer):
    data = _batch(tokenizer)[:1]
    plain = load_reward_manager(_config("pkg://rewards.verl_adapter", {}), tokenizer)
    heavy = load_reward_manager(_config("pkg://rewards.verl_adapter", {"format_weight": 2.0}), tokenizer)
    base = plain.loop.run_until_complete(plain.run_single(data))["reward_score"]
    boosted = heavy.loop.run_until_complete(heavy.run_single(data))["reward_score"]
    assert boosted - base == pytest.approx(1.5)  # the row is well formatted: format = 1


def test_typo_in_reward_kwargs_is_a_clear_error(tokenizer):
    manager = load_reward_manager(_config("pkg://rewards.verl_adapter", {"formt_weight": 1.0}), tokenizer)
    expected = "unknown key 'formt_weight' in verl reward_kwargs; known keys: .*format_weight"
    with pytest.raises(TypeError, match=expected):
        manager.loop.run_until_complete(manager.run_single(_batch(tokenizer)[:1]))


def test_parquet_shaped_extra_info_is_normalised():
    info = {
        "options": {"A": "left", "B": np.str_("right"), "C": None},
        "tags": np.array(["x", "y"], dtype=object),
        "index": np.int64(7),
    }
    plain = adapter.normalize_extra_info(info, data_source="synth")
    assert plain == {
        "options": {"A": "left", "B": "right"}, "tags": ["x", "y"], "index": 7, "data_source": "synth"
    }
    assert adapter.normalize_extra_info([("A", "x"), ("B", None)]) == {}
    assert adapter.normalize_extra_info({"options": [("A", "x"), ("B", None)]})["options"] == {"A": "x"}
    assert adapter.normalize_extra_info(None) == {}
    assert adapter.compute_score("synth", "<answer>yes</answer>", np.array(["yes"]), None)["acc"] == 1.0


def test_rewards_imports_neither_torch_nor_verl():
    code = (
        "import sys, rewards, rewards.verl_adapter, rewards.cli, rewards.batch\n"
        "heavy = [m for m in ('torch', 'verl', 'numpy', 'transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


INT64 = st.integers(-(2**62), 2**62).map(np.int64)
PARQUET_VALUES = st.one_of(
    st.none(), st.text(max_size=10), INT64, st.floats(allow_nan=True).map(np.float64),
    st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=4).map(lambda v: np.array(v, dtype=object)),
    st.dictionaries(st.sampled_from("ABCDE"), st.one_of(st.none(), st.text(max_size=8)), max_size=5),
    st.lists(st.tuples(st.sampled_from("ABC"), st.one_of(st.none(), st.text(max_size=5))), max_size=3),
)


@given(
    info=st.one_of(st.none(), st.dictionaries(st.sampled_from(["options", "question", "index", "tags"]),
                                              PARQUET_VALUES, max_size=4)),
    truth=st.one_of(st.text(max_size=10), INT64, st.just(np.array(["yes"]))),
)
def test_property_adapter_accepts_any_parquet_shaped_row(info, truth):
    scores = adapter.compute_score("synth", "<think>t</think><answer>yes</answer>", truth, info)
    assert tuple(scores) == SCORE_KEYS and all(type(v) is float for v in scores.values())
