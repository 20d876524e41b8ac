"""A correct counter in another style: an RLock, a shared _apply helper, a value read without the lock."""

import threading


class Counter:
    def __init__(self, start: int = 0) -> None:
        self._lock = threading.RLock()
        self._n = start

    @property
    def value(self) -> int:
        return self._n  # reading one attribute is atomic

    @staticmethod
    def _valid(amount):
        if type(amount) is not int:
            raise TypeError("amount must be an int")
        if amount < 0:
            raise ValueError("amount must be >= 0")
        return amount

    def _apply(self, delta: int) -> int:
        with self._lock:
            self._n = self._n + delta
            return self._n

    def increment(self, amount: int = 1) -> int:
        return self._apply(self._valid(amount))

    def decrement(self, amount: int = 1) -> int:
        return self._apply(-self._valid(amount))

    def add_if_below(self, amount: int, limit: int) -> bool:
        amount = self._valid(amount)
        with self._lock:
            if self.value + amount > limit:
                return False
            self._apply(amount)  # re-entrant: the RLock is already ours
            return True

    def reset(self) -> int:
        with self._lock:
            try:
                return self._n
            finally:
                self._n = 0
