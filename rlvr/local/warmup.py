"""A short supervised warm-up on ``<think>..</think><answer>GT</answer>`` targets before RL.

A random-weight model never produces the answer format, so GRPO would see reward 0 everywhere; a few
SFT steps teach the format (and a little of the task), which gives RL a signal to improve on.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm
from verl.utils.torch_functional import masked_mean

from rlvr.local.policy import response_log_probs
from rlvr.local.prompts import encode_prompts
from rlvr.local.rollout import pad_responses

MARKER = "warmup_complete.json"
THINK_TEXT = "I check the image."


@dataclass(frozen=True)
class WarmupSettings:
    steps: int
    lr: float
    batch_size: int
    seed: int = 0
    max_prompt_length: int = 1024


def target_text(row: dict[str, Any], think_tag: str = "think", answer_tag: str = "answer") -> str:
    """The response the warm-up teaches for ``row``: a short think part and the ground-truth answer."""
    answer = row["reward_model"]["ground_truth"]
    return f"<{think_tag}>{THINK_TEXT}</{think_tag}><{answer_tag}>{answer}</{answer_tag}>"


def sft_warmup(
    model_path: str | Path, rows: Sequence[dict[str, Any]], out_dir: str | Path, settings: WarmupSettings
) -> Path:
    """Fine-tune ``model_path`` on ``rows`` for ``settings.steps`` steps and save to ``out_dir`` (atomically).

    A completed warm-up with the same settings and base model is reused, so a resumed run skips it.
    """
    from transformers import AutoModelForImageTextToText, AutoProcessor

    out_dir = Path(out_dir)
    identity = {"base": str(model_path), **asdict(settings), "rows": len(rows)}
    marker = out_dir / MARKER
    if marker.is_file() and json.loads(marker.read_text()) == identity:
        return out_dir
    torch.manual_seed(settings.seed)
    processor = AutoProcessor.from_pretrained(model_path)
    model = AutoModelForImageTextToText.from_pretrained(model_path).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=0.0)
    tokenizer = processor.tokenizer
    eos_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    rng = np.random.default_rng(settings.seed)
    progress = tqdm(range(settings.steps), desc="sft warm-up", unit="step")
    for _ in progress:
        batch = [
            rows[i] for i in rng.choice(len(rows), size=min(settings.batch_size, len(rows)), replace=False)
        ]
        prompts = encode_prompts(processor, batch, settings.max_prompt_length)
        targets = [
            tokenizer(target_text(row), add_special_tokens=False)["input_ids"] + [eos_id] for row in batch
        ]
        target_ids, target_mask = pad_responses(
            targets, {eos_id}, tokenizer.pad_token_id, max(map(len, targets))
        )
        log_prob, _ = response_log_probs(model, prompts, target_ids, target_mask)
        loss = -masked_mean(log_prob, target_mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        progress.set_postfix(loss=f"{loss.item():.3f}")
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        model.save_pretrained(tmp)
        processor.save_pretrained(tmp)
        (tmp / MARKER).write_text(json.dumps(identity))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir
