"""Results are returned in the order the workers finished them, not in the order of the input."""

from __future__ import annotations

import multiprocessing as mp
import queue
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WorkerError(Exception):
    pass


def _worker(tasks: Any, results: Any, work: Callable[[Any], Any]) -> None:
    for item in iter(tasks.get, None):
        try:
            results.put((True, work(item)))
        except Exception as exc:  # noqa: BLE001
            results.put((False, f"{type(exc).__name__}: {exc}"))


def run_pipeline(items: Iterable[T], work: Callable[[T], R], *, workers: int = 2, capacity: int = 64,
                 start_method: str | None = None) -> list[R]:
    if workers < 1 or capacity < 1:
        raise ValueError("workers and capacity must be at least 1")
    ctx = mp.get_context(start_method)
    tasks, results = ctx.Queue(capacity), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(tasks, results, work)) for _ in range(workers)]
    for p in procs:
        p.start()
    out: list[Any] = []
    error = None
    sent = 0

    def take(block: bool) -> None:
        nonlocal error
        try:
            ok, value = results.get(timeout=0.1) if block else results.get_nowait()
        except queue.Empty:
            if any(not p.is_alive() for p in procs):
                raise WorkerError("a worker died") from None
            return
        if ok:
            out.append(value)  # completion order
        elif error is None:
            error = value
        received[0] += 1

    received = [0]
    try:
        for item in items:
            while True:
                try:
                    tasks.put(item, timeout=0.1)
                    break
                except queue.Full:
                    take(block=False)
            sent += 1
        while received[0] < sent:
            take(block=True)
    finally:
        for _ in procs:
            tasks.put(None)
        for p in procs:
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join()
    if error is not None:
        raise WorkerError(error)
    return out
