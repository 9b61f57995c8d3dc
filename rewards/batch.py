"""Score many rows in a pool of worker processes; an item that crashes or runs past its timeout is a fault.

A fault is reported on its row (``error``, ``kind``), never as a wrong answer. A timed-out worker is
killed and replaced, so runaway work really stops; the other items are unaffected. Workers import the
modules that registered this process's verifiers and ``RewardConfig.imports``, so rows may name them.
"""

from __future__ import annotations

import importlib
import math
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from rewards.registry import import_modules, list_verifiers, require_verifier
from rewards.score import SCORE_KEYS, RewardConfig, score_response, verifier_name

IN_PROCESS_MAX_ROWS = 8  # by default smaller batches skip the pool (its start-up costs more than scoring)
READY = "ready"  # first message of a worker process: imports done, timeouts may start


ERROR, TIMEOUT, SKIPPED = "error", "timeout", "skipped"


@dataclass
class BatchResult:
    """Scores of one row (the ``SCORE_KEYS`` floats), the verifier used, and why it failed (or None).

    ``kind`` of a failed row: ``error`` (the verifier raised or returned a non-score, or the row is
    malformed), ``timeout``, or ``skipped`` (not scored: the batch stopped after too many faults). The
    scores of a failed row are 0 placeholders, not a verdict."""

    scores: dict[str, float]
    verifier: str
    error: str | None = None
    kind: str | None = None


def _failed(why: str, kind: str = ERROR, verifier: str = "") -> BatchResult:
    return BatchResult(scores=dict.fromkeys(SCORE_KEYS, 0.0), verifier=verifier, error=why, kind=kind)


def score_row(row: Mapping[str, Any], config: RewardConfig) -> BatchResult:
    """One ``{response, ground_truth, extra_info}`` row; an exception or a verifier fault is its ``error``."""
    missing = [key for key in ("response", "ground_truth") if key not in row]
    if missing:
        return _failed(f"row has no {' or '.join(map(repr, missing))} key")
    try:
        scored = score_response(row["response"], row["ground_truth"], row.get("extra_info"), config)
    except Exception as exc:  # one bad row must not stop the batch
        return _failed(f"{type(exc).__name__}: {exc}", verifier=_verifier_of(row, config))
    if scored.fault is not None:
        return _failed(f"verifier {scored.verifier!r} {scored.fault}", verifier=scored.verifier)
    return BatchResult(scores=scored.scores, verifier=scored.verifier)


def _verifier_of(row: Mapping[str, Any], config: RewardConfig) -> str:
    """The verifier that scores ``row`` ('' when the row cannot say): named in timeout and crash reports."""
    return verifier_name(row.get("ground_truth"), row.get("extra_info"), config)


def _timed_out(row: Mapping[str, Any], config: RewardConfig, why: str) -> BatchResult:
    verifier = _verifier_of(row, config)
    named = f"verifier {verifier!r} " if verifier else ""
    return _failed(f"{named}{why}", TIMEOUT, verifier)


def _too_many(results: list[BatchResult | None], max_faults: int | None) -> bool:
    if max_faults is None:
        return False
    return sum(1 for r in results if r is not None and r.kind in (ERROR, TIMEOUT)) > max_faults


class _ItemTimeout(BaseException):
    """Raised by SIGALRM inside an item; a BaseException so no verifier's ``except Exception`` eats it."""


def _score_in_process(
    rows: Sequence[Mapping[str, Any]], config: RewardConfig, timeout_s: float, max_faults: int | None
) -> list[BatchResult | None]:
    """Score here; the timeout is enforced with SIGALRM when possible (main thread on POSIX)."""
    use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    results: list[BatchResult | None] = []
    if not use_alarm:
        for row in rows:
            if _too_many(results, max_faults):
                break
            results.append(score_row(row, config))
        return results

    def on_alarm(signum: int, frame: Any) -> None:
        raise _ItemTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        for row in rows:
            if _too_many(results, max_faults):
                break
            signal.setitimer(signal.ITIMER_REAL, timeout_s)
            try:
                results.append(score_row(row, config))
            except _ItemTimeout:
                results.append(_timed_out(row, config, f"timed out after {timeout_s:g}s"))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return results


def verifier_modules() -> tuple[str, ...]:
    """The importable modules that define this process's registered verifiers (decorators run on import)."""
    modules = {getattr(fn, "__module__", None) for fn in list_verifiers().values()}
    return tuple(sorted(m for m in modules if isinstance(m, str) and m not in ("__main__", "__mp_main__")))


def _worker_main(conn: Connection, config: RewardConfig, modules: tuple[str, ...]) -> None:
    """Worker process: import the user's modules (``config.imports``) and the verifier modules, say it is
    ready, then score ``(index, row)`` messages until it receives ``None``."""
    import_modules(config.imports)
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # a row naming one of its verifiers then fails loudly, on its own
            continue
    conn.send(READY)
    while True:
        message = conn.recv()
        if message is None:
            return
        index, row = message
        conn.send((index, score_row(row, config)))


class _Worker:
    """One worker process and the item it is scoring (``index``), due by ``deadline``."""

    def __init__(self, ctx: Any, config: RewardConfig, modules: tuple[str, ...]) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, config, modules), daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.index: int | None = None
        self.deadline = math.inf

    def give(self, index: int, row: Mapping[str, Any], timeout_s: float) -> None:
        self.conn.send((index, row))  # pickles first: an unpicklable row raises before anything is written
        self.index, self.deadline = index, time.monotonic() + timeout_s

    def stop(self, kill: bool = False) -> None:
        if not kill and self.process.is_alive():
            try:
                self.conn.send(None)
                self.process.join(timeout=1.0)
            except OSError:
                pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def _score_in_pool(
    rows: Sequence[Mapping[str, Any]],
    config: RewardConfig,
    workers: int,
    timeout_s: float,
    max_faults: int | None,
) -> list[BatchResult | None]:
    ctx = multiprocessing.get_context("spawn")  # fork is unsafe in threaded trainers (Ray, tokenizers)
    results: list[BatchResult | None] = [None] * len(rows)
    todo = deque(range(len(rows)))
    modules = verifier_modules()
    pool = [_Worker(ctx, config, modules) for _ in range(min(workers, len(rows)))]
    try:
        while (todo or any(w.index is not None for w in pool)) and not _too_many(results, max_faults):
            for worker in pool:
                while worker.ready and worker.index is None and todo:
                    index = todo.popleft()
                    try:
                        worker.give(index, rows[index], timeout_s)
                    except Exception as exc:  # an unpicklable row, or a worker that died while idle
                        if not worker.process.is_alive():
                            todo.appendleft(index)
                            break
                        results[index] = _failed(f"row cannot be sent to a worker: {exc}")
            pending = [w for w in pool if not w.ready or w.index is not None]
            if pending:
                next_deadline = min(w.deadline for w in pending)
                wait(
                    [w.conn for w in pending] + [w.process.sentinel for w in pending],
                    timeout=None if next_deadline == math.inf else max(0.0, next_deadline - time.monotonic()),
                )
            for slot, worker in enumerate(pool):
                problem = _collect(worker, results, timeout_s)
                if problem is None and worker.index is not None and not worker.process.is_alive():
                    problem = f"worker process died (exit code {worker.process.exitcode})"  # died just now
                if problem is not None:
                    results[worker.index] = _pool_fault(rows[worker.index], config, problem)
                if problem is not None or not worker.process.is_alive():
                    worker.stop(kill=True)
                    pool[slot] = _Worker(ctx, config, modules)
    finally:
        for worker in pool:
            worker.stop(kill=worker.index is not None)  # a busy worker is stopped mid-item
    return results


def _pool_fault(row: Mapping[str, Any], config: RewardConfig, problem: str) -> BatchResult:
    if problem.startswith("timed out"):
        return _timed_out(row, config, problem)
    return _failed(problem, verifier=_verifier_of(row, config))


def _collect(worker: _Worker, results: list[BatchResult | None], timeout_s: float) -> str | None:
    """Take the worker's message if there is one; say why its item failed if it died or ran too long."""
    if worker.conn.poll():
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            message = None
        if message == READY:
            worker.ready = True
            return None
        if message is not None:
            index, result = message
            results[index] = result
            worker.index, worker.deadline = None, math.inf
            return None
    if not worker.process.is_alive():
        if not worker.ready:
            raise RuntimeError(f"a scoring worker failed to start (exit code {worker.process.exitcode})")
        if worker.index is not None:
            return f"worker process died (exit code {worker.process.exitcode})"
    if worker.index is not None and time.monotonic() >= worker.deadline:
        return f"timed out after {timeout_s:g}s (worker killed)"
    return None


def score_batch(
    rows: Sequence[Mapping[str, Any]],
    config: RewardConfig | None = None,
    workers: int | None = None,
    timeout_s: float = 5.0,
    max_faults: int | None = None,
) -> list[BatchResult]:
    """Score ``{response, ground_truth, extra_info}`` rows, in order; failures are per row, never lost.

    ``workers``: processes in the pool; ``0`` scores in this process; ``None`` picks: in this process for
    at most ``IN_PROCESS_MAX_ROWS`` rows, else one process per CPU. In this process the timeout relies on
    SIGALRM (main thread only), which cannot stop one long C call; the pool kills the worker instead.
    ``max_faults``: once more rows than this have faulted, the rest are not scored (kind ``skipped``),
    so a verifier that hangs on every row costs a few timeouts, not one per row.
    """
    if not timeout_s > 0:
        raise ValueError(f"timeout_s={timeout_s!r} must be > 0 seconds")
    if workers is not None and workers < 0:
        raise ValueError(f"workers={workers!r} must be >= 0 (0 = score in this process)")
    config = config or RewardConfig()
    import_modules(config.imports)  # an unimportable module is the caller's error, not one per row
    if config.verifier:
        require_verifier(config.verifier)  # a typo'd or broken verifier is the caller's error, not per row
    if workers is None:
        workers = 0 if len(rows) <= IN_PROCESS_MAX_ROWS else os.cpu_count() or 1
    if workers == 0 or not rows:
        results = _score_in_process(rows, config, timeout_s, max_faults)
    else:
        results = _score_in_pool(rows, config, workers, timeout_s, max_faults)
    results = list(results) + [None] * (len(rows) - len(results))
    if max_faults is None:
        return [r if r is not None else _failed("not scored (its worker was lost)") for r in results]
    stopped = f"not scored: the batch stopped after more than {max_faults} verifier fault(s)"
    return [r if r is not None else _failed(stopped, SKIPPED) for r in results]
