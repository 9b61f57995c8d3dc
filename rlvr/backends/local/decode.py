"""Sampling for the HF rollout engine with the group's prompt prefilled once (``shared_prefix.py``): HF
``generate`` would run every prompt ``rollout.n`` times, images included. Keys and values go into a cache
allocated once for the whole response (``kv_cache.growing_cache``). Decoding is HF's: temperature,
then top-k, then top-p (keeping at least one token), greedy as argmax; vision placeholders suppressed;
a row stops at its first end-of-sequence token (none before ``min_new_tokens``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rlvr.backends.local.prompts import PromptBatch
from rlvr.backends.local.shared_prefix import continue_prefix, prefill


@dataclass(frozen=True)
class Decoding:
    """How to pick each token (``top_k`` <= 0 and ``top_p`` >= 1: off)."""

    max_new_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    greedy: bool = False
    min_new_tokens: int = 0


def pick_tokens(logits: torch.Tensor, decoding: Decoding, generator: torch.Generator | None) -> torch.Tensor:
    """One token per row from its next-token ``logits`` (already masked)."""
    if decoding.greedy:
        return logits.argmax(-1)
    logits = logits / decoding.temperature
    if 0 < decoding.top_k < logits.shape[-1]:
        kth = torch.topk(logits, decoding.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if decoding.top_p < 1.0:
        ordered, order = torch.sort(logits, dim=-1, descending=True)
        probs = torch.softmax(ordered, dim=-1)
        # the tokens after the nucleus (the most likely one always stays)
        cut = probs.cumsum(-1) - probs >= decoding.top_p
        logits = logits.masked_fill(cut.scatter(-1, order, cut), float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator)[:, 0]


@torch.no_grad()
def sample(
    model, prompts: PromptBatch, decoding: Decoding, eos_ids: set[int], pad_id: int,
    suppressed_ids: list[int], seed: int,
) -> list[list[int]]:  # fmt: skip
    """Each row's response tokens, as HF ``generate`` returns them: up to ``max_new_tokens``, padded with
    ``pad_id`` after a row's end-of-sequence token (``pad_responses`` cuts there)."""
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    prompts = {key: value.to(device) for key, value in prompts.items()}
    prefix = prefill(model, prompts, room=decoding.max_new_tokens)
    rows = prefix.first_logits.shape[0]
    eos = torch.tensor(sorted(eos_ids), device=device)
    mask = prompts["attention_mask"]
    logits = prefix.first_logits
    finished = torch.zeros(rows, dtype=torch.bool, device=device)
    steps: list[torch.Tensor] = []
    for step in range(decoding.max_new_tokens):
        logits = logits.float()
        logits[:, suppressed_ids] = float("-inf")
        if step < decoding.min_new_tokens:
            logits[:, eos] = float("-inf")
        tokens = torch.where(finished, pad_id, pick_tokens(logits, decoding, generator))
        steps.append(tokens)
        finished |= torch.isin(tokens, eos)
        if bool(finished.all()) or step + 1 == decoding.max_new_tokens:
            break
        mask = torch.cat([mask, torch.ones(rows, 1, dtype=mask.dtype, device=device)], dim=1)
        logits = continue_prefix(model, prefix, tokens[:, None], mask, offset=step).logits[:, -1]
    return torch.stack(steps, dim=1).cpu().tolist()
