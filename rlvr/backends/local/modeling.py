"""Load the recipe's model and processor (``model.dtype``, ``trust_remote_code``, gradient checkpointing)
and copy trained weights from the policy into another copy of the same model."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from rlvr.recipe.schema import ModelConfig

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
SAME_SIZE_INT = {torch.float32: torch.int32, torch.bfloat16: torch.int16, torch.float16: torch.int16}
Weights = dict[str, tuple[np.ndarray, torch.dtype]]  # parameter name -> (its bits, its dtype)


@dataclass(frozen=True)
class ModelSettings:
    """The ``model.*`` keys that decide how a worker loads its model."""

    dtype: str = "float32"
    trust_remote_code: bool = False
    gradient_checkpointing: bool = False


DEFAULT_MODEL = ModelSettings()  # float32, no remote code, no checkpointing: what the tests build


def check_dtype(name: str) -> None:
    if name not in DTYPES:
        raise ValueError(f"model.dtype={name!r} is unknown; choose one of {', '.join(DTYPES)}.")


def weights_dtype(name: str, device: str) -> torch.dtype:
    """``model.dtype`` on a GPU. On CPU, float32 unless the recipe names another dtype than the schema's
    default (bfloat16, a GPU choice): CPU kernels for half types are slow, and bfloat16's 8 significant
    bits round away RL's small weight updates. So ``float16`` is honoured on CPU, while ``bfloat16``
    (the default, or the GPU model recipes' value: the two look the same here) runs as float32."""
    check_dtype(name)
    if device == "cpu" and name == ModelConfig.dtype:
        return torch.float32
    return DTYPES[name]


def load_processor(path: str, settings: ModelSettings) -> Any:
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(path, trust_remote_code=settings.trust_remote_code)


def load_model(path: str, settings: ModelSettings, device: str, train: bool = False) -> torch.nn.Module:
    """The image-text model on ``device``; a trained one gets gradient checkpointing when the recipe asks."""
    from transformers import AutoModelForImageTextToText

    from rlvr.backends.local.attention import group_query_heads_on_cpu

    model = AutoModelForImageTextToText.from_pretrained(
        path, dtype=weights_dtype(settings.dtype, device), trust_remote_code=settings.trust_remote_code
    ).to(device)
    if device == "cpu":
        group_query_heads_on_cpu(model)
    if train and settings.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return model if train else model.eval().requires_grad_(False)


def tensor_bits(tensor: torch.Tensor) -> tuple[np.ndarray, torch.dtype]:
    """A CPU numpy view of ``tensor``'s bits plus its dtype. Ray moves numpy arrays into its object store with
    one copy and hands them out without another; pickled torch tensors made the quickstart model's sync ~5x
    slower."""
    tensor = tensor.detach().cpu().contiguous()
    return tensor.view(SAME_SIZE_INT[tensor.dtype]).numpy(), tensor.dtype


def trainable_weights(model: torch.nn.Module) -> Weights:
    """The parameters (no buffers: they never change), each once (tied ones too), as ``tensor_bits``."""
    return {name: tensor_bits(param) for name, param in model.named_parameters()}


def weight_tensors(weights: Weights) -> dict[str, torch.Tensor]:
    """Tensors over the arrays of ``trainable_weights`` (read-only memory of Ray's store: only read them)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return {name: torch.from_numpy(bits).view(dtype) for name, (bits, dtype) in weights.items()}


@torch.no_grad()
def copy_weights(model: torch.nn.Module, weights: Weights, partial: bool = False) -> None:
    """Copy ``weights`` (from ``trainable_weights`` of the same architecture; with ``partial``, a bucket of
    them) into ``model``'s parameters in place: no new tensors, no ``load_state_dict`` key checks. On CPU
    the copy runs on one thread: it is memory-bound, and on a busy machine every multi-threaded op waits
    for a descheduled thread (56 small copies took 30-120 ms on 2 threads under load, 3 ms on one)."""
    params = dict(model.named_parameters())
    unknown = weights.keys() - params.keys()
    if unknown:
        raise KeyError(f"{len(unknown)} weight(s) are not parameters of the model, e.g. {sorted(unknown)[0]}")
    missing = set() if partial else params.keys() - weights.keys()
    if missing:
        raise KeyError(f"weights lack {len(missing)} parameter(s) of the model, e.g. {sorted(missing)[0]}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for name, value in weight_tensors(weights).items():
            params[name].copy_(value)
    finally:
        torch.set_num_threads(threads)
