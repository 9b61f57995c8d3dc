"""Where the rollout and policy actors run: a Ray placement group planned from ``cluster.*``, reserved up
front so that a cluster too small for the recipe is an error naming the missing resource, not a hang."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import ray
from ray.util.placement_group import placement_group, placement_group_table, remove_placement_group
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

from rlvr.errors import ClusterError

RESERVE_TIMEOUT_S = 120.0


class PlacementError(ClusterError):
    """The Ray cluster cannot hold the recipe's actors (`rlvr train` prints it as a cluster error)."""


@dataclass(frozen=True)
class PlacementPlan:
    """One bundle per actor: bundle 0 is the rollout engine, bundle 1 + r is policy rank r. PACK keeps the
    group on as few nodes as possible (NCCL within a node is fastest), spilling to more when it must."""

    roles: tuple[str, ...]
    bundles: tuple[dict[str, float], ...]
    strategy: str = "PACK"

    def totals(self) -> dict[str, float]:
        total: dict[str, float] = {}
        for bundle in self.bundles:
            for resource, amount in bundle.items():
                total[resource] = total.get(resource, 0.0) + amount
        return total


def plan_placement(
    policy_workers: int, nodes: int, gpus_per_node: int, tensor_parallel_size: int, cpus_per_worker: float
) -> PlacementPlan:
    """Bundles for the rollout engine and ``policy_workers`` policy ranks. With GPUs, vLLM gets
    ``tensor_parallel_size`` GPUs and every rank one; when that is more than the recipe's GPUs and vLLM
    needs only one, it shares rank 0's GPU (half each), as verl colocates rollout and actor."""
    gpus = nodes * gpus_per_node
    cpu = {"CPU": float(cpus_per_worker)} if cpus_per_worker > 0 else {}
    roles = ("rollout", *(f"policy rank {rank}" for rank in range(policy_workers)))
    if gpus == 0:
        return PlacementPlan(roles, tuple(dict(cpu) for _ in roles))
    if tensor_parallel_size > gpus_per_node:
        raise PlacementError(
            f"rollout.tensor_parallel_size={tensor_parallel_size} needs that many GPUs on one node, and "
            f"cluster.gpus_per_node={gpus_per_node}; lower rollout.tensor_parallel_size."
        )
    if tensor_parallel_size + policy_workers <= gpus:
        rollout_gpus, rank0_gpus = float(tensor_parallel_size), 1.0
    elif tensor_parallel_size == 1 and policy_workers <= gpus:
        rollout_gpus, rank0_gpus = 0.5, 0.5
    else:
        raise PlacementError(
            f"the recipe needs {tensor_parallel_size} GPU(s) for vLLM (rollout.tensor_parallel_size) plus "
            f"{policy_workers} for the policy (cluster.policy_workers), and gives {gpus} "
            f"(cluster.nodes={nodes} x cluster.gpus_per_node={gpus_per_node}); lower one of them."
        )
    rank_gpus = [rank0_gpus] + [1.0] * (policy_workers - 1)
    bundles = [{**cpu, "GPU": rollout_gpus}, *({**cpu, "GPU": g} for g in rank_gpus)]
    return PlacementPlan(roles, tuple(bundles))


def check_fits(plan: PlacementPlan, nodes: list[dict[str, Any]]) -> None:
    """Fail, naming the resource, when the alive ``nodes`` (``ray.nodes()``) cannot hold the plan: in
    total, or because one bundle is larger than every node."""
    alive = [node["Resources"] for node in nodes if node.get("Alive")]
    for resource, needed in plan.totals().items():
        have = sum(resources.get(resource, 0.0) for resources in alive)
        if needed > have + 1e-9:
            raise PlacementError(
                f"the recipe needs {needed:g} {resource} in all ({_needs(plan, resource)}), the Ray cluster "
                f"has {have:g} over {len(alive)} node(s); lower cluster.policy_workers, "
                "cluster.gpus_per_node or cluster.cpus_per_worker, or add nodes (cluster.address)."
            )
    for role, bundle in zip(plan.roles, plan.bundles, strict=True):
        if not any(all(r.get(k, 0.0) >= v for k, v in bundle.items()) for r in alive):
            largest = {k: max(r.get(k, 0.0) for r in alive) for k in bundle}
            raise PlacementError(
                f"the {role} needs {_format(bundle)} on one node, and no node has that much "
                f"(largest per node: {_format(largest)}); lower cluster.cpus_per_worker or "
                "rollout.tensor_parallel_size."
            )


def _needs(plan: PlacementPlan, resource: str) -> str:
    return ", ".join(
        f"{role}: {b[resource]:g}"
        for role, b in zip(plan.roles, plan.bundles, strict=True)
        if b.get(resource)
    )


def _format(bundle: dict[str, float]) -> str:
    return ", ".join(f"{amount:g} {resource}" for resource, amount in bundle.items())


def reserve(plan: PlacementPlan, timeout_s: float = RESERVE_TIMEOUT_S):
    """The placement group of ``plan``, ready; a PlacementError (the group removed) when the cluster is
    too small, or its resources stay taken by other work for ``timeout_s``."""
    check_fits(plan, ray.nodes())
    group = placement_group([dict(b) for b in plan.bundles], strategy=plan.strategy)
    started = time.monotonic()
    ready, _ = ray.wait([group.ready()], timeout=timeout_s)
    if not ready:
        remove_placement_group(group)
        raise PlacementError(
            f"could not reserve {_format(plan.totals())} for the rollout and policy actors within "
            f"{time.monotonic() - started:.0f} s; the cluster has {_format(ray.available_resources())} free: "
            "other jobs hold the rest. Wait for them, or lower cluster.policy_workers or "
            "cluster.gpus_per_node."
        )
    return group


def bundle_nodes(group) -> list[str]:
    """The node id of each bundle of a ready placement group, in bundle order."""
    by_index = placement_group_table(group)["bundles_to_node_id"]
    return [by_index[index] for index in sorted(by_index)]


def in_bundle(group, index: int) -> PlacementGroupSchedulingStrategy:
    """Schedule an actor or task into bundle ``index`` of ``group``."""
    return PlacementGroupSchedulingStrategy(placement_group=group, placement_group_bundle_index=index)
