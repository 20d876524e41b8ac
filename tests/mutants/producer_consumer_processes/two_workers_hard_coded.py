"""Always starts two worker processes (the default) whatever `workers` says."""

from __future__ import annotations

import multiprocessing as mp
import queue
import traceback
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

POLL = 0.1  # seconds between checks for dead workers while waiting
_STOP = None  # sentinel in the task queue: one per worker


class WorkerError(Exception):
    """``work`` raised in a worker, or a worker process died."""


def _worker(tasks: Any, results: Any, work: Callable[[Any], Any]) -> None:
    """Process body: apply *work* to tasks until the sentinel; report failures, never die of one."""
    while True:
        task = tasks.get()
        if task is _STOP:
            return
        index, item = task
        try:
            results.put((index, True, work(item)))
        except BaseException as exc:  # noqa: BLE001 - the parent must learn about every failure
            detail = f"{type(exc).__name__}: {exc}"
            results.put((index, False, detail + "\n" + traceback.format_exc()))


def run_pipeline(
    items: Iterable[T],
    work: Callable[[T], R],
    *,
    workers: int = 2,
    capacity: int = 64,
    start_method: str | None = None,
) -> list[R]:
    for name, value in (("workers", workers), ("capacity", capacity)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int")
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    ctx = mp.get_context(start_method)
    tasks = ctx.Queue(capacity)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(tasks, results, work), daemon=True) for _ in range(2)]
    for proc in procs:
        proc.start()
    collected: dict[int, R] = {}
    try:
        source = enumerate(items)
        sent = 0
        pending: tuple[int, T] | None = None
        exhausted = False
        while not exhausted or len(collected) < sent:
            # Feed as long as the task queue takes items without blocking.
            while not exhausted:
                if pending is None:
                    nxt = next(source, None)
                    if nxt is None:
                        exhausted = True
                        break
                    pending = nxt
                # Keep at most `capacity` items in flight beyond those being worked on.
                if sent - len(collected) >= capacity + workers:
                    break
                try:
                    tasks.put(pending, timeout=POLL)
                except queue.Full:
                    break
                pending = None
                sent += 1
            if len(collected) < sent:
                _collect_one(results, collected, procs)
        return [collected[i] for i in range(sent)]
    finally:
        _shutdown(tasks, results, procs)


def _collect_one(results: Any, collected: dict[int, Any], procs: list[Any]) -> None:
    """Wait for one result; raise WorkerError on a failure or a dead worker."""
    while True:
        try:
            index, ok, value = results.get(timeout=POLL)
        except queue.Empty:
            dead = [p for p in procs if not p.is_alive()]
            if dead:
                raise WorkerError(
                    f"worker process {dead[0].pid} died (exit code {dead[0].exitcode}) "
                    "before returning its result"
                ) from None
            continue
        if not ok:
            raise WorkerError(f"work raised {value}")
        collected[index] = value
        return


def _shutdown(tasks: Any, results: Any, procs: list[Any]) -> None:
    """Stop and join every worker; drain queues so no process blocks on unsent data."""
    for _ in procs:
        try:
            tasks.put(_STOP, timeout=POLL)
        except (queue.Full, ValueError, OSError):
            break
    for proc in procs:
        proc.join(timeout=2)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()  # still busy after an error: do not wait for its work
    for proc in procs:
        proc.join()
    for q in (tasks, results):
        try:
            while True:
                q.get_nowait()
        except (queue.Empty, ValueError, OSError):
            pass
        q.close()
        q.join_thread()
