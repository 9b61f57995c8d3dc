"""verl's RLHFDataset reads `rlvr data prepare` output: JPEG bytes kept as given, dictionary-encoded images,
several row groups and the new extra_info fields (modality_raw, body_part, language, benchmark_split)."""

from __future__ import annotations

import asyncio

import pytest
from data_pipeline_fixtures import install_records_source, write_image, write_records
from omegaconf import OmegaConf

import rlvr.data.writer as writer_module
from rlvr.data.prepare import PrepareOptions, prepare

pytest.importorskip("verl")


@pytest.fixture(scope="module")
def processor(tmp_path_factory):
    from transformers import AutoProcessor

    from base_training.tiny import build_tiny_qwen2_5_vl

    return AutoProcessor.from_pretrained(build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model"))


def test_rlhf_dataset_loads_prepared_jpeg_rows(tmp_path, monkeypatch, processor):
    import datasets
    from verl.utils.dataset.rl_dataset import RLHFDataset

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf_cache"))
    monkeypatch.setattr(writer_module, "ROW_GROUP_ROWS", 5)
    source = install_records_source(monkeypatch)
    rows = []
    for i in range(12):
        write_image(tmp_path / "in" / f"img{i}.jpg", seed=i, size=(112, 84), fmt="JPEG", mode="L")
        for q in range(2):
            labels = {"modality": "CT(Computed Tomography)", "body_part": "HEAD", "images": [f"img{i}.jpg"]}
            rows.append({"question": f"Is lesion {q} seen in scan {i}?", "answer": "yes", **labels})
    paths, report = prepare(
        PrepareOptions(sources=[(source, write_records(tmp_path / "in", rows))], out_dir=tmp_path / "out")
    )
    assert report.images.kept_as_given == 12
    config = OmegaConf.create(
        {
            "cache_dir": str(tmp_path / "verl_cache"),
            "prompt_key": "prompt",
            "image_key": "images",
            "max_prompt_length": 512,
            "filter_overlong_prompts": True,
            "filter_overlong_prompts_workers": None,
            "return_raw_chat": True,
            "truncation": "error",
        }
    )
    dataset = RLHFDataset(
        data_files=[str(paths["train"])], tokenizer=processor.tokenizer, config=config, processor=processor
    )
    assert len(dataset) == report.written["train"]
    item = dataset[len(dataset) - 1]
    extra = item["extra_info"]
    assert (extra["modality"], extra["modality_raw"], extra["body_part"]) == (
        "CT",
        "CT(Computed Tomography)",
        "HEAD",
    )
    assert (extra["language"], extra["benchmark_split"]) == ("en", "")
    images, _, _ = asyncio.run(RLHFDataset.process_multi_modal_info(item["raw_prompt"], 14, config))
    text = processor.apply_chat_template(item["raw_prompt"], add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[text], images=images, return_tensors="pt")
    assert inputs["pixel_values"].shape[0] > 0 and images[0].mode == "RGB"
