"""Turn RL data rows (verl schema) into model inputs: chat template, images, left-padded tensors.

A prompt batch is a plain dict of tensors (``input_ids``, ``attention_mask`` and, with images,
``pixel_values``, ``image_grid_thw`` and ``mm_token_type_ids``) plus ``images_per_sample`` so that it can be
sliced per sample. ``mm_token_type_ids`` marks the image tokens: without it Qwen-VL models place image
patches at 1-D positions instead of their 3-D (M-RoPE) grid positions, unlike their SFT, vLLM and verl.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import torch
from PIL import Image

from base_training.encode import image_token_count
from base_training.tiny import to_qwen_messages

PromptBatch = dict[str, torch.Tensor]
PER_SAMPLE = ("input_ids", "attention_mask", "mm_token_type_ids", "images_per_sample")  # a row per sample


def prompt_text(processor: Any, row: dict[str, Any]) -> str:
    """The row's chat rendered by the processor's chat template, ready for the assistant's turn."""
    messages = to_qwen_messages(list(row["prompt"]))
    return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def row_images(row: dict[str, Any]) -> list[Image.Image]:
    """The row's images decoded from their PNG bytes (RGB)."""
    return [Image.open(io.BytesIO(data)).convert("RGB") for data in _png_bytes(row)]


def _png_bytes(row: dict[str, Any]) -> list[bytes]:
    """``read_rows`` gives bytes; raw parquet rows give ``{"bytes": ...}`` (verl's layout)."""
    images = row.get("images")
    return [] if images is None else [i["bytes"] if isinstance(i, dict) else i for i in images]


def prompt_lengths(processor: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Tokens of each row's prompt as ``encode_prompts`` encodes it, images included, cheaply: the text is
    tokenized, and each image's one placeholder becomes the tokens of its grid, which the image processor
    derives from the image size alone (no pixels decoded, no model run)."""
    texts = [prompt_text(processor, row) for row in rows]
    lengths = []
    for row, ids in zip(rows, processor.tokenizer(texts)["input_ids"], strict=True):
        sizes = [Image.open(io.BytesIO(data)).size for data in _png_bytes(row)]  # reads the header only
        lengths.append(len(ids) + sum(image_token_count(processor, h, w) - 1 for w, h in sizes))
    return lengths


def encode_prompts(processor: Any, rows: Sequence[dict[str, Any]], max_prompt_length: int) -> PromptBatch:
    """Left-padded prompt tensors for ``rows``; a prompt over ``max_prompt_length`` tokens is an error
    (never truncated: a cut prompt loses its question or an image's tokens)."""
    texts = [prompt_text(processor, row) for row in rows]
    images_per_row = [row_images(r) for r in rows]
    flat_images = [image for images in images_per_row for image in images]
    processor.tokenizer.padding_side = "left"
    batch = processor(text=texts, images=flat_images or None, return_tensors="pt", padding=True)
    lengths = batch["attention_mask"].sum(dim=-1)
    too_long = (lengths > max_prompt_length).nonzero().flatten().tolist()
    if too_long:
        i = too_long[0]
        index = rows[i].get("extra_info", {}).get("index", i)
        raise ValueError(
            f"prompt of row index {index} has {int(lengths[i])} tokens (images included), over "
            f"data.max_prompt_length={max_prompt_length}; raise data.max_prompt_length, shorten the prompt, "
            "or set data.filter_overlong_prompts=true to drop such rows before training."
        )
    out = {
        key: batch[key]
        for key in ("input_ids", "attention_mask", "pixel_values", "image_grid_thw", "mm_token_type_ids")
        if key in batch
    }
    out["images_per_sample"] = torch.tensor([len(images) for images in images_per_row])
    return out


def patch_ranges(batch: PromptBatch) -> list[list[tuple[int, int]]]:
    """For each sample, the (start, end) rows of ``pixel_values`` of each of its images."""
    patches = batch["image_grid_thw"].prod(dim=-1).tolist()
    starts = [0]
    for count in patches:
        starts.append(starts[-1] + count)
    out, image = [], 0
    for count in batch["images_per_sample"].tolist():
        out.append([(starts[i], starts[i + 1]) for i in range(image, image + count)])
        image += count
    return out


def slice_prompts(batch: PromptBatch, indices: Sequence[int]) -> PromptBatch:
    """The sub-batch of samples ``indices``, keeping each sample's image patches with it."""
    index = torch.as_tensor(list(indices), dtype=torch.long)
    out = {key: batch[key][index] for key in PER_SAMPLE if key in batch}
    if "image_grid_thw" not in batch:
        return out
    ranges = patch_ranges(batch)
    image_start = torch.cumsum(batch["images_per_sample"], 0) - batch["images_per_sample"]
    image_rows = [
        int(image_start[i]) + k for i in index.tolist() for k in range(int(batch["images_per_sample"][i]))
    ]
    patch_rows = [torch.arange(start, end) for i in index.tolist() for start, end in ranges[i]]
    if image_rows:
        out["image_grid_thw"] = batch["image_grid_thw"][image_rows]
        out["pixel_values"] = batch["pixel_values"][torch.cat(patch_rows)]
    return out


def concat_prompts(batches: Sequence[PromptBatch], pad_id: int) -> PromptBatch:
    """One prompt batch of the samples of ``batches`` in order, re-padded on the left to the widest."""
    width = max(batch["input_ids"].shape[1] for batch in batches)

    def left_pad(tensor: torch.Tensor, value: int) -> torch.Tensor:
        return torch.nn.functional.pad(tensor, (width - tensor.shape[1], 0), value=value)

    out = {
        "input_ids": torch.cat([left_pad(b["input_ids"], pad_id) for b in batches]),
        "attention_mask": torch.cat([left_pad(b["attention_mask"], 0) for b in batches]),
        "images_per_sample": torch.cat([b["images_per_sample"] for b in batches]),
    }
    with_images = [b for b in batches if "image_grid_thw" in b]
    if any("mm_token_type_ids" in b for b in batches):  # text-only parts: every token is text (0)
        out["mm_token_type_ids"] = torch.cat(
            [left_pad(b.get("mm_token_type_ids", torch.zeros_like(b["input_ids"])), 0) for b in batches]
        )
    if with_images:
        out["image_grid_thw"] = torch.cat([b["image_grid_thw"] for b in with_images])
        out["pixel_values"] = torch.cat([b["pixel_values"] for b in with_images])
    return out


def model_inputs(batch: PromptBatch) -> dict[str, torch.Tensor]:
    """The keys of a prompt batch that the model's forward/generate accept."""
    return {key: value for key, value in batch.items() if key != "images_per_sample"}
