"""Stream the policy's full weights to the rollout engine in bounded buckets (never one giant dict).

The sender groups gathered tensors into buckets of about ``bucket_bytes`` and keeps at most one bucket in
flight; the receiver loads each bucket as it comes and checks on the last one that every weight arrived.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

from rlvr.backends.local.modeling import Weights, tensor_bits

DEFAULT_BUCKET_BYTES = 64 * 2**20  # one bucket in flight: ~2x this much extra memory on the sender


def weight_buckets(named_tensors: Iterable[tuple[str, torch.Tensor]], bucket_bytes: int) -> Iterator[Weights]:
    """Consecutive groups of ``named_tensors`` as CPU bits (``modeling.Weights``), each closed as soon as it
    reaches ``bucket_bytes`` (a tensor larger than that travels alone); the last may be smaller."""
    if bucket_bytes < 1:
        raise ValueError(f"bucket_bytes={bucket_bytes} must be positive.")
    bucket: Weights = {}
    size = 0
    for name, tensor in named_tensors:
        bucket[name] = tensor_bits(tensor)
        size += tensor.numel() * tensor.element_size()
        if size >= bucket_bytes:
            yield bucket
            bucket, size = {}, 0
    if bucket:
        yield bucket


def stream_weights(
    named_tensors: Iterable[tuple[str, torch.Tensor]],
    send: Callable[[Weights, bool], Any] | None,
    bucket_bytes: int = DEFAULT_BUCKET_BYTES,
) -> int:
    """Call ``send(bucket, last)`` for each bucket, one in flight while the next is gathered (``send`` returns
    a Ray ObjectRef or None). ``send`` None: this rank only takes part in the gathers. Returns bytes sent."""
    import ray

    in_flight = None
    sent = 0
    buckets = weight_buckets(named_tensors, bucket_bytes)
    current = next(buckets, None)
    while current is not None:
        following = next(buckets, None)  # gathered while ``current`` travels
        if send is not None:
            if in_flight is not None:
                ray.get(in_flight)
            in_flight = send(current, following is None)
            sent += sum(bits.nbytes for bits, _ in current.values())
        current = following
    if in_flight is not None:
        ray.get(in_flight)
    return sent


class WeightReceiver:
    """Tracks one sync on the rollout side: which names arrived, so that a lost bucket is an error."""

    def __init__(self, expected: Iterable[str] | None):
        self.expected = None if expected is None else set(expected)
        self.received: set[str] = set()

    def add(self, bucket: Weights, last: bool) -> None:
        self.received |= bucket.keys()
        if not last:
            return
        missing = set() if self.expected is None else self.expected - self.received
        self.received = set()
        if missing:
            raise KeyError(
                f"weight sync ended without {len(missing)} parameter(s) of the model, "
                f"e.g. {sorted(missing)[0]}"
            )
