"""Exercise 3: a semaphore-bounded resource pool.

What to build
-------------
A ``ResourcePool`` that lends out at most ``size`` resources (database connections, say) to any
number of threads, making them lazily with ``factory()`` and reusing released ones. See docs/SPEC.md
section 3; the API below is fixed.

Why a semaphore
---------------
A semaphore is a counter of permits: ``acquire()`` takes one (blocking while none is left, or up
to a timeout), ``release()`` gives one back. ``threading.BoundedSemaphore(size)`` is exactly "at
most ``size`` holders at once", and it raises if released more often than acquired. The GIL does
not help here: threads that wait for a permit are blocked, not running, and the semaphore wakes
them in turn. You still need a ``threading.Lock`` for the pool's own bookkeeping (the idle
resources, the set of leased ones): two threads must never pop the same idle resource.

What the grader checks (hidden stress tests, repeated, with forced thread switches)
----------------------------------------------------------------------------------
- never more than ``size`` resources leased at once, and never one resource held by two threads;
- never more than ``size`` resources created over the pool's life (lazy creation without races);
- a timed-out ``acquire`` raises ``TimeoutError``, and neither a timeout nor a failing factory
  costs the pool a slot: afterwards all ``size`` slots are still usable;
- ``release`` of an object that is not currently leased (a stranger, or a second release) raises
  ``ValueError`` and changes nothing;
- ``lease()`` releases on exit, also when the ``with`` body raises.

Pitfalls
--------
- Taking a permit and then failing (the factory raised) without giving the permit back.
- Checking ``created < size`` outside the lock: several threads create at once.
- A plain ``Semaphore`` plus an unchecked ``release``: a double release grows the pool for ever.
- Resources need not be hashable: keep leased ones by ``id()`` or in a list, compare with ``is``.
"""

from __future__ import annotations

import threading  # noqa: F401  - BoundedSemaphore and Lock live here
from collections.abc import Callable
from typing import ContextManager, Generic, TypeVar

T = TypeVar("T")


class ResourcePool(Generic[T]):
    """Lend at most *size* resources made by *factory*, reusing released ones."""

    def __init__(self, factory: Callable[[], T], size: int) -> None:
        # TODO: refuse size < 1 with ValueError; keep the factory; create a BoundedSemaphore(size),
        # a lock, a list of idle resources and a record of the leased ones. Create no resource yet.
        raise NotImplementedError("ResourcePool.__init__")

    @property
    def size(self) -> int:
        """The most resources that can be leased at once."""
        raise NotImplementedError("ResourcePool.size")

    @property
    def in_use(self) -> int:
        """How many resources are leased right now."""
        raise NotImplementedError("ResourcePool.in_use")

    def acquire(self, timeout: float | None = None) -> T:
        """Return a free resource, waiting for one; TimeoutError once *timeout* seconds pass."""
        # TODO: take a permit (with the timeout), then an idle resource or a new one from the
        # factory. If the factory raises, give the permit back before re-raising.
        raise NotImplementedError("ResourcePool.acquire")

    def release(self, resource: T) -> None:
        """Give back a leased resource; ValueError if it is not currently leased from this pool."""
        # TODO: check and update the bookkeeping under the lock, then release the permit.
        raise NotImplementedError("ResourcePool.release")

    def lease(self, timeout: float | None = None) -> ContextManager[T]:
        """``with pool.lease() as resource:`` acquires on entry and always releases on exit."""
        # TODO: contextlib.contextmanager with try/finally is the shortest correct way.
        raise NotImplementedError("ResourcePool.lease")
