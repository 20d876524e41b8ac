"""Exercise 2: a lock-protected counter (shared state between threads).

What to build
-------------
A ``Counter`` whose methods may be called from any number of threads at once without ever losing
an update. See docs/SPEC.md section 2; the API below is fixed.

Why a lock
----------
Threads share memory: every thread sees the same ``self._value``. The line ``self._value += amount``
looks like one step but is three: read the value, add, write it back. If thread A reads 41,
thread B reads 41, both write 42: one increment is lost. A ``threading.Lock`` makes the three
steps one; hold the same lock around every read-modify-write.

The GIL does not make your code atomic, and not every Python has one:

- On the default build of CPython, the GIL lets only one thread run Python bytecode at a time,
  but it may switch threads *between* those bytecodes. Such a switch rarely lands inside your
  ``+= 1``, so a racy counter can look right for a long time: that is why the grader forces
  switches there.
- On a free-threaded build (``python3.13t``, ``python3.14t``: PEP 703, officially supported since
  3.14), there is no GIL: threads run at the same time on several cores, and races show up even
  without forced switches. Measured by the kit (``python -m grader.interpreter``: 4 threads each
  doing 200,000 unlocked ``+= 1``, 5 runs): CPython 3.10 to 3.13 lost 0 increments; the
  free-threaded 3.13.5 lost between 0 and 452,939 (0, 119,349, 317,410, 325,010, 452,939).
- Locks are needed all the same, on every build. The grader checks both ways: a correct counter
  scores full marks on either build, a racy one loses points on either.

What the grader checks (hidden stress tests, repeated many times, with forced thread switches)
------------------------------------------------------------------------------------------
- ``increment(1)`` called N times from many threads ends at N, and the N return values are distinct.
- increments and decrements together lose nothing.
- ``add_if_below(amount, limit)`` never lets the value pass ``limit`` (check *and* add atomically).
- the values returned by concurrent ``reset()`` calls plus the final value account for every
  increment.
- ``amount`` must be a non-negative ``int``: ``TypeError`` for a non-int (``bool`` too: ``True`` is
  an ``int`` in Python, but counting by ``True`` is a bug), ``ValueError`` for a negative one, and
  the counter is unchanged after a refused call.

Pitfalls
--------
- Locking ``increment`` but not ``decrement``/``reset``/``add_if_below``: every method that touches
  the value must hold the *same* lock.
- Checking ``value + amount <= limit`` before taking the lock: two threads both see room for one
  more, and both add.
- Returning ``self._value`` after releasing the lock: another thread may have changed it already.
- ``with threading.Lock():`` inside a method creates a new lock per call: it excludes nobody.
"""

from __future__ import annotations

import threading  # noqa: F401  - you will need threading.Lock


class Counter:
    """A thread-safe integer counter."""

    def __init__(self, start: int = 0) -> None:
        # TODO: store the start value and create the one lock that guards it.
        raise NotImplementedError("Counter.__init__")

    @property
    def value(self) -> int:
        """The current value."""
        # TODO: return the current value.
        raise NotImplementedError("Counter.value")

    def increment(self, amount: int = 1) -> int:
        """Add *amount* and return the new value (the value this call produced)."""
        # TODO: validate amount first, then add and read the result while holding the lock.
        raise NotImplementedError("Counter.increment")

    def decrement(self, amount: int = 1) -> int:
        """Subtract *amount* and return the new value."""
        # TODO: like increment, in the other direction.
        raise NotImplementedError("Counter.decrement")

    def add_if_below(self, amount: int, limit: int) -> bool:
        """Add *amount* only if ``value + amount <= limit``; return whether it was added."""
        # TODO: the check and the add must happen under the lock, as one step.
        raise NotImplementedError("Counter.add_if_below")

    def reset(self) -> int:
        """Set the value to 0 and return the value it had."""
        # TODO: read the old value and set 0 in one locked step.
        raise NotImplementedError("Counter.reset")
