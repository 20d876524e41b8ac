"""Visible checks of semaphore_pool.py: the API of SPEC section 3, mostly one thread at a time."""

from __future__ import annotations

import threading
from types import ModuleType

import pytest

from grader.testing import call_within, submission


@pytest.fixture
def mod() -> ModuleType:
    return submission("semaphore_pool")


class Factory:
    """Makes numbered resources and counts how many it made."""

    def __init__(self, fail_first: int = 0) -> None:
        self.made = 0
        self.calls = 0
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def __call__(self) -> object:
        with self.lock:
            self.calls += 1
            if self.calls <= self.fail_first:
                raise RuntimeError("factory failed on purpose")
            self.made += 1
            return Resource(self.made)


class Resource:
    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return f"resource #{self.number}"


def test_resources_are_made_lazily_and_reused(mod: ModuleType) -> None:
    factory = Factory()
    pool = mod.ResourcePool(factory, 3)
    assert pool.size == 3, f"size should be 3, got {pool.size}"
    assert factory.made == 0, "resources must be created lazily, not in __init__"
    assert pool.in_use == 0
    first = pool.acquire()
    assert isinstance(first, Resource), "acquire() should return what the factory made"
    assert pool.in_use == 1, f"in_use should be 1 after one acquire, got {pool.in_use}"
    pool.release(first)
    assert pool.in_use == 0, f"in_use should be 0 after release, got {pool.in_use}"
    again = pool.acquire()
    assert again is first, "a released resource must be reused, not replaced by a new one"
    assert factory.made == 1, f"the factory was called {factory.made} times for one resource"
    pool.release(again)


@pytest.mark.parametrize("size", [0, -1])
def test_size_below_one_is_refused(mod: ModuleType, size: int) -> None:
    with pytest.raises(ValueError):
        mod.ResourcePool(Factory(), size)
        pytest.fail(f"ResourcePool(factory, {size}) should raise ValueError")


def test_acquire_times_out_with_timeout_error(mod: ModuleType) -> None:
    pool = mod.ResourcePool(Factory(), 1)
    held = pool.acquire()
    with pytest.raises(TimeoutError):
        call_within(lambda: pool.acquire(timeout=0.05), "acquire(timeout=0.05) on a full pool")
        pytest.fail("acquire(timeout=0.05) on a full pool should raise TimeoutError")
    pool.release(held)
    again = call_within(lambda: pool.acquire(timeout=1), "acquire(timeout=1) after a timeout")
    assert again is held, "after a timed-out acquire, the pool should still hand out its resource"


def test_release_of_a_stranger_or_twice_is_refused(mod: ModuleType) -> None:
    pool = mod.ResourcePool(Factory(), 2)
    resource = pool.acquire()
    with pytest.raises(ValueError):
        pool.release(Resource(99))
        pytest.fail("release() of an object the pool never lent should raise ValueError")
    assert pool.in_use == 1, "a refused release must change nothing"
    pool.release(resource)
    with pytest.raises(ValueError):
        pool.release(resource)
        pytest.fail("a second release() of the same resource should raise ValueError")
    assert pool.in_use == 0, "a refused release must change nothing"


def test_lease_releases_also_when_the_body_raises(mod: ModuleType) -> None:
    pool = mod.ResourcePool(Factory(), 1)
    with pool.lease() as resource:
        assert isinstance(resource, Resource)
        assert pool.in_use == 1
    assert pool.in_use == 0, "leaving the lease() block should release the resource"
    with pytest.raises(KeyError):
        with pool.lease():
            raise KeyError("boom")
    assert pool.in_use == 0, "lease() must release the resource when the body raises"
    call_within(lambda: pool.release(pool.acquire(timeout=1)), "acquire after a failed lease body")


def test_a_failing_factory_costs_the_pool_nothing(mod: ModuleType) -> None:
    factory = Factory(fail_first=1)
    pool = mod.ResourcePool(factory, 1)
    with pytest.raises(RuntimeError):
        pool.acquire(timeout=1)
        pytest.fail("acquire() should let the factory's exception through")
    assert pool.in_use == 0, f"in_use is {pool.in_use} after the factory failed"
    try:
        resource = call_within(lambda: pool.acquire(timeout=1), "acquire after a factory failure")
    except TimeoutError:
        pytest.fail(
            "after the factory failed once, the pool's only slot was lost: "
            "give the permit back when the factory raises"
        )
    pool.release(resource)
