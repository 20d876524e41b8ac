"""Hidden stress checks of semaphore_pool.py: many threads leasing few resources, switched by force.

A monitor outside the student's code watches every lease: which thread holds which resource,
how many are leased at once, how many the factory made. It sees what luck cannot fake: a resource
held by two threads, one lease too many, one creation too many.
"""

from __future__ import annotations

import random
from types import ModuleType

import pytest

from grader.suites.pool_monitor import Monitor, release_own
from grader.testing import SHORT_TIMEOUT, call_within, submission

THREADS = 10
ROUNDS = 25


@pytest.fixture
def mod() -> ModuleType:
    return submission("semaphore_pool")


def test_never_more_than_size_leased_and_no_resource_shared(mod: ModuleType) -> None:
    size = 3
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


def test_leases_under_stress_keep_every_invariant(mod: ModuleType) -> None:
    size = 2
    monitor = Monitor(size, threads=THREADS)
    pool = mod.ResourcePool(monitor.factory, size)

    def work(i: int) -> None:
        for n in range(ROUNDS):
            try:
                with pool.lease(timeout=SHORT_TIMEOUT) as resource:
                    monitor.took(resource)
                    monitor.gives_back(resource)
                    if (i + n) % 4 == 0:
                        raise LookupError("the body failed on purpose")
            except LookupError:
                pass
            except TimeoutError:
                pytest.fail(
                    f"lease() waited {SHORT_TIMEOUT:g} s for a free slot while every body had ended: "
                    "a lease whose body raised was never released"
                )

    monitor.run(work)
    assert pool.in_use == 0, (
        f"in_use is {pool.in_use} after every lease() block ended: a lease whose body raised was not released"
    )


def test_timeouts_and_factory_failures_cost_the_pool_nothing(mod: ModuleType) -> None:
    size = 3
    monitor = Monitor(size, fail_every=3, threads=THREADS)
    pool = mod.ResourcePool(monitor.factory, size)
    rng = random.Random(7)
    timeouts = [rng.choice([0.0, 0.001, 0.01]) for _ in range(THREADS)]

    def work(i: int) -> None:
        for _ in range(ROUNDS):
            try:
                resource = pool.acquire(timeout=timeouts[i])
            except (TimeoutError, RuntimeError):
                continue
            monitor.took(resource)
            monitor.gives_back(resource)
            release_own(pool, resource)

    monitor.run(work)
    # Every slot must still be usable: `size` acquires at once succeed.
    held = []
    for n in range(size):
        try:
            held.append(call_within(lambda: _acquire_retrying(pool), f"acquire #{n + 1} after the stress"))
        except TimeoutError:
            pytest.fail(
                f"after timed-out acquires and factory failures only {n} of {size} slots are left: "
                "a permit was not given back on a failure path"
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


def test_double_releases_are_refused_and_never_grow_the_pool(mod: ModuleType) -> None:
    size = 2
    monitor = Monitor(size, threads=THREADS)
    pool = mod.ResourcePool(monitor.factory, size)
    held = [pool.acquire() for _ in range(size)]
    accepted = []
    for resource in held:
        pool.release(resource)
        try:
            pool.release(resource)  # nobody else runs yet: this is a plain second release
        except ValueError:
            continue
        accepted.append(repr(resource))

    def work(i: int) -> None:
        for _ in range(ROUNDS):
            resource = pool.acquire()
            monitor.took(resource)
            monitor.gives_back(resource)
            release_own(pool, resource)

    monitor.run(work)
    assert not accepted, (
        f"a second release() of {accepted[0]} was accepted: it must raise ValueError, "
        f"or the pool grows (up to {monitor.most_at_once} leased at once)"
    )
