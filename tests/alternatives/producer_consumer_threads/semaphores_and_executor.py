"""A correct buffer from two counting semaphores and a lock (the textbook design), with close()
waking waiters by releasing extra permits; the pipeline runs on a ThreadPoolExecutor."""

import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor, wait


class Closed(Exception):
    pass


class BoundedBuffer:
    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self._capacity = capacity
        self._items = deque()
        self._lock = threading.Lock()
        self._free = threading.Semaphore(capacity)
        self._full = threading.Semaphore(0)
        self._closed = False
        self._waiters = 0

    @property
    def capacity(self):
        return self._capacity

    def put(self, item, timeout=None):
        if self._closed:
            raise Closed()
        if not self._free.acquire(timeout=timeout):
            raise TimeoutError("buffer full")
        with self._lock:
            if self._closed:
                self._free.release()  # pass the wake-up on to the next waiter
                raise Closed()
            self._items.append(item)
        self._full.release()

    def get(self, timeout=None):
        if not self._full.acquire(timeout=timeout):
            raise TimeoutError("buffer empty")
        with self._lock:
            if self._items:
                item = self._items.popleft()
                self._free.release()
                return item
            # woken by close() with nothing left: wake the next one too
        self._full.release()
        raise Closed()

    def close(self):
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._full.release()  # each woken getter passes one permit on
        self._free.release()  # each woken putter passes one permit on

    def __len__(self):
        with self._lock:
            return len(self._items)


def run_pipeline(producers, consume, *, consumers=4, capacity=16):
    if consumers < 1:
        raise ValueError("consumers must be >= 1")
    buf = BoundedBuffer(capacity)
    results = []
    lock = threading.Lock()

    def produce(items):
        try:
            for item in items:
                buf.put(item)
        except Closed:
            pass
        except BaseException:
            buf.close()
            raise

    def consume_loop():
        try:
            while True:
                item = buf.get()
                value = consume(item)
                with lock:
                    results.append(value)
        except Closed:
            pass
        except BaseException:
            buf.close()
            raise

    with ThreadPoolExecutor(max_workers=len(producers) + consumers) as pool:
        pf = [pool.submit(produce, p) for p in producers]
        cf = [pool.submit(consume_loop) for _ in range(consumers)]
        wait(pf)
        buf.close()
        wait(cf)
    for f in pf + cf:
        if f.exception() is not None:
            raise f.exception()
    return results
