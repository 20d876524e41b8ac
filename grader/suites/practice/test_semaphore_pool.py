"""Practice stress checks of semaphore_pool.py: the hidden checks' forced switches, at a smaller size.

They ship with the student edition so that a race shows up where you work. A monitor outside your
code watches every lease (grader/suites/pool_monitor.py) while threads are switched by force
between bytecodes of your code. When one fails, the grader searches for the interleaving behind
it and prints it step by step with a ``--replay`` ID. Your instructor's grading runs more
scenarios, at other sizes, many more times.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from grader.suites.pool_monitor import Monitor, release_own
from grader.testing import SHORT_TIMEOUT, call_within, submission

THREADS = 6
ROUNDS = 15


@pytest.fixture
def mod() -> ModuleType:
    return submission("semaphore_pool")


def test_practice_never_more_than_size_leased_and_no_resource_shared(mod: ModuleType) -> None:
    size = 2
    monitor = Monitor(size, threads=THREADS)
    pool = mod.ResourcePool(monitor.factory, size)

    def work(i: int) -> None:
        for _ in range(ROUNDS):
            resource = pool.acquire()
            monitor.took(resource)
            monitor.gives_back(resource)
            release_own(pool, resource)

    monitor.run(work)
    assert pool.in_use == 0, f"in_use is {pool.in_use} after every resource was released"


def test_practice_leases_and_failures_keep_every_slot(mod: ModuleType) -> None:
    size = 2
    monitor = Monitor(size, fail_every=4, threads=THREADS)
    pool = mod.ResourcePool(monitor.factory, size)

    def work(i: int) -> None:
        for n in range(ROUNDS):
            try:
                with pool.lease(timeout=0.001 if i % 2 else SHORT_TIMEOUT) as resource:
                    monitor.took(resource)
                    monitor.gives_back(resource)
                    if n % 3 == 0:
                        raise LookupError("the body failed on purpose")
            except (LookupError, TimeoutError, RuntimeError):
                pass  # the body's own failure, a short timeout, the factory's planned failure

    monitor.run(work)
    assert pool.in_use == 0, (
        f"in_use is {pool.in_use} after every lease() block ended: a lease whose body raised, "
        "or whose acquire failed, kept its slot"
    )
    held = []
    for n in range(size):
        try:
            held.append(call_within(lambda: _acquire_retrying(pool), f"acquire #{n + 1} after the stress"))
        except TimeoutError:
            pytest.fail(
                f"after failed bodies, timed-out acquires and factory failures only {n} of {size} slots "
                "are left: a permit was not given back on a failure path"
            )
    for resource in held:
        pool.release(resource)


def _acquire_retrying(pool: object) -> object:
    """acquire(timeout=1), retrying past the factory's planned failures."""
    for _ in range(10):
        try:
            return pool.acquire(timeout=1)  # type: ignore[attr-defined]
        except RuntimeError:
            continue
    raise RuntimeError("the factory kept failing")
