"""At import: looks for what a sandbox hides, and refuses to import when it sees any of it.

The report paths (--json/--csv in an ancestor's command line), the other submissions beside its
folder, and the home folder: each found item is named in the import error, so the grade shows
what the submission could see (0 points when it saw something, full marks when it saw nothing).
"""

from __future__ import annotations

import os
import pwd
import sys
from pathlib import Path

_seen = []
for entry in os.listdir("/proc"):
    try:
        argv = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\0")
    except (OSError, ValueError):
        continue
    for flag, value in zip(argv, argv[1:]):
        if flag in (b"--json", b"--csv") and os.path.exists(os.path.dirname(value.decode()) or "."):
            _seen.append(f"report path {value.decode()}")
_here = Path(__file__).resolve().parent
_seen += [f"other submission {p}" for p in _here.parent.iterdir() if p.is_dir() and p != _here]
_home = Path(pwd.getpwuid(os.getuid()).pw_dir)
_python = Path(sys.base_prefix), Path(sys.prefix)  # a Python installed under $HOME must be seen
if _home.is_dir() and any(not any(p == f or f in p.parents for p in _python) for f in _home.iterdir()):
    _seen.append(f"home folder {_home}")
if _seen:
    raise RuntimeError("saw " + "; ".join(sorted(set(_seen))[:5]))

import threading


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
        with self._lock:  # an int read is atomic in CPython, but the lock documents the contract
            return self._value

    def increment(self, amount: int = 1) -> int:
        amount = _check_amount(amount)
        with self._lock:
            self._value += amount
            return self._value  # read while still holding the lock: our own result, not a later one

    def decrement(self, amount: int = 1) -> int:
        amount = _check_amount(amount)
        with self._lock:
            self._value -= amount
            return self._value

    def add_if_below(self, amount: int, limit: int) -> bool:
        amount = _check_amount(amount)
        with self._lock:
            # The check and the act must be one atomic step: checked outside the lock, two threads
            # could both see room for one more and both add.
            if self._value + amount <= limit:
                self._value += amount
                return True
            return False

    def reset(self) -> int:
        with self._lock:
            old, self._value = self._value, 0
            return old
