"""Visible checks of producer_consumer_threads.py: SPEC section 4, a few threads at a time."""

from __future__ import annotations

import queue
import threading
import time
from types import ModuleType

import pytest

from grader.testing import (
    SHORT_TIMEOUT,
    built_with_wakeful_conditions,
    call_within,
    still_running,
    submission,
    threads_left_behind,
)


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
    queues = [name for name, value in vars(buffer).items()
              if isinstance(value, (queue.Queue, queue.SimpleQueue))]
    if queues:
        pytest.fail(f"the buffer keeps its items in a queue.{type(getattr(buffer, queues[0])).__name__} "
                    f"(attribute {queues[0]}): build it from threading locks and conditions, not queue.Queue")


def test_bad_sizes_are_refused(mod: ModuleType) -> None:
    for capacity in (0, -1):
        with pytest.raises(ValueError):
            mod.BoundedBuffer(capacity)
            pytest.fail(f"BoundedBuffer({capacity}) should raise ValueError")
    for producers in ([[1]], []):
        for option in ({"consumers": 0}, {"capacity": 0}, {"consumers": -1}):
            (key, value), = option.items()
            call = f"run_pipeline({producers}, ..., {key}={value})"
            try:
                call_within(lambda: mod.run_pipeline(producers, str, **option), call)  # noqa: B023
            except ValueError:
                continue
            pytest.fail(f"{call} should raise ValueError (also when there are no producers)")


def _assert_timeout_zero_never_blocks(mod: ModuleType) -> None:
    why = "must not block: timeout=0 means try once, and raise TimeoutError at once if it cannot"
    buffer = mod.BoundedBuffer(1)
    with pytest.raises(TimeoutError):
        call_within(lambda: buffer.get(timeout=0), "get(timeout=0) on an empty buffer", timeout=2, why=why)
        pytest.fail("get(timeout=0) on an empty buffer should raise TimeoutError")
    call_within(lambda: buffer.put("a", timeout=0), "put(timeout=0) on an empty buffer", timeout=2, why=why)
    with pytest.raises(TimeoutError):
        call_within(lambda: buffer.put("b", timeout=0), "put(timeout=0) on a full buffer", timeout=2, why=why)
        pytest.fail("put(timeout=0) on a full buffer should raise TimeoutError")
    got = call_within(lambda: buffer.get(timeout=0), "get(timeout=0) on a buffer holding an item", timeout=2,
                      why=why)
    assert got == "a", f"get(timeout=0) should return the item the buffer holds, got {got!r}"


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
    _assert_timeout_zero_never_blocks(mod)


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
    for call, fn in (("get(timeout=0.05)", lambda: buffer.get(timeout=0.05)),
                     ("put(3, timeout=0.05)", lambda: buffer.put(3, timeout=0.05))):
        try:
            call_within(fn, f"{call} on a closed buffer")
        except mod.Closed:
            continue
        except TimeoutError:
            pytest.fail(f"{call} on a closed, empty buffer raised TimeoutError: it must raise Closed at once")
        pytest.fail(f"{call} on a closed, empty buffer should raise Closed")


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
    producers = [range(30), range(30, 60), []]
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


def _assert_reraises(raised: BaseException, call, who: str) -> None:  # type: ignore[no-untyped-def]
    """run_pipeline must let *raised* itself out: not a wrapper, not a copy, not swallowed."""
    try:
        call_within(call, "run_pipeline")
    except BaseException as exc:
        if exc is raised:
            return
        if isinstance(exc, Boom) or exc.__cause__ is raised or exc.__context__ is raised:
            pytest.fail(f"run_pipeline raised {exc!r} when {who} raised {raised!r}: re-raise that same "
                        "exception object, unwrapped (`raise error`, not a new exception)")
        raise
    pytest.fail(f"run_pipeline returned although {who} raised: it must re-raise that exception")


def test_pipeline_reraises_a_failure(mod: ModuleType) -> None:
    before = threading.enumerate()
    error = Boom("producer failed on purpose")

    def failing_producer():  # type: ignore[no-untyped-def]
        yield from range(5)
        raise error

    _assert_reraises(error, lambda: mod.run_pipeline([failing_producer(), range(5)], str, consumers=2),
                     "a producer's iterable")
    error = Boom("consume failed on purpose")

    def consume(x: int) -> int:
        if x == 3:
            raise error
        return x

    _assert_reraises(error, lambda: mod.run_pipeline([range(10)], consume, consumers=2), "consume")
    left = threads_left_behind(before)
    assert not left, f"run_pipeline raised with threads still running: {left[:3]}"


def test_timeouts_hold_while_other_callers_are_woken(mod: ModuleType) -> None:
    """Waits woken while the buffer is still full or empty (as when another caller got there first)."""
    buffer = built_with_wakeful_conditions(mod, lambda: mod.BoundedBuffer(1))
    why = ("it must raise TimeoutError once 0.3 s have passed, also while other callers wake it: after each "
           "wake-up, wait only for the time left (not the full timeout again), and re-check in a `while` loop")
    for call, fn in (("get(timeout=0.3) on an empty buffer", lambda: buffer.get(timeout=0.3)),
                     ("put(timeout=0.3) on a full buffer", lambda: buffer.put("b", timeout=0.3))):
        try:
            got = call_within(fn, call, why=why)
        except TimeoutError:
            if call.startswith("get"):
                buffer.put("a")
            continue
        pytest.fail(f"{call} returned {got!r}: it must raise TimeoutError (a wake-up is not an item or a free slot)")
    assert len(buffer) == 1, f"len() is {len(buffer)}: a timed-out put must not add its item"
    assert buffer.get(timeout=1) == "a", "the buffer lost its item after timed-out calls"


def test_pipeline_with_no_producers_returns_an_empty_list(mod: ModuleType) -> None:
    before = threading.enumerate()
    consumed: list[object] = []
    cases: list[list[object]] = [[], [[], iter(())]]
    for producers in cases:
        results = call_within(lambda: mod.run_pipeline(producers, consumed.append, consumers=2),  # noqa: B023
                              f"run_pipeline({producers!r}, ...)", why="with no items it must return [] at once")
        assert list(results) == [], f"run_pipeline({producers!r}, ...) returned {results!r}, expected []"
        assert not consumed, f"consume was called with {consumed[0]!r} although nothing was produced"
    left = threads_left_behind(before)
    assert not left, f"run_pipeline with no producers returned with threads still running: {left[:3]}"


def test_pipeline_runs_a_thread_per_producer_and_consumers_at_once(mod: ModuleType) -> None:
    producers, consumers = 2, 3
    started = threading.Barrier(producers, timeout=SHORT_TIMEOUT)
    busy = threading.Barrier(consumers, timeout=SHORT_TIMEOUT)
    caller = threading.get_ident()
    readers: set[int] = set()
    workers: set[int] = set()
    lock = threading.Lock()

    def source(p: int):  # type: ignore[no-untyped-def]
        with lock:
            readers.add(threading.get_ident())
        try:
            started.wait()
        except threading.BrokenBarrierError:
            raise AssertionError(
                "the producers' iterables were not read at the same time: run one thread per producer iterable"
            ) from None
        yield from range(p * 10, p * 10 + 10)

    def consume(x: int) -> int:
        with lock:
            first = threading.get_ident() not in workers  # each consumer thread waits once, at its first item
            workers.add(threading.get_ident())
            first = first and len(workers) <= consumers
        if first:
            try:
                busy.wait()
            except threading.BrokenBarrierError:
                pass
        return x

    results = call_within(lambda: mod.run_pipeline([source(p) for p in range(producers)], consume,
                                                   consumers=consumers, capacity=4),
                          "run_pipeline", timeout=3 * SHORT_TIMEOUT)
    assert sorted(results) == list(range(producers * 10)), "run_pipeline must return every result"
    assert caller not in readers | workers, "run_pipeline ran producers or consume in the calling thread"
    assert len(readers) == producers, (
        f"{producers} producer iterables were read by {len(readers)} thread(s): run one thread per producer"
    )
    assert not busy.broken, (
        f"with consumers={consumers}, consume never ran in {consumers} threads at the same time: "
        f"start {consumers} consumer threads"
    )
    assert len(workers) == consumers, (
        f"consume ran in {len(workers)} different threads, but consumers={consumers}: "
        f"start exactly {consumers} consumer threads"
    )


class _Stream:
    """Producer iterables that count the items taken after a failure, and a consume that can fail."""

    SLACK = 20  # items a producer may still take while the failure spreads (in hand, buffer room)

    def __init__(self, who: str) -> None:
        self.who = who
        self.failed = threading.Event()
        self.taken_after = [0, 0]
        self.error = Boom(f"{who} failed on purpose")

    def source(self, p: int, n: int = 2000):  # type: ignore[no-untyped-def]
        for i in range(n):
            if self.failed.is_set():
                self.taken_after[p] += 1
            yield (p, i)
            if p == 0 and self.who == "a producer's iterable" and i == 5:
                self.failed.set()
                raise self.error

    def consume(self, item: tuple[int, int]) -> tuple[int, int]:
        time.sleep(0.0005)  # the pipeline's pace, so that going on after a failure shows in the counts
        if self.who == "consume" and item == (1, 5):
            self.failed.set()
            raise self.error
        return item


def test_a_failure_stops_the_pipeline_promptly(mod: ModuleType) -> None:
    """After a failure, a producer may finish what is in its hands, then take no other item."""
    before = threading.enumerate()
    for who in ("consume", "a producer's iterable"):
        stream = _Stream(who)
        _assert_reraises(stream.error, lambda s=stream: mod.run_pipeline([s.source(0), s.source(1)], s.consume,
                                                                         consumers=2, capacity=2), who)
        worst = max(stream.taken_after)
        assert worst <= stream.SLACK, (
            f"after {who} raised, a producer still took {worst} more items from its iterable: the pipeline "
            "must stop promptly (no producer takes another item once the failure is known)"
        )
    left = threads_left_behind(before)
    assert not left, f"run_pipeline raised with threads still running: {left[:3]}"
