"""A correct pipeline on multiprocessing.Pool: apply_async with a sliding window of capacity + workers
tasks, results gathered by index; a dead worker is noticed by polling the pool's processes."""

import multiprocessing as mp


class WorkerError(Exception):
    pass


def run_pipeline(items, work, *, workers=2, capacity=64, start_method=None):
    if workers < 1 or capacity < 1:
        raise ValueError("workers and capacity must be >= 1")
    ctx = mp.get_context(start_method)
    pool = ctx.Pool(workers)
    try:
        pids = {p.pid for p in pool._pool}  # noqa: SLF001 - to notice a worker that died
        window = []
        results = []
        it = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(window) < capacity + workers:
                nxt = next(it, _END)
                if nxt is _END:
                    exhausted = True
                    break
                window.append(pool.apply_async(work, (nxt,)))
            if not window:
                break
            head = window.pop(0)
            while not head.ready():
                head.wait(0.05)
                if {p.pid for p in pool._pool} != pids:  # noqa: SLF001 - the pool replaced a dead worker
                    raise WorkerError("a worker process died")
            try:
                results.append(head.get())
            except Exception as exc:
                raise WorkerError(f"{type(exc).__name__}: {exc}") from exc
        return results
    finally:
        pool.terminate()
        pool.join()


_END = object()
