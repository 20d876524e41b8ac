"""The workers are joined before their results are read: a worker whose results fill the pipe never exits."""

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
    tasks, results = ctx.Queue(capacity), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(tasks, results, work)) for _ in range(workers)]
    for p in procs:
        p.start()
    count = 0
    for count, item in enumerate(items, 1):
        tasks.put((count - 1, item))
    for _ in procs:
        tasks.put(None)
    for p in procs:
        p.join()  # BUG: a worker cannot exit while its results wait in the pipe
    out: dict[int, Any] = {}
    for _ in range(count):
        index, ok, value = results.get()
        if not ok:
            raise WorkerError(value)
        out[index] = value
    return [out[i] for i in range(count)]
