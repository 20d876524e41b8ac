"""How a grading child is started: isolated from the working directory, and on Linux in bubblewrap.

Two modes, chosen once per process by :func:`resolve` (``--sandbox auto|bwrap|none``):

- ``bwrap``: the child runs under bubblewrap (https://github.com/containers/bubblewrap) in new
  PID, network, IPC and UTS namespaces. Its file system holds only the system folders, the Python
  installation, the kit's ``grader/`` package and the submission, all read-only, plus a private,
  size-limited tmpfs for ``/tmp`` (the work folder lives there) and ``/dev/shm``. Other
  submissions, the report paths and ``$HOME`` do not exist in there. When the child exits, the
  kernel ends every process left in its PID namespace, before the parent reads the outcome.
- ``none``: where bubblewrap is missing or refused (macOS, CI runners without user namespaces):
  the process limits of :mod:`grader.limits`, a new session, and on Linux the grading process
  becomes a child subreaper, so a double-forked escape is re-parented to it and ended by
  :func:`end_orphans` before any report is written.

Both modes start Python with ``-I`` (no ``PYTHONPATH``, no working directory or user site on
``sys.path``) through :func:`python_command` and ``grader/bootstrap.py``, which puts the kit
first on ``sys.path`` and compiles the kit's modules from source, so neither a ``grader/`` planted in the work folder
nor a ``.pyc`` planted in the kit's ``__pycache__`` is ever imported.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import site
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from grader.budgets import SANDBOX_TRIAL_TIMEOUT

KIT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = KIT_ROOT / "grader"

MODES = ("auto", "bwrap", "none")
# /etc files a Python program may read (user names, time zone, libraries); nothing else of /etc
ETC_FILES = ("ld.so.cache", "localtime", "passwd", "group", "nsswitch.conf", "hosts", "host.conf")
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")

class SandboxUnavailable(Exception):
    """``--sandbox bwrap`` was asked for, but bubblewrap is missing or refused here."""


def python_command(module: str, function: str, args: Sequence[str], kit: Path = KIT_ROOT) -> list[str]:
    """``python -I ... grader/bootstrap.py module:function args``: isolated from cwd and environment.

    ``-I`` ignores every ``PYTHON*`` variable, so what they used to set is given as options: no
    bytecode written (the student's folder stays clean), unbuffered output, faulthandler.
    """
    return [sys.executable, "-I", "-B", "-u", "-X", "faulthandler", str(kit / "grader" / "bootstrap.py"),
            f"{module}:{function}", *args]


def path_env() -> dict[str, str]:
    """``GRADER_SYS_PATH`` for :func:`python_command`: this process's ``sys.path`` but its cwd.

    ``-I`` leaves out the user's site-packages and ``PYTHONPATH``; a grader that found pytest
    there must not lose it in the child. The working folder stays out (a ``grader/`` in it).
    """
    cwd = os.getcwd()
    kept = [p for p in sys.path if p and os.path.isabs(p) and os.path.abspath(p) != cwd]
    return {"GRADER_SYS_PATH": os.pathsep.join(kept)}


# -- choosing the mode ---------------------------------------------------------------------------
def resolve(requested: str = "auto") -> str:
    """The mode that will grade: 'bwrap' or 'none'. SandboxUnavailable when bwrap cannot be had."""
    if requested not in MODES:
        raise ValueError(f"--sandbox must be one of {', '.join(MODES)}, not {requested!r}")
    global _why_none
    if requested == "none":  # asked for, or resolved to 'none' already (the reason is kept)
        _why_none = _why_none or "chosen with --sandbox none"
        return "none"
    problem = bwrap_problem()
    if not problem:
        return "bwrap"
    if requested == "bwrap":
        raise SandboxUnavailable(f"--sandbox bwrap: bubblewrap cannot be used here: {problem}")
    _why_none = problem
    return "none"


_why_none = ""  # why the last resolve() chose 'none', for describe()


def describe(mode: str) -> str:
    """The one line the terminal shows about the mode that graded."""
    if mode == "bwrap":
        return ("sandbox: bubblewrap (read-only kit and Python, private /tmp, no network, "
                "nothing outlives a check)")
    why = f" ({_why_none})" if _why_none else ""
    return f"sandbox: none{why}: process limits and start-up isolation only"


@functools.lru_cache(maxsize=1)
def bwrap_problem() -> str:
    """'' when bubblewrap works here (a trial run succeeded), else why not. Cached per process."""
    if not sys.platform.startswith("linux"):
        return "bubblewrap needs Linux"
    if shutil.which("bwrap") is None:
        return "bwrap is not installed (Debian/Ubuntu package 'bubblewrap')"
    argv = bwrap_argv([sys.executable, "-I", "-c", "import sys"], workdir=Path("/tmp/grader-trial"),
                      readable=())
    try:
        proc = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=SANDBOX_TRIAL_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the trial run failed: {exc}"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return f"the trial run failed: {last}"
    return ""


def tmpfs_supports_size() -> bool:
    """bubblewrap >= 0.5 has ``--size`` for a tmpfs; older ones would refuse the option."""
    return _bwrap_help().find("--size") >= 0


@functools.lru_cache(maxsize=1)
def _bwrap_help() -> str:
    try:
        return subprocess.run(["bwrap", "--help"], check=False, capture_output=True, text=True,
                              timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


# -- the bubblewrap command line -----------------------------------------------------------------
def bwrap_argv(command: Sequence[str], *, workdir: Path, readable: Iterable[Path],
               tmp_bytes: int | None = None) -> list[str]:
    """*command* under bubblewrap: system and Python read-only, *readable* read-only, a tmpfs /tmp.

    *workdir* is created inside the private /tmp and becomes the working directory; it is a path
    inside the sandbox only (nothing the child writes there reaches the host).
    """
    if tmp_bytes is None:
        from grader.limits import Limits

        tmp_bytes = Limits().tmp_bytes
    size = ["--size", str(tmp_bytes)] if tmpfs_supports_size() else []
    argv = [
        "bwrap",
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent",  # the grader killed: the sandbox goes too
        "--new-session",  # no TIOCSTI into the grader's terminal
        "--cap-drop", "ALL",  # run as root, bwrap would keep root's capabilities (remount, mount)
        "--proc", "/proc",
        "--dev", "/dev",
        *size, "--tmpfs", "/dev/shm",  # multiprocessing's semaphores
        *size, "--tmpfs", "/tmp",
    ]
    for name in SYSTEM_DIRS:
        path = Path("/", name)
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for path in _minimal_cover([*python_dirs(), PACKAGE, *readable]):
        argv += ["--ro-bind", str(path), str(path)]
    argv += ["--dir", str(workdir), "--dir", str(workdir / "tmp"), "--chdir", str(workdir)]
    return [*argv, "--", *command]


def python_dirs() -> list[Path]:
    """Folders the child's Python needs: its installation, the venv, site-packages, .pth targets.

    Taken from this process's own ``sys.path``, leaving out the working directory and the kit's
    folder (they may hold submissions and reports; only ``grader/`` is bound) and their parents.
    A venv inside the kit's folder (nox's ``.nox/tests``) is kept.
    """
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  *_executable_folders(), *site.getsitepackages(), *[p for p in sys.path if p]]
    cwd = Path.cwd().resolve()
    kept = []
    for text in candidates:
        path = Path(text)
        if not path.is_absolute() or not path.is_dir():
            continue
        path = path.resolve()
        if _inside(KIT_ROOT, path) or _inside(cwd, path):  # "/" too
            continue
        kept.append(path)
        if Path(text) != path:  # a symlinked prefix (a venv's lib64, say): bind both spellings
            kept.append(Path(os.path.abspath(text)))
    return kept


def _executable_folders(executable: str = sys.executable) -> list[str]:
    """The folders of every link from ``sys.executable`` to the real interpreter, and its own.

    A venv's ``bin/python`` may point through other links (nox's ``.nox/ci-bin``, pyenv's
    versions): each hop must exist in the sandbox for the command to start.
    """
    folders, path = [], os.path.abspath(executable)
    for _ in range(40):  # the kernel's own limit on a chain of links
        folders.append(os.path.dirname(path))
        if not os.path.islink(path):
            break
        path = os.path.join(os.path.dirname(path), os.readlink(path))
    return folders


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _minimal_cover(paths: Iterable[Path]) -> list[Path]:
    """*paths* without duplicates and without those inside another (or inside /usr, bound already)."""
    unique = sorted({p for p in paths if p.exists()}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in unique:
        if any(_inside(path, other) for other in kept) or _inside(path, Path("/usr")):
            continue
        kept.append(path)
    return kept


# -- without bubblewrap: everything the child started ends before the report ----------------------
_launched: set[int] = set()  # processes this grading process started on purpose (any thread)
_launched_lock = threading.Lock()
_subreaper = False


def become_subreaper() -> bool:
    """Linux: orphans of our descendants become our children, not init's (so we can end them)."""
    global _subreaper
    if _subreaper or not sys.platform.startswith("linux"):
        return _subreaper
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_child_subreaper = 36
        _subreaper = libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        _subreaper = False
    return _subreaper


def start(argv: Sequence[str], **popen: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen(argv, **popen)``, remembered as ours until :func:`forget`.

    Started and recorded under the lock that :func:`end_orphans` holds while it looks for
    orphans, so a grading child another thread is just starting is never taken for one.
    """
    with _launched_lock:
        proc: subprocess.Popen[bytes] = subprocess.Popen(argv, **popen)
        _launched.add(proc.pid)
    return proc


def forget(pid: int) -> None:
    with _launched_lock:
        _launched.discard(pid)


def end_orphans(since: int, *, attempts: int = 50) -> int:
    """SIGKILL and reap every orphan re-parented to us (and its descendants) started at *since* or later.

    *since* is the start time (clock ticks after boot, /proc/PID/stat) of the child whose grading
    just ended: anything younger that is now our child and that we did not start ourselves is one
    of its escaped descendants. Returns how many were ended.
    """
    ended = 0
    me = os.getpid()
    for _ in range(attempts):
        with _launched_lock:
            table = _process_table()
            roots = [pid for pid, (ppid, start) in table.items()
                     if ppid == me and pid not in _launched and start >= since]
            if not roots:
                return ended
            for pid in _descendants(roots, table):
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        for pid in roots:
            try:
                os.waitpid(pid, 0)
                ended += 1
            except ChildProcessError:
                pass
    return ended


def start_time(pid: int) -> int:
    """Start time of *pid* in clock ticks after boot (0 when unknown)."""
    return _process_table().get(pid, (0, 0))[1]


def _process_table() -> dict[int, tuple[int, int]]:
    """{pid: (ppid, start time)} of every live process, from /proc (empty where there is none)."""
    table: dict[int, tuple[int, int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return table
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields after the name: state ppid pgrp session tty tpgid flags ... starttime is the 20th
        if len(fields) > 19:  # zombies too: a dead orphan of ours still needs reaping
            table[int(entry.name)] = (int(fields[1]), int(fields[19]))
    return table


def _descendants(roots: Sequence[int], table: dict[int, tuple[int, int]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _start) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found
