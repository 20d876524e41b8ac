"""A correct counter guarded by a Semaphore(1) used as a mutex, with explicit acquire/release."""

import threading


class Counter:
    def __init__(self, start=0):
        self.__mutex = threading.Semaphore(1)
        self.__value = start

    @property
    def value(self):
        self.__mutex.acquire()
        try:
            return self.__value
        finally:
            self.__mutex.release()

    def _check(self, amount):
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f"bad amount {amount!r}")
        if amount < 0:
            raise ValueError(f"negative amount {amount}")

    def increment(self, amount=1):
        self._check(amount)
        self.__mutex.acquire()
        try:
            current = self.__value
            current += amount
            self.__value = current
            return current
        finally:
            self.__mutex.release()

    def decrement(self, amount=1):
        self._check(amount)
        self.__mutex.acquire()
        try:
            current = self.__value - amount
            self.__value = current
            return current
        finally:
            self.__mutex.release()

    def add_if_below(self, amount, limit):
        self._check(amount)
        self.__mutex.acquire()
        try:
            ok = self.__value + amount <= limit
            if ok:
                self.__value += amount
            return ok
        finally:
            self.__mutex.release()

    def reset(self):
        self.__mutex.acquire()
        try:
            old = self.__value
            self.__value = 0
            return old
        finally:
            self.__mutex.release()
