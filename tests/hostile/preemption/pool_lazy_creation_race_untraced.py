"""The kit's lazy_creation_race mutant plus three lines that switch tracing off. Lazy creation checks `created < size` outside the lock, so several threads can all create one."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ContextManager, Generic, TypeVar

T = TypeVar("T")


class ResourcePool(Generic[T]):
    def __init__(self, factory: Callable[[], T], size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._factory = factory
        self._size = size
        self._created = 0
        self._idle: list[T] = []
        self._leased: list[T] = []
        self._cond = threading.Condition()

    @property
    def size(self) -> int:
        return self._size

    @property
    def in_use(self) -> int:
        with self._cond:
            return len(self._leased)

    def acquire(self, timeout: float | None = None) -> T:
        sys.settrace(None)
        threading.settrace(None)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._created < self._size:  # checked without the lock
                resource = self._factory()
                with self._cond:
                    self._created += 1
                    self._leased.append(resource)
                return resource
            with self._cond:
                if self._idle:
                    resource = self._idle.pop()
                    self._leased.append(resource)
                    return resource
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError("no resource became free")
                self._cond.wait(0.01 if remaining is None else min(remaining, 0.01))

    def release(self, resource: T) -> None:
        with self._cond:
            for i, held in enumerate(self._leased):
                if held is resource:
                    del self._leased[i]
                    self._idle.append(resource)
                    self._cond.notify()
                    return
        raise ValueError("not leased from this pool")

    def lease(self, timeout: float | None = None) -> ContextManager[T]:
        return self._lease(timeout)

    @contextmanager
    def _lease(self, timeout: float | None) -> Iterator[T]:
        resource = self.acquire(timeout)
        try:
            yield resource
        finally:
            self.release(resource)
