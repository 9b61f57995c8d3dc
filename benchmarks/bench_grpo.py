"""GRPO throughput on CPU: our local backend (Ray actors) vs TRL's ``GRPOTrainer`` on the same work.

Same model (a tiny Qwen2.5-VL, or a ~25M-parameter one), same text prompts, group size, response
length, KL setting, learning rate and number of steps. Prints seconds/step, generated tokens/s, their
ratio and each side's time split (rollout / reward / update).

    .venv/bin/python benchmarks/bench_grpo.py                 # both sizes
    .venv/bin/python benchmarks/bench_grpo.py --sizes tiny --steps 3
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

SIZES = {
    "tiny": {},  # the quickstart model (~0.7M parameters)
    "medium": {  # ~25M parameters: generation and updates dominate fixed overheads
        "hidden_size": 512, "intermediate_size": 1408, "num_hidden_layers": 8,
        "num_attention_heads": 8, "num_key_value_heads": 4,
    },
}  # fmt: skip


@dataclass
class Work:
    """One benchmark point: what both trainers do."""

    model_dir: Path
    prompts: list[str]
    answers: list[str]
    group_size: int
    max_new_tokens: int
    steps: int
    prompts_per_step: int
    kl_coef: float
    lr: float = 1e-5


@dataclass
class Timing:
    seconds_per_step: float
    tokens_per_s: float
    rollout_s: float
    reward_s: float
    update_s: float


def reward_of(response: str, answer: str) -> float:
    from rewards.score import compute_score

    return compute_score(response, answer, {"answer_type": "closed"})["score"]


def build_work(size: str, root: Path, args: argparse.Namespace) -> Work:
    from base_training.tiny import build_tiny_qwen2_5_vl
    from rlvr.data.synth import make_sample

    model_dir = build_tiny_qwen2_5_vl(root / f"model_{size}", seed=0, **SIZES[size])
    samples = [make_sample(0, "train", i) for i in range(args.prompts_per_step * (args.steps + 1))]
    prompts = [
        f"{s.question} Think inside <think> </think>, answer inside <answer> </answer>." for s in samples
    ]
    return Work(
        model_dir, prompts, [s.answer for s in samples], args.n, args.max_new_tokens,
        args.steps, args.prompts_per_step, args.kl_coef,
    )  # fmt: skip


def run_local(work: Work) -> Timing:
    """Our backend: the real actors and step functions of ``rlvr.local.trainer``."""
    import ray
    from omegaconf import OmegaConf

    from rlvr.config import RLConfig
    from rlvr.local import trainer
    from rlvr.local.settings import loop_settings

    cfg = OmegaConf.merge(
        OmegaConf.structured(RLConfig),
        {
            "data": {"max_response_length": work.max_new_tokens, "train_batch_size": work.prompts_per_step},
            "algorithm": {"lr": work.lr, "kl_coef": work.kl_coef, "use_kl_loss": work.kl_coef > 0,
                          "ppo_mini_batch_size": work.prompts_per_step},
            "rollout": {"n": work.group_size, "engine": "hf"},
            "reward": {"num_workers": 0},
        },
    )  # fmt: skip
    settings = loop_settings(cfg)
    rows = [
        {"prompt": [{"role": "user", "content": p}], "reward_model": {"ground_truth": a},
         "extra_info": {"answer_type": "closed"}}
        for p, a in zip(work.prompts, work.answers, strict=True)
    ]  # fmt: skip
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    try:
        actors = trainer.start_actors(work.model_dir, work.model_dir, settings, state_dir=None)
        state = trainer.RunState()
        trainer.train_step(actors, rows, state, settings)  # warm-up step, not timed
        steps = [trainer.train_step(actors, rows, state, settings) for _ in range(work.steps)]
    finally:
        ray.shutdown()
    total = sum(s["timing/step_s"] for s in steps)
    tokens = sum(s["response/length"] * work.prompts_per_step * work.group_size for s in steps)
    return Timing(
        total / work.steps, tokens / total,
        *(sum(s[f"timing/{part}_s"] for s in steps) / work.steps for part in ("rollout", "reward", "update")),
    )  # fmt: skip


def run_trl(work: Work, output_dir: Path) -> Timing:
    """TRL's GRPOTrainer with the same model, prompts and settings (CPU, no vLLM)."""
    from datasets import Dataset
    from transformers import AutoModelForImageTextToText, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    def reward(completions, answer, **_):
        started = time.perf_counter()
        scores = [
            reward_of(c[0]["content"] if isinstance(c, list) else c, a)
            for c, a in zip(completions, answer, strict=True)
        ]
        split["reward"] += time.perf_counter() - started
        return scores

    split = {"rollout": 0.0, "reward": 0.0}
    step_times: list[float] = []

    class StepClock(TrainerCallback):
        def on_step_begin(self, *_, **__):
            self.started = time.perf_counter()

        def on_step_end(self, *_, **__):
            step_times.append(time.perf_counter() - self.started)

    dataset = Dataset.from_list(
        [
            {"prompt": [{"role": "user", "content": p}], "answer": a}
            for p, a in zip(work.prompts, work.answers, strict=True)
        ]
    )
    config = GRPOConfig(
        output_dir=str(output_dir), use_cpu=True, bf16=False, report_to=[], save_strategy="no",
        per_device_train_batch_size=work.prompts_per_step * work.group_size, num_generations=work.group_size,
        gradient_accumulation_steps=1, steps_per_generation=1, num_iterations=1,
        max_completion_length=work.max_new_tokens, temperature=1.0, top_p=1.0, beta=work.kl_coef,
        learning_rate=work.lr, max_steps=work.steps + 1, logging_steps=1, shuffle_dataset=False,
        dataloader_num_workers=0, disable_tqdm=True,
    )  # fmt: skip
    model = AutoModelForImageTextToText.from_pretrained(work.model_dir)
    trl_trainer = GRPOTrainer(model=model, reward_funcs=reward, args=config, train_dataset=dataset)
    generate = trl_trainer._generate

    def timed_generate(*args, **kwargs):
        started = time.perf_counter()
        out = generate(*args, **kwargs)
        split["rollout"] += time.perf_counter() - started  # TRL scores after _generate returns
        return out

    trl_trainer._generate = timed_generate
    trl_trainer.add_callback(StepClock())
    trl_trainer.train()
    timed = step_times[1:]  # the first step warms up, as on our side
    total = sum(timed)
    lengths = [
        h["completions/mean_length"] for h in trl_trainer.state.log_history if "completions/mean_length" in h
    ]
    tokens = sum(lengths[1:]) * work.prompts_per_step * work.group_size
    steps = len(timed)
    rollout = (
        split["rollout"] * steps / (steps + 1)
    )  # the split is not per step in TRL; scale out the warm-up
    reward_time = split["reward"] * steps / (steps + 1)
    return Timing(
        total / steps,
        tokens / total,
        rollout / steps,
        reward_time / steps,
        (total - rollout - reward_time) / steps,
    )


def table(size: str, ours: Timing | None, trl: Timing | None) -> str:
    rows = [f"\n== {size} model =="]
    rows.append(f"{'trainer':<8} {'s/step':>8} {'tok/s':>8} {'rollout':>8} {'reward':>8} {'update':>8}")
    for name, t in (("local", ours), ("trl", trl)):
        if t is not None:
            rows.append(
                f"{name:<8} {t.seconds_per_step:8.2f} {t.tokens_per_s:8.1f} {t.rollout_s:8.2f} "
                f"{t.reward_s:8.2f} {t.update_s:8.2f}"
            )
    if ours and trl:
        speedup = trl.seconds_per_step / ours.seconds_per_step
        rows.append(
            f"local vs trl: x{ours.tokens_per_s / trl.tokens_per_s:.2f} tokens/s, x{speedup:.2f} step speed"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--steps", type=int, default=3, help="timed steps (after one warm-up step)")
    parser.add_argument("--prompts-per-step", type=int, default=4)
    parser.add_argument("--n", type=int, default=8, help="responses per prompt")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--kl-coef", type=float, default=0.04)
    parser.add_argument("--skip-trl", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix="bench_grpo_") as tmp:
        for size in args.sizes:
            work = build_work(size, Path(tmp), args)
            ours = run_local(work)
            trl = None if args.skip_trl else run_trl(work, Path(tmp) / f"trl_{size}")
            print(table(size, ours, trl), flush=True)


if __name__ == "__main__":
    main()
