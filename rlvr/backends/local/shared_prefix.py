"""Shared-prefix forward: a GRPO group's ``rollout.n`` responses share one prompt, so the prompt (and its
images, through the vision tower) runs once per group and its key/value cache is fanned out to the group's
responses. Gradients flow back through the cache, so log-probs and gradients are those of the plain
prompt + response forward; with long image prompts the saving is up to ``n``-fold on the prompt's share.
It runs under gradient checkpointing too (the caches of ``kv_cache.py`` are safe to recompute).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import torch

from rlvr.backends.local.kv_cache import (
    checkpointing_with_cache,
    full_attention_only,
    growing_cache,
    prefix_cache,
    prompt_cache,
)
from rlvr.backends.local.prompts import PromptBatch, model_inputs, patch_ranges, slice_prompts


def shared_prompts(prompts: PromptBatch) -> tuple[list[int], torch.Tensor]:
    """The first row of each distinct prompt (same tokens, same images), and each row's index into those.
    Rows are compared by a digest of their tokens and pixels."""
    # digests are taken on host copies: on a GPU the prompts already sit on the device
    token_ids, masks = prompts["input_ids"].cpu(), prompts["attention_mask"].cpu().bool()
    pixels = prompts["pixel_values"].cpu() if "pixel_values" in prompts else None
    ranges = patch_ranges(prompts) if pixels is not None else None
    first: dict[bytes, int] = {}
    unique: list[int] = []
    inverse = []
    for row, ids in enumerate(token_ids):
        digest = hashlib.blake2b(ids[masks[row]].numpy().tobytes(), digest_size=16)
        if ranges is not None:
            for start, end in ranges[row]:
                digest.update(pixels[start:end].contiguous().view(torch.uint8).numpy().tobytes())
        key = digest.digest()
        if key not in first:
            first[key] = len(unique)
            unique.append(row)
        inverse.append(first[key])
    return unique, torch.tensor(inverse, dtype=torch.long)


SHARING_MODELS = ("qwen2_vl", "qwen2_5_vl")  # the position layout ``shared_prefix_logits`` rebuilds


def can_share(model: torch.nn.Module) -> bool:
    """Qwen2(.5)-VL models without sliding-window layers. Such a model always runs the split forward,
    repeats or not: the same rows then get the same arithmetic however they are batched (1 or N policy
    workers), and every FSDP rank runs the same forwards (else their collectives hang)."""
    return getattr(model.config, "model_type", None) in SHARING_MODELS and full_attention_only(model)


@dataclass
class Prefix:
    """The prompts' forward, fanned out to one row per response: the key/value cache, the logits that
    predict the first response token, and the position of the first response token."""

    cache: Any
    first_logits: torch.Tensor
    start: torch.Tensor


def prefill(model, prompts: PromptBatch, room: int | None = None) -> Prefix:
    """Run each distinct prompt of ``prompts`` once (images included) and fan the result out to its rows:
    for decoding ``room`` tokens one at a time, or (None) for one whole response."""
    unique, inverse = shared_prompts(prompts)
    heads = slice_prompts(prompts, unique)
    with checkpointing_with_cache(model):
        head = model(**model_inputs(heads), past_key_values=prompt_cache(), use_cache=True, logits_to_keep=1)
    inverse = inverse.to(head.logits.device)
    if room is None:
        cache = prefix_cache(head.past_key_values, inverse)
    else:
        cache = growing_cache(head.past_key_values, inverse, room)
    start = _response_start(prompts, heads, head.rope_deltas)[inverse]
    return Prefix(cache, head.logits[inverse, -1], start)


def continue_prefix(
    model, prefix: Prefix, tokens: torch.Tensor, attention_mask: torch.Tensor, offset: int = 0
):
    """The model's output for ``tokens`` (response positions ``offset``...) after ``prefix`` (a decoding
    cache grows by them); ``attention_mask`` covers the prompt and every response token so far, these
    included."""
    positions = prefix.start[:, None] + offset + torch.arange(tokens.shape[1], device=tokens.device)
    with checkpointing_with_cache(model):
        return model(
            input_ids=tokens,
            attention_mask=attention_mask,
            position_ids=positions[None].expand(3, -1, -1),
            past_key_values=prefix.cache,
            use_cache=True,
        )


def shared_prefix_logits(
    model, prompts: PromptBatch, response_ids: torch.Tensor, response_mask: torch.Tensor
) -> torch.Tensor:
    """The logits that predicted each response token (rows of ``response_ids``), with the prompt forward
    run once per distinct prompt."""
    prefix = prefill(model, prompts)
    mask = torch.cat([prompts["attention_mask"].to(response_mask.device), response_mask.long()], dim=1)
    tail = continue_prefix(model, prefix, response_ids, mask)
    return torch.cat([prefix.first_logits[:, None], tail.logits[:, :-1]], dim=1)


def _response_start(prompts: PromptBatch, heads: PromptBatch, rope_deltas) -> torch.Tensor:
    """Each distinct prompt's first response position, as the plain forward places it: with images (M-RoPE,
    padding skipped) one past the prompt's largest position, i.e. its unpadded length plus the model's
    ``rope_deltas``; text-only, the padded prompt width (positions there count the padding)."""
    mask = heads["attention_mask"]
    if "mm_token_type_ids" in heads and "image_grid_thw" in heads:  # then this forward set rope_deltas
        return mask.sum(-1) + rope_deltas[:, 0].to(mask.device)
    return torch.full((len(mask),), prompts["input_ids"].shape[1], device=mask.device)
