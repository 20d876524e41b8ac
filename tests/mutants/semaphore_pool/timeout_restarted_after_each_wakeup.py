"""A Condition-based pool that waits again with the full timeout after every wake-up, so acquire(timeout) never times out while releases keep waking it."""

import threading
from contextlib import contextmanager


class ResourcePool:
    def __init__(self, factory, size):
        if size < 1:
            raise ValueError("size must be >= 1")
        self._factory = factory
        self._size = size
        self._cond = threading.Condition()
        self._idle = []
        self._busy = []
        self._reserved = 0  # slots taken: leased + being created

    @property
    def size(self):
        return self._size

    @property
    def in_use(self):
        with self._cond:
            return len(self._busy)

    def acquire(self, timeout=None):
        with self._cond:
            while not (self._idle or self._reserved < self._size):
                if not self._cond.wait(timeout):
                    raise TimeoutError("pool exhausted")
            if self._idle:
                item = self._idle.pop()
                self._busy.append(item)
                return item
            self._reserved += 1
        try:
            item = self._factory()
        except BaseException:
            with self._cond:
                self._reserved -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._busy.append(item)
        return item

    def release(self, item):
        with self._cond:
            for i, held in enumerate(self._busy):
                if held is item:
                    del self._busy[i]
                    self._idle.append(item)
                    self._cond.notify()
                    return
        raise ValueError("that object is not leased from this pool")

    @contextmanager
    def lease(self, timeout=None):
        item = self.acquire(timeout)
        try:
            yield item
        finally:
            self.release(item)
