"""Thread stacks for a test that hung, trimmed to what helps a student.

A raw dump of every thread of a pytest process is mostly pytest, pluggy and the grader. A student
needs: which threads were stuck, on which of *their* lines, and in which blocking call. So each
thread shows its frames in the submission's files plus the one call they were blocked in (the
innermost frame), and threads that run the student's code come first.
"""

from __future__ import annotations

import sys
import threading
import traceback
from types import FrameType

from grader.preempt import is_submission_file

MAX_THREADS = 12
MAX_FRAMES = 8


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
