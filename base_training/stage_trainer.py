"""transformers.Trainer with per-group learning rates, length-grouped batches and checkpoint discovery."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from transformers import Trainer
from transformers.trainer_pt_utils import LengthGroupedSampler

from base_training.modules import ParamGroup

CHECKPOINT_RE = re.compile(r"^checkpoint-(\d{1,12})$")


class StageTrainer(Trainer):
    """One AdamW param group per module group (its own LR); LengthGroupedSampler fed precomputed lengths.

    Parameter groups are built from ``self.model`` when the Trainer asks for the optimizer, i.e. after
    accelerate wrapped the model (FSDP with use_orig_params keeps the names), so this scales unchanged.
    """

    def __init__(self, *args, param_groups: list[ParamGroup], lengths: list[int] | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.param_groups, self.lengths = param_groups, lengths

    def create_optimizer(self, model=None) -> torch.optim.Optimizer:
        if self.optimizer is not None:
            return self.optimizer
        opt_model = self.model if model is None else model
        group_of = {name: index for index, g in enumerate(self.param_groups) for name in g.names}
        decay = set(self.get_decay_parameter_names(opt_model))
        buckets: dict[tuple[int, bool], list[torch.nn.Parameter]] = {}
        for name, param in opt_model.named_parameters():
            clean = name.removeprefix("_fsdp_wrapped_module.").replace("._fsdp_wrapped_module", "")
            if param.requires_grad and clean in group_of:
                buckets.setdefault((group_of[clean], name in decay), []).append(param)
        optimizer_groups = [
            {
                "params": params,
                "lr": self.param_groups[index].lr,
                "weight_decay": self.args.weight_decay if decays else 0.0,
            }
            for (index, decays), params in sorted(buckets.items())
        ]
        optimizer_cls, optimizer_kwargs = self.get_optimizer_cls_and_kwargs(self.args, opt_model)
        optimizer_kwargs.pop("lr", None)
        self.optimizer = optimizer_cls(optimizer_groups, **optimizer_kwargs)
        return self.optimizer

    def _get_train_sampler(self, train_dataset=None):
        if self.args.train_sampling_strategy != "group_by_length" or self.lengths is None:
            return super()._get_train_sampler(train_dataset)
        generator = torch.Generator().manual_seed(self.args.seed)
        return LengthGroupedSampler(
            self.args.train_batch_size * self.args.gradient_accumulation_steps,
            lengths=self.lengths,
            generator=generator,
        )


def last_complete_checkpoint(checkpoints_dir: Path) -> Path | None:
    """Newest ``checkpoint-N`` whose trainer_state.json exists (the Trainer writes it last)."""
    if not checkpoints_dir.is_dir():
        return None
    found = []
    for child in checkpoints_dir.iterdir():
        match = CHECKPOINT_RE.match(child.name)
        if match and (child / "trainer_state.json").is_file():
            found.append((int(match.group(1)), child))
    return max(found)[1] if found else None
