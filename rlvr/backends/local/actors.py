"""Start, place and stop the loop's Ray actors: one rollout engine and ``cluster.policy_workers`` policy
ranks in one placement group planned from ``cluster.*``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray

from rlvr.backends.local.fsdp import free_address
from rlvr.backends.local.placement import PlacementPlan, bundle_nodes, in_bundle, plan_placement, reserve
from rlvr.backends.local.policy import PolicyWorker
from rlvr.backends.local.policy_group import PolicyGroup
from rlvr.backends.local.rollout import RolloutWorker
from rlvr.backends.local.settings import LoopSettings


@dataclass
class Actors:
    """The rollout actor, the policy ranks, and the placement group that holds them (with each bundle's
    node: bundle 0 is the rollout's, bundle 1 + r rank r's)."""

    rollout: Any
    policy: PolicyGroup
    placement: Any = None
    nodes: list[str] = field(default_factory=list)


def start_actors(
    model_path: Path, reference_path: Path, settings: LoopSettings, state_dir: Path | None
) -> Actors:
    """The rollout actor and ``cluster.policy_workers`` policy ranks, in a placement group reserved from
    ``cluster.*`` (a cluster too small is an error naming the resource); ``state_dir``: resume from it."""
    plan = placement_plan(settings)
    group = reserve(plan)

    def resources(index: int) -> dict[str, Any]:
        bundle = plan.bundles[index]
        return {
            "num_cpus": bundle.get("CPU", 0),
            "num_gpus": bundle.get("GPU", 0),
            "scheduling_strategy": in_bundle(group, index),
        }

    rollout = (
        ray.remote(RolloutWorker)
        .options(**resources(0))
        .remote(
            str(model_path),
            settings.engine,
            settings.torch_threads,
            settings.max_prompt_length,
            model=settings.model,
            gpu_memory_utilization=settings.gpu_memory_utilization,
            tensor_parallel_size=settings.tensor_parallel_size,
            seed=settings.seed,
            max_response_length=settings.max_new_tokens,
        )
    )
    world_size = settings.policy_workers
    address = None
    if world_size > 1:
        address = ray.get(ray.remote(free_address).options(**resources(1)).remote())
    workers = [
        ray.remote(PolicyWorker)
        .options(**resources(1 + rank))
        .remote(
            str(model_path),
            str(reference_path) if settings.needs_reference else None,
            settings.lr,
            settings.loss,
            with_critic=settings.estimator == "gae",
            grad_clip=settings.grad_clip,
            threads=max(1, settings.torch_threads // world_size),
            seed=settings.seed,
            weight_decay=settings.weight_decay,
            critic_lr=settings.critic_lr,
            lr_warmup_steps=settings.lr_warmup_steps,
            temperature=settings.temperature,
            model=settings.model,
            micro_batch_size=settings.micro_batch_size,
            log_prob_micro_batch_size=settings.log_prob_micro_batch_size,
            rank=rank,
            world_size=world_size,
            group_address=address,
        )
        for rank in range(world_size)
    ]
    policy = PolicyGroup(workers)
    if state_dir is not None:
        policy.load_state(str(state_dir))
    return Actors(rollout=rollout, policy=policy, placement=group, nodes=bundle_nodes(group))


def placement_plan(settings: LoopSettings) -> PlacementPlan:
    return plan_placement(
        settings.policy_workers, settings.nodes, settings.gpus_per_node, settings.tensor_parallel_size,
        settings.cpus_per_worker,
    )  # fmt: skip


def local_cpus(settings: LoopSettings) -> float:
    """CPUs of the Ray this run starts on its own machine: the cores, or the actors' CPUs when they ask for
    more (rollout and update take turns, so the actors may outnumber the cores)."""
    return max(float(os.cpu_count() or 1), placement_plan(settings).totals().get("CPU", 0.0))


def stop_actors(actors: Actors) -> None:
    """End the actors and free their placement group (the next run in this Ray session reserves anew)."""
    from ray.util.placement_group import remove_placement_group

    for actor in (actors.rollout, *actors.policy.workers):
        ray.kill(actor, no_restart=True)
    if actors.placement is not None:
        remove_placement_group(actors.placement)
