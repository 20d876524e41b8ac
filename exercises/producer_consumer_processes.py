"""Exercise 5: a producer-consumer pipeline on processes (CPU-bound work, no GIL limit).

What to build
-------------
``run_pipeline(items, work, workers=2, capacity=64, start_method=None)``: the calling process
produces, ``workers`` processes apply ``work`` to each item, and the results come back *in the
order of items*. See docs/SPEC.md section 5.

Why processes
-------------
Threads share one interpreter and one GIL: only one of them runs Python bytecode at a time, so
CPU-bound work (parsing, hashing, number crunching in pure Python) gets no faster on threads.
Each *process* has its own interpreter and its own GIL: on two cores, two workers really compute at
the same time. The price: processes share no memory, so items, results and errors travel through
``multiprocessing`` queues (pickled), ``work`` must be a module-level function, and start-up costs
milliseconds, not microseconds.

On a free-threaded build (``python3.13t``, ``python3.14t``), threads too run CPU-bound Python code
in parallel. Processes remain the way that works on every build, and they isolate memory: a worker
that crashes cannot corrupt the others' state.

Start methods
-------------
How a worker process begins depends on the start method, and the default differs by platform and
version: ``fork`` on Linux up to Python 3.13, ``forkserver`` on Linux from 3.14, ``spawn`` on
macOS (since 3.8) and Windows. ``fork`` copies the parent as it is. ``spawn`` and ``forkserver``
start a fresh interpreter that *imports* your module, then unpickles ``work`` and the items. So:

- ``work`` and everything it needs must be importable: a function defined at module level, not a
  lambda or a function nested inside another;
- module globals set at run time (by code that ran after import, in the parent) are *not* seen by
  the workers: they see the module as a fresh import left it. Pass what workers need as
  arguments or through the queue;
- code at module level runs again in every worker: keep it free of side effects.

Write it for ``spawn`` and it works with all three; the grader runs it with each.

What the grader checks
----------------------
- results are returned in the order of ``items``, even when later items finish first;
- ``items`` may be a long lazy iterator: it is read only as fast as the workers keep up (a bounded
  ``multiprocessing`` queue of ``capacity`` holds the backlog), never whole ahead of them;
- ``start_method`` ("fork", "spawn", "forkserver", None = the platform's default) is really used;
- two workers really run at the same time;
- ``workers < 1`` or ``capacity < 1`` is a ``ValueError``;
- an exception in ``work`` raises ``WorkerError`` whose message contains the original exception's
  type and message; a worker that dies (killed, ``os._exit``) raises ``WorkerError`` within
  seconds instead of hanging;
- whether it returns or raises, every process it started has been joined: none left running,
  none left a zombie; large results (hundreds of KiB each) do not deadlock.

Pitfalls
--------
- ``list(items)`` or an unbounded queue: the whole input is read up front.
- Joining a worker before reading its results: a process cannot exit while data it put on a queue
  is still waiting in the pipe, so ``join()`` waits for you and you wait for ``join()``.
- ``results.get()`` without a timeout: if a worker died, the result never comes. Wait with a
  timeout and check ``Process.is_alive()`` / ``exitcode`` in between.
- Sending results back without their index: they arrive in completion order, not input order.
- ``multiprocessing.Pool.imap`` reads the whole input ahead: build the pipeline yourself.
"""

from __future__ import annotations

import multiprocessing  # noqa: F401  - get_context(), Queue and Process live here
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WorkerError(Exception):
    """``work`` raised in a worker, or a worker process died."""


def run_pipeline(
    items: Iterable[T],
    work: Callable[[T], R],
    *,
    workers: int = 2,
    capacity: int = 64,
    start_method: str | None = None,
) -> list[R]:
    """Apply *work* to every item in *workers* processes; return the results in input order."""
    # TODO: validate workers and capacity (ValueError).
    # TODO: ctx = multiprocessing.get_context(start_method); a task queue ctx.Queue(capacity) and a
    #       result queue; start `workers` ctx.Process running a module-level worker function that
    #       takes (index, item) pairs until a sentinel and puts back (index, ok, result-or-error).
    # TODO: feed items while collecting results (so a lazy input is read only as needed); turn a
    #       failure or a dead worker into WorkerError; stop and join every worker in a finally.
    raise NotImplementedError("run_pipeline")
