"""A correct pool built on queue.LifoQueue of slots: None means 'create on first use'."""

import queue
import threading


class _Lease:
    def __init__(self, pool, timeout):
        self.pool, self.timeout, self.item = pool, timeout, None

    def __enter__(self):
        self.item = self.pool.acquire(self.timeout)
        return self.item

    def __exit__(self, *exc):
        self.pool.release(self.item)
        return False


class ResourcePool:
    def __init__(self, factory, size: int):
        if size < 1:
            raise ValueError("size must be >= 1")
        self._factory = factory
        self._size = size
        self._slots = queue.LifoQueue()
        for _ in range(size):
            self._slots.put(None)
        self._lock = threading.Lock()
        self._out = {}

    size = property(lambda self: self._size)

    @property
    def in_use(self):
        with self._lock:
            return len(self._out)

    def acquire(self, timeout=None):
        try:
            slot = self._slots.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("no free resource") from None
        if slot is None:
            try:
                slot = (self._factory(),)
            except BaseException:
                self._slots.put(None)
                raise
        with self._lock:
            self._out[id(slot[0])] = slot
        return slot[0]

    def release(self, resource):
        with self._lock:
            slot = self._out.pop(id(resource), None)
            if slot is None or slot[0] is not resource:
                if slot is not None:
                    self._out[id(resource)] = slot
                raise ValueError("not leased from this pool")
        self._slots.put(slot)

    def lease(self, timeout=None):
        return _Lease(self, timeout)
