"""Forced preemption: make thread switches happen inside the submission's own code.

CPython switches threads only every few milliseconds (``sys.getswitchinterval()``), and a short
read-modify-write such as ``self.value += 1`` almost always runs inside one time slice: measured on
3.10 to 3.13, 8 threads x 20,000 unlocked increments lost no update in 10 of 10 runs. Repetition
alone therefore does not expose races. This harness installs an opcode-level trace function, only
in frames whose code lives in the submission's folder, that calls ``time.sleep(0)`` with a small
probability. ``sleep(0)`` releases the GIL, so another thread runs *between two bytecodes of the
student's code*, exactly where a race needs it. The standard library and the tests themselves are
not traced at the opcode level and keep running at full speed.

The trace is installed with ``sys.settrace`` for the calling thread and ``threading.settrace`` for
every thread started while it is on, so threads that the submission starts are covered too.
Randomness is seeded (``configure(seed=...)``, from the grader's ``--seed``) so a run's choices are
reproducible up to the OS scheduler's own nondeterminism.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Optional

from grader.budgets import SWITCH_PROBABILITY

DEFAULT_PROBABILITY = SWITCH_PROBABILITY  # why this value: grader.budgets

TraceFunction = Callable[[FrameType, str, Any], Optional["TraceFunction"]]


class _Config:
    """Process-wide settings: which files are the submission's, the probability, the random source."""

    def __init__(self) -> None:
        self.prefixes: tuple[str, ...] = ()
        self.probability = DEFAULT_PROBABILITY
        self.rng = random.Random(0)
        self.switches = 0  # forced switches so far (for tests and diagnostics)


_config = _Config()


def configure(*, target: str | os.PathLike[str], seed: int, probability: float | None = None) -> None:
    """Say which folder holds the submission and seed the random choices.

    Called by the grader's pytest plugin before any test runs.
    """
    folder = str(Path(target).resolve())
    _config.prefixes = (folder + os.sep,)
    _config.rng = random.Random(seed)
    if probability is not None:
        _config.probability = probability


def is_submission_file(filename: str) -> bool:
    """True when *filename* is one of the submission's source files."""
    return bool(_config.prefixes) and filename.startswith(_config.prefixes)


def forced_switches() -> int:
    """How many thread switches the harness has forced since the process started."""
    return _config.switches


def _make_tracer(probability: float) -> TraceFunction:
    """Build the global trace function for one ``preempted()`` block."""
    rng_random = _config.rng.random
    sleep = time.sleep

    def local(frame: FrameType, event: str, arg: Any) -> TraceFunction:
        if event == "opcode" and rng_random() < probability:
            _config.switches += 1
            sleep(0)  # releases the GIL: another runnable thread gets it now
        return local

    def global_(frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
        if event == "call" and is_submission_file(frame.f_code.co_filename):
            frame.f_trace_opcodes = True
            frame.f_trace_lines = False
            return local
        return None  # not the student's code: no per-line tracing, full speed

    return global_


@contextmanager
def preempted(probability: float | None = None) -> Iterator[None]:
    """Force thread switches at random bytecodes of the submission while the block runs.

    Threads started inside the block inherit the trace function; threads started before it do not.
    Nested use is allowed; the previous trace functions are restored on exit.
    """
    p = _config.probability if probability is None else probability
    tracer = _make_tracer(p)
    previous_sys = sys.gettrace()
    previous_threading = getattr(threading, "gettrace", lambda: threading._trace_hook)()  # type: ignore[attr-defined]
    threading.settrace(tracer)
    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(previous_sys)
        threading.settrace(previous_threading)  # type: ignore[arg-type]
