"""Image tokens sit at their M-RoPE grid positions in every local-backend forward, as in the SFT warm-up,
vLLM and verl: a left-padded RL batch scores each prompt exactly as the processor's own encoding does."""

from __future__ import annotations

import pytest
import torch
from padded_prompts import position_sensitive_model, rows_of_distinct_lengths

from rlvr.backends.local.modeling import DEFAULT_MODEL, load_model, load_processor
from rlvr.backends.local.policy import response_log_probs, response_logits
from rlvr.backends.local.prompts import (
    concat_prompts,
    encode_prompts,
    prompt_text,
    row_images,
    slice_prompts,
)
from rlvr.backends.local.rollout import RolloutWorker, Sampling


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return position_sensitive_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    return rows_of_distinct_lengths(tmp_path_factory.mktemp("synth"), 3)


def test_prompt_batches_keep_the_image_token_types(model_dir, rows):
    processor = load_processor(str(model_dir), DEFAULT_MODEL)
    batch = encode_prompts(processor, rows, 256)
    assert batch["mm_token_type_ids"].shape == batch["input_ids"].shape
    assert (batch["mm_token_type_ids"] == 1).sum() == batch["image_grid_thw"].prod(-1).sum() // 4  # 2x2 merge
    picked = slice_prompts(batch, [2, 0])
    assert torch.equal(picked["mm_token_type_ids"], batch["mm_token_type_ids"][[2, 0]])
    joined = concat_prompts([slice_prompts(batch, [0]), picked], pad_id=0)
    assert joined["mm_token_type_ids"].shape == joined["input_ids"].shape
    assert torch.equal(joined["mm_token_type_ids"][1:], batch["mm_token_type_ids"][[2, 0]])


def test_a_padded_batch_scores_responses_as_the_processor_encodes_each_prompt(model_dir, rows):
    processor = load_processor(str(model_dir), DEFAULT_MODEL)
    model = load_model(str(model_dir), DEFAULT_MODEL, "cpu")
    rollout = RolloutWorker(str(model_dir), "hf", max_prompt_length=256)
    sampled = rollout.generate(rows, Sampling(8, temperature=1.0), seed=0)
    with torch.no_grad():
        batched, _ = response_log_probs(model, sampled.prompts, sampled.response_ids, sampled.response_mask)
    for i, row in enumerate(rows):
        length = int(sampled.response_mask[i].sum())
        response = sampled.response_ids[i, :length]
        alone = processor(text=[prompt_text(processor, row)], images=row_images(row), return_tensors="pt")
        alone["input_ids"] = torch.cat([alone["input_ids"], response[None]], dim=1)
        alone["attention_mask"] = torch.ones_like(alone["input_ids"])
        alone["mm_token_type_ids"] = torch.cat(
            [alone["mm_token_type_ids"], torch.zeros_like(response)[None]], dim=1
        )
        with torch.no_grad():
            logits = model(**alone).logits[0, -length - 1 : -1]
        expected = torch.log_softmax(logits.float(), -1).gather(-1, response[:, None])[:, 0]
        torch.testing.assert_close(batched[i, :length], expected, atol=1e-4, rtol=0)


def test_image_positions_change_the_scores(model_dir, rows):
    """The check above would pass vacuously if the model ignored positions: dropping the token types (1-D
    positions for the image patches) must change the log-probs."""
    processor = load_processor(str(model_dir), DEFAULT_MODEL)
    model = load_model(str(model_dir), DEFAULT_MODEL, "cpu")
    prompts = encode_prompts(processor, rows[:1], 256)
    response = processor.tokenizer("<answer>yes</answer>", return_tensors="pt")["input_ids"]
    mask = torch.ones_like(response, dtype=torch.float32)
    without = {key: value for key, value in prompts.items() if key != "mm_token_type_ids"}
    with torch.no_grad():
        grid, _ = response_log_probs(model, prompts, response, mask)
        flat, _ = response_log_probs(model, without, response, mask)
    assert (grid - flat).abs().max() > 1e-3


def test_greedy_generation_sees_the_positions_training_sees(model_dir, rows):
    """HF ``generate`` (the rollout) places the image tokens as the policy's forward does: each greedy token
    is the policy's most likely one (vision placeholders, which the rollout suppresses, left out)."""
    model = load_model(str(model_dir), DEFAULT_MODEL, "cpu")
    rollout = RolloutWorker(str(model_dir), "hf", max_prompt_length=256)
    greedy = rollout.generate(rows, Sampling(8, greedy=True), seed=0)
    with torch.no_grad():
        logits = response_logits(model, greedy.prompts, greedy.response_ids, greedy.response_mask, 1.0)
    logits[..., rollout.suppressed_ids] = float("-inf")
    mask = greedy.response_mask.bool()
    assert torch.equal(logits.argmax(-1)[mask], greedy.response_ids[mask])
