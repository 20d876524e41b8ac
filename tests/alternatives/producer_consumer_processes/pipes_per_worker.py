"""A correct pipeline with a feeder thread: the caller's thread feeds a bounded JoinableQueue-free
Queue(capacity) while the main thread collects; sentinels per worker; results re-ordered by a heap."""

import heapq
import multiprocessing as mp
import queue
import threading


class WorkerError(Exception):
    pass


def _work_loop(inq, outq, work):
    while True:
        job = inq.get()
        if job is None:
            break
        i, x = job
        try:
            outq.put((i, "ok", work(x)))
        except Exception as e:
            outq.put((i, "err", f"{type(e).__name__}: {e}"))


def run_pipeline(items, work, *, workers=2, capacity=64, start_method=None):
    if workers < 1:
        raise ValueError("workers")
    if capacity < 1:
        raise ValueError("capacity")
    ctx = mp.get_context(start_method)
    inq, outq = ctx.Queue(capacity), ctx.Queue()
    procs = [ctx.Process(target=_work_loop, args=(inq, outq, work)) for _ in range(workers)]
    for p in procs:
        p.start()
    count = [0]
    fed = threading.Event()
    stop = threading.Event()
    feed_error = []

    def feeder():
        try:
            for i, x in enumerate(items):
                while not stop.is_set():
                    try:
                        inq.put((i, x), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
                count[0] = i + 1
        except BaseException as e:
            feed_error.append(e)
        finally:
            fed.set()

    t = threading.Thread(target=feeder, daemon=True)
    t.start()
    heap, out, nxt = [], [], 0
    try:
        while not (fed.is_set() and nxt >= count[0]):
            try:
                i, status, value = outq.get(timeout=0.1)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise WorkerError("a worker died") from None
                continue
            if status == "err":
                raise WorkerError(value)
            heapq.heappush(heap, (i, value))
            while heap and heap[0][0] == nxt:
                out.append(heapq.heappop(heap)[1])
                nxt += 1
        if feed_error:
            raise feed_error[0]
        return out
    finally:
        stop.set()
        t.join()
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()
        for q in (inq, outq):
            q.cancel_join_thread()
            q.close()
