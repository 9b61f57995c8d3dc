"""verl's RLHFDataset loads `rlvr data` parquet on CPU with the tiny Qwen2.5-VL processor."""

from __future__ import annotations

import asyncio

import pytest
from omegaconf import OmegaConf

from rlvr.data.io import write_parquet_files
from rlvr.data.schema import Sample, build_row
from rlvr.data.synth import make_sample, write_synth
from rlvr.data.templates import get_template

pytest.importorskip("verl")


@pytest.fixture(scope="module")
def processor(tmp_path_factory):
    from transformers import AutoProcessor

    from base_training.tiny import build_tiny_qwen2_5_vl

    return AutoProcessor.from_pretrained(build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model"))


@pytest.fixture
def dataset_config(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf_cache"))
    return OmegaConf.create(
        {
            "cache_dir": str(tmp_path / "verl_cache"),
            "prompt_key": "prompt",
            "image_key": "images",
            "max_prompt_length": 512,
            "filter_overlong_prompts": True,
            # None = filter in-process: datasets 5 forks a pool even for num_proc=1, and forking a
            # process that already runs torch threads can deadlock.
            "filter_overlong_prompts_workers": None,
            "return_raw_chat": True,
            "truncation": "error",
        }
    )


def _build(path, processor, config):
    from verl.utils.dataset.rl_dataset import RLHFDataset

    return RLHFDataset(
        data_files=[str(path)], tokenizer=processor.tokenizer, config=config, processor=processor
    )


def test_rlhf_dataset_loads_synth_and_tokenizes_the_image(tmp_path, processor, dataset_config):
    from verl.utils.dataset.rl_dataset import RLHFDataset

    from rewards.verl_adapter import normalize_extra_info

    paths = write_synth(tmp_path / "synth", n=12, seed=0, val_fraction=0.25)
    dataset = _build(paths["train"], processor, dataset_config)
    assert len(dataset) == 9  # nothing filtered as over-long or unprocessable

    item = dataset[0]
    assert item["data_source"] == "medrlvr_synth"
    assert item["reward_model"]["ground_truth"]
    assert item["extra_info"]["answer_type"] in {"choice", "closed", "numeric", "open"}
    options = item["extra_info"]["options"]
    assert set(options) == set("ABCDEFGHIJ")  # struct: every letter present, None where unused
    expected = {k: v for k, v in options.items() if v is not None}
    assert normalize_extra_info(item["extra_info"])["options"] == expected  # what the verifiers see
    assert item["index"] == 0
    user = item["raw_prompt"][-1]
    kinds = [part["type"] for part in user["content"]]
    assert kinds.count("image") == 1 and "text" in kinds

    # What the rollout does with raw_prompt: vision info -> chat template -> processor -> input ids.
    images, _, _ = asyncio.run(RLHFDataset.process_multi_modal_info(item["raw_prompt"], 14, dataset_config))
    text = processor.apply_chat_template(item["raw_prompt"], add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[text], images=images, return_tensors="pt")
    assert inputs["input_ids"].shape[1] > 0
    assert inputs["pixel_values"].shape[0] > 0
    assert tuple(inputs["image_grid_thw"][0].tolist()) == (1, 4, 4)  # 56x56 -> 4x4 patches of 14
    image_pad = processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert int((inputs["input_ids"] == image_pad).sum()) == 4  # 2x2 merged patches


def test_rlhf_dataset_loads_multi_image_rows(tmp_path, processor, dataset_config):
    images = [make_sample(0, "train", i).images[0] for i in range(2)]
    sample = Sample(
        data_source="mmmu",
        question="Compare <image 1> and <image 2>.",
        answer="same",
        answer_type="open",
        images=images,
    )
    path = tmp_path / "multi.parquet"
    write_parquet_files({path: ([build_row(sample, get_template("think_answer"), "train", 0)], {})})
    parts = [part["type"] for part in _build(path, processor, dataset_config)[0]["raw_prompt"][-1]["content"]]
    assert parts.count("image") == 2


def test_rlhf_dataset_loads_text_only_rows(tmp_path, processor, dataset_config):
    sample = Sample(
        data_source="medqa",
        question="Which drug?",
        answer="B",
        answer_type="choice",
        options={"A": "aspirin", "B": "heparin"},
    )
    rows = [build_row(sample, get_template("think_answer"), "train", i) for i in range(2)]
    path = tmp_path / "text.parquet"
    write_parquet_files({path: (rows, {})})
    dataset = _build(path, processor, dataset_config)
    assert len(dataset) == 2
    assert isinstance(dataset[1]["raw_prompt"][-1]["content"], str)
