"""Build a tiny random-weight Qwen2.5-VL (model + locally trained tokenizer + processor) for CPU runs.

The folder it writes loads with ``AutoModelForImageTextToText`` / ``AutoProcessor`` and no hub access.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from base_training.chat_template import QWEN2_5_VL_CHAT_TEMPLATE, to_qwen_messages
from base_training.tiny_corpus import TRAINING_CORPUS

BUILDER_VERSION = 2
MARKER_FILE = "tiny_build.json"

# Qwen2.5-VL's special tokens (same strings as the released models), then the reasoning tags.
QWEN_SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
REASONING_TOKENS = ["<think>", "</think>", "<answer>", "</answer>"]


@dataclass(frozen=True)
class TinySize:
    """Every size knob of the tiny model; ``build_tiny_qwen2_5_vl(**overrides)`` takes these names."""

    vocab_size: int = 1536
    hidden_size: int = 128
    intermediate_size: int = 256
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 4096
    vision_depth: int = 2
    vision_hidden_size: int = 64
    vision_intermediate_size: int = 128
    vision_num_heads: int = 4
    # 56x56 pixels -> 4x4 patches of 14 -> 2x2 merged -> 4 image tokens; larger images up to 16 tokens.
    image_min_pixels: int = 56 * 56
    image_max_pixels: int = 112 * 112
    initializer_range: float = 0.02

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def validate(self) -> None:
        if self.hidden_size % self.num_attention_heads or self.head_dim % 4:
            raise ValueError(
                f"tiny model: hidden_size={self.hidden_size} must split into num_attention_heads="
                f"{self.num_attention_heads} heads whose size is a multiple of 4 (rotary halves split in 3)."
            )
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("tiny model: num_attention_heads must be a multiple of num_key_value_heads.")
        if self.vision_hidden_size % self.vision_num_heads:
            raise ValueError("tiny model: vision_hidden_size must be a multiple of vision_num_heads.")

    def mrope_section(self) -> list[int]:
        """Split head_dim/2 rotary frequencies into (temporal, height, width) like Qwen's [16, 24, 24]."""
        half = self.head_dim // 2
        temporal = half // 4
        height = (half - temporal) // 2
        return [temporal, height, half - temporal - height]


def _size_from_overrides(overrides: dict) -> TinySize:
    known = {f.name for f in fields(TinySize)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"build_tiny_qwen2_5_vl: unknown size override(s) {unknown}; known: {sorted(known)}")
    size = TinySize(**overrides)
    size.validate()
    return size


def config_hash(size: TinySize, seed: int) -> str:
    """Identity of a build: the sizes, the seed, the tokenizer corpus and this builder's version."""
    payload = json.dumps(
        {"size": asdict(size), "seed": seed, "version": BUILDER_VERSION, "corpus": TRAINING_CORPUS},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def train_tokenizer(vocab_size: int):
    """Byte-level BPE trained on the built-in corpus, wrapped as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=QWEN_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(TRAINING_CORPUS, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=QWEN_SPECIAL_TOKENS[1:],
        chat_template=QWEN2_5_VL_CHAT_TEMPLATE,
        model_max_length=4096,
        padding_side="left",
    )
    # Reasoning tags are single tokens but not "special": decoding with skip_special_tokens keeps them.
    tokenizer.add_tokens(REASONING_TOKENS)
    return tokenizer


def _model_config(size: TinySize, tokenizer):
    from transformers import Qwen2_5_VLConfig

    ids = tokenizer.convert_tokens_to_ids
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": size.hidden_size,
        "intermediate_size": size.intermediate_size,
        "num_hidden_layers": size.num_hidden_layers,
        "num_attention_heads": size.num_attention_heads,
        "num_key_value_heads": size.num_key_value_heads,
        "max_position_embeddings": size.max_position_embeddings,
        "max_window_layers": size.num_hidden_layers,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": 10000.0,
            "mrope_section": size.mrope_section(),
        },
        "bos_token_id": None,  # Qwen tokenizers add no BOS
        "eos_token_id": ids("<|im_end|>"),
        "pad_token_id": ids("<|endoftext|>"),
        "tie_word_embeddings": True,
        "initializer_range": size.initializer_range,
    }
    vision = {
        "depth": size.vision_depth,
        "hidden_size": size.vision_hidden_size,
        "intermediate_size": size.vision_intermediate_size,
        "num_heads": size.vision_num_heads,
        "out_hidden_size": size.hidden_size,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "window_size": 112,
        "fullatt_block_indexes": [size.vision_depth - 1],
        "initializer_range": size.initializer_range,
    }
    return Qwen2_5_VLConfig(
        text_config=text,
        vision_config=vision,
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
        tie_word_embeddings=True,
    )


def _write_build(target: Path, size: TinySize, seed: int) -> None:
    import torch
    from transformers import (
        GenerationConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    tokenizer = train_tokenizer(size.vocab_size)
    pixels = {"min_pixels": size.image_min_pixels, "max_pixels": size.image_max_pixels}
    processor = Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessor(**pixels),
        video_processor=Qwen2VLVideoProcessor(**pixels),
        tokenizer=tokenizer,
        chat_template=QWEN2_5_VL_CHAT_TEMPLATE,
    )
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(_model_config(size, tokenizer))
    # Same ids as the tokenizer's eos/pad, so transformers.Trainer has nothing to "align" and warn about.
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, do_sample=False
    )
    model.save_pretrained(target)
    processor.save_pretrained(target)


def _completed_hash(out_dir: Path) -> str | None:
    marker = out_dir / MARKER_FILE
    if not marker.is_file():
        return None
    try:
        return json.loads(marker.read_text()).get("config_hash")
    except (OSError, json.JSONDecodeError):
        return None


def build_tiny_qwen2_5_vl(out_dir: str | os.PathLike, seed: int = 0, **size_overrides) -> Path:
    """Write a tiny Qwen2.5-VL to ``out_dir`` (or reuse a completed build of the same config) and return it.

    The build happens in a temporary sibling folder that is renamed into place after the marker file is
    written, so an interrupted build is never mistaken for a finished one.
    """
    out_dir = Path(out_dir).expanduser().resolve()
    size = _size_from_overrides(size_overrides)
    wanted = config_hash(size, seed)
    existing = _completed_hash(out_dir)
    if existing == wanted:
        return out_dir
    if out_dir.exists() and any(out_dir.iterdir()) and existing is None:
        raise FileExistsError(
            f"{out_dir} exists and is not a tiny-model build (no {MARKER_FILE}); use an empty or new folder."
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    try:
        _write_build(staging, size, seed)
        marker = {
            "config_hash": wanted,
            "seed": seed,
            "size": asdict(size),
            "builder_version": BUILDER_VERSION,
        }
        (staging / MARKER_FILE).write_text(json.dumps(marker, indent=2))
        if out_dir.exists():  # a finished build of another config (checked above): replace it
            shutil.rmtree(out_dir)
        try:
            staging.rename(out_dir)
        except OSError:
            if _completed_hash(out_dir) != wanted:  # lost a race to anything but an identical build
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


__all__ = ["build_tiny_qwen2_5_vl", "to_qwen_messages", "TinySize", "config_hash", "train_tokenizer"]
