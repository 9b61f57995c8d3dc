"""Key/value caches for the shared-prefix forward (``shared_prefix.py``), one kind per use:

- ``prompt_cache``: the prompts' forward. Each call stores its keys and values in place of the last ones,
  so a gradient-checkpointed layer that recomputes its forward in the backward pass stores the same again.
- ``prefix_cache``: a whole response after the prompts (training, log-probs). Each call returns prompt + new
  keys without storing them, so a recomputation sees what the forward saw.
- ``growing_cache``: decoding, one token per call, appended into a buffer allocated once (HF's
  ``DynamicLayer`` copies the whole cache at every token).

``checkpointing_with_cache`` lets the first two run under gradient checkpointing: HF's checkpointed
decoder layers drop any cache they are given.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import torch
from transformers.cache_utils import Cache, DynamicLayer
from transformers.modeling_layers import GradientCheckpointingLayer


class _StoredLayer(DynamicLayer):
    """Stores each call's keys and values, replacing the last ones (a recomputation stores the same)."""

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        self.keys, self.values = key_states, value_states
        return key_states, value_states


class _PrefixLayer(DynamicLayer):
    """Fixed prompt keys and values; each call returns them followed by its own, storing nothing."""

    def __init__(self, keys: torch.Tensor, values: torch.Tensor):
        super().__init__()
        self.lazy_initialization(keys, values)
        self.keys, self.values = keys, values

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        return torch.cat([self.keys, key_states], dim=-2), torch.cat([self.values, value_states], dim=-2)


class _GrowingLayer(DynamicLayer):
    """Keys and values in buffers with room for ``room`` more positions; ``keys``/``values`` are views."""

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, room: int):
        super().__init__()
        self.lazy_initialization(keys, values)
        rows, heads, length, width = keys.shape
        self._key_buffer = keys.new_empty(rows, heads, length + room, width)
        self._value_buffer = values.new_empty(rows, heads, length + room, width)
        self._key_buffer[:, :, :length] = keys
        self._value_buffer[:, :, :length] = values
        self._view(length)

    def _view(self, length: int) -> None:
        self.keys, self.values = self._key_buffer[:, :, :length], self._value_buffer[:, :, :length]

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        start = self.keys.shape[-2]
        end = start + key_states.shape[-2]
        if end > self._key_buffer.shape[-2]:
            raise ValueError(f"the decoding cache holds {self._key_buffer.shape[-2]} positions; {end} asked")
        self._key_buffer[:, :, start:end] = key_states
        self._value_buffer[:, :, start:end] = value_states
        self._view(end)
        return self.keys, self.values


def prompt_cache() -> Cache:
    return Cache(layer_class_to_replicate=_StoredLayer)


def _layer_states(cache: Cache, rows: torch.Tensor) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    return ((layer.keys[rows], layer.values[rows]) for layer in cache.layers)


def prefix_cache(prompts: Cache, rows: torch.Tensor) -> Cache:
    """``prompts``' keys and values fanned out to ``rows`` (row i: prompt ``rows[i]``), for one more call."""
    return Cache(layers=[_PrefixLayer(keys, values) for keys, values in _layer_states(prompts, rows)])


def growing_cache(prompts: Cache, rows: torch.Tensor, room: int) -> Cache:
    """``prompts``' keys and values fanned out to ``rows``, with room for ``room`` decoded tokens."""
    return Cache(layers=[_GrowingLayer(keys, values, room) for keys, values in _layer_states(prompts, rows)])


def full_attention_only(model: torch.nn.Module) -> bool:
    """These caches keep every position: no sliding-window layers."""
    text = model.config.get_text_config()
    return all(kind == "full_attention" for kind in getattr(text, "layer_types", None) or ["full_attention"])


class _KeepCache:
    """Mixed into a checkpointed decoder layer's class: HF's ``GradientCheckpointingLayer`` call, minus its
    dropping of the cache (the caches above are safe to replay)."""

    def __call__(self, *args, **kwargs):
        return self._gradient_checkpointing_func(partial(torch.nn.Module.__call__, self, **kwargs), *args)


_KEEP_CACHE_CLASSES: dict[type, type] = {}


def _keeping_cache(cls: type) -> type:
    if cls not in _KEEP_CACHE_CLASSES:
        _KEEP_CACHE_CLASSES[cls] = type(cls.__name__, (_KeepCache, cls), {})
    return _KEEP_CACHE_CLASSES[cls]


@contextmanager
def checkpointing_with_cache(model: torch.nn.Module) -> Iterator[None]:
    """While open, ``model``'s checkpointed layers that take a cache (the decoder's) keep it. The backward
    pass may run after it closes: a recomputation calls the layer's forward, not this class. A model in
    eval mode (decoding, no-grad log-probs: once per token) is not walked."""
    layers = [
        module
        for module in (model.modules() if model.training else ())
        if isinstance(module, GradientCheckpointingLayer)
        and module.gradient_checkpointing
        and module.training
        and "past_key_values" in inspect.signature(module.forward).parameters
    ]
    classes = [type(layer) for layer in layers]
    for layer, cls in zip(layers, classes, strict=True):
        layer.__class__ = _keeping_cache(cls)
    try:
        yield
    finally:
        for layer, cls in zip(layers, classes, strict=True):
            layer.__class__ = cls
