"""All the work is done in the calling process, one item after the other: no parallelism at all."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WorkerError(Exception):
    pass


def run_pipeline(items: Iterable[T], work: Callable[[T], R], *, workers: int = 2, capacity: int = 64,
                 start_method: str | None = None) -> list[R]:
    if workers < 1 or capacity < 1:
        raise ValueError("workers and capacity must be at least 1")
    results = []
    for item in items:
        try:
            results.append(work(item))
        except Exception as exc:
            raise WorkerError(f"{type(exc).__name__}: {exc}") from exc
    return results
