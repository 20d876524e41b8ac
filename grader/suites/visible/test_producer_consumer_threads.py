"""Visible checks of producer_consumer_threads.py: SPEC section 4, a few threads at a time."""

from __future__ import annotations

import threading
from types import ModuleType

import pytest

from grader.testing import SHORT_TIMEOUT, call_within, still_running, submission, threads_left_behind


@pytest.fixture
def mod() -> ModuleType:
    return submission("producer_consumer_threads")


def test_buffer_is_a_fifo_with_capacity_and_length(mod: ModuleType) -> None:
    buffer = mod.BoundedBuffer(3)
    assert buffer.capacity == 3, f"capacity should be 3, got {buffer.capacity}"
    assert len(buffer) == 0
    for item in ("a", "b", "c"):
        buffer.put(item)
    assert len(buffer) == 3, f"len() should be 3 after three puts, got {len(buffer)}"
    got = [buffer.get() for _ in range(3)]
    assert got == ["a", "b", "c"], f"items came out as {got}, but a FIFO returns them in put order"
    assert len(buffer) == 0


def test_bad_sizes_are_refused(mod: ModuleType) -> None:
    for capacity in (0, -1):
        with pytest.raises(ValueError):
            mod.BoundedBuffer(capacity)
            pytest.fail(f"BoundedBuffer({capacity}) should raise ValueError")
    with pytest.raises(ValueError):
        mod.run_pipeline([[1]], str, consumers=0)
        pytest.fail("run_pipeline(..., consumers=0) should raise ValueError")
    with pytest.raises(ValueError):
        mod.run_pipeline([[1]], str, capacity=0)
        pytest.fail("run_pipeline(..., capacity=0) should raise ValueError")


def test_put_and_get_time_out_with_timeout_error(mod: ModuleType) -> None:
    buffer = mod.BoundedBuffer(1)
    with pytest.raises(TimeoutError):
        call_within(lambda: buffer.get(timeout=0.05), "get(timeout=0.05) on an empty buffer")
        pytest.fail("get(timeout=0.05) on an empty buffer should raise TimeoutError")
    buffer.put(1)
    with pytest.raises(TimeoutError):
        call_within(lambda: buffer.put(2, timeout=0.05), "put(timeout=0.05) on a full buffer")
        pytest.fail("put(timeout=0.05) on a full buffer should raise TimeoutError")
    assert len(buffer) == 1, f"a timed-out put must not add its item (len is {len(buffer)}, should be 1)"


def test_close_refuses_puts_and_drains_gets(mod: ModuleType) -> None:
    buffer = mod.BoundedBuffer(4)
    buffer.put(1)
    buffer.put(2)
    buffer.close()
    buffer.close()  # idempotent
    with pytest.raises(mod.Closed):
        buffer.put(3)
        pytest.fail("put() on a closed buffer should raise Closed")
    got = [buffer.get(), buffer.get()]
    assert got == [1, 2], f"get() on a closed buffer should still return the items it holds; got {got}"
    with pytest.raises(mod.Closed):
        call_within(lambda: buffer.get(), "get() on a closed, empty buffer")
        pytest.fail("get() on a closed, empty buffer should raise Closed")


def _blocked_callers(count: int, call) -> tuple[list[threading.Thread], list[object]]:  # type: ignore[no-untyped-def]
    outcomes: list[object] = []
    lock = threading.Lock()

    def body() -> None:
        try:
            call()
            result: object = "returned"
        except BaseException as exc:  # noqa: BLE001
            result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=body, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, outcomes


def test_close_wakes_every_blocked_caller(mod: ModuleType) -> None:
    empty = mod.BoundedBuffer(1)
    full = mod.BoundedBuffer(1)
    full.put("x")
    getters, got = _blocked_callers(4, empty.get)
    putters, put = _blocked_callers(3, lambda: full.put("y"))
    # Give them time to block; if close() came first they must still see Closed.
    threading.Event().wait(0.2)
    empty.close()
    full.close()
    stuck = len(still_running(getters + putters, SHORT_TIMEOUT))
    assert stuck == 0, (
        f"{stuck} of 7 blocked callers stayed blocked after close(): "
        "close() must wake every waiter (notify_all), not just one"
    )
    wrong = [o for o in got + put if not isinstance(o, mod.Closed)]
    assert not wrong, f"a caller woken by close() should get Closed, but got {wrong[0]!r}"


def test_pipeline_returns_every_result(mod: ModuleType) -> None:
    before = threading.enumerate()
    producers = [range(0, 30), range(30, 60), []]
    results = call_within(
        lambda: mod.run_pipeline(producers, lambda x: x * 10, consumers=3, capacity=2),
        "run_pipeline",
    )
    expected = sorted(x * 10 for p in producers for x in p)
    assert sorted(results) == expected, (
        f"run_pipeline returned {len(results)} results, expected {len(expected)}: "
        "each produced item must be consumed exactly once"
    )
    left = threads_left_behind(before)
    assert not left, f"run_pipeline returned with threads still running: {left[:3]}"


class Boom(Exception):
    pass


def _failing_producer(n: int):  # type: ignore[no-untyped-def]
    yield from range(n)
    raise Boom("producer failed on purpose")


def test_pipeline_reraises_a_failure(mod: ModuleType) -> None:
    before = threading.enumerate()
    with pytest.raises(Boom):
        call_within(lambda: mod.run_pipeline([_failing_producer(5), range(5)], str, consumers=2), "run_pipeline")
        pytest.fail("run_pipeline returned although a producer raised: it must re-raise that exception")

    def consume(x: int) -> int:
        if x == 3:
            raise Boom("consume failed on purpose")
        return x

    with pytest.raises(Boom):
        call_within(lambda: mod.run_pipeline([range(10)], consume, consumers=2), "run_pipeline")
        pytest.fail("run_pipeline returned although consume raised: it must re-raise that exception")
    left = threads_left_behind(before)
    assert not left, f"run_pipeline raised with threads still running: {left[:3]}"
