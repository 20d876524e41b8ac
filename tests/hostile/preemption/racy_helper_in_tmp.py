"""Unlocked counter whose racy code lives in a helper module it writes to the temporary folder."""


from __future__ import annotations

import threading
import importlib.util
import os
import shutil
import tempfile

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

_folder = tempfile.mkdtemp()
try:
    _path = os.path.join(_folder, "counter_core.py")
    with open(_path, "w") as _file:
        _file.write(CORE)
    _spec = importlib.util.spec_from_file_location("counter_core", _path)
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
finally:
    shutil.rmtree(_folder)
_core = vars(_module)


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
