"""Exercise 4: a bounded buffer and a producer-consumer pipeline on threads.

What to build
-------------
``BoundedBuffer``: a FIFO of at most ``capacity`` items, built from ``threading`` locks and
conditions (not ``queue.Queue``: the point is to build one). ``run_pipeline``: one thread per
producer iterable and ``consumers`` consumer threads around one buffer. See docs/SPEC.md
section 4.

Why conditions
--------------
A producer facing a full buffer must *sleep* until there is room, without holding the lock (or
nobody could make room) and without spinning (that burns the CPU, and with the GIL it also slows
every other thread). ``threading.Condition`` does exactly that: ``wait()`` releases the lock,
sleeps until notified, and takes the lock back before returning. Use one lock and two conditions
on it: ``not_full`` (producers wait there) and ``not_empty`` (consumers wait there).

Threads are the right tool here because producers and consumers mostly *wait* (for room, for
items, for I/O): waiting threads do not hold the GIL. For CPU-heavy consumers, see exercise 5.

What the grader checks (hidden stress tests: capacity 1 or 2, many threads, forced switches)
------------------------------------------------------------------------------------------
- the buffer never holds more than ``capacity`` items; items come out in FIFO order;
- ``put``/``get`` with a ``timeout`` raise ``TimeoutError`` once it passes;
- ``close()`` is idempotent and wakes *every* blocked caller: ``put`` then raises ``Closed``;
  ``get`` returns the items still held, then raises ``Closed``;
- ``run_pipeline`` returns ``consume(item)`` for every item exactly once (any order);
- when a producer or ``consume`` raises, ``run_pipeline`` stops promptly and re-raises it;
- whether it returns or raises, no thread it started is still running.

Pitfalls
--------
- ``if`` instead of ``while`` around ``wait()``: another thread can take the item (or the slot)
  between the notify and your wake-up. Always re-check the condition in a loop.
- ``notify()`` in ``close()``: only one waiter wakes up, the others sleep for ever.
- One sentinel for several consumers: only one consumer stops. Use ``close()``, or one sentinel per
  consumer.
- An exception in a thread is printed and lost unless you catch it and hand it to the caller.
- Returning or raising before joining your threads.
"""

from __future__ import annotations

import threading  # noqa: F401  - Lock and Condition live here
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Closed(Exception):
    """Raised by put() on a closed buffer, and by get() on a closed buffer that is empty."""


class BoundedBuffer(Generic[T]):
    """A FIFO holding at most *capacity* items."""

    def __init__(self, capacity: int) -> None:
        # TODO: refuse capacity < 1 (ValueError); create a deque, a closed flag, one Lock and
        # two Conditions on that lock.
        raise NotImplementedError("BoundedBuffer.__init__")

    @property
    def capacity(self) -> int:
        raise NotImplementedError("BoundedBuffer.capacity")

    def put(self, item: T, timeout: float | None = None) -> None:
        """Add *item*, waiting while the buffer is full; Closed if closed; TimeoutError on timeout."""
        # TODO: while full and not closed: wait on not_full (mind the remaining timeout).
        raise NotImplementedError("BoundedBuffer.put")

    def get(self, timeout: float | None = None) -> T:
        """Remove and return the oldest item, waiting while empty; Closed once closed and empty."""
        # TODO: while empty: raise Closed if closed, else wait on not_empty.
        raise NotImplementedError("BoundedBuffer.get")

    def close(self) -> None:
        """Refuse further puts and wake every waiting thread. Calling it twice is fine."""
        # TODO: set the flag and notify_all() on both conditions.
        raise NotImplementedError("BoundedBuffer.close")

    def __len__(self) -> int:
        raise NotImplementedError("BoundedBuffer.__len__")


def run_pipeline(
    producers: Sequence[Iterable[T]],
    consume: Callable[[T], R],
    *,
    consumers: int = 4,
    capacity: int = 16,
) -> list[R]:
    """Return consume(item) for every item of every producer, each exactly once, in any order."""
    # TODO: validate; start one thread per producer and `consumers` consumer threads; collect
    # results and the first exception under a lock; close the buffer when producers are done (or
    # something failed); join everything; re-raise the first exception.
    raise NotImplementedError("run_pipeline")
