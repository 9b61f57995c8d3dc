"""One real verl GRPO step on the tiny Qwen2.5-VL through `rlvr.backends.verl.run` (needs a GPU and vLLM)."""

from __future__ import annotations

import json

import pytest

from rlvr.recipe.compose import compose_recipe


@pytest.mark.gpu
@pytest.mark.slow
def test_one_verl_step_on_the_tiny_model(tmp_path):
    pytest.importorskip("vllm")
    from base_training.tiny import build_tiny_qwen2_5_vl
    from rlvr.backends.verl import run
    from rlvr.data.synth import write_synth

    model = build_tiny_qwen2_5_vl(tmp_path / "tiny")
    data = write_synth(tmp_path / "data", n=40, seed=0)
    out = tmp_path / "run"
    overrides = [
        f"model.path={model}", "model.tiny=false", "model.use_remove_padding=false",
        f"data.train_files=[{data['train']}]", f"data.val_files=[{data['val']}]",
        "data.max_prompt_length=256", "data.max_response_length=32", "data.train_batch_size=4",
        "algorithm.ppo_mini_batch_size=4", "algorithm.ppo_micro_batch_size_per_gpu=2",
        "rollout.n=2", "rollout.tensor_parallel_size=1", "rollout.gpu_memory_utilization=0.3",
        "rollout.log_prob_micro_batch_size_per_gpu=2",
        "cluster.nodes=1", "cluster.gpus_per_node=1",
        "trainer.total_steps=1", "trainer.test_freq=1", "trainer.save_freq=0", f"trainer.output_dir={out}",
    ]  # fmt: skip
    summary = run(compose_recipe("medvqa_grpo_qwen2_5_vl_7b", overrides))
    assert summary["steps"] == 1
    assert json.loads((out / "summary.json").read_text())["backend"] == "verl"
    assert (out / "metrics.jsonl").stat().st_size > 0
