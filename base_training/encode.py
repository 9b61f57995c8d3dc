"""Turn a ChatExample into model inputs whose labels cover only assistant tokens; batch them."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from base_training.chat_template import to_qwen_messages
from base_training.readers import ChatExample, open_image

IGNORE_INDEX = -100
VISION_TOKENS = ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>")


@dataclass(frozen=True)
class ChatTokens:
    """Token ids the label mask needs, looked up once from the processor's tokenizer."""

    assistant_header: tuple[int, ...]  # <|im_start|>assistant\n
    turn_end: int  # <|im_end|>
    vision: frozenset[int]
    image_pad: int

    @classmethod
    def from_processor(cls, processor) -> ChatTokens:
        tok = processor.tokenizer
        ids = tok.convert_tokens_to_ids
        header = (ids("<|im_start|>"), *tok.encode("assistant\n", add_special_tokens=False))
        vision = frozenset(i for i in map(ids, VISION_TOKENS) if i is not None and i != tok.unk_token_id)
        return cls(tuple(header), ids("<|im_end|>"), vision, ids("<|image_pad|>"))


def assistant_labels(input_ids: list[int], tokens: ChatTokens) -> list[int]:
    """Copy of ``input_ids`` with everything but assistant replies (and their <|im_end|>) set to -100."""
    labels = [IGNORE_INDEX] * len(input_ids)
    header, width = tokens.assistant_header, len(tokens.assistant_header)
    position = 0
    while position < len(input_ids):
        if tuple(input_ids[position : position + width]) != header:
            position += 1
            continue
        position += width
        while position < len(input_ids):
            token = input_ids[position]
            if token not in tokens.vision:
                labels[position] = token
            position += 1
            if token == tokens.turn_end:
                break
    return labels


def render(example: ChatExample, processor) -> str:
    # to_qwen_messages makes the text work with any Qwen-style template, not only ours with "<image>" support
    return processor.apply_chat_template(to_qwen_messages(example.messages), tokenize=False)


def image_token_count(processor, height: int, width: int) -> int:
    image_processor = processor.image_processor
    return image_processor.get_number_of_image_patches(height, width, {}) // image_processor.merge_size**2


def example_length(example: ChatExample, processor) -> int:
    """Exact token count after the processor expands each image into its grid of image tokens."""
    text_tokens = len(processor.tokenizer.encode(render(example, processor), add_special_tokens=False))
    return text_tokens + sum(image_token_count(processor, h, w) - 1 for h, w in example.image_sizes)


def encode_example(example: ChatExample, processor, tokens: ChatTokens) -> dict[str, torch.Tensor]:
    images = [open_image(image) for image in example.images] or None
    inputs = processor(text=[render(example, processor)], images=images, return_tensors="pt")
    input_ids = inputs["input_ids"][0]
    features = {
        "input_ids": input_ids,
        "attention_mask": inputs["attention_mask"][0],
        "labels": torch.tensor(assistant_labels(input_ids.tolist(), tokens)),
    }
    if "mm_token_type_ids" in inputs:
        features["mm_token_type_ids"] = inputs["mm_token_type_ids"][0]
    if images:
        features["pixel_values"] = inputs["pixel_values"]
        features["image_grid_thw"] = inputs["image_grid_thw"]
    return features


@dataclass
class SFTCollator:
    """Right-pads token tensors; concatenates image patches and grids of the batch's images."""

    pad_token_id: int

    def __call__(self, features: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        pad_values = {
            "input_ids": self.pad_token_id,
            "attention_mask": 0,
            "labels": IGNORE_INDEX,
            "mm_token_type_ids": 0,
        }
        width = max(len(f["input_ids"]) for f in features)
        batch = {}
        for key, pad in pad_values.items():
            if key not in features[0]:
                continue
            batch[key] = torch.stack(
                [torch.nn.functional.pad(f[key], (0, width - len(f[key])), value=pad) for f in features]
            )
        for key in ("pixel_values", "image_grid_thw"):
            parts = [f[key] for f in features if key in f]
            if parts:
                batch[key] = torch.cat(parts)
        return batch
