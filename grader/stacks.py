"""Thread stacks for a test that hung, trimmed to what helps a student.

A raw dump of every thread of a pytest process is mostly pytest, pluggy and the grader. A student
needs: which threads were stuck, on which of *their* lines, and in which blocking call. So each
thread shows its frames in the submission's files plus the one call they were blocked in (the
innermost frame), and threads that run the student's code come first.
"""

from __future__ import annotations

import dis
import os
import sys
import threading
import traceback
from collections.abc import Hashable, Iterable, Sequence
from types import CodeType, FrameType

from grader.preempt import is_submission_file

MAX_THREADS = 12
MAX_FRAMES = 8
STUDENT_FRAMES = 3  # a blocked thread's own frames shown in the default output
THREADING = os.path.normcase(threading.__file__)


def _thread_names() -> dict[int, str]:
    return {t.ident: t.name for t in threading.enumerate() if t.ident is not None}


def _describe(frame: FrameType) -> tuple[bool, list[str]]:
    """(has student frames, formatted lines) for one thread's stack."""
    summary = traceback.extract_stack(frame)
    student = [entry for entry in summary if is_submission_file(entry.filename)]
    innermost = summary[-1] if summary else None
    shown = student[-MAX_FRAMES:]
    if innermost is not None and innermost not in shown:
        shown.append(innermost)
    lines = []
    for entry in shown:
        where = f"{_short(entry.filename)}:{entry.lineno} in {entry.name}"
        code = f"    {entry.line.strip()}" if entry.line else ""
        lines.append(f"    {where}{code}")
    return bool(student), lines


def _short(filename: str) -> str:
    """The file's name for submission files, a shortened path for the rest."""
    if is_submission_file(filename):
        return filename.rsplit("/", 1)[-1]
    parts = filename.replace("\\", "/").split("/")
    return "/".join(parts[-2:])


def format_all_stacks(interrupted: FrameType | None = None) -> str:
    """Every thread's trimmed stack, student threads first.

    *interrupted* is the frame a signal handler received: for the calling thread it replaces the
    current frame, so the handler's own frames do not show.
    """
    names = _thread_names()
    groups: dict[tuple[str, ...], list[str]] = {}  # identical stacks are shown once
    student: dict[tuple[str, ...], bool] = {}
    me = threading.get_ident()
    for ident, frame in sys._current_frames().items():
        if ident == me and interrupted is not None:
            frame = interrupted
        is_student, lines = _describe(frame)
        if not lines:
            continue
        key = tuple(lines)
        groups.setdefault(key, []).append(names.get(ident, f"thread {ident}"))
        student[key] = is_student
    ordered = sorted(groups, key=lambda key: not student[key])  # stable: student threads first
    shown = []
    for key in ordered[:MAX_THREADS]:
        who = groups[key]
        label = who[0] if len(who) == 1 else f"{len(who)} threads ({', '.join(who[:3])}{', ...' * (len(who) > 3)})"
        shown.append(f"  {label}:\n" + "\n".join(key))
    if len(ordered) > MAX_THREADS:
        shown.append(f"  ... and {len(ordered) - MAX_THREADS} more threads")
    return "\n".join(shown)


def student_location(tb: object) -> str:
    """'file.py:12 (code)' of the innermost submission frame of a traceback, or ''."""
    entries = traceback.extract_tb(tb)  # type: ignore[arg-type]
    for entry in reversed(entries):
        if is_submission_file(entry.filename):
            code = f": {entry.line.strip()}" if entry.line else ""
            return f"{_short(entry.filename)}:{entry.lineno}{code}"
    return ""


# --------------------------------------------------------------------------------------------
# Blocked for good: a hang that is already certain
# --------------------------------------------------------------------------------------------
_instructions: dict[CodeType, dict[int, dis.Instruction]] = {}


def _instruction(code: CodeType, offset: int) -> dis.Instruction | None:
    table = _instructions.get(code)
    if table is None:
        table = _instructions[code] = {i.offset: i for i in dis.get_instructions(code)}
    return table.get(offset)


def _queued(waiter: object, waiters: Iterable[object]) -> bool:
    """Whether *waiter* is still queued on a condition, read from another thread.

    On a free-threaded build, copying a deque that a running thread changes raises RuntimeError
    ("deque mutated during iteration"; with the GIL the copy is atomic). A queue that keeps
    changing belongs to a condition being notified, so that is "not blocked for good".
    """
    for _ in range(3):
        try:
            return any(w is waiter for w in list(waiters))
        except RuntimeError:
            continue
    return False


def _blocked_in(frame: FrameType, horizon: float) -> Hashable | None:
    """What the thread whose innermost frame is *frame* waits for, if only another thread can end
    that wait within *horizon* seconds; None when it runs, or may go on by itself (a timeout).

    Recognised: ``Condition.wait`` not yet notified (its waiter lock is still queued on the
    condition: notify() removes it), ``Thread.join``, and entering a C lock with ``with`` (a
    thread blocked there has no Python frame of its own, so its frame sits on that instruction).
    Every lock, semaphore, event, barrier and queue of ``threading`` and ``queue`` waits through
    ``Condition.wait``.
    """
    code = frame.f_code
    if os.path.normcase(code.co_filename) == THREADING:
        local = frame.f_locals
        if code.co_name == "wait" and "waiter" in local:
            timeout, waiter, owner = local.get("timeout"), local["waiter"], local.get("self")
            queued = _queued(waiter, getattr(owner, "_waiters", ()))
            long = timeout is None or timeout >= horizon
            return ("wait", id(waiter)) if queued and long else None
        if code.co_name in ("join", "_wait_for_tstate_lock"):
            timeout = local.get("timeout")
            long = timeout is None or timeout < 0 or timeout >= horizon
            return ("join", id(frame), id(local.get("self"))) if long and local.get("block", True) else None
        return None
    instr = _instruction(code, frame.f_lasti)
    if instr is not None and instr.opname in ("BEFORE_WITH", "SETUP_WITH"):
        return ("with", id(code), frame.f_lasti)
    return None


def stuck_signature(threads: Sequence[threading.Thread], horizon: float) -> Hashable | None:
    """A value that stays the same while every thread of *threads* stays blocked in the same
    wait that only another of them could end; None as soon as one of them may go on.

    Equal signatures a moment apart mean nobody was woken in between: a notify() takes the
    waiter off its condition, and a new wait has a new waiter.
    """
    frames = sys._current_frames()
    watched = {id(thread) for thread in threads}
    states = []
    for thread in threads:
        frame = frames.get(thread.ident) if thread.ident is not None else None
        if frame is None:
            return None
        state = _blocked_in(frame, horizon)
        if state is None:
            return None
        if state[0] == "join" and state[2] not in watched:  # type: ignore[index]
            return None  # it joins a thread outside this group, which may well be running
        states.append((thread.ident, state))
    return tuple(states) if states else None


def format_threads(threads: Sequence[threading.Thread], limit: int = 6) -> str:
    """Where each of *threads* is: its last few frames in the submission (with the source line)
    and the call it is blocked in. Threads with the same stack are shown once."""
    frames = sys._current_frames()
    groups: dict[tuple[str, ...], list[str]] = {}
    student: dict[tuple[str, ...], bool] = {}
    for thread in threads:
        frame = frames.get(thread.ident) if thread.ident is not None else None
        if frame is None:
            continue
        summary = traceback.extract_stack(frame)
        own = [entry for entry in summary if is_submission_file(entry.filename)][-STUDENT_FRAMES:]
        innermost = summary[-1] if summary else None
        shown = own + ([innermost] if innermost is not None and innermost not in own else [])
        lines: list[str] = []
        for entry in shown:
            lines.append(f"    {_short(entry.filename)}:{entry.lineno} in {entry.name}")
            if entry.line:
                lines.append(f"        {entry.line.strip()}")
        key = tuple(lines)
        groups.setdefault(key, []).append(thread.name)
        student[key] = bool(own)
    ordered = sorted(groups, key=lambda key: not student[key])
    out = []
    for key in ordered[:limit]:
        who = groups[key]
        label = who[0] if len(who) == 1 else f"{len(who)} threads ({', '.join(who[:2])}{', ...' * (len(who) > 2)})"
        out.append(f"  {label}:\n" + "\n".join(key))
    if len(ordered) > limit:
        out.append(f"  ... and {len(ordered) - limit} more")
    return "\n".join(out)
