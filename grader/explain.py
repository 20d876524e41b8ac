"""Find the interleaving that breaks a submission, shrink it, and write it as a timeline.

When a stress test of the counter or the resource pool fails, the grader runs small *scenarios*
(two or three threads, one or two calls each) under the controlled scheduler of
``grader.scheduler`` with seeded random switching, until one breaks an invariant. It then shrinks
the schedule, dropping every switch the failure does not need, and prints the steps that matter:

    lost update in Counter.increment (counter.py), found with --replay inc.2x1.1-27-2:
      Thread-1  counter.py:21  current = self._value      # reads self._value = 0
      Thread-2  counter.py:21  current = self._value      # reads self._value = 0
      ...
    two increments, one update: the value is 1, it should be 2

The replay ID encodes the scenario, its size and the switches, so ``--replay ID`` runs exactly
that schedule again, in any process, on any machine with the same Python version and build and the
same module source: the ID ends with both (``grader.replay_id``), and a mismatch is refused.
"""

from __future__ import annotations

import io
import random
import sys
import time
import tokenize
from collections import Counter as Tally
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, ModuleType

from grader import replay_id as stamps
from grader.budgets import SEARCH_BUDGET, SEARCH_PROBABILITIES, SHRINK_SHARE
from grader.scheduler import (
    RandomChooser,
    ReplayChooser,
    RunResult,
    Scheduler,
    Step,
    Switch,
    Violation,
    checkpoint,
    instrument,
    scheduled_primitives,
    under_folder,
)

SIZES = ((2, 1), (2, 2), (3, 1), (3, 2))  # (threads, calls per thread), smallest first
PROBABILITIES = SEARCH_PROBABILITIES  # switch chances tried in turn (grader.budgets)
ATTEMPTS = 12  # random schedules per scenario, size and probability
PAIR_TRIES = 400  # random two-switch schedules tried while shrinking
MAX_STEPS = 10

Bodies = list[Callable[[], None]]
Check = Callable[[], None]


@dataclass(frozen=True)
class Scenario:
    """A small concurrent program over the submission, with the invariant it must keep."""

    key: str  # short, used in replay IDs
    exercise: str
    title: str  # what broke, e.g. "lost update in Counter.increment"
    build: Callable[[ModuleType, int, int], tuple[Bodies, Check]]
    # How many threads a run of size (threads, calls) may have: more than its bodies when the
    # submission starts threads of its own (run_pipeline). Bounds the thread numbers of a replay ID.
    most_threads: Callable[[int, int], int] = lambda threads, calls: threads
    late: bool = False  # tried after every other scenario of the exercise, at every size


# --------------------------------------------------------------------------------------------
# Counter scenarios
# --------------------------------------------------------------------------------------------
def _increments(mod: ModuleType, threads: int, calls: int) -> tuple[Bodies, Check]:
    counter = mod.Counter()
    returned: list[int] = []

    def body() -> None:
        for _ in range(calls):
            returned.append(counter.increment(1))

    def check() -> None:
        expected, value = threads * calls, counter.value
        if value != expected:
            raise Violation(f"{_count(expected)} increments, {_count(value)} update{'s' * (value != 1)}: "
                            f"the value is {value}, it should be {expected}")
        twice = [v for v, n in Tally(returned).items() if n > 1]
        if twice:
            raise Violation(f"increment returned {twice[0]} to two threads: each call must get its own new value")

    return [body] * threads, check


def _add_if_below(mod: ModuleType, threads: int, calls: int) -> tuple[Bodies, Check]:
    counter = mod.Counter()
    answers: list[bool] = []

    def body() -> None:
        for _ in range(calls):
            answers.append(counter.add_if_below(1, 1))

    def check() -> None:
        value = counter.value
        if value > 1:
            raise Violation(f"add_if_below(1, limit=1) let the value reach {value}: two threads checked "
                            "the limit before either added")
        if answers.count(True) != value:
            raise Violation(f"add_if_below said True {answers.count(True)} times, but the value is {value}")

    return [body] * threads, check


def _reset(mod: ModuleType, threads: int, calls: int) -> tuple[Bodies, Check]:
    counter = mod.Counter()
    resets: list[int] = []

    def adder() -> None:
        for _ in range(calls):
            counter.increment(1)

    def resetter() -> None:
        for _ in range(calls):
            resets.append(counter.reset())

    def check() -> None:
        added, accounted = (threads - 1) * calls, sum(resets) + counter.value
        if accounted != added:
            lost = added - accounted
            raise Violation(f"{_count(added)} increment{'s' * (added != 1)}, but reset() returned {sum(resets)} "
                            f"and {counter.value} remain{'s' * (counter.value == 1)}: {_count(lost)} vanished "
                            "between reset's read and its write of 0")

    return [adder] * (threads - 1) + [resetter], check


def _up_down(mod: ModuleType, threads: int, calls: int) -> tuple[Bodies, Check]:
    counter = mod.Counter()

    def up() -> None:
        for _ in range(calls):
            counter.increment(1)

    def down() -> None:
        for _ in range(calls):
            counter.decrement(1)

    def check() -> None:
        expected = ((threads + 1) // 2 - threads // 2) * calls
        if counter.value != expected:
            raise Violation(f"as many decrements as increments, yet the value is {counter.value}, "
                            f"it should be {expected}: an update was lost")

    return [up if i % 2 == 0 else down for i in range(threads)], check


# --------------------------------------------------------------------------------------------
# Resource pool scenarios
# --------------------------------------------------------------------------------------------
class Resource:
    """What the pool's factory makes: numbered, so messages can say "resource #1"."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return f"resource #{self.number}"


def _leases(mod: ModuleType, threads: int, calls: int, size: int) -> tuple[Bodies, Check]:
    made: list[Resource] = []

    def factory() -> Resource:
        made.append(Resource(len(made) + 1))
        return made[-1]

    pool = mod.ResourcePool(factory, size)
    holders: Tally[int] = Tally()
    held = [0]

    def body() -> None:
        for _ in range(calls):
            resource = pool.acquire()
            holders[id(resource)] += 1
            held[0] += 1
            if holders[id(resource)] > 1:
                raise Violation(f"{resource!r} was leased to two threads at once")
            if held[0] > size:
                raise Violation(f"{held[0]} resources were leased at once from a pool of size {size}")
            checkpoint()  # hold it for a moment: other threads may run now
            holders[id(resource)] -= 1
            held[0] -= 1
            pool.release(resource)

    def check() -> None:
        if len(made) > size:
            raise Violation(f"the factory was called {len(made)} times for a pool of size {size}: two "
                            "threads both saw room for a new resource and both created one")
        if pool.in_use != 0:
            raise Violation(f"every resource was released, yet in_use is {pool.in_use}")

    return [body] * threads, check


def _exclusive(mod: ModuleType, threads: int, calls: int) -> tuple[Bodies, Check]:
    return _leases(mod, threads, calls, 1)


def _shared(mod: ModuleType, threads: int, calls: int) -> tuple[Bodies, Check]:
    return _leases(mod, threads, calls, 2)


# --------------------------------------------------------------------------------------------
# Producer-consumer scenarios (BoundedBuffer): the classic wait/notify bugs
# --------------------------------------------------------------------------------------------
RECHECK = "a woken thread must check again (while, not if, around wait())"


def _closed_error(mod: ModuleType) -> type[BaseException] | tuple[()]:
    closed = getattr(mod, "Closed", None)
    return closed if isinstance(closed, type) and issubclass(closed, BaseException) else ()


def _buffer_traffic(mod: ModuleType, producers: int, consumers: int, calls: int) -> tuple[Bodies, Check]:
    """*consumers* threads get, *producers* threads put, through a buffer of capacity 1.

    Consumers come first in turn order, so they wait on the empty buffer before anything is put:
    the state in which one put wakes several of them. Every wait is untimed, so a wake-up that
    never comes shows as a deadlock.
    """
    capacity = 1
    buffer = mod.BoundedBuffer(capacity)
    closed = _closed_error(mod)
    total = producers * calls
    got: list[object] = []

    def consumer(count: int) -> Callable[[], None]:
        def body() -> None:
            for _ in range(count):
                try:
                    got.append(buffer.get())
                except closed:
                    raise Violation("get() raised Closed, but nobody closed the buffer: it woke up, "
                                    f"found no item and did not wait again; {RECHECK}") from None
                except IndexError:
                    raise Violation(f"get() took from an empty buffer: {RECHECK}") from None
        return body

    def producer(number: int) -> Callable[[], None]:
        def body() -> None:
            for n in range(calls):
                buffer.put((number, n))
                size = len(buffer)
                if size > capacity:
                    raise Violation(f"the buffer holds {size} items, above its capacity {capacity}: "
                                    f"a woken put() did not check for room again; {RECHECK}")
        return body

    shares = [total // consumers + (i < total % consumers) for i in range(consumers)]

    def check() -> None:
        expected = sorted((p, n) for p in range(producers) for n in range(calls))
        if sorted(got, key=repr) != sorted(expected, key=repr):
            raise Violation(f"{_count(total)} items were put, but get() returned {got!r}")

    return [consumer(n) for n in shares] + [producer(p) for p in range(producers)], check


def _getters(mod: ModuleType, threads: int, calls: int) -> tuple[Bodies, Check]:
    return _buffer_traffic(mod, 1, max(1, threads - 1), calls * max(1, threads - 1))


def _putters(mod: ModuleType, threads: int, calls: int) -> tuple[Bodies, Check]:
    bodies, check = _buffer_traffic(mod, max(1, threads - 1), 1, calls)
    return bodies[1:] + bodies[:1], check  # producers first: they fill the buffer and wait


def _close(mod: ModuleType, threads: int, calls: int) -> tuple[Bodies, Check]:
    """*threads - 1* callers block in get() on an empty buffer; the last thread closes it."""
    buffer = mod.BoundedBuffer(1)
    closed = _closed_error(mod)
    woken: list[str] = []

    def getter() -> None:
        try:
            item = buffer.get()
        except closed:
            woken.append("Closed")
            return
        raise Violation(f"get() on a closed, empty buffer returned {item!r} instead of raising Closed")

    def closer() -> None:
        buffer.close()

    def check() -> None:
        if len(woken) != threads - 1:
            raise Violation(f"close() woke {len(woken)} of {threads - 1} blocked get() calls")

    return [getter] * (threads - 1) + [closer], check


PIPELINE_PRODUCERS = 2


def _pipeline(mod: ModuleType, threads: int, calls: int) -> tuple[Bodies, Check]:
    """run_pipeline with two producers of *calls* items each, *threads* consumers, capacity 1.

    One body, the caller: run_pipeline's own threads are scheduled as they start (numbered
    Thread-2 on, in the order it starts them), so a pipeline that strands a consumer in get() or
    returns before its threads are done shows as a timeline too.
    """
    producers = [range(p * calls, (p + 1) * calls) for p in range(PIPELINE_PRODUCERS)]
    returned: list[list[object]] = []

    def caller() -> None:
        returned.append(list(mod.run_pipeline(producers, lambda item: item, consumers=threads, capacity=1)))

    def check() -> None:
        expected = list(range(PIPELINE_PRODUCERS * calls))
        if sorted(returned[0], key=repr) != expected:
            raise Violation(f"run_pipeline returned {returned[0]!r}: each of the items {expected} exactly once")

    return [caller], check


SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    "counter": (
        Scenario("inc", "counter", "lost update in Counter.increment", _increments),
        Scenario("below", "counter", "check-then-act race in Counter.add_if_below", _add_if_below),
        Scenario("reset", "counter", "increment lost by Counter.reset", _reset),
        Scenario("updown", "counter", "lost update between increment and decrement", _up_down),
    ),
    "semaphore_pool": (
        Scenario("pool1", "semaphore_pool", "race in ResourcePool with one resource", _exclusive),
        Scenario("pool2", "semaphore_pool", "race in ResourcePool with two resources", _shared),
    ),
    "producer_consumer_threads": (
        Scenario("close", "producer_consumer_threads", "BoundedBuffer.close() with get() calls waiting", _close),
        Scenario("get", "producer_consumer_threads", "BoundedBuffer with consumers waiting to get", _getters),
        Scenario("put", "producer_consumer_threads", "BoundedBuffer with producers waiting to put", _putters),
        Scenario("pipe", "producer_consumer_threads", "run_pipeline with two producers", _pipeline,
                 most_threads=lambda threads, calls: 1 + PIPELINE_PRODUCERS + threads, late=True),
    ),
}


def _count(n: int) -> str:
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}.get(n, str(n))


# --------------------------------------------------------------------------------------------
# Running a scenario
# --------------------------------------------------------------------------------------------
@contextmanager
def fresh_module(target: Path, exercise: str) -> Iterator[ModuleType]:
    """The submission's module for one scheduled run, with scheduled locks active during the run.

    The module is executed once per process (a private copy, imported while scheduled locks are
    active, so module-level locks pass the turn too, and the copy the checks use is left alone).
    Every later run reuses it, its globals put back as they were right after that import: the
    module's top-level code, and whatever it does (print, start a thread or a process, write a
    file), runs once for a whole search of a hundred schedules, not once per schedule.
    """
    path = target / f"{exercise}.py"
    key = (str(path), path.stat().st_mtime_ns)
    with scheduled_primitives():
        if key not in _loaded:
            name = f"_scheduled_{exercise}_{len(_loaded)}"
            module = ModuleType(name)
            module.__file__ = str(path)
            sys.modules[name] = module  # dataclasses and typing look their module up here
            try:
                exec(_compiled(path), module.__dict__)  # noqa: S102 - this is an import, done by hand
            except BaseException:
                sys.modules.pop(name, None)
                raise
            _loaded[key] = (module, dict(module.__dict__))
        module, globals_after_import = _loaded[key]
        module.__dict__.clear()
        module.__dict__.update(globals_after_import)
        yield module


_loaded: dict[tuple[str, int], tuple[ModuleType, dict[str, object]]] = {}
_code_cache: dict[tuple[str, int], CodeType] = {}


def _compiled(path: Path) -> CodeType:
    """The module's code, compiled once: its functions keep the same code objects from run to run,
    so the scheduler's per-code instruction tables are built once too."""
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _code_cache:
        _code_cache[key] = compile(path.read_bytes(), str(path), "exec")
        instrument(_code_cache[key])
    return _code_cache[key]


def run_once(target: Path, scenario: Scenario, size: tuple[int, int],
             chooser: RandomChooser | ReplayChooser) -> RunResult:
    """Run *scenario* once under *chooser*; the failure message is "" when all invariants held."""
    scheduler = Scheduler(chooser, under_folder(target))
    with fresh_module(target, scenario.exercise) as module:
        try:
            bodies, check = scenario.build(module, *size)
        except Exception:  # noqa: BLE001 - the constructor itself is broken: the stress test said so
            return RunResult("", [], [], 0, abandoned=True)
        completed = scheduler.run(bodies)
        failure = scheduler.failure
        if completed and not failure:
            try:
                check()
            except Violation as exc:
                failure = str(exc)
            except Exception:  # noqa: BLE001 - reading the final state failed: no verdict
                return RunResult("", scheduler.steps, chooser.switches, scheduler.points, abandoned=True)
    return RunResult(failure, scheduler.steps[:scheduler.failed_at], list(chooser.switches), scheduler.points,
                     abandoned=not completed and not failure)


# --------------------------------------------------------------------------------------------
# Replay IDs
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """A scenario, its size and the switches that break it: what a replay ID encodes."""

    scenario: Scenario
    threads: int
    calls: int
    switches: tuple[Switch, ...]

    @property
    def thread_count(self) -> int:
        """The threads a run has, those the submission starts included."""
        return self.scenario.most_threads(self.threads, self.calls)

    @property
    def replay_id(self) -> str:
        """e.g. inc.2x1.1-7-2: two threads, one call each; Thread-1 at its 7th point lets Thread-2 run."""
        moves = "".join(f".{a + 1}-{k}-{b + 1}" for a, k, b in self.switches)
        return f"{self.scenario.key}.{self.threads}x{self.calls}{moves}"

    @classmethod
    def parse(cls, exercise: str, text: str) -> Schedule:
        """The schedule of a replay ID; ValueError with a clear message when it is not one.

        The ID's Python and source stamps, if any, are not part of the schedule: ``stamps.mismatch``
        checks them.
        """
        parts = stamps.split(text)[0].split(".")
        scenarios = {s.key: s for s in SCENARIOS.get(exercise, ())}
        if len(parts) < 2 or parts[0] not in scenarios:
            known = ", ".join(scenarios) or "none"
            raise ValueError(f"{text!r} is not a replay ID of {exercise} (they start with: {known})")
        try:
            threads, calls = (int(n) for n in parts[1].split("x"))
            moves = [tuple(int(n) for n in part.split("-")) for part in parts[2:]]
            switches = tuple((a - 1, k, b - 1) for a, k, b in moves)
        except ValueError:
            raise ValueError(f"{text!r} is not a replay ID: copy it whole from the grader's feedback") from None
        scenario = scenarios[parts[0]]
        most = scenario.most_threads(threads, calls)
        if not (1 <= threads <= 8 and 1 <= calls <= 8) or any(
                not (0 <= a < most and 0 <= b < most and a != b and k > 0) for a, k, b in switches):
            raise ValueError(f"{text!r} is not a replay ID: its numbers are out of range")
        return cls(scenarios[parts[0]], threads, calls, switches)


def replay(target: Path, schedule: Schedule) -> RunResult:
    return run_once(target, schedule.scenario, (schedule.threads, schedule.calls),
                    ReplayChooser(schedule.switches))


# --------------------------------------------------------------------------------------------
# Search and shrink
# --------------------------------------------------------------------------------------------
def single_switch(target: Path, schedule: Schedule, points: int, deadline: float) -> Schedule | None:
    """The earliest one-switch schedule that fails, if any: most races need just one switch."""
    for k in range(1, points + 1):
        for thread in range(schedule.thread_count):
            for to in range(schedule.thread_count):
                if thread == to:
                    continue
                if time.monotonic() > deadline:
                    return None
                candidate = Schedule(schedule.scenario, schedule.threads, schedule.calls, ((thread, k, to),))
                if replay(target, candidate).failure:
                    return candidate
    return None


def shrink(target: Path, schedule: Schedule, points: int = 0, deadline: float = float("inf")) -> Schedule:
    """Few switches: drop every switch the failure does not need, then try a single switch.

    Dropping a switch changes what runs after it, so greedy removal can get stuck with switches
    that only matter together; trying each single switch finds the one-switch races it misses.
    """
    switches = list(schedule.switches)
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        for i in reversed(range(len(switches))):
            if time.monotonic() > deadline:
                break
            candidate = Schedule(schedule.scenario, schedule.threads, schedule.calls,
                                 tuple(switches[:i] + switches[i + 1:]))
            if replay(target, candidate).failure:
                del switches[i]
                changed = True
    smaller = Schedule(schedule.scenario, schedule.threads, schedule.calls, tuple(switches))
    if len(switches) > 1 and (one := single_switch(target, smaller, points, deadline)):
        return one
    if len(switches) > 2 and (two := switch_pairs(target, smaller, points, deadline)):
        return two
    return smaller


def switch_pairs(target: Path, schedule: Schedule, points: int, deadline: float,
                 tries: int = PAIR_TRIES) -> Schedule | None:
    """A failing schedule of two switches (there and back), sampled at random, if one is found.

    Races that need a thread to be overtaken and then resumed (two switches) are common; trying
    every pair would cost points squared runs, a seeded sample of them finds most.
    """
    rng = random.Random(len(schedule.switches) * 7919 + points)
    pairs = [(a, b) for a in range(schedule.thread_count) for b in range(schedule.thread_count) if a != b]
    for _ in range(tries):
        if time.monotonic() > deadline:
            return None
        a, b = rng.choice(pairs)
        plan = ((a, rng.randint(1, points), b), (b, rng.randint(1, points), a))
        candidate = Schedule(schedule.scenario, schedule.threads, schedule.calls, plan)
        result = replay(target, candidate)
        if result.failure:
            # keep only the switches that happened (a planned one may never have been reached)
            return Schedule(schedule.scenario, schedule.threads, schedule.calls, tuple(result.switches))
    return None


def search(target: Path, exercise: str, seed: int,
           budget: float = SEARCH_BUDGET) -> tuple[Schedule, RunResult] | None:
    """A small failing schedule for *exercise* and its replay, or None when none was found."""
    deadline = time.monotonic() + budget
    rng = random.Random(seed)
    scenarios = SCENARIOS.get(exercise, ())
    # Scenarios marked late (bigger, slower to shrink) only once the others found nothing.
    order = [(size, scenario) for late in (False, True) for size in SIZES for scenario in scenarios
             if scenario.late == late]
    for (threads, calls), scenario in order:
        for p in PROBABILITIES:
            for _ in range(ATTEMPTS):
                if time.monotonic() > deadline:
                    return None
                result = run_once(target, scenario, (threads, calls), RandomChooser(rng.randrange(2**32), p))
                if result.failure:
                    found = Schedule(scenario, threads, calls, tuple(result.switches))
                    small = shrink(target, found, result.points, deadline + budget * SHRINK_SHARE)
                    replayed = replay(target, small)
                    return (small, replayed) if replayed.failure else (found, replay(target, found))
    return None


# --------------------------------------------------------------------------------------------
# The timeline a student reads
# --------------------------------------------------------------------------------------------
def _subject(note: str) -> tuple[str, str]:
    """("reads", "self._value") from "reads self._value = 3"; ("", note) for other notes."""
    verb, _, rest = note.partition(" ")
    if verb in ("reads", "writes", "local") and " = " in rest:
        return verb, rest.split(" = ", 1)[0]
    return "", note


def _relevant(steps: Sequence[Step]) -> set[str]:
    """Shared names whose value changed during the run: the ones a race is about."""
    values: dict[str, set[str]] = {}
    written: set[str] = set()
    for step in steps:
        for note in step.notes:
            verb, name = _subject(note)
            if verb in ("reads", "writes"):
                values.setdefault(name, set()).add(note.split(" = ", 1)[1])
                if verb == "writes":
                    written.add(name)
    return written | {name for name, seen in values.items() if len(seen) > 1}


def key_steps(steps: Sequence[Step], limit: int = MAX_STEPS) -> list[tuple[Step, list[str]]]:
    """The steps that touch changing shared state, with those notes, at most *limit*, the last ones.

    Reads of names that never change (a size, a limit) and purely local work are left out.
    """
    relevant = _relevant(steps)
    shown: list[tuple[Step, list[str]]] = []
    for step in steps:
        notes = [n for n in step.notes if (v := _subject(n))[0] == "" or v[1] in relevant]
        if any(_subject(n)[0] != "local" for n in notes):
            shown.append((step, notes))
    if len(shown) > limit:
        # Too long: the counters and flags a race is usually about matter more than containers.
        scalar = [(step, notes) for step, notes in shown if any(not _is_container_note(n) for n in notes)]
        shown = scalar if len(scalar) >= 2 else shown
    return _around_switches(shown, limit)


def _around_switches(shown: list[tuple[Step, list[str]]], limit: int) -> list[tuple[Step, list[str]]]:
    """At most *limit* steps, in order: first where a thread raises or blocks (the failure itself),
    then those next to a switch of thread, then the latest."""
    if len(shown) <= limit:
        return shown
    threads = [step.thread for step, _ in shown]
    last = len(shown) - 1
    final = [i for i, (_, notes) in enumerate(shown) if any(n.startswith(("raises", "waits")) for n in notes)]
    edges = [i for i in range(len(shown))
             if i == last or (i > 0 and threads[i - 1] != threads[i]) or (i < last and threads[i + 1] != threads[i])]
    keep = set(final[-limit:])
    for i in reversed(edges):
        if len(keep) >= limit:
            break
        keep.add(i)
    for i in reversed(range(len(shown))):
        if len(keep) >= limit:
            break
        keep.add(i)
    return [shown[i] for i in sorted(keep)]


def _is_container_note(note: str) -> bool:
    verb, _ = _subject(note)
    return verb in ("reads", "writes") and note.split(" = ", 1)[1][:1] in "[{(d"


WIDTH = 72  # a timeline line fits an 80-column terminal at the score table's indent (6) and margin
SOURCE_WIDTH = 32  # the longest source shown on a step's line; longer ones are cut between tokens


def short_source(source: str, width: int = SOURCE_WIDTH) -> str:
    """*source* without its comment, cut after the last whole token that fits in *width* (" ...")."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        tokens = []
    code = source
    for token in tokens:
        if token.type == tokenize.COMMENT:
            code = source[:token.start[1]].rstrip()
            break
    if len(code) <= width:
        return code
    cut = 0
    for token in tokens:
        if token.type in (tokenize.COMMENT, tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
            continue
        if token.end[0] == 1 and token.end[1] <= width - 4:
            cut = token.end[1]
    return (code[:cut].rstrip() if cut else code[:width - 4]) + " ..."


def _comment_rows(notes: Sequence[str], indent: int) -> list[str]:
    """What a step did, on rows of their own below it, as many notes per row as fit in WIDTH."""
    rows: list[str] = []
    for note in notes:
        if rows and len(rows[-1]) + 2 + len(note) <= WIDTH:
            rows[-1] += f", {note}"
        else:
            rows.append(f"{' ' * indent}# {note}")
    return rows


def timeline(schedule: Schedule, result: RunResult, full_id: str = "") -> str:
    """The feedback: a header with the replay ID, one line per key step, the broken invariant.

    *full_id* is the ID with its Python and source stamps (``stamps.stamp``), the one to print.
    Lines fit in WIDTH columns: source is cut between tokens, and what a step did goes on a line
    of its own when it would not fit beside it.
    """
    module = f"{schedule.scenario.exercise}.py"
    title = schedule.scenario.title
    if result.failure.startswith("deadlock"):
        title = f"deadlock: {title}"
    lines = [f"{title} ({module}), found with --replay {full_id or schedule.replay_id}:"]
    steps = key_steps(result.steps)
    shown = [(step, short_source(step.source), notes) for step, notes in steps]
    where_width = max((len(f"{step.lineno}") for step, _, _ in shown), default=2)
    width = max((len(source) for _, source, _ in shown), default=0)
    lines.append(f"  {'thread':<8}  {'line':<{where_width}}  code")
    for step, source, notes in shown:
        head = f"  Thread-{step.thread + 1}  {step.lineno:<{where_width}}  {source:<{width}}"
        words = ", ".join(n.removeprefix("local ") for n in notes)
        if not words:
            lines.append(head.rstrip())
        elif len(head) + 4 + len(words) <= WIDTH:
            lines.append(f"{head}  # {words}")
        elif len(head.rstrip()) + 4 + len(words) <= WIDTH:
            lines.append(f"{head.rstrip()}  # {words}")
        else:
            lines.append(head.rstrip())
            lines += _comment_rows([n.removeprefix("local ") for n in notes], len(head) - width)
    lines.append(result.failure)
    return "\n".join(lines)


@dataclass(frozen=True)
class Explanation:
    replay_id: str
    text: str


def explain(target: Path, exercise: str, seed: int, budget: float = SEARCH_BUDGET) -> Explanation | None:
    """Search, shrink, replay: the timeline of a failing schedule, or None."""
    if exercise not in SCENARIOS or not (target / f"{exercise}.py").is_file():
        return None
    found = search(target, exercise, seed, budget)
    if found is None or not found[1].failure:
        return None
    schedule, result = found
    full_id = stamps.stamp(schedule.replay_id, target / f"{exercise}.py")
    return Explanation(full_id, timeline(schedule, result, full_id))


def replay_main(argv: Sequence[str] | None = None) -> int:
    """``python -m grader.explain --target DIR --exercise NAME --replay ID``: run that schedule again.

    The grader's ``--replay`` runs this in a child process of its own, so that whatever the
    submission does under the scheduler, the grader itself is not affected.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m grader --replay")
    parser.add_argument("--target", required=True)
    parser.add_argument("--exercise", required=True)
    parser.add_argument("--replay", required=True, metavar="ID")
    args = parser.parse_args(argv)
    target = Path(args.target).resolve()
    full_id = args.replay.strip()
    try:
        schedule = Schedule.parse(args.exercise, full_id)
    except ValueError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2
    refused = stamps.mismatch(full_id, target / f"{args.exercise}.py")
    if refused:
        print(f"grader: cannot replay: {refused}", file=sys.stderr)
        return 2
    result = replay(target, schedule)
    if result.failure:
        print(timeline(schedule, result, full_id))
        print("reproduced: this schedule breaks the invariant every time it runs")
    elif result.abandoned:
        print(f"replay {full_id}: the run did not finish (a hang, or the module cannot be built)")
    else:
        # Same Python, same source: the replay is exact, so this means the grader's scenarios
        # changed (another kit version). It is no verdict on the code: a race may well be left.
        print(f"replay {full_id}: this schedule did not break an invariant here. That is no all-clear: "
              "this grader does not run the schedule the ID was found with. Grade again to check the code")
    return 0


if __name__ == "__main__":
    sys.exit(replay_main())
