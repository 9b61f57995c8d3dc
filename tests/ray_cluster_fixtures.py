"""A real ``ray start --head`` cluster with token authentication, private to one test module.

It lives in its own ``RAY_TMPDIR`` and ``HOME`` (its token in ``HOME/.ray/auth_token``), so it never meets
another Ray on the machine; it is stopped by signalling the process group it was started in.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")
START_TIMEOUT_S = 90


@dataclass(frozen=True)
class TokenCluster:
    address: str
    token: str
    home: Path  # HOME whose ~/.ray/auth_token holds the cluster's token
    tmpdir: Path  # the cluster's RAY_TMPDIR: `ray_current_cluster` there points at it

    def env(self, **changes: str | None) -> dict[str, str]:
        """This process's environment for a client of the cluster; None removes a variable."""
        env = {**os.environ, "HOME": str(self.home), "RAY_TMPDIR": str(self.tmpdir)}
        for key in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
            env.pop(key, None)
        for key, value in changes.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"`ray start` exited with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"`ray start` did not open port {port} within {START_TIMEOUT_S} s")


def _stop(process: subprocess.Popen, tmpdir: Path) -> None:
    """SIGTERM to the cluster's process group, SIGKILL to what is left of it (and of its temp dir)."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            continue
    leftovers = subprocess.run(["pgrep", "-f", str(tmpdir)], capture_output=True, text=True).stdout.split()
    for pid in leftovers:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


@contextmanager
def token_cluster(cpus: int = 1, marker: str = "loud_marker") -> Iterator[TokenCluster]:
    """A head node with ``cpus`` CPUs, one unit of the custom resource ``marker`` and token auth."""
    home = Path(tempfile.mkdtemp(prefix="lh", dir="/tmp"))
    tmpdir = Path(tempfile.mkdtemp(prefix="lr", dir="/tmp"))  # short: Ray's socket paths must fit 107 chars
    token = uuid.uuid4().hex
    (home / ".ray").mkdir()
    (home / ".ray" / "auth_token").write_text(token)
    port = free_port()
    cluster = TokenCluster(f"127.0.0.1:{port}", token, home, tmpdir)
    command = [
        str(RAY), "start", "--head", f"--port={port}", f"--num-cpus={cpus}", "--num-gpus=0",
        f'--resources={{"{marker}": 1}}', "--include-dashboard=false", "--disable-usage-stats", "--block",
        f"--ray-client-server-port={free_port()}",
    ]  # fmt: skip
    env = cluster.env(RAY_AUTH_MODE="token", RAY_USAGE_STATS_ENABLED="0")
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        _wait_for_port(port, process)
        yield cluster
    finally:
        _stop(process, tmpdir)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(tmpdir, ignore_errors=True)
