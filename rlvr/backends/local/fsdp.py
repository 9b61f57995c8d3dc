"""FSDP2 for the policy group: one torch.distributed group (gloo on CPU, NCCL on GPU), the model sharded
per decoder block (vision blocks too), and full weights gathered one tensor at a time."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor, Shard

# A collective that waits this long means a peer is gone; the driver notices a dead actor much sooner.
GROUP_TIMEOUT = timedelta(minutes=10)
GATHER_GROUP_BYTES = 32 * 2**20  # full weights gathered per all-gather


def free_address() -> str:
    """``tcp://<this node's IP>:<a free port>`` for rank 0 of a new group (run on rank 0's node)."""
    import ray

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("", 0))
        port = probe.getsockname()[1]
    return f"tcp://{ray.util.get_node_ip_address()}:{port}"


def join_group(address: str, rank: int, world_size: int, device: str) -> None:
    """Join the policy group at ``address`` (NCCL when the worker has a GPU, else gloo)."""
    backend = "nccl" if device == "cuda" else "gloo"
    dist.init_process_group(
        backend, init_method=address, rank=rank, world_size=world_size, timeout=GROUP_TIMEOUT
    )


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank_and_size() -> tuple[int, int]:
    return (dist.get_rank(), dist.get_world_size()) if is_distributed() else (0, 1)


def shard_blocks(model: torch.nn.Module, device: str) -> torch.nn.Module:
    """``fully_shard`` each block class the model names in ``_no_split_modules`` (Qwen2.5-VL: the decoder
    layers and the vision blocks), then the root (embeddings, merger, head). FSDP averages gradients over
    ranks (gloo has no pre-scaled sum), so a rank scales its loss by the group size to sum them."""
    block_names = set(getattr(model, "_no_split_modules", None) or ())
    if not block_names:
        raise ValueError(
            f"{type(model).__name__} names no blocks in _no_split_modules, so it cannot be sharded per "
            "block; use cluster.policy_workers=1 for this model."
        )
    mesh = init_device_mesh(device, (dist.get_world_size(),))
    for module in model.modules():
        if type(module).__name__ in block_names:
            fully_shard(module, mesh=mesh)
    fully_shard(model, mesh=mesh)
    return model


def full_parameters(
    model: torch.nn.Module, group_bytes: int = GATHER_GROUP_BYTES
) -> Iterator[tuple[str, torch.Tensor]]:
    """Each parameter's full value (tied ones once), in order. Sharded ones are gathered a group of about
    ``group_bytes`` at a time with one all-gather per group (one per tensor costs a round trip each): every
    rank must iterate to the end together."""
    group: list[tuple[str, DTensor]] = []
    size = 0
    for name, param in model.named_parameters():
        value = param.detach()
        if not isinstance(value, DTensor) or value.placements != (Shard(0),):
            yield from _gather_rows(group)
            group, size = [], 0
            yield name, value.full_tensor() if isinstance(value, DTensor) else value
            continue
        if group and (value.dtype != group[0][1].dtype or size >= group_bytes):
            yield from _gather_rows(group)
            group, size = [], 0
        group.append((name, value))
        size += value.numel() * value.element_size()
    yield from _gather_rows(group)


def _gather_rows(group: list[tuple[str, DTensor]]) -> Iterator[tuple[str, torch.Tensor]]:
    """Full tensors of dim-0-sharded DTensors (``torch.chunk`` split: ceil(rows / world) rows per rank, the
    last ranks' shards shorter or empty) with one all-gather of their padded shards, concatenated."""
    if not group:
        return
    mesh = group[0][1].device_mesh
    world = mesh.size()
    padded = []
    for _, value in group:
        rows = value.shape[0]
        per_rank = -(-rows // world) * (value.numel() // rows if rows else 0)
        local = value.to_local().reshape(-1)
        padded.append(torch.nn.functional.pad(local, (0, per_rank - local.numel())))
    send = torch.cat(padded)
    received = [torch.empty_like(send) for _ in range(world)]
    dist.all_gather(received, send, group=mesh.get_group())
    offset = 0
    for (name, value), piece in zip(group, padded, strict=True):
        rows = value.shape[0]
        row_numel = value.numel() // rows if rows else 0
        chunk = -(-rows // world)
        parts = []
        for rank in range(world):
            kept = max(0, min(chunk, rows - rank * chunk)) * row_numel
            parts.append(received[rank][offset : offset + kept])
        offset += piece.numel()
        yield name, torch.cat(parts).view(value.shape)


def all_reduce_sum(values: dict[str, float]) -> dict[str, float]:
    """``values`` summed over the group (unchanged outside one); every rank must pass the same keys."""
    if not is_distributed() or not values:
        return values
    keys = sorted(values)
    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    total = torch.tensor([values[key] for key in keys], dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return dict(zip(keys, total.tolist(), strict=True))


def clip_gradients(parameters: list[torch.nn.Parameter], max_norm: float) -> float:
    """Clip to a global L2 norm of ``max_norm`` and return the norm before clipping; with sharded
    parameters the norm is reduced over the group first (as torchtitan does)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    total = torch.nn.utils.get_total_norm(grads, 2.0)
    if isinstance(total, DTensor):
        total = total.full_tensor()
    torch.nn.utils.clip_grads_with_norm_(parameters, max_norm, total)
    return float(total)
