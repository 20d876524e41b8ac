"""Visible checks of semaphore_pool.py: the API of SPEC section 3, mostly one thread at a time."""

from __future__ import annotations

import threading
from types import ModuleType

import pytest

from grader.testing import (
    SHORT_TIMEOUT,
    built_with_wakeful_conditions,
    call_within,
    still_running,
    submission,
)


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
    for stranger, what in ((Resource(99), "an object the pool never lent"), (None, "None")):
        try:
            pool.release(stranger)
        except ValueError:
            pass
        except Exception as exc:  # noqa: BLE001 - the wrong exception is the finding
            pytest.fail(f"release() of {what} must raise ValueError, but it raised {exc!r}")
        else:
            pytest.fail(f"release() of {what} must raise ValueError, but it was accepted")
        assert pool.in_use == 1, f"a refused release() of {what} must change nothing, but in_use is {pool.in_use}"
    pool.release(resource)
    with pytest.raises(ValueError):
        pool.release(resource)
        pytest.fail("a second release() of the same resource should raise ValueError")
    assert pool.in_use == 0, "a refused release must change nothing"
    _assert_still_size(pool, 2, "after refused releases")


def _assert_still_size(pool: object, size: int, when: str) -> list[object]:
    """Lease *size* resources, check that one more times out, give them back; return them."""
    held = [call_within(lambda: pool.acquire(timeout=1), f"acquire #{n + 1} {when}")  # type: ignore[attr-defined]
            for n in range(size)]
    if len({id(r) for r in held}) < size:
        pytest.fail(f"{when}, the pool handed out the same resource twice in {size} acquires")
    try:
        extra = call_within(lambda: pool.acquire(timeout=0.05), f"acquire(timeout=0.05) on a full pool {when}")  # type: ignore[attr-defined]
    except TimeoutError:
        extra = None
    if extra is not None:
        pytest.fail(f"{when}, the pool of size {size} lent {size + 1} resources at once ({extra!r}): "
                    "a refused or failed call must change nothing")
    for resource in held:
        pool.release(resource)  # type: ignore[attr-defined]
    return held


def test_lease_releases_also_when_the_body_raises(mod: ModuleType) -> None:
    pool = mod.ResourcePool(Factory(), 1)
    with pool.lease() as resource:
        assert isinstance(resource, Resource)
        assert pool.in_use == 1
    assert pool.in_use == 0, "leaving the lease() block should release the resource"
    error = KeyError("the body failed on purpose")
    try:
        with pool.lease():
            raise error
    except BaseException as exc:  # noqa: BLE001 - which exception came out is what we check
        assert exc is error, (
            f"lease() turned the body's exception into {exc!r}: it must come out unchanged (the same object)"
        )
    else:
        pytest.fail("lease() swallowed the body's exception: it must come out unchanged")
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


def test_acquire_with_timeout_zero_never_blocks(mod: ModuleType) -> None:
    pool = mod.ResourcePool(Factory(), 1)
    first = call_within(lambda: pool.acquire(timeout=0), "acquire(timeout=0) on a pool with a free slot",
                        timeout=2, why="must not block: timeout=0 means try once and raise TimeoutError at once")
    assert isinstance(first, Resource), f"acquire(timeout=0) on a free pool should return a resource, got {first!r}"
    try:
        got = call_within(lambda: pool.acquire(timeout=0), "acquire(timeout=0) on a full pool", timeout=2,
                           why="must not block: timeout=0 means try once and raise TimeoutError at once")
    except TimeoutError:
        got = None
    assert got is None, f"acquire(timeout=0) on a full pool must raise TimeoutError, but it returned {got!r}"
    with pytest.raises(TimeoutError):
        call_within(lambda: pool.lease(timeout=0).__enter__(), "lease(timeout=0) on a full pool", timeout=2,
                    why="must not block: timeout=0 means try once and raise TimeoutError at once")
        pytest.fail("entering lease(timeout=0) on a full pool must raise TimeoutError")
    pool.release(first)
    again = call_within(lambda: pool.acquire(timeout=0), "acquire(timeout=0) after a release", timeout=2,
                        why="must not block: timeout=0 means try once and raise TimeoutError at once")
    assert again is first, "after the timed-out acquire(timeout=0) calls, the pool should still lend its resource"
    pool.release(again)


def test_acquire_blocks_until_a_release_and_times_out_while_others_are_woken(mod: ModuleType) -> None:
    pool = mod.ResourcePool(Factory(), 1)
    held = pool.acquire()
    box: list[object] = []
    waiter = threading.Thread(target=lambda: box.append(pool.acquire()), daemon=True, name="grader-waiter")
    waiter.start()
    waiter.join(0.2)
    assert not box, f"acquire() on a full pool returned {box[0]!r} at once: it must block until a release"
    pool.release(held)
    if still_running([waiter], SHORT_TIMEOUT):
        pytest.fail(f"acquire() was still blocked {SHORT_TIMEOUT:g} s after the only resource was released: "
                    "a release must wake a waiting acquire")
    assert box == [held], f"the woken acquire() should get the released resource, got {box!r}"

    # Waits woken while nothing is free (other callers come and go) must still end at the timeout.
    pool = built_with_wakeful_conditions(mod, lambda: mod.ResourcePool(Factory(), 1))
    held = pool.acquire()
    try:
        got = call_within(lambda: pool.acquire(timeout=0.3), "acquire(timeout=0.3) on a full pool",
                          why="it must raise TimeoutError once 0.3 s have passed, also while other callers "
                          "wake it: after each wake-up, wait only for the time left, not the full timeout again")
    except TimeoutError:
        got = None
    assert got is None, f"acquire(timeout=0.3) on a full pool returned {got!r}: it must raise TimeoutError"
    pool.release(held)


def test_idle_resources_are_reused_before_new_ones(mod: ModuleType) -> None:
    factory = Factory()
    pool = mod.ResourcePool(factory, 3)
    first, second = pool.acquire(), pool.acquire()
    pool.release(first)
    again = pool.acquire()
    assert again is first, (
        f"acquire() made {again!r} although {first!r} was idle: an idle resource must be handed out "
        "before the factory is called"
    )
    pool.release(again)
    pool.release(second)
    assert factory.made == 2, f"the factory made {factory.made} resources where 2 were ever leased at once"
    held = _assert_still_size(pool, 3, "with two idle resources")
    assert first in held and second in held, "acquire() must hand out the idle resources before new ones"
    assert factory.made == 3, (
        f"the factory made {factory.made} resources for a pool of size 3: a released resource must be reused"
    )
    _assert_still_size(pool, 3, "with three idle resources")
    assert factory.made == 3, (
        f"the factory made {factory.made} resources for a pool of size 3: a released resource must be reused"
    )


def test_resources_are_told_apart_by_identity_not_equality(mod: ModuleType) -> None:
    made: list[list[int]] = []

    def factory() -> list[int]:
        made.append([])  # unhashable, and every one equal to every other
        return made[-1]

    pool = mod.ResourcePool(factory, 2)
    try:
        first, second = pool.acquire(), pool.acquire()
    except TypeError as exc:
        pytest.fail(f"acquire() of an unhashable resource (a list) raised TypeError ({exc}): "
                    "resources may be any objects; tell them apart by identity (`is`), e.g. with id()")
    assert first is not second, "the pool handed out the same list twice"
    with pytest.raises(ValueError):
        pool.release([])
        pytest.fail("release() of a stranger equal to a leased resource must raise ValueError "
                    "(compare with `is`, not ==)")
    assert pool.in_use == 2, f"a refused release must change nothing, but in_use is {pool.in_use}"
    try:
        pool.release(second)
        pool.release(first)
    except ValueError:
        pytest.fail("release() of a leased list raised ValueError because an equal one was already idle: "
                    "compare resources with `is`, not ==")
    held = _assert_still_size(pool, 2, "with two equal resources idle")
    assert all(any(r is m for m in made) for r in held), "the pool lent an object its factory never made"
    assert len(made) == 2, f"the factory made {len(made)} resources for a pool of size 2"


def test_lease_releases_nothing_when_its_acquire_fails(mod: ModuleType) -> None:
    pool = mod.ResourcePool(Factory(), 1)
    held = pool.acquire()
    try:
        with call_within(lambda: pool.lease(timeout=0.05), "lease(timeout=0.05)"):
            pytest.fail("lease(timeout=0.05) on a full pool entered its body")
    except TimeoutError:
        pass
    except ValueError as exc:
        pytest.fail(f"lease(timeout=0.05) on a full pool raised ValueError ({exc}) instead of TimeoutError: "
                    "when the acquire fails, lease must release nothing")
    assert pool.in_use == 1, (
        f"in_use is {pool.in_use} after a lease() that timed out: when the acquire fails, nothing is released"
    )
    try:
        pool.release(held)
    except ValueError:
        pytest.fail("a lease() that timed out released a resource it never got (another holder's)")

    failing = mod.ResourcePool(Factory(fail_first=1), 1)
    with pytest.raises(RuntimeError), failing.lease(timeout=1):
        pytest.fail("lease() entered its body although the factory raised")
    assert failing.in_use == 0, f"in_use is {failing.in_use} after a lease() whose factory raised"
    _assert_still_size(failing, 1, "after a lease() whose factory raised")
