"""The CPU attention without grouped-query copies gives HF's SDPA results on left-padded batches."""

from __future__ import annotations

import torch
from padded_prompts import position_sensitive_model, rows_of_distinct_lengths

from rlvr.backends.local.attention import NAME
from rlvr.backends.local.modeling import DEFAULT_MODEL, load_model, load_processor
from rlvr.backends.local.prompts import encode_prompts, model_inputs


def test_padded_logits_and_gradients_equal_hf_sdpa(tmp_path):
    model_dir = position_sensitive_model(tmp_path)
    rows = rows_of_distinct_lengths(tmp_path / "synth", 3)
    prompts = encode_prompts(load_processor(str(model_dir), DEFAULT_MODEL), rows, 256)
    assert not prompts["attention_mask"].bool().all()  # left padding: HF's SDPA takes a mask
    results = []
    for implementation in (NAME, "sdpa"):
        model = load_model(str(model_dir), DEFAULT_MODEL, "cpu", train=True)
        text = model.config.get_text_config()
        assert text.num_key_value_heads < text.num_attention_heads  # grouped-query heads
        assert text._attn_implementation == NAME and model.config.vision_config._attn_implementation == "sdpa"
        text._attn_implementation = implementation
        logits = model(**model_inputs(prompts)).logits
        logits[prompts["attention_mask"].bool()].square().mean().backward()
        grads = {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
        results.append((logits.detach(), grads))
    (ours, our_grads), (hf, hf_grads) = results
    real = prompts["attention_mask"].bool()
    torch.testing.assert_close(ours[real], hf[real], atol=1e-5, rtol=1e-5)
    for name, grad in hf_grads.items():
        torch.testing.assert_close(our_grads[name], grad, atol=1e-5, rtol=1e-4, msg=name)
