"""Run one SFT stage: load the init model, freeze/unfreeze, mix data, train, save HF folder + summary."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from base_training.checks import TINY_SCHEME, check_stage
from base_training.config import SFTConfig, compose_config
from base_training.dataset import DataError, build_dataset
from base_training.encode import SFTCollator
from base_training.modules import StageConfigError, select_trainable, trainable_table
from base_training.stage_trainer import StageTrainer, last_complete_checkpoint
from base_training.tiny import build_tiny_qwen2_5_vl

SUMMARY_FILE = "stage_summary.json"


def tiny_cache_dir() -> Path:
    return Path(os.environ.get("MEDRLVR_CACHE_DIR", "~/.cache/medrlvr")).expanduser() / "tiny-qwen2_5_vl"


def resolve_init(init: str, seed: int = 0) -> Path:
    """``tiny://`` -> the cached tiny Qwen2.5-VL (built on first use); otherwise an existing HF folder."""
    if init.startswith(TINY_SCHEME):
        return build_tiny_qwen2_5_vl(tiny_cache_dir() / f"seed{seed}", seed=seed)
    path = Path(init).expanduser()
    if not (path / "config.json").is_file():
        raise StageConfigError(
            f"init={init!r} is not a model folder (no config.json). "
            "Use tiny:// or a previous stage's output_dir."
        )
    return path


def load_model_and_processor(path: Path, bf16: bool):
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(path)
    dtype = torch.bfloat16 if bf16 else torch.float32
    model = AutoModelForImageTextToText.from_pretrained(path, dtype=dtype)
    return model, processor


def to_stage_config(cfg) -> DictConfig:
    """Validate any mapping/DictConfig against the typed schema (unknown keys and bad types fail here)."""
    return OmegaConf.merge(OmegaConf.structured(SFTConfig), cfg)


def _training_arguments(cfg: DictConfig, checkpoints_dir: Path):
    import torch
    from transformers import TrainingArguments

    train = cfg.train
    return TrainingArguments(
        output_dir=str(checkpoints_dir),
        max_steps=train.steps,
        per_device_train_batch_size=train.batch_size,
        gradient_accumulation_steps=train.grad_accum,
        learning_rate=train.lr,
        weight_decay=train.weight_decay,
        warmup_steps=int(train.warmup_ratio * train.steps),
        lr_scheduler_type=train.lr_scheduler,
        max_grad_norm=train.max_grad_norm,
        logging_steps=train.logging_steps,
        save_strategy="steps",
        save_steps=train.save_steps,
        save_total_limit=train.save_total_limit,
        seed=train.seed,
        bf16=train.bf16,
        gradient_checkpointing=train.gradient_checkpointing,
        dataloader_num_workers=train.dataloader_num_workers,
        dataloader_pin_memory=torch.cuda.is_available(),
        train_sampling_strategy="group_by_length" if train.group_by_length else "random",
        fsdp=train.fsdp,
        deepspeed=train.deepspeed,
        report_to=list(train.report_to) or "none",
        remove_unused_columns=False,
        disable_tqdm=False,
    )


def _run_identity(cfg) -> dict:
    """The config as a plain dict, minus train.resume (how to continue is not part of what was trained)."""
    plain = OmegaConf.to_container(OmegaConf.create(cfg), resolve=True)
    plain.get("train", {}).pop("resume", None)
    return plain


def _is_finished(out_dir: Path, cfg: DictConfig) -> bool:
    """True when ``out_dir`` holds this exact stage run, finished; a finished *different* run is an error."""
    summary_path = out_dir / SUMMARY_FILE
    if not summary_path.is_file():
        return False
    if _run_identity(json.loads(summary_path.read_text()).get("config") or {}) == _run_identity(cfg):
        return True
    raise StageConfigError(
        f"{out_dir} already holds a finished stage run with a different config. Choose another output_dir, "
        "or set train.resume=never to train again from scratch there."
    )


def _data_table(reports) -> str:
    lines = [f"{'source':<28} {'ratio':>6} {'rows':>7} {'bad':>5} {'used':>7}"]
    lines += [f"{r.name[:28]:<28} {r.ratio:>6.2f} {r.rows:>7} {r.bad:>5} {r.used:>7}" for r in reports]
    return "\n".join(lines)


def run_stage(cfg) -> Path:
    """Train one stage per ``cfg`` (see base_training/config.py) and return its output HF folder."""
    cfg = to_stage_config(cfg)
    check_stage(cfg)  # what `rlvr sft ... dry_run=true` checks
    out_dir = Path(cfg.output_dir).expanduser()
    checkpoints_dir = out_dir / "checkpoints"
    if cfg.train.resume == "never":
        shutil.rmtree(checkpoints_dir, ignore_errors=True)
        (out_dir / SUMMARY_FILE).unlink(missing_ok=True)
    elif _is_finished(out_dir, cfg):
        print(f"[sft] stage {cfg.stage.name} already complete in {out_dir} (train.resume=never to redo)")
        return out_dir
    started = time.time()
    init_path = resolve_init(cfg.init, seed=cfg.train.seed)
    model, processor = load_model_and_processor(init_path, cfg.train.bf16)
    groups = select_trainable(model, cfg.stage.trainable, cfg.train.lr)
    print(f"[sft] stage {cfg.stage.name}: {cfg.stage.description}  (init: {init_path})")
    print(trainable_table(model, groups))
    dataset, reports = build_dataset(cfg.data, processor)
    print(_data_table(reports))

    resume_from = last_complete_checkpoint(checkpoints_dir) if cfg.train.resume == "auto" else None
    if resume_from:
        print(f"[sft] resuming from {resume_from}")
    trainer = StageTrainer(
        model=model,
        args=_training_arguments(cfg, checkpoints_dir),
        train_dataset=dataset,
        data_collator=SFTCollator(pad_token_id=processor.tokenizer.pad_token_id),
        processing_class=processor,
        param_groups=groups,
        lengths=dataset.lengths,
    )
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    trainer.save_model(str(out_dir))
    losses = [(e["step"], e["loss"]) for e in trainer.state.log_history if "loss" in e]
    if trainer.is_world_process_zero():
        processor.save_pretrained(out_dir)
        summary = {
            "stage": cfg.stage.name,
            "init": str(init_path),
            "steps": trainer.state.global_step,
            "final_loss": losses[-1][1] if losses else None,
            "first_loss": losses[0][1] if losses else None,
            "train_loss": result.training_loss,
            "loss_history": losses,
            "trainable_params": sum(g.numel for g in groups),
            "total_params": sum(p.numel() for p in model.parameters()),
            "module_groups": [{"name": g.name, "lr": g.lr, "params": g.numel} for g in groups],
            "data": [{k: v for k, v in vars(r).items() if k != "errors"} for r in reports],
            "examples": len(dataset),
            "resumed_from": str(resume_from) if resume_from else None,
            "runtime_s": round(time.time() - started, 2),
            "config": OmegaConf.to_container(cfg, resolve=True),
        }
        staged = out_dir / f".{SUMMARY_FILE}.tmp"  # the summary marks the stage finished: write it atomically
        staged.write_text(json.dumps(summary, indent=2))
        os.replace(staged, out_dir / SUMMARY_FILE)
    print(
        f"[sft] stage {cfg.stage.name} done: {trainer.state.global_step} steps, "
        f"final loss {losses[-1][1] if losses else float('nan'):.4f} -> {out_dir}"
    )
    return out_dir


def sft_warmup(
    model_dir: str,
    train_files: str | Sequence[str],
    out_dir: str,
    steps: int = 20,
    lr: float = 1e-4,
    batch_size: int = 4,
    max_length: int = 1024,
    seed: int = 0,
) -> Path:
    """Instruct-stage warm-up on `rlvr data` parquet files (ground truth as <answer>), for RL recipes.

    A short warm-up of the whole model, rows sampled at random. The learning rate decays to 0 (cosine): at a
    constant rate the last few batches decide the answer prior, and a short warm-up often ended confident
    of one answer for every input, which leaves GRPO's groups nothing to compare.
    """
    files = [train_files] if isinstance(train_files, str | Path) else list(train_files)
    overrides = [
        "stage=instruct",
        f"train.steps={steps}",
        f"train.lr={lr}",
        "train.lr_scheduler=cosine",
        "train.group_by_length=false",
        f"train.batch_size={batch_size}",
        f"train.seed={seed}",
        f"train.save_steps={max(steps, 1)}",
        f"train.logging_steps={max(1, steps // 10)}",
        f"data.max_length={max_length}",
    ]
    cfg = compose_config(overrides)
    # paths set by merge, not overrides: they then need no Hydra quoting
    return run_stage(
        OmegaConf.merge(
            cfg,
            {
                "init": str(model_dir),
                "output_dir": str(out_dir),
                "data": {"sources": [{"path": str(f), "ratio": 1.0, "format": "rl"} for f in files]},
                "stage": {
                    "trainable": [{"name": "all", "patterns": ["."], "lr": None}]
                },  # one LR for the whole model
            },
        )
    )


__all__ = ["run_stage", "sft_warmup", "resolve_init", "DataError", "StageConfigError"]
