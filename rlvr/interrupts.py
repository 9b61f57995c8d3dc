"""Ctrl-C and SIGTERM: during training the first signal lets the current step finish, then the run saves a
checkpoint and its summary and stops; a second abandons the step. Every ``rlvr`` command then exits 130.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(Exception):
    """A run stopped on a signal after saving what it could (``checkpoint``: its latest complete one)."""

    def __init__(self, step: int, checkpoint: str | None, abandoned: bool = False):
        saved = f"latest checkpoint {checkpoint}" if checkpoint else "no checkpoint was saved yet"
        how = "abandoned step" if abandoned else "stopped after step"
        super().__init__(f"interrupted: {how} {step}; {saved}")
        self.step, self.checkpoint, self.abandoned = step, checkpoint, abandoned


@dataclass
class StopSignal:
    """Set by the first SIGINT/SIGTERM while ``stop_on_signals`` is active: ``received`` is its name."""

    received: str | None = None


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def stop_on_signals(notice: Callable[[str], None] = _stderr) -> Iterator[StopSignal]:
    """While active, the first SIGINT/SIGTERM only sets ``StopSignal.received`` (the loop stops at the end
    of its step); a second raises ``KeyboardInterrupt`` at once. Off the main thread it does nothing."""
    stop = StopSignal()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, frame: object) -> None:
        if stop.received is not None:
            raise KeyboardInterrupt
        stop.received = signal.Signals(signum).name
        notice(
            f"{stop.received}: finishing this step, then saving a checkpoint and the summary "
            "(send it again to abandon the step)"
        )

    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While active, SIGTERM raises ``KeyboardInterrupt`` like Ctrl-C: every command handles both alike."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
