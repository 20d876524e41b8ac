"""acquire() ignores its timeout and waits forever."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ContextManager, Generic, TypeVar

T = TypeVar("T")

_NONE_IDLE = object()  # a factory may legitimately make None, so "nothing idle" needs its own marker


class ResourcePool(Generic[T]):
    """Lend at most *size* resources made by *factory*, reusing released ones."""

    def __init__(self, factory: Callable[[], T], size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"size must be an int, not {type(size).__name__}")
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self._factory = factory
        self._size = size
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[T] = []
        self._leased: dict[int, T] = {}  # id(resource) -> resource: works for unhashable resources

    @property
    def size(self) -> int:
        return self._size

    @property
    def in_use(self) -> int:
        with self._lock:
            return len(self._leased)

    def acquire(self, timeout: float | None = None) -> T:
        if timeout is not None and timeout < 0:
            raise ValueError("timeout must be non-negative")
        if not self._slots.acquire():
            raise TimeoutError(f"no resource became free within {timeout} s")
        try:
            with self._lock:
                resource = self._idle.pop() if self._idle else _NONE_IDLE
            if resource is _NONE_IDLE:
                # Holding a permit guarantees fewer than `size` resources exist or are idle, so
                # creating one here never makes more than `size` over the pool's life. The factory
                # runs outside the lock: a slow factory must not block releases.
                resource = self._factory()
            with self._lock:
                self._leased[id(resource)] = resource
            return resource
        except BaseException:
            self._slots.release()  # the factory failed: give the slot back
            raise

    def release(self, resource: T) -> None:
        with self._lock:
            if self._leased.get(id(resource), _NONE_IDLE) is not resource:  # also None
                raise ValueError("release() of an object that is not leased from this pool")
            del self._leased[id(resource)]
            self._idle.append(resource)
        self._slots.release()

    def lease(self, timeout: float | None = None) -> ContextManager[T]:
        return self._lease(timeout)

    @contextmanager
    def _lease(self, timeout: float | None) -> Iterator[T]:
        resource = self.acquire(timeout)
        try:
            yield resource
        finally:
            self.release(resource)
