"""A controlled scheduler: the submission's threads run one at a time, in an order we choose.

Forced preemption (``grader.preempt``) shows *that* a race exists; this module finds *which*
interleaving breaks the code and replays it exactly, in the spirit of Rust's loom and Microsoft's
CHESS. While a ``Scheduler`` runs, only the thread holding the turn executes; at every bytecode of
the submission's own frames (a *scheduling point*) a ``Chooser`` decides which runnable thread goes
next. Given the same chooser decisions, the same program runs the same interleaving, every time.

Blocking must hand the turn on, or a correct program would deadlock: a thread waiting for a lock
held by a thread that waits for the turn. So while a scheduler runs, ``threading.Lock``,
``threading._allocate_lock`` and ``threading.RLock`` make ``SchedLock``s: a lock that, instead of
blocking, marks its thread as waiting and passes the turn. Every blocking primitive of
``threading`` and ``queue`` (Condition, Semaphore, Event, Queue) is built from those locks, so all
of them hand the turn on. A timed wait times out only when no thread can run (virtual time); when
no thread can run and none waits with a timeout, the program deadlocked, and that is reported.

The scheduler also records a *timeline*: one step per line run without a switch, with the values
the submission read and wrote (``self.x``, globals, locals), for the feedback a student reads.
"""

from __future__ import annotations

import _thread
import collections
import dis
import linecache
import os
import queue
import random
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from grader.budgets import SCHEDULE_WATCHDOG

REAL_LOCK = _thread.allocate_lock
WATCHDOG = SCHEDULE_WATCHDOG  # real time a scheduled run may take before it is abandoned (grader.budgets)

_active: Scheduler | None = None


class ScheduleAborted(BaseException):
    """Raised in a managed thread to unwind it when the run is abandoned (deadlock, watchdog)."""


class Violation(Exception):
    """An invariant broke; the message says how, in a student's words."""


# --------------------------------------------------------------------------------------------
# Choosers: who runs next
# --------------------------------------------------------------------------------------------
Switch = tuple[int, int, int]  # (thread, its own k-th scheduling point, thread that runs next)


class Chooser:
    """Decides at each scheduling point whether the running thread hands the turn to another.

    A switch is named by the thread's *own* count of scheduling points, not a global one, so that
    dropping one switch while shrinking leaves the meaning of all the others unchanged.
    """

    def __init__(self) -> None:
        self.switches: list[Switch] = []

    def pick(self, current: int, k: int, others: Sequence[int]) -> int:
        raise NotImplementedError

    def choose(self, current: int, k: int, runnable: Sequence[int]) -> int:
        others = [t for t in runnable if t != current]
        chosen = self.pick(current, k, others) if others else current
        if chosen != current and chosen in others:
            self.switches.append((current, k, chosen))
            return chosen
        return current


class RandomChooser(Chooser):
    """Switch to a random other thread with probability *p* at each point (seeded)."""

    def __init__(self, seed: int, p: float) -> None:
        super().__init__()
        self.rng = random.Random(seed)
        self.p = p

    def pick(self, current: int, k: int, others: Sequence[int]) -> int:
        return self.rng.choice(others) if self.rng.random() < self.p else current


class ReplayChooser(Chooser):
    """Make exactly the given switches, where they are possible; otherwise keep running."""

    def __init__(self, switches: Sequence[Switch]) -> None:
        super().__init__()
        self.planned = {(thread, k): to for thread, k, to in switches}

    def pick(self, current: int, k: int, others: Sequence[int]) -> int:
        return self.planned.get((current, k), current)


# --------------------------------------------------------------------------------------------
# The timeline
# --------------------------------------------------------------------------------------------
@dataclass
class Step:
    """One line of the submission run by one thread without a switch in between."""

    thread: int
    filename: str
    lineno: int
    notes: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        linecache.checkcache(self.filename)  # the file may have changed since it was cached
        return linecache.getline(self.filename, self.lineno).strip()

    def note(self, text: str) -> None:
        if not self.notes or self.notes[-1] != text:
            self.notes.append(text)


SCALARS = (int, float, str, bool, type(None))
CONTAINERS = (list, dict, set, tuple, collections.deque)
SHORT = 60  # a container is shown when its repr is at most this long


WAKE_UPS = {"notify": "wakes one waiter", "notify_all": "wakes every waiter"}


def _show(value: object) -> str:
    """repr() of a value for the timeline, with object ids (dict keys, say) shortened to 'id'."""
    return re.sub(r"\b\d{9,}\b", "id", repr(value))


def _shown(value: object) -> bool:
    """Whether *value* is worth showing in a timeline: a scalar or a short container."""
    if isinstance(value, SCALARS):
        return True
    return isinstance(value, CONTAINERS) and len(value) <= 6 and len(repr(value)) <= SHORT
_instructions: dict[CodeType, dict[int, dis.Instruction]] = {}


def _instruction(code: CodeType, offset: int) -> dis.Instruction | None:
    table = _instructions.get(code)
    if table is None:
        table = _instructions[code] = {i.offset: i for i in dis.get_instructions(code)}
    return table.get(offset)


def _effect(instr: dis.Instruction, frame: FrameType) -> str:
    """What an instruction just did, in words, read from the frame right after it ran.

    Never raises: a submission's odd objects (properties, __getattr__) must not turn into a
    finding of ours.
    """
    try:
        return _describe(instr, frame)
    except Exception:  # noqa: BLE001
        return ""


def _describe(instr: dis.Instruction, frame: FrameType) -> str:
    op, name = instr.opname, instr.argval
    if not isinstance(name, str):
        return ""
    if op.startswith(("LOAD_ATTR", "LOAD_METHOD")) and name in WAKE_UPS:
        return WAKE_UPS[name]
    owner = frame.f_locals.get("self")
    if op.startswith("LOAD_ATTR") and owner is not None and name in getattr(owner, "__dict__", {}):
        value = owner.__dict__[name]
        return f"reads self.{name} = {_show(value)}" if _shown(value) else ""
    if op == "STORE_ATTR" and owner is not None and name in getattr(owner, "__dict__", {}):
        value = owner.__dict__[name]
        return f"writes self.{name} = {_show(value)}" if _shown(value) else ""
    if op in ("LOAD_GLOBAL", "STORE_GLOBAL") and name in frame.f_globals \
            and _shown(frame.f_globals[name]):
        verb = "reads" if op == "LOAD_GLOBAL" else "writes"
        return f"{verb} {name} = {_show(frame.f_globals[name])}"
    if op == "STORE_FAST" and isinstance(frame.f_locals.get(name), SCALARS):
        return f"local {name} = {frame.f_locals[name]!r}"
    return ""


# --------------------------------------------------------------------------------------------
# Opcode events: sys.monitoring on 3.12+, sys.settrace before
# --------------------------------------------------------------------------------------------
# On 3.12 and later, opcode tracing switched on from a frame's "call" event (settrace) takes effect
# only at the code's *next* call, so the first call of each function would run without scheduling
# points and a replay ID would not replay in a fresh process. sys.monitoring instruments the
# submission's code objects before they ever run.
MONITORING = getattr(sys, "monitoring", None)
_tool: int | None = None
# By identity: code objects compare equal by value, and two submissions often share a function.
_instrumented: dict[int, CodeType] = {}


def _monitoring_tool() -> int | None:
    """A sys.monitoring tool id of our own (claimed once per process), or None before 3.12."""
    global _tool
    if MONITORING is None or _tool is not None:
        return _tool
    for candidate in (4, 3, 5):
        if MONITORING.get_tool(candidate) is None:
            MONITORING.use_tool_id(candidate, "grader-scheduler")
            events = MONITORING.events
            MONITORING.register_callback(candidate, events.INSTRUCTION, _on_instruction)
            MONITORING.register_callback(candidate, events.PY_RETURN, _on_return)
            _tool = candidate
            break
    return _tool


def instrument(code: CodeType) -> None:
    """Give every code object in *code* (a compiled module) scheduling points, from its first call."""
    tool = _monitoring_tool()
    if tool is None or id(code) in _instrumented:
        return
    _instrumented[id(code)] = code  # also keeps it alive, so its id is not reused
    assert MONITORING is not None
    MONITORING.set_local_events(tool, code, MONITORING.events.INSTRUCTION | MONITORING.events.PY_RETURN)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            instrument(const)


def _on_instruction(code: CodeType, offset: int) -> None:
    sched = _active
    if sched is not None:
        sched.on_opcode(sys._getframe(1))


def _on_return(code: CodeType, offset: int, value: object) -> None:
    sched = _active
    if sched is not None:
        sched.on_return(sys._getframe(1))


# --------------------------------------------------------------------------------------------
# The scheduler
# --------------------------------------------------------------------------------------------
RUNNABLE, BLOCKED, DONE = "runnable", "blocked", "done"


@dataclass
class ThreadState:
    index: int
    gate: Any = field(default_factory=REAL_LOCK)  # released to give this thread the turn
    state: str = RUNNABLE
    points: int = 0  # scheduling points this thread has passed
    waiting_for: Any = None  # the SchedLock it waits for, or the ThreadState it joins
    timed: bool = False  # it waits with a timeout
    timed_out: bool = False
    notified_wait: bool = False  # it waits inside Condition.wait (for a notify), not for a lock

    @property
    def name(self) -> str:
        return f"Thread-{self.index + 1}"


@dataclass
class RunResult:
    """How one scheduled run ended."""

    failure: str  # "" when every invariant held
    steps: list[Step]
    switches: list[Switch]
    points: int  # scheduling points passed, by the busiest thread
    abandoned: bool = False  # the watchdog fired: no verdict


class Scheduler:
    """Run *bodies* as threads, one at a time, switching where *chooser* says."""

    def __init__(self, chooser: Chooser, is_submission: Callable[[str], bool]) -> None:
        self.chooser = chooser
        self.is_submission = is_submission
        self.threads: list[ThreadState] = []
        self.by_ident: dict[int, ThreadState] = {}
        self.by_thread: dict[int, ThreadState] = {}  # id(threading.Thread) -> its state
        self.steps: list[Step] = []
        self.failure = ""
        self.failed_at: int | None = None
        self.aborted = False
        self.finished = REAL_LOCK()
        self._last: dict[int, tuple[dis.Instruction, Step]] = {}  # frame id -> last instruction

    @property
    def points(self) -> int:
        return max((t.points for t in self.threads), default=0)

    # -- the turn ------------------------------------------------------------------------------
    def me(self) -> ThreadState | None:
        return self.by_ident.get(threading.get_ident())

    def _runnable(self) -> list[int]:
        return [t.index for t in self.threads if t.state == RUNNABLE]

    def _hand_over(self, me: ThreadState, to: int) -> None:
        """Give the turn to thread *to* and wait until it comes back to *me*."""
        self.threads[to].gate.release()
        me.gate.acquire()
        if self.aborted:
            raise ScheduleAborted

    def point(self) -> None:
        """A scheduling point: the chooser may give the turn to another runnable thread."""
        me = self.me()
        if me is None or self.aborted:
            return
        me.points += 1
        chosen = self.chooser.choose(me.index, me.points, self._runnable())
        if chosen != me.index:
            self._hand_over(me, chosen)

    def _next_after(self, me: ThreadState) -> int | None:
        """Who runs when *me* cannot: the next runnable thread after it in turn (a fixed rule, so
        that replays agree), else a timed waiter that times out."""
        runnable = self._runnable()
        if runnable:
            return min(runnable, key=lambda t: (t - me.index) % len(self.threads))
        timed = [t for t in self.threads if t.state == BLOCKED and t.timed]
        if timed:
            timed[0].state, timed[0].timed_out = RUNNABLE, True
            return timed[0].index
        return None

    def block(self, me: ThreadState, lock: SchedLock, timed: bool) -> bool:
        """*me* waits for *lock*: pass the turn on. False when the wait timed out."""
        me.state, me.waiting_for, me.timed, me.timed_out = BLOCKED, lock, timed, False
        me.notified_wait = _in_condition_wait(sys._getframe(1))
        self._step_note(me, "waits to be notified" if me.notified_wait else "waits for a lock")
        nxt = self._next_after(me)
        if nxt is None:
            self._fail(self._deadlock())
            raise ScheduleAborted
        if nxt != me.index:
            self._hand_over(me, nxt)
        me.waiting_for = None
        return not me.timed_out

    def released(self, lock: SchedLock | ThreadState) -> None:
        for t in self.threads:
            if t.state == BLOCKED and t.waiting_for is lock:
                t.state = RUNNABLE

    def _finish(self, me: ThreadState) -> None:
        me.state = DONE
        self.released(me)  # threads that join *me* may go on
        if self.aborted:
            return
        nxt = self._next_after(me)
        if nxt is not None:
            self.threads[nxt].gate.release()
        elif any(t.state == BLOCKED for t in self.threads):
            self._fail(self._deadlock())
            self._abort()
        else:
            self.finished.release()

    def _deadlock(self) -> str:
        """Why no thread can run, in a student's words: who waits, and for what."""
        blocked = [t for t in self.threads if t.state == BLOCKED]
        reasons = [f"{t.name} {self._waits_for(t)}" for t in blocked]
        if all(t.notified_wait or isinstance(t.waiting_for, ThreadState) for t in blocked):
            return (f"deadlock: {', '.join(reasons)}, and no thread is left to do it: a notify is "
                    "missing, or notify() woke another thread (notify_all() wakes every waiter)")
        return f"deadlock: {', '.join(reasons)}, and no running thread will ever do it"

    @staticmethod
    def _waits_for(t: ThreadState) -> str:
        if isinstance(t.waiting_for, ThreadState):
            return f"waits for {t.waiting_for.name} to finish"
        return "waits to be notified" if t.notified_wait else "waits for a lock"

    def note_raise(self, me: ThreadState, exc: BaseException) -> None:
        """Mark the step where the submission raised *exc* (or the exception it was turned into)."""
        origin = exc.__context__ if isinstance(exc, Violation) and exc.__context__ is not None else exc
        where = [(f.f_code.co_filename, line) for f, line in traceback.walk_tb(origin.__traceback__)
                 if self.is_submission(f.f_code.co_filename)]
        if not where:
            return
        for step in reversed(self.steps):
            if step.thread == me.index and (step.filename, step.lineno) == where[-1]:
                step.note(f"raises {type(origin).__name__}")
                return

    def _fail(self, message: str) -> None:
        if not self.failure:
            self.failed_at = len(self.steps)  # the timeline ends with the step that broke
            self.failure = message

    def _abort(self) -> None:
        self.aborted = True
        for t in self.threads:
            if t.state != DONE:
                t.gate.release()
        if self.finished.locked():
            self.finished.release()

    # -- tracing -------------------------------------------------------------------------------
    def _step_note(self, me: ThreadState, text: str) -> None:
        if self.steps and self.steps[-1].thread == me.index:
            self.steps[-1].note(text)

    def _record(self, frame: FrameType, me: ThreadState) -> None:
        """Note what the previous instruction of *frame* did; start a step on a new line."""
        previous = self._last.get(id(frame))
        if previous is not None:
            effect = _effect(previous[0], frame)
            if effect:
                previous[1].note(effect)
        step = self.steps[-1] if self.steps else None
        if step is None or (step.thread, step.filename, step.lineno) != (me.index, frame.f_code.co_filename,
                                                                         frame.f_lineno):
            step = Step(me.index, frame.f_code.co_filename, frame.f_lineno)
            self.steps.append(step)
        instr = _instruction(frame.f_code, frame.f_lasti)
        if instr is not None:
            self._last[id(frame)] = (instr, step)

    def on_opcode(self, frame: FrameType) -> None:
        """An instruction of the submission is about to run: record it, then maybe switch."""
        me = self.me()
        if me is None or self.aborted:
            return
        self._record(frame, me)
        self.point()

    def on_return(self, frame: FrameType) -> None:
        if self.me() is None:
            return
        previous = self._last.pop(id(frame), None)
        if previous is not None and (effect := _effect(previous[0], frame)):
            previous[1].note(effect)

    def _tracer(self, frame: FrameType, event: str, arg: Any) -> Any:
        """The settrace path, before 3.12 (sys.monitoring delivers the events from 3.12 on)."""
        if event != "call" or not self.is_submission(frame.f_code.co_filename):
            return None
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            if self.aborted:
                return None
            if event == "opcode":
                self.on_opcode(frame)
            elif event == "return":
                self.on_return(frame)
            return local

        return local

    # -- threads the submission starts -------------------------------------------------------------
    def spawn(self, thread: threading.Thread) -> None:
        """Make *thread*, started by a scheduled thread, a scheduled thread too (the next number).

        Its run() waits for its turn like the others. It becomes a daemon (an abandoned run must not
        keep the process alive), and its "started" event is made of real locks: start() waits for
        that event while holding the turn, and the new thread sets it before it ever needs one.
        """
        state = ThreadState(len(self.threads))
        state.gate.acquire()
        self.threads.append(state)
        self.by_thread[id(thread)] = state
        body = thread.run

        def run() -> None:
            self.by_ident[threading.get_ident()] = state
            self._thread_main(state, body)

        thread.run = run  # type: ignore[method-assign]
        thread.daemon = True
        thread._started = _RealEvent()  # type: ignore[attr-defined]

    def join(self, me: ThreadState, target: ThreadState, timeout: float | None) -> bool:
        """*me* joins the scheduled thread *target*: pass the turn until it is done. False when a
        timed join timed out."""
        while target.state != DONE:
            if self.aborted:
                raise ScheduleAborted
            me.state, me.waiting_for, me.timed, me.timed_out = BLOCKED, target, timeout is not None, False
            me.notified_wait = False
            self._step_note(me, f"waits for {target.name} to finish")
            nxt = self._next_after(me)
            if nxt is None:
                self._fail(self._deadlock())
                raise ScheduleAborted
            if nxt != me.index:
                self._hand_over(me, nxt)
            me.waiting_for = None
            if me.timed_out:
                return False
        return True

    # -- running -------------------------------------------------------------------------------
    def _thread_main(self, me: ThreadState, body: Callable[[], None]) -> None:
        me.gate.acquire()  # wait for the first turn
        if not self.aborted:
            # Before 3.12, settrace gives the opcode events. From 3.12 on it must stay off here: a
            # thread's legacy tracer silences the sys.monitoring events of instrumented code.
            tracing = _tool is None
            if tracing:
                sys.settrace(self._tracer)
            try:
                body()
            except ScheduleAborted:
                pass
            except Violation as exc:
                self.note_raise(me, exc)
                self._fail(str(exc))
            except BaseException as exc:  # noqa: BLE001 - a thread's exception is a finding
                self.note_raise(me, exc)
                self._fail(f"{me.name} raised {type(exc).__name__}: {exc}")
            finally:
                if tracing:
                    sys.settrace(None)
        self._finish(me)

    def run(self, bodies: Sequence[Callable[[], None]], watchdog: float = WATCHDOG) -> bool:
        """Run the bodies to their end under the chooser; False when the watchdog fired."""
        global _active
        self.threads = [ThreadState(i) for i in range(len(bodies))]
        for t in self.threads:
            t.gate.acquire()
        self.finished.acquire()
        workers = [
            threading.Thread(target=self._thread_main, args=(t, body), daemon=True, name=f"scheduled-{t.name}")
            for t, body in zip(self.threads, bodies, strict=True)
        ]
        _active = self
        try:
            for index, worker in enumerate(workers):
                worker.start()
                assert worker.ident is not None
                self.by_ident[worker.ident] = self.threads[index]
                self.by_thread[id(worker)] = self.threads[index]
            self.threads[0].gate.release()
            completed = self.finished.acquire(timeout=watchdog)
            if not completed:
                self._abort()
            for worker in workers:
                worker.join(timeout=1.0)
            return completed and not any(w.is_alive() for w in workers)
        finally:
            _active = None


# --------------------------------------------------------------------------------------------
# Locks that pass the turn
# --------------------------------------------------------------------------------------------
class SchedLock:
    """A lock that, under a running scheduler, passes the turn instead of blocking."""

    def __init__(self) -> None:
        self._real = REAL_LOCK()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        sched = _active
        me = sched.me() if sched is not None else None
        if sched is None or me is None:
            return self._real.acquire(blocking, timeout)
        while True:
            if self._real.acquire(False):
                return True
            if not blocking:
                return False
            if not sched.block(me, self, timed=timeout is not None and timeout >= 0):
                return False

    def release(self) -> None:
        self._real.release()
        sched = _active
        if sched is not None:
            sched.released(self)

    def locked(self) -> bool:
        return self._real.locked()

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _at_fork_reinit(self) -> None:
        self._real = REAL_LOCK()


def _rlock() -> Any:
    return threading._PyRLock()  # type: ignore[attr-defined]  # built on _allocate_lock: patched


class _RealEvent:
    """The part of threading.Event a Thread's "started" flag needs, on a real lock."""

    def __init__(self) -> None:
        self._flag = False
        self._lock = REAL_LOCK()
        self._lock.acquire()

    def set(self) -> None:
        if not self._flag:
            self._flag = True
            self._lock.release()

    def is_set(self) -> bool:
        return self._flag

    def clear(self) -> None:  # called by Thread after a fork
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        if self._lock.acquire(True, -1 if timeout is None else timeout):
            self._lock.release()
        return self._flag


_real_start = threading.Thread.start
_real_join = threading.Thread.join


def _start(self: threading.Thread) -> None:
    """Thread.start while a scheduler runs: a thread started by a scheduled thread is scheduled."""
    sched = _active
    if sched is not None and sched.me() is not None and not sched.aborted:
        sched.spawn(self)
    _real_start(self)


def _join(self: threading.Thread, timeout: float | None = None) -> None:
    """Thread.join while a scheduler runs: joining a scheduled thread passes the turn."""
    sched = _active
    me = sched.me() if sched is not None else None
    target = sched.by_thread.get(id(self)) if sched is not None and me is not None else None
    if sched is not None and me is not None and target is not None:
        if not sched.join(me, target, timeout):
            return
    _real_join(self, timeout)


@contextmanager
def scheduled_primitives() -> Iterator[None]:
    """While active, new threading locks (and all that is built on them) are SchedLocks, threads
    started by scheduled threads are scheduled, and queue.SimpleQueue is the pure-Python one
    (built on those locks; the C one would block without passing the turn)."""
    saved = threading.Lock, threading._allocate_lock, threading.RLock  # type: ignore[attr-defined]
    saved_queue = queue.SimpleQueue
    threading.Lock = threading._allocate_lock = SchedLock  # type: ignore[attr-defined,assignment]
    threading.RLock = _rlock  # type: ignore[assignment]
    threading.Thread.start = _start  # type: ignore[method-assign]
    threading.Thread.join = _join  # type: ignore[method-assign]
    queue.SimpleQueue = queue._PySimpleQueue  # type: ignore[misc,attr-defined]
    try:
        yield
    finally:
        threading.Lock, threading._allocate_lock, threading.RLock = saved  # type: ignore[attr-defined]
        threading.Thread.start = _real_start  # type: ignore[method-assign]
        threading.Thread.join = _real_join  # type: ignore[method-assign]
        queue.SimpleQueue = saved_queue  # type: ignore[misc]


_THREADING = os.path.normcase(threading.__file__)


def _in_condition_wait(frame: FrameType | None) -> bool:
    """Whether a blocking acquire was called from ``Condition.wait`` (a wait for a notify)."""
    for _ in range(4):
        if frame is None:
            return False
        if frame.f_code.co_name == "wait" and os.path.normcase(frame.f_code.co_filename) == _THREADING:
            return True
        frame = frame.f_back
    return False


def checkpoint() -> None:
    """An explicit scheduling point for harness code (e.g. while a thread holds a lease)."""
    sched = _active
    if sched is not None:
        sched.point()


def under_folder(folder: str | os.PathLike[str]) -> Callable[[str], bool]:
    prefix = os.path.join(os.path.realpath(folder), "")
    return lambda filename: filename.startswith(prefix)
