"""GRPO throughput on CPU: our local backend (HF or vLLM rollout, 1 or 2 FSDP policy workers) vs TRL's
``GRPOTrainer`` on the same work, in one run.

Same model weights, prompts, group size n, response length (exactly ``--response-length`` tokens: EOS is
blocked), KL setting (beta), learning rate, batch and number of steps. Prints seconds/step, generated
tokens/s, each side's time split (rollout / reward / update / weight sync / other) and weight sync's ms
against parameter count. Sides run one after another, so other load on a shared machine skews them: each
side's 1-min load average is printed beside it, and a ratio between two sides whose load averages differ by
more than 0.5 is withheld. The vLLM sides need vLLM: run with ``.venv-vllm/bin/python`` (`make test-vllm`
builds it), which also has TRL.

    nice -n 19 .venv-vllm/bin/python benchmarks/bench_grpo.py                # every side, both sizes
    nice -n 19 .venv/bin/python benchmarks/bench_grpo.py --size tiny --steps 2 --skip-trl --sides hf-1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # grpo_workload.py, when run as a script

from grpo_workload import SIZES, Timing, Work, build_work, format_table  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")


SIDES = {"hf-1": ("hf", 1), "hf-2": ("hf", 2), "vllm-1": ("vllm", 1), "vllm-2": ("vllm", 2)}


def run_local(work: Work, engine: str, policy_workers: int) -> Timing:
    """Our backend: the real actors and ``train_step`` of ``rlvr.backends.local.trainer``."""
    import ray
    from omegaconf import OmegaConf

    from rlvr.backends.local import step
    from rlvr.backends.local.actors import local_cpus, start_actors
    from rlvr.backends.local.settings import loop_settings
    from rlvr.recipe.schema import RLConfig

    responses = work.prompts_per_step * work.group_size
    cfg = OmegaConf.merge(
        OmegaConf.structured(RLConfig),
        {
            "data": {"max_response_length": work.response_length, "train_batch_size": work.prompts_per_step},
            "algorithm": {"lr": work.lr, "kl_coef": work.kl_coef, "use_kl_loss": work.kl_coef > 0,
                          "ppo_mini_batch_size": work.prompts_per_step, "ppo_epochs": 1,
                          # one pass per step (per rank), as TRL's one optimizer step over the whole batch
                          "ppo_micro_batch_size_per_gpu": responses // policy_workers},
            "rollout": {"n": work.group_size, "name": engine, "temperature": 1.0, "top_p": 1.0,
                        "log_prob_micro_batch_size_per_gpu": responses // policy_workers},
            "reward": {"num_workers": 0},
            "cluster": {"policy_workers": policy_workers},
            "model": {"enable_gradient_checkpointing": work.gradient_checkpointing},
        },
    )  # fmt: skip
    settings = loop_settings(cfg)
    load_before = os.getloadavg()[0]
    # address="local": a private Ray, never a `ray start` cluster that happens to run on this machine
    ray.init(address="local", num_cpus=local_cpus(settings), include_dashboard=False, log_to_driver=False)
    try:
        actors = start_actors(work.model_dir, work.model_dir, settings, state_dir=None)
        cursor = step.train_step(actors, work.rows, 0, 0, settings)[1]  # warm-up step, not timed
        steps, walls = [], []
        for number in range(1, work.steps + 1):
            started = time.perf_counter()
            metrics, drawn = step.train_step(actors, work.rows, cursor, number, settings)
            walls.append(time.perf_counter() - started)
            steps.append(metrics)
            cursor += drawn
    finally:
        ray.shutdown()
    wall = sum(walls)
    tokens = sum(s["response/length"] * responses for s in steps)

    def mean(key: str) -> float:
        return sum(s[key] for s in steps) / work.steps

    split = {
        "rollout": mean("timing/rollout_s") - mean("timing/reward_s"),
        "reward": mean("timing/reward_s"),
        "update": mean("timing/update_s") - mean("timing/weight_sync_s"),
        "weight sync": mean("timing/weight_sync_s"),
    }
    split["other"] = wall / work.steps - sum(split.values())
    return Timing(
        wall / work.steps, tokens / wall, mean("response/length"), split,
        load=(load_before + os.getloadavg()[0]) / 2, sync_ms=1000 * split["weight sync"],
    )  # fmt: skip


def trl_dataset(work: Work):
    """The same rows in TRL's format: a chat prompt, an ``image`` column for the VLM case, reward columns."""
    from datasets import Dataset

    from rlvr.backends.local.prompts import row_images

    records = []
    for row in work.rows:
        record = {
            "prompt": [{"role": m["role"], "content": m["content"].replace("<image>", "").strip()}
                       for m in row["prompt"]],
            "ground_truth": row["reward_model"]["ground_truth"],
            "extra_info": json.dumps(row["extra_info"]),
        }  # fmt: skip
        if work.with_images:
            record["image"] = row_images(row)[0]
        records.append(record)
    return Dataset.from_list(records)


def run_trl(work: Work, output_dir: Path) -> Timing:
    """TRL's GRPOTrainer with the same model, prompts and settings (CPU, HF generate, no vLLM)."""
    from transformers import AutoModelForImageTextToText, PrinterCallback, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from rewards.score import RewardConfig, compute_score

    reward_config = RewardConfig()  # what our backend uses for a recipe without a reward: block

    def reward(completions, ground_truth, extra_info, **_):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        return [
            compute_score(text, truth, json.loads(extra), reward_config)["score"]
            for text, truth, extra in zip(texts, ground_truth, extra_info, strict=True)
        ]

    clock: dict[str, float] = defaultdict(float)  # seconds spent in each wrapped part during this step
    per_step: list[dict[str, float]] = []

    def timed(method, part: str):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                clock[part] += time.perf_counter() - started

        return wrapper

    class StepClock(TrainerCallback):
        def on_step_begin(self, *_, **__):
            clock.clear()
            clock["started"] = time.perf_counter()

        def on_pre_optimizer_step(self, *_, **__):
            clock["optimizer_started"] = time.perf_counter()

        def on_optimizer_step(self, *_, **__):
            clock["optimizer"] += time.perf_counter() - clock.pop("optimizer_started")

        def on_step_end(self, *_, **__):
            per_step.append({**clock, "step": time.perf_counter() - clock.pop("started")})

    config = GRPOConfig(
        output_dir=str(output_dir), use_cpu=True, bf16=False, report_to=[], save_strategy="no",
        per_device_train_batch_size=work.prompts_per_step * work.group_size, num_generations=work.group_size,
        gradient_accumulation_steps=1, steps_per_generation=1, num_iterations=1, loss_type="dapo",
        max_completion_length=work.response_length,
        generation_kwargs={"min_new_tokens": work.response_length},  # no EOS: every response is full length
        temperature=1.0, top_p=1.0, beta=work.kl_coef, learning_rate=work.lr, max_grad_norm=1.0,
        max_steps=work.steps + 1, logging_steps=1, shuffle_dataset=False, dataloader_num_workers=0,
        disable_tqdm=True, seed=0, gradient_checkpointing=work.gradient_checkpointing,
    )  # fmt: skip
    model = AutoModelForImageTextToText.from_pretrained(work.model_dir)
    trl_trainer = GRPOTrainer(model=model, reward_funcs=reward, args=config, train_dataset=trl_dataset(work))
    trl_trainer.remove_callback(PrinterCallback)
    wrapped = {"_generate": "generation", "_calculate_rewards": "reward",
               "_generate_and_score_completions": "prepare", "training_step": "training_step"}  # fmt: skip
    for name, part in wrapped.items():
        setattr(trl_trainer, name, timed(getattr(trl_trainer, name), part))
    trl_trainer.add_callback(StepClock())
    trl_trainer.train()

    timed_steps = per_step[1:]  # the first step warms up, as on our side
    history = trl_trainer.state.log_history
    lengths = [h["completions/mean_length"] for h in history if "completions/mean_length" in h]
    count = len(timed_steps)

    def mean(key: str) -> float:
        return sum(s.get(key, 0.0) for s in timed_steps) / count

    log_probs = mean("prepare") - mean("generation") - mean("reward")  # reference (and old) log-probs
    loss_and_backward = mean("training_step") - mean("prepare")
    split = {
        "rollout": mean("generation"),
        "reward": mean("reward"),
        "update": log_probs + loss_and_backward + mean("optimizer"),
        "weight sync": 0.0,  # one model: generation reads the weights it trains
    }
    split["other"] = mean("step") - sum(split.values())
    tokens = sum(lengths[1:]) * work.prompts_per_step * work.group_size
    return Timing(
        mean("step"), tokens / (mean("step") * count), sum(lengths[1:]) / count, split,
        {"ref log-probs (in update)": log_probs, "loss+backward": loss_and_backward,
         "optimizer": mean("optimizer")},
    )  # fmt: skip


def run_side(name: str, work: Work, tmp: Path) -> Timing:
    """One side of the comparison, its load average measured around it."""
    if name != "trl":
        return run_local(work, *SIDES[name])
    load_before = os.getloadavg()[0]
    timing = run_trl(work, tmp / f"trl_{work.size}")
    timing.load = (load_before + os.getloadavg()[0]) / 2
    return timing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=[*SIZES, "both"], default="both", help="model size (default both)")
    parser.add_argument("--steps", type=int, default=2, help="timed steps, after one untimed warm-up step")
    parser.add_argument("--n", type=int, default=8, help="responses per prompt (GRPO group size)")
    parser.add_argument("--prompts-per-step", type=int, default=2, help="prompts per step (x n responses)")
    parser.add_argument("--response-length", type=int, default=128, help="tokens per response (fixed)")
    parser.add_argument("--kl-coef", type=float, default=0.04, help="beta: KL-to-reference loss weight")
    parser.add_argument("--no-gradient-checkpointing", action="store_true", help="both sides without it")
    parser.add_argument("--skip-trl", action="store_true", help="only run our backend")
    parser.add_argument(
        "--sides",
        default=",".join(SIDES),
        help=f"our sides to run, comma-separated (default {','.join(SIDES)})",
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    ours = [side.strip() for side in args.sides.split(",") if side.strip()]
    unknown = sorted(set(ours) - set(SIDES))
    if unknown:
        parser.error(f"--sides: unknown {', '.join(unknown)}; choose from {', '.join(SIDES)}")
    import importlib.util

    import torch

    torch.manual_seed(0)
    print(f"torch threads {torch.get_num_threads()}, {os.cpu_count()} CPU cores", flush=True)
    sizes = list(SIZES) if args.size == "both" else [args.size]
    names = ours + ([] if args.skip_trl else ["trl"])
    with tempfile.TemporaryDirectory(prefix="bench_grpo_") as tmp:
        for size in sizes:
            work = build_work(
                size, Path(tmp), steps=args.steps, n=args.n, prompts_per_step=args.prompts_per_step,
                response_length=args.response_length, kl_coef=args.kl_coef,
                gradient_checkpointing=not args.no_gradient_checkpointing,
            )  # fmt: skip
            sides, errors = {}, {}
            for name in names:
                if name.startswith("vllm") and importlib.util.find_spec("vllm") is None:
                    errors[name] = "vLLM is not installed here; run with .venv-vllm/bin/python"
                    continue
                print(f"[{size}] {name} ... (1-min load {os.getloadavg()[0]:.1f})", flush=True)
                try:
                    sides[name] = run_side(name, work, Path(tmp))
                except Exception as error:  # noqa: BLE001 - report it and keep the other sides' numbers
                    errors[name] = f"{type(error).__name__}: ...{str(error)[-400:]}"  # the cause is last
            print(format_table(work, sides, errors), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
