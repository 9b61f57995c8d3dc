"""What the policy trains: LoRA adapters (peft; ``model.lora_rank`` > 0) and/or the whole model, with the
vision tower frozen on ``actor.freeze_vision_tower``; and the policy's weights as the rollout engine and the
HF export need them (adapters merged in, the base model's parameter names)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import torch

VISION_TOWER = re.compile(r"(^|\.)visual\.")  # Qwen-VL's vision tower (and its merger)
PEFT_PREFIX = "base_model.model."
ADAPTER = "default"


def freeze_vision_tower(model: torch.nn.Module) -> int:
    """Stop gradients to the vision tower's parameters; how many were frozen (0: the model has none)."""
    frozen = 0
    for name, param in model.named_parameters():
        if VISION_TOWER.search(name):
            param.requires_grad_(False)
            frozen += 1
    return frozen


def add_adapters(
    model: torch.nn.Module, rank: int, alpha: int, target_modules: Any, exclude_modules: str | None
) -> torch.nn.Module:
    """The model wrapped by peft with LoRA adapters of ``rank``; only the adapters train."""
    from peft import LoraConfig, get_peft_model

    targets = target_modules if isinstance(target_modules, str) else list(target_modules)
    config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=targets, exclude_modules=exclude_modules)
    return get_peft_model(model, config)


def is_peft(model: torch.nn.Module) -> bool:
    return hasattr(model, "peft_config")


def base_name(name: str) -> str:
    """A peft parameter name as the plain model names it."""
    return name.removeprefix(PEFT_PREFIX).replace(".base_layer.", ".")


def merged_parameters(model: torch.nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    """(name, value) of the base model's parameters with each LoRA delta added; adapter tensors left out."""
    deltas = {}
    for module_name, module in model.named_modules():
        if hasattr(module, "get_delta_weight") and ADAPTER in getattr(module, "lora_A", {}):
            deltas[f"{module_name}.base_layer.weight"] = module
    with torch.no_grad():
        for name, param in model.named_parameters():
            if ".lora_" in name:
                continue
            value = param.detach()
            if name in deltas:
                value = value + deltas[name].get_delta_weight(ADAPTER).to(value.dtype)
            yield base_name(name), value


def trainable_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [param for param in model.parameters() if param.requires_grad]
