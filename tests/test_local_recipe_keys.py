"""Recipe keys the local backend honours: micro-batches, top-k, dtype, checkpointing, data order and
filtering, and the policy -> rollout weight sync (tiny Qwen2.5-VL on CPU, no Ray)."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.backends.local.algorithm import LossSettings
from rlvr.backends.local.modeling import ModelSettings, weights_dtype
from rlvr.backends.local.policy import PolicyWorker, TrainBatch, micro_batch_share
from rlvr.backends.local.prompts import encode_prompts, prompt_lengths
from rlvr.backends.local.rollout import Rollout, RolloutWorker, Sampling, pad_responses
from rlvr.backends.local.run_inputs import drop_overlong_prompts
from rlvr.backends.local.sampling import prompt_batch
from rlvr.backends.local.settings import loop_settings
from rlvr.backends.local.vllm_engine import sampling_kwargs
from rlvr.data.io import read_rows
from rlvr.data.synth import write_synth
from rlvr.errors import RecipeError
from rlvr.recipe.compose import compose_recipe
from rlvr.recipe.schema import RLConfig
from rlvr.recipe.validate import validate_recipe


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    return read_rows(write_synth(tmp_path_factory.mktemp("synth"), n=20, seed=0)["train"])


@pytest.fixture(scope="module")
def rollout_worker(tiny_model):
    return RolloutWorker(str(tiny_model), "hf")


@pytest.fixture(scope="module")
def rollout(rollout_worker, rows):
    """Six responses of uneven length to two prompts (three each)."""
    tokenizer = rollout_worker.processor.tokenizer
    texts = [
        "<think>a</think><answer>yes</answer>",
        "no",
        "<answer>lesion</answer>",
        "a b c d e f",
        "x",
        "yes",
    ]
    ids, mask = pad_responses(
        [tokenizer(t, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id] for t in texts],
        rollout_worker.eos_ids, rollout_worker.pad_id, width=16,
    )  # fmt: skip
    prompts = encode_prompts(rollout_worker.processor, [r for r in rows[:2] for _ in range(3)], 256)
    return Rollout(prompts, ids, mask, texts)


def train_batch(rollout) -> TrainBatch:
    generator = torch.Generator().manual_seed(0)
    size = rollout.response_ids.shape
    return TrainBatch(
        rollout.prompts, rollout.response_ids, rollout.response_mask,
        advantages=torch.randn(size[0], 1, generator=generator).expand(size).contiguous(),
        ref_log_prob=-2.0 + 0.5 * torch.randn(size, generator=generator),
    )  # fmt: skip


@pytest.mark.parametrize("loss_agg_mode", ["token-mean", "seq-mean-token-mean"])
def test_micro_batches_accumulate_to_the_same_update_as_one_pass(tiny_model, rollout, loss_agg_mode):
    assert len(set(rollout.response_mask.sum(-1).tolist())) > 1  # uneven lengths: shares matter
    loss = LossSettings(loss_agg_mode=loss_agg_mode, use_kl_loss=True, kl_coef=0.1, entropy_coeff=0.01)
    workers = [
        PolicyWorker(str(tiny_model), None, lr=1e-3, loss=loss, micro_batch_size=size) for size in (None, 4)
    ]
    metrics = [w.update(train_batch(rollout), ppo_epochs=1, mini_batch_size=6, seed=0) for w in workers]

    one_pass, split = (dict(w.model.named_parameters()) for w in workers)
    for name, param in one_pass.items():  # the last step's gradients are still there
        # other batch shapes sum in another order: an element may differ by ~1e-3 of the tensor's scale
        scale = float(param.grad.abs().max())
        torch.testing.assert_close(split[name].grad, param.grad, rtol=1e-4, atol=1e-3 * scale + 1e-7)
        # one AdamW step of 1e-3 normalises near-zero gradients, so such noise moves a weight by up to ~5%
        # of a step
        torch.testing.assert_close(split[name], param, rtol=0, atol=1e-4)
    for key in ("actor/pg_loss", "actor/kl_loss", "actor/entropy", "actor/grad_norm"):
        assert metrics[1][key] == pytest.approx(metrics[0][key], rel=1e-4)


def test_log_prob_micro_batches_give_the_same_scores(tiny_model, rollout):
    worker = PolicyWorker(str(tiny_model), str(tiny_model), lr=1e-3, loss=LossSettings(), with_critic=True)
    tokens = (rollout.prompts, rollout.response_ids, rollout.response_mask)
    whole = worker.score_tokens(*tokens, old=True, ref=True)
    worker.log_prob_micro_batch_size = 4  # 4 + 2 rows
    chunked = worker.score_tokens(*tokens, old=True, ref=True)
    assert set(chunked) == {"old_log_prob", "ref_log_prob", "values"}
    for key, value in whole.items():
        torch.testing.assert_close(chunked[key], value, rtol=1e-4, atol=1e-5)


def test_top_k_1_samples_the_greedy_response(rollout_worker, rows):
    prompts = rows[:3]
    greedy = rollout_worker.generate(prompts, Sampling(8, greedy=True), seed=0)
    top_1 = rollout_worker.generate(prompts, Sampling(8, temperature=1.0, top_k=1), seed=0)
    assert torch.equal(top_1.response_ids, greedy.response_ids)


def test_gradient_checkpointing_gives_the_same_gradients(tiny_model, rollout):
    workers = [
        PolicyWorker(str(tiny_model), None, lr=1e-3, loss=LossSettings(), model=ModelSettings(**kwargs))
        for kwargs in ({}, {"gradient_checkpointing": True})
    ]
    assert workers[1].model.is_gradient_checkpointing and not workers[0].model.is_gradient_checkpointing
    for worker in workers:
        worker.update(train_batch(rollout), ppo_epochs=1, mini_batch_size=6, seed=0)
    plain, checkpointed = (dict(w.model.named_parameters()) for w in workers)
    for name, param in plain.items():
        torch.testing.assert_close(checkpointed[name].grad, param.grad, rtol=1e-4, atol=1e-7)


def test_cpu_trains_in_float32_unless_the_recipe_names_another_dtype(tiny_model):
    assert weights_dtype("bfloat16", "cpu") == torch.float32  # the schema's default: a GPU choice
    assert weights_dtype("float16", "cpu") == torch.float16
    assert weights_dtype("bfloat16", "cuda") == torch.bfloat16
    with pytest.raises(ValueError, match="model.dtype='fp8' is unknown; choose one of float32, bfloat16"):
        weights_dtype("fp8", "cpu")
    worker = RolloutWorker(str(tiny_model), "hf", model=ModelSettings(dtype="float16"))
    assert next(worker.model.parameters()).dtype == torch.float16


def test_weight_sync_copies_every_parameter_and_keeps_tied_ones_tied(tiny_model, rollout_worker):
    policy = PolicyWorker(str(tiny_model), None, lr=1e-3, loss=LossSettings())
    with torch.no_grad():
        for param in policy.model.parameters():
            param.add_(0.01)
    weights = policy.get_weights()
    assert not any("rotary" in name for name in weights)  # buffers never change: not sent
    rollout_worker.set_weights(weights)
    for name, value in policy.model.state_dict().items():
        assert torch.equal(rollout_worker.model.state_dict()[name], value), name
    model = rollout_worker.model
    assert model.lm_head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()


def test_shuffle_false_streams_the_rows_in_file_order_every_epoch():
    rows = [{"i": i} for i in range(5)]
    assert [r["i"] for r in prompt_batch(rows, 3, 6, seed=0, shuffle=False)] == [3, 4, 0, 1, 2, 3]
    shuffled = [r["i"] for r in prompt_batch(rows, 0, 10, seed=0)]
    assert sorted(shuffled[:5]) == sorted(shuffled[5:]) == [0, 1, 2, 3, 4] and shuffled != [0, 1, 2, 3, 4] * 2


def test_overlong_prompts_are_dropped_with_the_count_per_split(rollout_worker, rows, capsys):
    processor = rollout_worker.processor
    lengths = prompt_lengths(processor, rows)
    assert lengths == encode_prompts(processor, rows, 10_000)["attention_mask"].sum(-1).tolist()
    limit = sorted(lengths)[len(lengths) // 2]
    kept = drop_overlong_prompts(processor, rows, limit, "training")
    assert kept == [row for row, n in zip(rows, lengths, strict=True) if n <= limit] and len(kept) < len(rows)
    dropped = len(rows) - len(kept)
    assert f"dropped {dropped} of {len(rows)} training rows" in capsys.readouterr().out
    with pytest.raises(ValueError, match="every validation prompt is longer than data.max_prompt_length=3"):
        drop_overlong_prompts(processor, rows, 3, "validation")


def test_an_overlong_prompt_without_filtering_names_the_row_and_the_keys(rollout_worker, rows):
    with pytest.raises(ValueError, match=r"row index \d+ has \d+ tokens .*data.filter_overlong_prompts=true"):
        encode_prompts(rollout_worker.processor, rows[:2], 5)


def test_loop_settings_carry_the_keys_to_the_workers():
    overrides = [
        "algorithm.ppo_micro_batch_size_per_gpu=3", "rollout.log_prob_micro_batch_size_per_gpu=5",
        "rollout.top_k=20", "model.dtype=float16", "model.trust_remote_code=true",
        "model.enable_gradient_checkpointing=false", "rollout.gpu_memory_utilization=0.5",
        "data.shuffle=false", "data.filter_overlong_prompts=false", "cluster.policy_workers=4",
        "rollout.val_kwargs.temperature=0.7", "cluster.nnodes=2", "cluster.n_gpus_per_node=4",
    ]  # fmt: skip
    settings = loop_settings(
        OmegaConf.merge(OmegaConf.structured(RLConfig), OmegaConf.from_dotlist(overrides))
    )
    assert (settings.micro_batch_size, settings.log_prob_micro_batch_size, settings.top_k) == (3, 5, 20)
    assert settings.model == ModelSettings("float16", trust_remote_code=True, gradient_checkpointing=False)
    assert settings.gpu_memory_utilization == 0.5 and settings.tensor_parallel_size == 1
    assert not settings.shuffle and not settings.filter_overlong_prompts
    assert (settings.policy_workers, settings.val.temperature, settings.gpus) == (4, 0.7, 8)


@pytest.mark.parametrize(
    "override, message",
    [
        ("algorithm.ppo_micro_batch_size_per_gpu=0", "algorithm.ppo_micro_batch_size_per_gpu=0 must be"),
        ("rollout.gpu_memory_utilization=1.5", r"rollout.gpu_memory_utilization=1.5 must be in \(0, 1\]"),
        ("model.dtype=fp8", "model.dtype='fp8' is not one of: float32, bfloat16, float16"),
        ("cluster.policy_workers=0", "cluster.policy_workers=0 must be at least 1"),
        ("cluster.policy_workers=3", r"policy_workers=3 must divide .*ppo_mini_batch_size x rollout.n = 128"),
        (
            "cluster.policy_workers=2,algorithm.adv_estimator=gae",
            "set cluster.policy_workers=1",
        ),
    ],
)
def test_validation_rejects_what_the_local_loop_cannot_run(override, message):
    cfg = compose_recipe("quickstart", override.split(","))
    with pytest.raises(RecipeError, match=message):
        validate_recipe(cfg)


def test_micro_batch_shares_of_uneven_lengths_sum_to_one():
    mask = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]], dtype=torch.float32)
    for mode in ("token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"):
        assert sum(micro_batch_share(mask[rows], mask, mode) for rows in ([0], [1, 2])) == pytest.approx(1)
    assert micro_batch_share(mask[[0]], mask, "token-mean") == pytest.approx(3 / 8)
    assert micro_batch_share(mask[[0]], mask, "seq-mean-token-mean") == pytest.approx(1 / 3)


def test_rollout_keys_map_to_vllm_sampling_params():
    sampled = sampling_kwargs(16, temperature=0.7, top_p=0.9, top_k=0, greedy=False, seed=5)
    assert sampled == {"temperature": 0.7, "top_p": 0.9, "top_k": -1, "max_tokens": 16, "seed": 5}
    assert sampling_kwargs(16, 0.7, 0.9, 20, False, 5)["top_k"] == 20
    greedy = sampling_kwargs(8, temperature=0.7, top_p=0.9, top_k=20, greedy=True, seed=5)
    assert greedy == {"temperature": 0.0, "top_p": 1.0, "top_k": -1, "max_tokens": 8}
