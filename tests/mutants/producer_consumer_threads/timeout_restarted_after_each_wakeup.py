"""put() and get() wait again with the full timeout after every wake-up, so a wait that keeps being woken never times out."""

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
                if not self._not_full.wait(timeout):
                    raise TimeoutError(f"buffer still full after {timeout} s")
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
                if not self._not_empty.wait(timeout):
                    raise TimeoutError(f"buffer still empty after {timeout} s")
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


def run_pipeline(
    producers: Sequence[Iterable[T]],
    consume: Callable[[T], R],
    *,
    consumers: int = 4,
    capacity: int = 16,
) -> list[R]:
    """Run one thread per producer and *consumers* consumer threads around one BoundedBuffer."""
    if isinstance(consumers, bool) or not isinstance(consumers, int):
        raise TypeError("consumers must be an int")
    if consumers < 1:
        raise ValueError(f"consumers must be at least 1, got {consumers}")
    buffer: BoundedBuffer[T] = BoundedBuffer(capacity)  # validates capacity
    results: list[R] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def fail(exc: BaseException) -> None:
        with lock:
            errors.append(exc)
        buffer.close()  # stop everyone promptly: blocked puts and gets wake up with Closed

    def produce(items: Iterable[T]) -> None:
        try:
            for item in items:
                buffer.put(item)
        except Closed:
            pass  # someone else failed and closed the buffer
        except BaseException as exc:  # noqa: BLE001 - must reach the caller, not die in the thread
            fail(exc)

    def consume_all() -> None:
        try:
            while True:
                item = buffer.get()
                result = consume(item)
                with lock:
                    results.append(result)
        except Closed:
            pass  # closed and drained: done
        except BaseException as exc:  # noqa: BLE001
            fail(exc)

    producer_threads = [threading.Thread(target=produce, args=(p,), name=f"producer-{i}")
                        for i, p in enumerate(producers)]
    consumer_threads = [threading.Thread(target=consume_all, name=f"consumer-{i}")
                        for i in range(consumers)]
    for thread in consumer_threads + producer_threads:
        thread.start()
    for thread in producer_threads:
        thread.join()
    buffer.close()  # all producers are done: consumers drain what is left, then stop
    for thread in consumer_threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
