"""Resource limits for the grading child, and ending everything it started.

The child applies the limits to itself at start-up (no ``preexec_fn``: it is unsafe when the
parent has threads). Each limit bounds one way a submission can hurt the machine. RLIMIT_NPROC is
not enforced for root on Linux: run the grader as an unprivileged user in CI (see README).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from grader import budgets

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Limits:
    """Per-child limits. Generous for correct code, tight enough to stop a runaway."""

    cpu_seconds: int = budgets.CPU_SECONDS
    address_space: int = budgets.ADDRESS_SPACE
    processes: int = budgets.PROCESSES
    file_size: int = budgets.FILE_SIZE
    output_bytes: int = budgets.OUTPUT_TAIL
    tmp_bytes: int = budgets.TMP_SIZE


def apply(limits: Limits) -> None:
    """Apply *limits* to the calling process (the child, first thing at start-up)."""
    if resource is None:
        return
    pairs = [
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_AS, limits.address_space),
        (resource.RLIMIT_FSIZE, limits.file_size),
        (resource.RLIMIT_NPROC, _user_process_count() + limits.processes),
    ]
    for kind, value in pairs:
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(kind, (value, hard))
        except (ValueError, OSError):
            pass  # a platform that refuses one limit still gets the others


def _user_process_count() -> int:
    """Processes the current user runs now (RLIMIT_NPROC counts them all)."""
    uid = os.getuid()
    count = 0
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


def session_members(sid: int) -> list[int]:
    """PIDs whose session id is *sid* (the child made its own session with start_new_session)."""
    pids: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return pids
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields: state ppid pgrp session ...
        if len(fields) > 3 and int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def kill_session(sid: int, *, attempts: int = 20) -> None:
    """SIGKILL the process group and every process of session *sid* until none is left.

    Repeated because a fork bomb makes new processes while we kill the old ones.
    """
    for _ in range(attempts):
        try:
            os.killpg(sid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        members = [pid for pid in session_members(sid) if pid != os.getpid()]
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not members:
            return
        time.sleep(0.05)
