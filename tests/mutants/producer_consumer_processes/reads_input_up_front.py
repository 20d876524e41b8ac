"""The whole input is read into a list and queued at once, whatever its length."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WorkerError(Exception):
    pass


def _worker(tasks: Any, results: Any, work: Callable[[Any], Any]) -> None:
    for index, item in iter(tasks.get, None):
        try:
            results.put((index, True, work(item)))
        except Exception as exc:  # noqa: BLE001
            results.put((index, False, f"{type(exc).__name__}: {exc}"))


def run_pipeline(items: Iterable[T], work: Callable[[T], R], *, workers: int = 2, capacity: int = 64,
                 start_method: str | None = None) -> list[R]:
    if workers < 1 or capacity < 1:
        raise ValueError("workers and capacity must be at least 1")
    ctx = mp.get_context(start_method)
    everything = list(enumerate(items))  # reads the whole input first
    tasks, results = ctx.Queue(), ctx.Queue()  # unbounded: capacity is ignored
    for task in everything:
        tasks.put(task)
    for _ in range(workers):
        tasks.put(None)
    procs = [ctx.Process(target=_worker, args=(tasks, results, work)) for _ in range(workers)]
    for p in procs:
        p.start()
    out: dict[int, Any] = {}
    error = None
    for _ in everything:
        index, ok, value = results.get()
        if ok:
            out[index] = value
        elif error is None:
            error = value
    for p in procs:
        p.join()
    if error is not None:
        raise WorkerError(error)
    return [out[i] for i in range(len(everything))]
