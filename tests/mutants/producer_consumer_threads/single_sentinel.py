"""run_pipeline puts a single sentinel for many consumers: all but one wait for ever."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Closed(Exception):
    """The buffer was closed: no more puts, and no more items to get."""


def _deadline(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if timeout < 0:
        raise ValueError("timeout must be non-negative")
    return time.monotonic() + timeout


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.monotonic()


class BoundedBuffer(Generic[T]):
    """A FIFO holding at most *capacity* items."""

    def __init__(self, capacity: int) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise TypeError(f"capacity must be an int, not {type(capacity).__name__}")
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        self._items: deque[T] = deque()
        self._closed = False
        lock = threading.Lock()
        self._not_full = threading.Condition(lock)
        self._not_empty = threading.Condition(lock)

    @property
    def capacity(self) -> int:
        return self._capacity

    def put(self, item: T, timeout: float | None = None) -> None:
        deadline = _deadline(timeout)
        with self._not_full:
            while not self._closed and len(self._items) >= self._capacity:
                remaining = _remaining(deadline)
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"buffer still full after {timeout} s")
                self._not_full.wait(remaining)
            if self._closed:
                raise Closed("put() on a closed buffer")
            self._items.append(item)
            self._not_empty.notify()  # one item: one consumer can take it

    def get(self, timeout: float | None = None) -> T:
        deadline = _deadline(timeout)
        with self._not_empty:
            while not self._items:
                if self._closed:
                    raise Closed("the buffer is closed and empty")
                remaining = _remaining(deadline)
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"buffer still empty after {timeout} s")
                self._not_empty.wait(remaining)
            item = self._items.popleft()
            self._not_full.notify()  # one free slot: one producer can fill it
            return item

    def close(self) -> None:
        with self._not_full:
            self._closed = True
            # Everyone must wake up and notice: notify() would wake only one waiter per condition.
            self._not_full.notify_all()
            self._not_empty.notify_all()

    def __len__(self) -> int:
        with self._not_full:
            return len(self._items)


_DONE = object()


def run_pipeline(
    producers: Sequence[Iterable[T]],
    consume: Callable[[T], R],
    *,
    consumers: int = 4,
    capacity: int = 16,
) -> list[R]:
    if consumers < 1:
        raise ValueError("consumers must be at least 1")
    buffer: BoundedBuffer[object] = BoundedBuffer(capacity)
    results: list[R] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def produce(items: Iterable[T]) -> None:
        try:
            for item in items:
                buffer.put(item)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def consume_all() -> None:
        while True:
            item = buffer.get()
            if item is _DONE:
                return  # the one sentinel stops only the consumer that takes it
            try:
                result = consume(item)  # type: ignore[arg-type]
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                continue
            with lock:
                results.append(result)

    producer_threads = [threading.Thread(target=produce, args=(p,)) for p in producers]
    consumer_threads = [threading.Thread(target=consume_all, daemon=True) for _ in range(consumers)]
    for thread in consumer_threads + producer_threads:
        thread.start()
    for thread in producer_threads:
        thread.join()
    buffer.put(_DONE)
    for thread in consumer_threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
