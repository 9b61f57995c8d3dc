"""The tiny Qwen2.5-VL builder: reloads offline, sees images, generates, renders think/answer chats."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from base_training.tiny import MARKER_FILE, build_tiny_qwen2_5_vl, to_qwen_messages


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="module")
def loaded(tiny_dir):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    return AutoProcessor.from_pretrained(tiny_dir), AutoModelForImageTextToText.from_pretrained(tiny_dir)


def test_build_is_small_and_ties_embeddings(loaded):
    _, model = loaded
    assert sum(p.numel() for p in model.parameters()) < 5_000_000
    assert model.lm_head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()


def test_special_tokens_are_single_ids(loaded):
    processor, model = loaded
    tok = processor.tokenizer
    for token in [
        "<|im_start|>",
        "<|im_end|>",
        "<|image_pad|>",
        "<think>",
        "</think>",
        "<answer>",
        "</answer>",
    ]:
        assert len(tok.encode(token, add_special_tokens=False)) == 1, token
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"
    assert model.config.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    assert model.generation_config.eos_token_id == tok.convert_tokens_to_ids("<|im_end|>")
    assert model.generation_config.pad_token_id == tok.pad_token_id
    assert model.config.text_config.vocab_size >= len(tok)


def test_image_tokens_match_processor_grid_and_generate_runs(loaded):
    processor, model = loaded
    messages = [{"role": "user", "content": "<image>What imaging modality is this?"}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[text], images=[Image.new("RGB", (56, 56), (200, 30, 30))], return_tensors="pt")
    merge = processor.image_processor.merge_size
    expected = int(inputs["image_grid_thw"].prod()) // merge**2
    assert expected == 4  # 56x56 -> 4x4 patches -> 2x2 after the 2x2 merge
    assert int((inputs["input_ids"] == model.config.image_token_id).sum()) == expected
    with torch.no_grad():
        logits = model(**inputs).logits
        out = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert logits.shape[:2] == inputs["input_ids"].shape
    assert out.shape[1] > inputs["input_ids"].shape[1]


def test_text_only_generate(loaded):
    processor, model = loaded
    text = processor.apply_chat_template(
        [{"role": "user", "content": "Is it normal?"}], add_generation_prompt=True
    )
    inputs = processor(text=[text], return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]


def test_chat_template_renders_think_answer_response(loaded):
    processor, _ = loaded
    messages = [
        {"role": "user", "content": "<image>How many spots?"},
        {"role": "assistant", "content": "<think>I count 3.</think><answer>3</answer>"},
    ]
    rendered = processor.apply_chat_template(messages, tokenize=False)
    assert "<|vision_start|><|image_pad|><|vision_end|>How many spots?" in rendered
    assert rendered.endswith("<|im_start|>assistant\n<think>I count 3.</think><answer>3</answer><|im_end|>\n")
    # the list-of-parts form renders identically
    assert processor.apply_chat_template(to_qwen_messages(messages), tokenize=False) == rendered


def test_to_qwen_messages_splits_image_placeholders():
    parts = to_qwen_messages([{"role": "user", "content": "A<image>B<image>"}])[0]["content"]
    assert parts == [
        {"type": "text", "text": "A"},
        {"type": "image"},
        {"type": "text", "text": "B"},
        {"type": "image"},
    ]


def test_second_build_is_cached_and_other_config_rebuilds(tiny_dir):
    stamp = (tiny_dir / MARKER_FILE).stat().st_mtime_ns
    assert build_tiny_qwen2_5_vl(tiny_dir, seed=0) == tiny_dir
    assert (tiny_dir / MARKER_FILE).stat().st_mtime_ns == stamp
    other = build_tiny_qwen2_5_vl(tiny_dir.parent / "other", seed=1, num_hidden_layers=1)
    assert json.loads((other / MARKER_FILE).read_text())["size"]["num_hidden_layers"] == 1
    assert not [p for p in tiny_dir.parent.iterdir() if ".building-" in p.name]


def test_refuses_foreign_folder_and_unknown_override(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a tiny-model build"):
        build_tiny_qwen2_5_vl(tmp_path)
    with pytest.raises(TypeError, match="unknown size override"):
        build_tiny_qwen2_5_vl(tmp_path / "x", hidden_sise=64)


@pytest.mark.parametrize("initializer_range", [0.02, 0.1])
def test_initializer_range_sets_the_std_of_language_and_vision_weights(tmp_path, initializer_range):
    from transformers import AutoModelForImageTextToText

    path = build_tiny_qwen2_5_vl(tmp_path / "model", seed=0, initializer_range=initializer_range)
    model = AutoModelForImageTextToText.from_pretrained(path)
    weights = {
        name: param
        for name, param in model.named_parameters()
        if name.endswith(("q_proj.weight", "patch_embed.proj.weight", "mlp.0.weight", "embed_tokens.weight"))
    }
    assert any("visual" in name for name in weights) and any("language" in name for name in weights)
    for name, param in weights.items():
        assert param.std().item() == pytest.approx(initializer_range, rel=0.1), name
