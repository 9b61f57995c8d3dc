"""Shared-prefix forward: a GRPO group's ``rollout.n`` responses share one prompt, so the prompt (and its
images, through the vision tower) runs once per group and its key/value cache is fanned out to the group's
responses. Gradients flow back through the cache, so log-probs and gradients are those of the plain
prompt + response forward; with long image prompts the saving is up to ``n``-fold on the prompt's share.
"""

from __future__ import annotations

import hashlib

import torch

from rlvr.backends.local.prompts import PromptBatch, model_inputs, patch_ranges, slice_prompts


def shared_prompts(prompts: PromptBatch) -> tuple[list[int], torch.Tensor]:
    """The first row of each distinct prompt (same tokens, same images), and each row's index into those.
    Rows are compared by a digest of their tokens and pixels."""
    masks = prompts["attention_mask"].bool()
    pixels = prompts.get("pixel_values")
    ranges = patch_ranges(prompts) if pixels is not None else None
    first: dict[bytes, int] = {}
    unique: list[int] = []
    inverse = []
    for row, ids in enumerate(prompts["input_ids"]):
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
    """Qwen2(.5)-VL models, unless training under gradient checkpointing (HF then keeps no cache). Such a
    model always runs the split forward, repeats or not: the same rows then get the same arithmetic however
    they are batched (1 or N policy workers), and every FSDP rank runs the same forwards (else their
    collectives hang)."""
    checkpointing = model.training and getattr(model, "is_gradient_checkpointing", False)
    return getattr(model.config, "model_type", None) in SHARING_MODELS and not checkpointing


def shared_prefix_logits(
    model, prompts: PromptBatch, response_ids: torch.Tensor, response_mask: torch.Tensor,
    unique: list[int], inverse: torch.Tensor,
) -> torch.Tensor:  # fmt: skip
    """The logits that predicted each response token (rows of ``response_ids``), with the prompt forward
    run once per distinct prompt (``unique``/``inverse`` from ``shared_prompts``)."""
    heads = slice_prompts(prompts, unique)
    head = model(**model_inputs(heads), use_cache=True, logits_to_keep=1)
    cache = head.past_key_values
    cache.batch_select_indices(inverse.to(response_ids.device))
    width = response_ids.shape[1]
    start = _response_start(prompts, heads, head.rope_deltas)[inverse].to(response_ids.device)
    positions = start[:, None] + torch.arange(width, device=response_ids.device)
    tail = model(
        input_ids=response_ids,
        attention_mask=torch.cat([prompts["attention_mask"], response_mask.long()], dim=1),
        position_ids=positions[None].expand(3, -1, -1),
        past_key_values=cache,
        use_cache=True,
    )
    return torch.cat([head.logits[inverse.to(head.logits.device)], tail.logits[:, :-1]], dim=1)


def _response_start(prompts: PromptBatch, heads: PromptBatch, rope_deltas) -> torch.Tensor:
    """Each distinct prompt's first response position, as the plain forward places it: with images (M-RoPE,
    padding skipped) one past the prompt's largest position, i.e. its unpadded length plus the model's
    ``rope_deltas``; text-only, the padded prompt width (positions there count the padding)."""
    if "mm_token_type_ids" in heads and "image_grid_thw" in heads:  # then this forward set rope_deltas
        return heads["attention_mask"].sum(-1) + rope_deltas[:, 0].cpu()
    return torch.full((len(heads["input_ids"]),), prompts["input_ids"].shape[1])
