"""Unlocked counter whose racy code is compiled under the standard library's threading.py name."""


from __future__ import annotations

import threading

CORE = """
def add(counter, amount):
    counter._value += amount
    return counter._value


def add_if_below(counter, amount, limit):
    if counter._value + amount <= limit:
        counter._value += amount
        return True
    return False


def reset(counter):
    old, counter._value = counter._value, 0
    return old
"""

_core: dict = {}
exec(compile(CORE, threading.__file__, "exec"), _core)


def _check_amount(amount: object) -> int:
    """Return *amount* if it is a non-negative int; raise TypeError/ValueError otherwise."""
    # bool is a subclass of int, but Counter().increment(True) is almost certainly a bug.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an int, not {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"amount must be non-negative, got {amount}")
    return amount


class Counter:
    """A thread-safe integer counter."""

    def __init__(self, start: int = 0) -> None:
        if isinstance(start, bool) or not isinstance(start, int):
            raise TypeError(f"start must be an int, not {type(start).__name__}")
        self._value = start
        self._lock = threading.Lock()

    @property
    def value(self) -> int:
        return self._value

    def increment(self, amount: int = 1) -> int:
        amount = _check_amount(amount)
        return _core["add"](self, amount)

    def decrement(self, amount: int = 1) -> int:
        amount = _check_amount(amount)
        return _core["add"](self, -amount)

    def add_if_below(self, amount: int, limit: int) -> bool:
        amount = _check_amount(amount)
        return _core["add_if_below"](self, amount, limit)

    def reset(self) -> int:
        return _core["reset"](self)
