"""The grading child: runs one exercise's checks against one submission, in its own process.

Started by ``grader.runner`` through ``grader.sandbox.python_command`` (``python -I`` and a
bootstrap that puts the kit first on ``sys.path``) in a fresh temporary working directory and a new
session, under bubblewrap where it works. Order matters: limits first, then pytest and the grader
are imported and snapshotted, then pytest collects the suites (so the submission cannot change
what runs by editing suite files at import time), then the submission is imported under a timer,
then the checks run. Results leave only through the channel; the exit status means nothing to the
parent.
"""

from __future__ import annotations

import argparse
import faulthandler
import functools
import importlib
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.budgets import BACKSTOP_GRACE, IMPORT_TIMEOUT, OUTPUT_LIMIT


class CappedStream:
    """A text stream that passes on the first OUTPUT_LIMIT characters and drops the rest.

    A submission that prints tens of megabytes would otherwise spend the grading budget pushing
    them through the pipe; the parent keeps only the tail anyway.
    """

    def __init__(self, stream: object, limit: int = OUTPUT_LIMIT) -> None:
        self._stream = stream
        self._left = limit
        self._warned = False

    def write(self, text: str) -> int:
        if self._left > 0:
            piece = text[: self._left]
            self._left -= len(piece)
            self._stream.write(piece)  # type: ignore[attr-defined]
        elif not self._warned:
            self._warned = True
            self._stream.write("\n[grader: output limit reached, the rest is dropped]\n")  # type: ignore[attr-defined]
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, encoding: the wrapped stream's
        return getattr(self._stream, name)


class ImportTimeout(BaseException):
    """The submission's import did not finish."""


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m grader.child")
    parser.add_argument("--exercise", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--only", required=True, help="comma-separated check names to run")
    parser.add_argument("--suite", action="append", default=[], help="test files to run")
    parser.add_argument("--explain", action="store_true",
                        help="after the first failed stress check, search for the interleaving behind it")
    return parser.parse_args(argv)


def describe_import_error(exc: BaseException, filename: str) -> str:
    """One or two sentences about why the student's module could not be imported."""
    if isinstance(exc, ImportTimeout):
        return (
            f"importing {filename} did not finish within {IMPORT_TIMEOUT:g} s: "
            "is there an endless loop or a blocking call at module level?"
        )
    if isinstance(exc, SyntaxError):
        where = f"{Path(exc.filename or filename).name}, line {exc.lineno}"
        return f"{filename} has a syntax error ({where}): {exc.msg}"
    if isinstance(exc, ModuleNotFoundError) and exc.name == Path(filename).stem:
        return f"{filename} is not in the submission folder: it was not submitted"
    if isinstance(exc, ModuleNotFoundError):
        return (
            f"{filename} imports {exc.name!r}, which is not installed: "
            "exercises may use only the standard library and requests"
        )
    if isinstance(exc, SystemExit):
        return f"{filename} called sys.exit() while being imported: module level code must not exit"
    if isinstance(exc, KeyboardInterrupt):
        return f"{filename} raised KeyboardInterrupt while being imported"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(filename)]
    where = f" (line {frames[-1].lineno})" if frames else ""
    return f"{filename} raised {type(exc).__name__} while being imported{where}: {exc}"


def import_submission(name: str) -> str:
    """Import the student's module; return '' or a message saying why it failed."""
    from grader.testing import add_target_to_path

    add_target_to_path()

    def on_alarm(signum: int, frame: object) -> None:
        raise ImportTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, IMPORT_TIMEOUT)
    faulthandler.dump_traceback_later(IMPORT_TIMEOUT + BACKSTOP_GRACE, exit=True, file=sys.stderr)
    try:
        importlib.import_module(name)
    except BaseException as exc:  # noqa: BLE001 - anything at import time is the student's error
        return describe_import_error(exc, f"{name}.py")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    return ""


class ImportAfterCollection:
    """A pytest plugin that imports the submission once the suites are collected, not before.

    Suite modules are in memory by then: an import-time edit to a suite file cannot change this
    grading (and the kit's hash check stops a batch from grading anyone else with it).
    """

    def __init__(self, load: Callable[[], None]) -> None:
        self._load = load

    def pytest_collection_finish(self, session: object) -> None:
        self._load()


def main(argv: list[str]) -> None:
    args = _parse(argv)
    nonce = sys.stdin.readline().strip()
    sys.stdin.close()

    from grader import limits

    limits.apply(limits.Limits())

    import pytest

    from grader import catalog, preempt, rigging
    from grader.channel import Sender
    from grader.integrity import Snapshot
    from grader.plugin import GraderPlugin

    sys.stdout = CappedStream(sys.stdout)  # type: ignore[assignment]
    sys.stderr = CappedStream(sys.stderr)  # type: ignore[assignment]
    sender = Sender(args.fd, nonce)
    os.environ["GRADER_TARGET"] = args.target
    exercise = catalog.get(args.exercise)
    preempt.configure(target=args.target, seed=args.seed)
    snapshot = Snapshot()
    snapshot.watch(rigging.disarm())  # unittest.mock.ANY and pytest.approx compare by identity
    sender.send("hello", pid=os.getpid())

    def load_submission() -> None:
        sys.pycache_prefix = None  # the suites are in; the submission's imports may use bytecode
        snapshot.extend()  # the suites' modules, collected since the snapshot was taken
        problem = import_submission(exercise.name)
        if problem:
            sender.send("import_error", message=problem)
            os._exit(0)
        tampering = snapshot.changes() or preempt.tampering() or rigging.rigged(Path(args.target))
        if tampering:
            sender.send("tampered", message=tampering)
            os._exit(0)
        sender.send("imported")

    explainer = None
    if args.explain:
        from grader import explain

        target = Path(args.target)
        explainer = functools.partial(explain.explain, target, exercise.name, args.seed)
    plugin = GraderPlugin(exercise, set(args.only.split(",")), sender, snapshot, explainer)
    ini = Path(__file__).with_name("suites") / "pytest.ini"
    pytest_args = [
        "-c", str(ini),
        "--rootdir", str(ini.parent),
        "-p", "no:cacheprovider",
        "-s",  # output goes straight to the parent's capped pipes, not to temporary files
        "-q",
        "--no-header",
        "-p", "no:warnings",
        *args.suite,
    ]
    # pytest reads the suites' rewritten bytecode from __pycache__ unless a prefix says elsewhere:
    # an empty folder, so what runs is always the suites' source, never a planted .pyc
    sys.pycache_prefix = tempfile.mkdtemp(prefix="pycache-")
    pytest.main(pytest_args, plugins=[plugin, ImportAfterCollection(load_submission)])
    sender.send("done")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # do not wait for non-daemon threads the submission left running


if __name__ == "__main__":
    main(sys.argv[1:])
