"""The buffer wraps a queue.Queue (polling for close) instead of being built from threading locks and conditions."""

from __future__ import annotations

import queue
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
        self._items: queue.Queue[T] = queue.Queue(maxsize=capacity)
        self._closed = threading.Event()

    @property
    def capacity(self) -> int:
        return self._capacity

    def put(self, item: T, timeout: float | None = None) -> None:
        deadline = _deadline(timeout)
        while not self._closed.is_set():
            try:
                self._items.put_nowait(item)
                return
            except queue.Full:
                pass
            remaining = _remaining(deadline)
            if remaining is not None and remaining <= 0:
                raise TimeoutError(f"buffer still full after {timeout} s")
            try:
                self._items.put(item, timeout=0.01 if remaining is None else min(0.01, remaining))
                return
            except queue.Full:
                continue
        raise Closed("put() on a closed buffer")

    def get(self, timeout: float | None = None) -> T:
        deadline = _deadline(timeout)
        while True:
            try:
                return self._items.get_nowait()
            except queue.Empty:
                if self._closed.is_set():
                    raise Closed("the buffer is closed and empty") from None
            remaining = _remaining(deadline)
            if remaining is not None and remaining <= 0:
                raise TimeoutError(f"buffer still empty after {timeout} s")
            try:
                return self._items.get(timeout=0.01 if remaining is None else min(0.01, remaining))
            except queue.Empty:
                continue

    def close(self) -> None:
        self._closed.set()

    def __len__(self) -> int:
        return self._items.qsize()


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
