"""Placement of the rollout and policy actors: the plan from ``cluster.*``, clear errors for a cluster too
small, and a real two-node Ray cluster on this machine (a head, and a worker node with 2 GPUs of its own
that Ray schedules as resources) where the actors land on the node the plan says and train."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
import ray
from omegaconf import OmegaConf
from ray.util.placement_group import placement_group, remove_placement_group

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.backends.local import step
from rlvr.backends.local.actors import start_actors, stop_actors
from rlvr.backends.local.placement import PlacementError, PlacementPlan, check_fits, plan_placement, reserve
from rlvr.backends.local.settings import loop_settings
from rlvr.data.io import read_rows
from rlvr.data.synth import write_synth
from rlvr.recipe.schema import RLConfig

RAY = str(Path(sys.executable).with_name("ray"))
# The test cluster listens on 127.0.0.1 only; its nodes and this driver agree to skip token auth.
LOOPBACK_ONLY = {"RAY_AUTH_MODE": "disabled"}


@pytest.mark.parametrize(
    "workers, nodes, gpus, tp, expected_gpus",
    [
        (1, 1, 0, 1, [0, 0]),  # CPU: CPUs only
        (1, 1, 1, 1, [0.5, 0.5]),  # vLLM shares the policy's one GPU
        (2, 1, 2, 1, [0.5, 0.5, 1]),  # ...rank 0's GPU, when there is no spare one
        (2, 1, 4, 2, [2, 1, 1]),  # tensor parallel vLLM on GPUs of its own
        (3, 2, 2, 1, [1, 1, 1, 1]),
    ],
)
def test_the_plan_gives_vllm_its_gpus_and_each_rank_one(workers, nodes, gpus, tp, expected_gpus):
    plan = plan_placement(workers, nodes, gpus, tp, cpus_per_worker=2)
    assert plan.roles == ("rollout", *(f"policy rank {r}" for r in range(workers)))
    assert [bundle.get("GPU", 0) for bundle in plan.bundles] == expected_gpus
    assert all(bundle["CPU"] == 2 for bundle in plan.bundles) and plan.strategy == "PACK"


@pytest.mark.parametrize(
    "workers, nodes, gpus, tp, message",
    [
        (3, 1, 2, 1, r"needs 1 GPU\(s\) for vLLM .* plus 3 for the policy .*gives 2"),
        (1, 2, 2, 4, "rollout.tensor_model_parallel_size=4 needs that many GPUs on one node"),
    ],
)
def test_a_recipe_with_too_few_gpus_is_refused_by_name(workers, nodes, gpus, tp, message):
    with pytest.raises(PlacementError, match=message):
        plan_placement(workers, nodes, gpus, tp, cpus_per_worker=1)


def node(cpus: float, gpus: float = 0, alive: bool = True) -> dict:
    return {"Alive": alive, "Resources": {"CPU": cpus, "GPU": gpus}}


def test_check_fits_names_the_missing_resource_in_total_and_per_node():
    plan = PlacementPlan(("rollout", "policy rank 0"), ({"CPU": 1, "GPU": 2}, {"CPU": 1, "GPU": 1}))
    check_fits(plan, [node(2, 2), node(1, 1)])
    with pytest.raises(
        PlacementError, match=r"needs 3 GPU in all \(rollout: 2, policy rank 0: 1\), .* has 2"
    ):
        check_fits(plan, [node(2, 1), node(2, 1), node(8, 8, alive=False)])
    with pytest.raises(PlacementError, match=r"the rollout needs 1 CPU, 2 GPU on one node.*largest per node"):
        check_fits(plan, [node(2, 1), node(2, 1), node(2, 1)])


# --- a real two-node cluster -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_processes_under(temp_dir: str) -> None:
    """End the Ray processes of this cluster only: those whose command line names its temp dir."""
    ours = [p for p in psutil.process_iter(["cmdline"]) if temp_dir in " ".join(p.info["cmdline"] or [])]
    for process in ours:
        process.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(ours, timeout=15)
    for process in alive:
        process.kill()


def ray_start(*args: str) -> None:
    """``ray start ...``; its own output on failure."""
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **LOOPBACK_ONLY}
    common = ("--node-ip-address=127.0.0.1", "--disable-usage-stats", "--object-store-memory=300000000")
    done = subprocess.run(
        [RAY, "start", *args, *common], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, (
        f"ray start {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    )


@pytest.fixture(scope="module")
def two_nodes():
    """A head with 2 CPUs and no GPU, and a worker node (its own raylet) with 4 CPUs and 2 GPUs."""
    temp_dirs = [tempfile.mkdtemp(prefix="rh", dir="/tmp"), tempfile.mkdtemp(prefix="rw", dir="/tmp")]
    address = f"127.0.0.1:{free_port()}"
    try:
        ray_start(
            "--head", f"--port={address.split(':')[1]}", "--num-cpus=2", "--num-gpus=0",
            "--include-dashboard=false", f"--temp-dir={temp_dirs[0]}",
        )  # fmt: skip
        ray_start(
            f"--address={address}", "--num-cpus=4", "--num-gpus=2",
            '--resources={"medrlvr_test_gpu_node": 1}', f"--temp-dir={temp_dirs[1]}",
        )  # fmt: skip
        os.environ.update(LOOPBACK_ONLY)
        ray.init(address=address, log_to_driver=False)
        deadline = time.monotonic() + 120
        while len([n for n in ray.nodes() if n["Alive"]]) < 2 and time.monotonic() < deadline:
            time.sleep(1)
        gpu_node = next(n["NodeID"] for n in ray.nodes() if n["Resources"].get("medrlvr_test_gpu_node"))
        yield gpu_node
    finally:
        ray.shutdown()
        os.environ.pop("RAY_AUTH_MODE", None)
        for temp_dir in reversed(temp_dirs):
            stop_processes_under(temp_dir)
            shutil.rmtree(temp_dir, ignore_errors=True)


def recipe(output_dir: Path, **overrides) -> OmegaConf:
    cfg = OmegaConf.merge(
        OmegaConf.structured(RLConfig),
        {
            "data": {"max_prompt_length": 256, "max_response_length": 6, "train_batch_size": 2},
            "algorithm": {"lr": 1e-4, "ppo_mini_batch_size": 2},
            "rollout": {"n": 2, "name": "hf"},
            "reward": {"num_workers": 0},
            "cluster": {"n_gpus_per_node": 2, "policy_workers": 2},
            "trainer": {"output_dir": str(output_dir)},
        },
    )  # fmt: skip
    return OmegaConf.merge(cfg, OmegaConf.from_dotlist([f"{k}={v}" for k, v in overrides.items()]))


def actor_node(actor) -> str:
    return ray.get(actor.__ray_call__.remote(lambda self: ray.get_runtime_context().get_node_id()))


def test_actors_land_on_the_gpu_node_the_plan_says_and_train_there(two_nodes, tmp_path):
    model = build_tiny_qwen2_5_vl(tmp_path / "model", seed=0)
    rows = read_rows(write_synth(tmp_path / "synth", n=12, seed=0)["train"])
    settings = loop_settings(recipe(tmp_path))
    actors = start_actors(model, model, settings, state_dir=None)
    try:
        assert actors.nodes == [two_nodes] * 3  # every bundle asks for GPU: the worker node holds them all
        assert [actor_node(a) for a in (actors.rollout, *actors.policy.workers)] == actors.nodes
        metrics, _ = step.train_step(actors, rows, 0, 1, settings)
        assert metrics["perf/weight_sync_mb"] > 0 and "actor/pg_loss" in metrics
    finally:
        stop_actors(actors)


def test_a_cluster_too_small_is_an_error_naming_the_resource_not_a_hang(two_nodes, tmp_path):
    settings = loop_settings(recipe(tmp_path, **{"cluster.n_gpus_per_node": 5, "cluster.policy_workers": 4}))
    started = time.monotonic()
    with pytest.raises(PlacementError, match=r"needs 5 GPU in all .*the Ray cluster has 2 over 2 node"):
        start_actors(Path("unused"), Path("unused"), settings, state_dir=None)
    assert time.monotonic() - started < 30


def test_resources_held_by_other_work_time_out_with_what_is_free(two_nodes):
    held = placement_group([{"GPU": 2}])
    ray.get(held.ready())
    try:
        plan = plan_placement(1, 1, 2, 1, cpus_per_worker=1)
        with pytest.raises(
            PlacementError, match=r"could not reserve .* within \d+ s; the cluster has .* free"
        ):
            reserve(plan, timeout_s=3)
    finally:
        remove_placement_group(held)
    assert json.dumps(ray.available_resources())  # the cluster still answers
