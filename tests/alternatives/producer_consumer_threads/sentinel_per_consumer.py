"""A correct buffer with one Condition and notify_all everywhere; the pipeline stops consumers with
one sentinel per consumer instead of close(), and records the first error in a list."""

import threading
from collections import deque

_STOP = object()


class Closed(Exception):
    pass


class BoundedBuffer:
    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self._cap = capacity
        self._q = deque()
        self._closed = False
        self._cv = threading.Condition()

    @property
    def capacity(self):
        return self._cap

    def _wait(self, pred, timeout):
        if not self._cv.wait_for(pred, timeout):
            raise TimeoutError("timed out")

    def put(self, item, timeout=None):
        with self._cv:
            self._wait(lambda: self._closed or len(self._q) < self._cap, timeout)
            if self._closed:
                raise Closed()
            self._q.append(item)
            self._cv.notify_all()

    def get(self, timeout=None):
        with self._cv:
            self._wait(lambda: self._closed or self._q, timeout)
            if not self._q:
                raise Closed()
            item = self._q.popleft()
            self._cv.notify_all()
            return item

    def close(self):
        with self._cv:
            self._closed = True
            self._cv.notify_all()

    def __len__(self):
        with self._cv:
            return len(self._q)


def run_pipeline(producers, consume, *, consumers=4, capacity=16):
    if consumers < 1:
        raise ValueError("consumers must be >= 1")
    buf = BoundedBuffer(capacity)
    out, errors = [], []
    guard = threading.Lock()

    def fail(exc):
        with guard:
            errors.append(exc)
        buf.close()

    def producer(it):
        try:
            for x in it:
                buf.put(x)
        except Closed:
            pass
        except BaseException as e:
            fail(e)

    def consumer():
        try:
            while True:
                x = buf.get()
                if x is _STOP:
                    return
                r = consume(x)
                with guard:
                    out.append(r)
        except Closed:
            pass
        except BaseException as e:
            fail(e)

    ps = [threading.Thread(target=producer, args=(p,)) for p in producers]
    cs = [threading.Thread(target=consumer) for _ in range(consumers)]
    for t in cs + ps:
        t.start()
    for t in ps:
        t.join()
    for _ in cs:
        try:
            buf.put(_STOP)
        except Closed:
            break
    for t in cs:
        t.join()
    if errors:
        raise errors[0]
    return out
