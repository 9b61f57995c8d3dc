"""Cluster faults never hang: unreachable addresses, tokens, resources and the private local Ray, tested
against a real ``ray start`` cluster with token authentication (started and stopped here)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ray_cluster_fixtures import TokenCluster, free_port, token_cluster

from rlvr.backends.ray_cluster import ClusterTarget, check_reachable, cluster_target, host_and_port
from rlvr.errors import ClusterError

ROOT = Path(__file__).resolve().parents[1]


@given(host=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z0-9-]{1,10}){0,3}", fullmatch=True),
       port=st.integers(1, 65535), scheme=st.sampled_from(["", "ray://", "http://"]))  # fmt: skip
def test_property_addresses_parse_to_host_and_port(host, port, scheme):
    assert host_and_port(f"{scheme}{host}:{port}") == (host, port)
    assert host_and_port(f"{scheme}{host}") == (host, 6379)


@pytest.mark.parametrize("address", ["", "host:0", "host:70000", "a b:1", "host:port", ":6379"])
def test_bad_addresses_are_cluster_errors(address):
    with pytest.raises(ClusterError, match="is not host:port"):
        host_and_port(address)


def test_target_precedence_key_then_ray_address_then_private(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert cluster_target(None) == ClusterTarget(None)
    monkeypatch.setenv("RAY_ADDRESS", "head:6379")
    assert cluster_target(None) == ClusterTarget("head:6379", "RAY_ADDRESS")
    assert cluster_target("auto") == ClusterTarget("auto", "cluster.address")


@pytest.mark.parametrize("address", [f"127.0.0.1:{free_port()}", "no-such-host.invalid:6379"])
def test_unreachable_addresses_fail_fast_naming_the_address(address):
    started = time.monotonic()
    with pytest.raises(ClusterError, match=address.split(":")[0].replace(".", r"\.")):
        check_reachable(address, timeout_s=5)
    assert time.monotonic() - started < 8


CLIENT = textwrap.dedent(
    """
    import json, sys
    import ray
    from rlvr.backends.local.placement import PlacementPlan, check_fits
    from rlvr.backends.ray_cluster import cluster_target, ray_session
    from rlvr.errors import ClusterError

    address, token_env, cpus = sys.argv[1] or None, sys.argv[2] or None, float(sys.argv[3])
    target = cluster_target(address)
    try:
        with ray_session(target, token_env, log_to_driver=False, include_dashboard=False):
            resources = ray.cluster_resources()
            check_fits(PlacementPlan(("rollout",), ({"CPU": cpus},)), ray.nodes())
            print(json.dumps({"ok": True, "marker": resources.get("loud_marker", 0)}))
    except ClusterError as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
    """
)


def client(
    cluster: TokenCluster, address: str, token_env: str = "", cpus: float = 1, **env: str | None
) -> dict:
    """Run ``ray_session`` in a fresh process (Ray's auth mode is per process) and return what it saw."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, address, token_env, str(cpus)],
        cwd=ROOT, env={**cluster.env(**env), "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-2000:]
    return {**json.loads(lines[-1]), "seconds": time.monotonic() - started}


@pytest.fixture(scope="module")
def cluster():
    with token_cluster(cpus=1) as running:
        yield running


def test_explicit_address_authenticates_with_the_token_file(cluster):
    seen = client(cluster, cluster.address)
    assert seen["ok"] and seen["marker"] == 1.0


def test_token_from_the_variable_a_config_key_names(cluster, tmp_path):
    seen = client(cluster, cluster.address, "MY_RAY_TOKEN", HOME=str(tmp_path), MY_RAY_TOKEN=cluster.token)
    assert seen["ok"] and seen["marker"] == 1.0
    unset = client(cluster, cluster.address, "MY_RAY_TOKEN", HOME=str(tmp_path))
    assert (
        not unset["ok"] and "cluster.auth_token_env=MY_RAY_TOKEN but $MY_RAY_TOKEN is empty" in unset["error"]
    )


def test_missing_or_wrong_token_is_a_fast_clear_error(cluster, tmp_path):
    missing = client(cluster, cluster.address, HOME=str(tmp_path))
    assert not missing["ok"] and "needs a token, and none was found" in missing["error"]
    assert "RAY_AUTH_TOKEN" in missing["error"] and missing["seconds"] < 15  # not Ray's 20 s of retries
    wrong = client(cluster, cluster.address, HOME=str(tmp_path), RAY_AUTH_TOKEN="not-the-token")
    assert not wrong["ok"] and "refused the token given" in wrong["error"]


def test_too_few_cpus_are_named_before_anything_starts(cluster):
    seen = client(cluster, cluster.address, cpus=2)
    assert not seen["ok"]
    assert "the recipe needs 2 CPU in all (rollout: 2), the Ray cluster has 1" in seen["error"]


def test_no_address_starts_a_private_ray_even_beside_a_running_cluster(cluster):
    private = client(cluster, "")
    assert private["ok"] and private["marker"] == 0  # not attached to the `ray start` cluster
    attached = client(cluster, "auto")
    assert attached["ok"] and attached["marker"] == 1.0
    via_env = client(cluster, "", RAY_ADDRESS=cluster.address)
    assert via_env["ok"] and via_env["marker"] == 1.0


FAST_RUN = ["recipe=quickstart", "model.sft_warmup.steps=0", "data.synth.n=16", "trainer.total_steps=1"]


def train_cli(cluster: TokenCluster, tmp_path, *args: str, **env: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rlvr", "train", *FAST_RUN, f"trainer.output_dir={tmp_path}", *args],
        cwd=ROOT, env={**cluster.env(**env), "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def test_train_names_missing_cpus_with_exit_3(cluster, tmp_path):
    done = train_cli(cluster, tmp_path, f"cluster.address={cluster.address}", "cluster.cpus_per_worker=2")
    assert done.returncode == 3, done.stderr[-2000:]
    assert "needs 4 CPU in all (rollout: 2, policy rank 0: 2), the Ray cluster has 1" in done.stderr


def test_train_without_the_token_is_exit_3_not_a_hang(cluster, tmp_path):
    done = train_cli(cluster, tmp_path, f"cluster.address={cluster.address}", HOME=str(tmp_path))
    assert done.returncode == 3, done.stderr[-2000:]
    assert f"Ray at {cluster.address} needs a token, and none was found" in done.stderr
