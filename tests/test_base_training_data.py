"""SFT data: readers for chat/RL/caption rows, bad-row reporting, assistant-only labels, ratio mixing."""

from __future__ import annotations

import random

import pytest
from base_training_fixtures import draw_png, write_captions, write_jsonl, write_text_chat
from omegaconf import OmegaConf

from base_training.dataset import DataError, build_dataset, draw, mixture_counts
from base_training.encode import IGNORE_INDEX, SFTCollator
from base_training.tiny import build_tiny_qwen2_5_vl


@pytest.fixture(scope="module")
def processor(tmp_path_factory):
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "m"))


def data_cfg(*sources, **extra):
    base = {
        "sources": [{"path": str(p), "ratio": r, "format": "auto", "name": None} for p, r in sources],
        "num_samples": None,
        "max_length": 256,
        "on_error": "skip",
        "max_reported_errors": 10,
        "caption_prompt": "<image>Describe the image.",
        "seed": 0,
        "rl_think_template": "The question asks: {question} The answer is {answer}.",
    }
    return OmegaConf.create({**base, **extra})


def decoded_targets(processor, features) -> str:
    return processor.tokenizer.decode([t for t in features["labels"].tolist() if t != IGNORE_INDEX])


def test_rl_parquet_rows_become_think_answer_targets(tmp_path, processor):
    from rlvr.data.synth import write_synth

    paths = write_synth(tmp_path, n=6, seed=0)
    dataset, (report,) = build_dataset(data_cfg((paths["train"], 1.0)), processor)
    features = dataset[0]
    target = decoded_targets(processor, features)
    assert target.startswith("<think>The question asks:") and target.endswith("</answer><|im_end|>")
    image_pad = processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    n_image_tokens = int((features["input_ids"] == image_pad).sum())
    assert n_image_tokens == int(features["image_grid_thw"].prod()) // 4
    assert dataset.lengths[0] == len(features["input_ids"])  # length estimate used for grouping is exact
    assert report.rows == report.valid == report.used == 5


def test_labels_cover_only_assistant_turns(tmp_path, processor):
    (tmp_path / "red.png").write_bytes(draw_png("red"))
    chat = write_jsonl(
        tmp_path / "chat.jsonl",
        [
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "<image>What color?"},
                    {"role": "assistant", "content": "red"},
                    {"role": "user", "content": "Shape?"},
                    {"role": "assistant", "content": "<think>round</think><answer>circle</answer>"},
                ],
                "images": ["red.png"],
            }
        ],
    )
    dataset, _ = build_dataset(data_cfg((chat, 1.0)), processor)
    features = dataset[0]
    assert (
        decoded_targets(processor, features)
        == "red<|im_end|><think>round</think><answer>circle</answer><|im_end|>"
    )
    vision_ids = processor.tokenizer.convert_tokens_to_ids(
        ["<|image_pad|>", "<|vision_start|>", "<|vision_end|>"]
    )
    assert not set(features["labels"].tolist()) & set(vision_ids)


def test_caption_rows_and_text_only_rows_batch_together(tmp_path, processor):
    captions, text = write_captions(tmp_path, n=2), write_text_chat(tmp_path, n=2)
    dataset, reports = build_dataset(data_cfg((captions, 1.0), (text, 1.0)), processor)
    targets = {decoded_targets(processor, dataset[i]) for i in range(len(dataset))}
    assert targets == {
        "A red circle on a dark CT image.<|im_end|>",
        "A green square on a dark CT image.<|im_end|>",
        "no<|im_end|>",
    }
    batch = SFTCollator(pad_token_id=processor.tokenizer.pad_token_id)([dataset[i] for i in range(4)])
    assert batch["input_ids"].shape == batch["labels"].shape == batch["mm_token_type_ids"].shape
    assert batch["image_grid_thw"].shape == (2, 3)  # only the two caption rows carry images
    assert [r.used for r in reports] == [2, 2]


def test_bad_rows_are_reported_with_file_and_row_then_skipped(tmp_path, processor, capsys):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    good = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            good,
            "{not json",
            {"messages": [{"role": "user", "content": "<image>x"}, {"role": "assistant", "content": "y"}]},
            {"image": "img/missing.png", "caption": "c"},
            {"messages": [{"role": "user", "content": "q"}]},
            {"image": "broken.png", "caption": "c"},
            {"something": 1},
        ],
    )
    _, (report,) = build_dataset(data_cfg((path, 1.0)), processor)
    assert (report.rows, report.valid, report.bad) == (7, 1, 6)
    err = capsys.readouterr().err
    for row, reason in [
        (2, "invalid JSON"),
        (3, "1 '<image>' placeholder(s) but 0 image(s)"),
        (4, "image file not found"),
        (5, "the last message must be the assistant"),
        (6, "image cannot be decoded"),
        (7, "cannot tell the row format"),
    ]:
        assert f"mixed.jsonl:{row}: {reason}" in err

    with pytest.raises(DataError, match=r"mixed\.jsonl:2: invalid JSON"):
        build_dataset(data_cfg((path, 1.0), on_error="fail"), processor)


def test_source_level_problems_fail_with_the_path(tmp_path, processor):
    text = write_text_chat(tmp_path, n=3)
    with pytest.raises(DataError, match="no usable rows"):
        build_dataset(data_cfg((text, 1.0), max_length=5), processor)
    with pytest.raises(DataError, match="does not exist"):
        build_dataset(data_cfg((tmp_path / "nope.jsonl", 1.0)), processor)
    (tmp_path / "rows.csv").write_text("a,b\n")
    with pytest.raises(DataError, match=r"rows\.csv: unsupported file type '\.csv'"):
        build_dataset(data_cfg((tmp_path / "rows.csv", 1.0)), processor)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"broken\.parquet cannot be read as parquet"):
        build_dataset(data_cfg((tmp_path / "broken.parquet", 1.0)), processor)
    with pytest.raises(DataError, match="no training data"):
        build_dataset(data_cfg(), processor)


def test_mixture_follows_ratios():
    assert mixture_counts([0.7, 0.3], 10) == [7, 3]
    assert mixture_counts([1, 1, 1], 10) == [4, 3, 3]
    picks = draw(4, 10, random.Random(0))
    assert len(picks) == 10 and sorted(picks[:8]) == [0, 0, 1, 1, 2, 2, 3, 3]


def test_num_samples_resamples_sources_by_ratio(tmp_path, processor):
    captions, text = write_captions(tmp_path, n=4), write_text_chat(tmp_path, n=6)
    dataset, reports = build_dataset(data_cfg((captions, 3.0), (text, 1.0), num_samples=12), processor)
    assert len(dataset) == 12 and [r.used for r in reports] == [9, 3]
