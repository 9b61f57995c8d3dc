"""The shared-prefix forward (one prompt forward per GRPO group) gives the plain forward's logits and
gradients: with images (M-RoPE positions), text-only prompts, left padding and uneven responses."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from padded_prompts import position_sensitive_model, rows_of_distinct_lengths

from rlvr.backends.local.modeling import DEFAULT_MODEL, load_model, load_processor
from rlvr.backends.local.policy import response_logits, sequence_inputs
from rlvr.backends.local.prompts import encode_prompts
from rlvr.backends.local.rollout import pad_responses
from rlvr.backends.local.shared_prefix import can_share, shared_prompts

TEXTS = ["<think>a</think><answer>yes</answer>", "no", "<answer>lesion</answer>", "a b c d e f"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return position_sensitive_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    return rows_of_distinct_lengths(tmp_path_factory.mktemp("synth"), 2)


def text_only(row: dict) -> dict:
    prompt = [dict(m, content=m["content"].replace("<image>", "")) for m in row["prompt"]]
    return dict(row, prompt=prompt, images=[])


def group_batch(model_dir, rows, group: int = 3):
    """``group`` responses of uneven length to each row's prompt, interleaved with another group's."""
    processor = load_processor(str(model_dir), DEFAULT_MODEL)
    tokenizer = processor.tokenizer
    repeated = [row for row in rows for _ in range(group)]
    responses = [
        tokenizer(TEXTS[i % len(TEXTS)], add_special_tokens=False)["input_ids"] for i in range(len(repeated))
    ]
    ids, mask = pad_responses(responses, {tokenizer.eos_token_id}, tokenizer.pad_token_id, width=12)
    return encode_prompts(processor, repeated, 256), ids, mask


def plain_logits(model, prompts, ids, mask):
    width = ids.shape[1]
    out = model(**sequence_inputs(prompts, ids, mask), logits_to_keep=width + 1, use_cache=False)
    return out.logits[:, -width - 1 : -1].float()


@pytest.mark.parametrize("checkpointing", [False, True], ids=["", "checkpointing"])
@pytest.mark.parametrize("images", [True, False], ids=["images", "text-only"])
def test_shared_prefix_logits_and_gradients_match_the_plain_forward(model_dir, rows, images, checkpointing):
    rows = rows if images else [text_only(row) for row in rows]
    prompts, ids, mask = group_batch(model_dir, rows)
    unique, inverse = shared_prompts(prompts)
    assert unique == [0, 3] and inverse.tolist() == [0, 0, 0, 1, 1, 1]
    settings = replace(DEFAULT_MODEL, gradient_checkpointing=checkpointing)
    model = load_model(str(model_dir), settings, "cpu", train=True).train()  # as the policy's update
    assert can_share(model) and model.is_gradient_checkpointing == checkpointing

    def logits_and_grads(compute):
        model.zero_grad()
        logits = compute(model, prompts, ids, mask)
        (torch.log_softmax(logits, -1).gather(-1, ids[..., None])[..., 0] * mask).sum().backward()
        return logits.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    shared, shared_grads = logits_and_grads(lambda *args: response_logits(*args, temperature=1.0))
    plain, plain_grads = logits_and_grads(plain_logits)
    real = mask.bool()
    torch.testing.assert_close(shared[real], plain[real], atol=2e-4, rtol=1e-4)
    assert shared_grads.keys() == plain_grads.keys()
    if images:
        assert any(name.startswith("model.visual") for name in shared_grads)
    for name, grad in plain_grads.items():
        torch.testing.assert_close(shared_grads[name], grad, atol=2e-4, rtol=1e-3, msg=name)


def test_distinct_prompts_and_same_text_with_other_images_are_not_shared(model_dir, rows):
    prompts, _, _ = group_batch(model_dir, rows, group=1)
    assert shared_prompts(prompts)[0] == [0, 1]
    processor = load_processor(str(model_dir), DEFAULT_MODEL)
    other = dict(rows[0], images=rows[1]["images"])  # same question, another image
    same_text = encode_prompts(processor, [rows[0], other], 256)
    assert shared_prompts(same_text)[1].tolist() == [0, 1]


def test_checkpointed_layers_recompute_in_the_backward_pass(model_dir, rows):
    """Under checkpointing the decoder layers' activations are recomputed (so memory is saved), and the
    layers get their HF class back once the forward is done."""
    prompts, ids, mask = group_batch(model_dir, rows)
    settings = replace(DEFAULT_MODEL, gradient_checkpointing=True)
    model = load_model(str(model_dir), settings, "cpu", train=True).train()
    layers = model.model.language_model.layers
    classes = [type(layer) for layer in layers]
    calls = []
    hooks = [layer.self_attn.register_forward_hook(lambda *_: calls.append(1)) for layer in layers]
    logits = response_logits(model, prompts, ids, mask, temperature=1.0)
    forward_calls = len(calls)
    assert forward_calls == 2 * len(layers)  # the prompts' forward, then the responses'
    assert [type(layer) for layer in layers] == classes
    logits.sum().backward()
    assert len(calls) == 2 * forward_calls  # every layer ran again in the backward pass
    for hook in hooks:
        hook.remove()


def test_sliding_window_models_do_not_share(model_dir):
    model = load_model(str(model_dir), DEFAULT_MODEL, "cpu")
    assert can_share(model)
    text = model.config.get_text_config()
    text.layer_types = ["sliding_attention"] * text.num_hidden_layers
    assert not can_share(model)
