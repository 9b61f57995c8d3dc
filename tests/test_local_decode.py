"""The HF rollout's decoding loop (each group's prompt prefilled once): greedy output equals HF
``generate``'s, and temperature/top-k/top-p/min_new_tokens/seed behave as in HF."""

from __future__ import annotations

import pytest
import torch
from padded_prompts import position_sensitive_model, rows_of_distinct_lengths

from rlvr.backends.local.decode import Decoding, pick_tokens, sample
from rlvr.backends.local.prompts import encode_prompts, model_inputs
from rlvr.backends.local.rollout import RolloutWorker, Sampling


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    return RolloutWorker(
        str(position_sensitive_model(tmp_path_factory.mktemp("tiny"))), "hf", max_prompt_length=256
    )


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """Two image prompts of different lengths and one text-only prompt."""
    image_rows = rows_of_distinct_lengths(tmp_path_factory.mktemp("synth"), 2)
    text = [dict(m, content=m["content"].replace("<image>", "")) for m in image_rows[0]["prompt"]]
    return [*image_rows, dict(image_rows[0], prompt=text, images=[])]


def hf_greedy(worker, prompts, max_new_tokens):
    out = worker.model.generate(
        **model_inputs(prompts), max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=worker.pad_id,
        eos_token_id=sorted(worker.eos_ids), suppress_tokens=worker.suppressed_ids,
    )  # fmt: skip
    return out[:, prompts["input_ids"].shape[1] :].tolist()


def test_greedy_decoding_equals_hf_generate_for_repeated_image_and_text_prompts(worker, rows):
    repeated = [row for row in rows for _ in range(3)]
    prompts = encode_prompts(worker.processor, repeated, 256)
    ours = sample(
        worker.model,
        prompts,
        Decoding(16, greedy=True),
        worker.eos_ids,
        worker.pad_id,
        worker.suppressed_ids,
        0,
    )
    assert ours == hf_greedy(worker, prompts, 16)


def test_the_rollout_worker_uses_it_and_reproduces_with_the_seed(worker, rows):
    group = [rows[0]] * 6
    first = worker.generate(group, Sampling(12, temperature=1.0), seed=5)
    again = worker.generate(group, Sampling(12, temperature=1.0), seed=5)
    other = worker.generate(group, Sampling(12, temperature=1.0), seed=6)
    assert first.texts == again.texts
    assert first.texts != other.texts
    assert len(set(first.texts)) > 1  # one group's samples differ


def test_min_new_tokens_blocks_the_end_of_sequence(worker, rows):
    prompts = encode_prompts(worker.processor, rows, 256)
    decoding = Decoding(10, greedy=True, min_new_tokens=10)
    out = sample(worker.model, prompts, decoding, worker.eos_ids, worker.pad_id, worker.suppressed_ids, 0)
    assert [len(tokens) for tokens in out] == [10, 10, 10]
    assert not any(token in worker.eos_ids for tokens in out for token in tokens)


def test_top_k_and_top_p_keep_only_their_tokens():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]])).expand(2000, -1)
    generator = torch.Generator().manual_seed(0)
    top_k = pick_tokens(logits, Decoding(1, top_k=2), generator)
    assert set(top_k.tolist()) == {0, 1}
    top_p = pick_tokens(logits, Decoding(1, top_p=0.7), generator)  # 0.5 + 0.3 reach 0.7
    assert set(top_p.tolist()) == {0, 1}
    tiny_p = pick_tokens(logits, Decoding(1, top_p=0.01), generator)
    assert set(tiny_p.tolist()) == {0}
    free = pick_tokens(logits, Decoding(1), generator)
    shares = torch.bincount(free, minlength=4) / len(free)
    torch.testing.assert_close(shares, torch.tensor([0.5, 0.3, 0.15, 0.05]), atol=0.04, rtol=0)
    cold = pick_tokens(logits, Decoding(1, temperature=0.05), generator)
    assert (cold == 0).float().mean() > 0.99


def test_min_new_tokens_comes_from_the_model_folder(tmp_path, worker):
    from transformers import GenerationConfig

    from rlvr.backends.local.rollout import min_new_tokens

    assert min_new_tokens(str(tmp_path)) == 0  # no generation_config.json
    GenerationConfig(min_new_tokens=7).save_pretrained(tmp_path)
    assert min_new_tokens(str(tmp_path)) == 7
    assert worker.min_new_tokens == 0
