"""Connect to Ray without hanging: the address and the token are checked with a time limit before
``ray.init``, and token authentication is set up from the environment (Ray's variables or a config key).

No address (neither ``cluster.address`` nor ``RAY_ADDRESS``) starts a private local Ray, even when a
``ray start`` cluster runs on this machine; ``cluster.address=auto`` attaches to that one.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvr.errors import ClusterError

REACH_TIMEOUT_S = 10.0  # name resolution and TCP connect to the head, each
DEFAULT_GCS_PORT = 6379
TOKEN_ENV = "RAY_AUTH_TOKEN"  # Ray's own variables, read by every Ray process
TOKEN_PATH_ENV = "RAY_AUTH_TOKEN_PATH"
AUTH_MODE_ENV = "RAY_AUTH_MODE"
DEFAULT_TOKEN_FILE = Path("~/.ray/auth_token")
_HOST_PORT = re.compile(
    r"(?:[a-z][a-z0-9+.-]{0,20}://)?(\[[0-9a-fA-F:.]{2,64}\]|[^:/\s]{1,253})(?::(\d{1,5}))?/?"
)
_AUTH_HELP = (
    f"A Ray cluster with token authentication needs its token: set {TOKEN_ENV} (or {TOKEN_PATH_ENV}, "
    f"or put it in {DEFAULT_TOKEN_FILE}), or name the variable holding it: cluster.auth_token_env=NAME; "
    "`ray get-auth-token` on the head node prints it."
)


@dataclass(frozen=True)
class ClusterTarget:
    """Where the run's Ray lives: ``address`` None = a private local Ray; ``source`` says who chose it."""

    address: str | None
    source: str = ""

    def describe(self) -> str:
        return "a private local Ray" if self.address is None else f"{self.address} ({self.source})"


def cluster_target(address: str | None) -> ClusterTarget:
    """``cluster.address`` if set, else ``$RAY_ADDRESS``, else a private local Ray (never a running one)."""
    if address:
        return ClusterTarget(str(address), "cluster.address")
    if os.environ.get("RAY_ADDRESS"):
        return ClusterTarget(os.environ["RAY_ADDRESS"], "RAY_ADDRESS")
    return ClusterTarget(None)


def host_and_port(address: str) -> tuple[str, int]:
    """``(host, port)`` of ``host:port``, ``host`` (port 6379) or ``ray://host:port``; else ClusterError."""
    match = _HOST_PORT.fullmatch(address.strip())
    if not match or not 0 < int(match.group(2) or DEFAULT_GCS_PORT) < 65536:
        raise ClusterError(f"Ray address {address!r} is not host:port (e.g. 10.0.0.1:6379) or auto")
    return match.group(1).strip("[]"), int(match.group(2) or DEFAULT_GCS_PORT)


def _within(seconds: float, work: Any) -> Any:
    """``work()`` run on a daemon thread; a ``TimeoutError`` if it has not returned after ``seconds``."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed back to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def check_reachable(address: str, timeout_s: float = REACH_TIMEOUT_S) -> None:
    """Resolve the host and open a TCP connection to the head's port, each within ``timeout_s``."""
    host, port = host_and_port(address)
    try:
        infos = _within(timeout_s, lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot resolve the host {host!r} of Ray address {address}: {exc}") from None
    family, kind, proto, _, sockaddr = infos[0]
    try:
        with socket.socket(family, kind, proto) as probe:
            probe.settimeout(timeout_s)
            probe.connect(sockaddr)
    except (OSError, TimeoutError) as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ClusterError(
            f"cannot reach the Ray cluster at {address} within {timeout_s:g} s ({reason}); is `ray start "
            f"--head` running there, with port {port} open to this machine?"
        ) from None


def auth_token(token_env: str | None) -> str | None:
    """The token named by ``cluster.auth_token_env``, else whether Ray's own sources hold one (``''``)."""
    if token_env:
        token = os.environ.get(token_env, "").strip()
        if not token:
            raise ClusterError(f"cluster.auth_token_env={token_env} but ${token_env} is empty or not set")
        return token
    if os.environ.get(TOKEN_ENV, "").strip():
        return os.environ[TOKEN_ENV].strip()
    path = Path(os.environ.get(TOKEN_PATH_ENV) or DEFAULT_TOKEN_FILE).expanduser()
    return "" if path.is_file() and path.read_text().strip() else None


def enable_token_auth(token: str) -> None:
    """Token mode for this process and what it starts (``RAY_AUTH_MODE=token``), unless the user chose a
    mode; ``token`` ('' = Ray finds it in its token file) goes to ``RAY_AUTH_TOKEN``."""
    if token:
        os.environ[TOKEN_ENV] = token
    if os.environ.get(AUTH_MODE_ENV):
        return
    os.environ[AUTH_MODE_ENV] = "token"
    from ray._raylet import AuthenticationTokenLoader, Config

    Config.initialize("")  # Ray caches the mode: re-read it, as `ray.init` does for local clusters
    AuthenticationTokenLoader.instance().reset_cache()


def check_auth(address: str, has_token: bool, timeout_s: float = REACH_TIMEOUT_S) -> None:
    """Ask the head's GCS for the cluster id: a missing or wrong token fails at once, not after 20 s."""
    from ray._raylet import GcsClient

    host, port = host_and_port(address)
    try:
        _within(timeout_s, lambda: GcsClient(address=f"{host}:{port}").cluster_id)
    except TimeoutError:
        raise ClusterError(f"the Ray cluster at {address} did not answer within {timeout_s:g} s") from None
    except Exception as exc:  # ray.exceptions.AuthenticationError, or an RPC error
        if "auth" in type(exc).__name__.lower() or "InvalidAuthToken" in str(exc):
            problem = "refused the token given" if has_token else "needs a token, and none was found"
            raise ClusterError(f"Ray at {address} {problem}. {_AUTH_HELP}") from None
        raise ClusterError(
            f"the Ray cluster at {address} did not answer: {str(exc).splitlines()[0]}"
        ) from None


def prepare_connection(target: ClusterTarget, token_env: str | None = None) -> None:
    """Before ``ray.init`` to an address: reachability, token mode when a token is available, auth."""
    if target.address is None:
        return
    token = auth_token(token_env)
    if token is not None:
        enable_token_auth(token)
    if target.address == "auto" or target.address.startswith("ray://"):
        return  # Ray finds the local head itself / Ray Client has its own handshake
    check_reachable(target.address)
    check_auth(target.address, has_token=token is not None)


def worker_env() -> dict[str, str]:
    """Environment for the run's Ray workers: plain output off a terminal, and this folder on their
    ``PYTHONPATH`` so that ``reward.imports`` modules import there as they do here."""
    from rlvr.console import plain_output_env

    path = os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))
    return {**plain_output_env(), "PYTHONPATH": path}


@contextmanager
def ray_session(target: ClusterTarget, token_env: str | None = None, **init_kwargs: Any) -> Iterator[None]:
    """``ray.init`` on ``target`` (a private local Ray when it has no address), ``ray.shutdown`` after."""
    import ray

    prepare_connection(target, token_env)
    address = target.address or "local"
    try:
        ray.init(address=address, **init_kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClusterError(f"cannot attach to the Ray cluster at {target.describe()}: {first}") from None
    try:
        yield
    finally:
        ray.shutdown()
