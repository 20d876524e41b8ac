"""Grade one exercise in an isolated child process and turn its events into results.

The parent owns every decision: it starts ``grader.child`` in a new session and a fresh temporary
directory, reads events from the channel, enforces the time of every run and of the whole
exercise, and ends the child's whole session afterwards. When the child dies or hangs in the middle
of a check, that check gets ``error`` or ``timeout`` and a new child goes on with the checks not yet
done: one bad method costs only its own points.
"""

from __future__ import annotations

import os
import secrets
import selectors
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grader.sandbox as sandboxing
from grader import limits, stubs
from grader.budgets import (
    BACKSTOP_GRACE,
    EXERCISE_BUDGET,
    EXIT_DRAIN,
    EXPLAIN_GRACE,
    KILL_GRACE,
    POLL_INTERVAL,
    START_GRACE,
)
from grader.catalog import SUITES, Check, Exercise, Tier
from grader.channel import Receiver
from grader.explain import SCENARIOS
from grader.report import ExerciseResult, ExerciseStatus, Status, TestResult

KIT_ROOT = Path(__file__).resolve().parent.parent


ProgressCallback = Callable[[str, str, int, int], None]  # exercise, check title, run, runs


@dataclass
class CheckState:
    """What the parent has seen of one check so far."""

    check: Check
    runs: int = 0
    failed_runs: int = 0
    status: Status = Status.PASSED
    message: str = ""
    details: str = ""
    finished: bool = False
    replay: str = ""  # replay ID of the interleaving found behind the failure
    case: str = ""  # the parametrised case that failed first ("amount=True"), if any
    expected: int = 0  # runs the child collected: repetitions x parametrised cases

    def fail(self, status: Status, message: str, details: str = "", case: str = "") -> None:
        if self.failed_runs == 0:
            self.status, self.message, self.details, self.case = status, message, details, case
        self.failed_runs += 1
        self.finished = True


@dataclass
class ChildOutcome:
    """How one child process ended."""

    kind: str  # done | restart | import_error | tampered | died | hung | budget
    message: str = ""
    current: CheckState | None = None
    stderr_tail: str = ""
    returncode: int | None = None
    explained: bool = False  # the child ran (or began) the interleaving search


@dataclass
class _Tail:
    """Keep at most *limit* bytes of a stream: its end, where crash dumps are."""

    limit: int
    data: bytearray = field(default_factory=bytearray)
    total: int = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > self.limit:
            del self.data[: len(self.data) - self.limit]

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def suite_files(exercise: Exercise, hidden_dir: Path | None = None) -> list[Path]:
    """The exercise's suite files that are present: visible, practice and, when available, hidden.

    The student edition has no hidden suites; *hidden_dir* points at the instructor's own folder.
    """
    files = [exercise.suite(Tier.VISIBLE), exercise.suite(Tier.PRACTICE)]
    files.append(hidden_dir / f"test_{exercise.name}.py" if hidden_dir else exercise.suite(Tier.HIDDEN))
    return [f for f in files if f.is_file()]


def suite_tier(path: Path) -> Tier:
    """The tier of a suite file: its folder's name, and hidden for any other folder (--hidden DIR)."""
    for tier in (Tier.VISIBLE, Tier.PRACTICE):
        if path.parent == SUITES / tier.value:
            return tier
    return Tier.HIDDEN


def gradable_checks(exercise: Exercise, files: Sequence[Path]) -> list[Check]:
    """The checks whose suite file is present (the student edition has no hidden suite)."""
    return exercise.tier_checks({suite_tier(f) for f in files})


def grade_exercise(
    exercise: Exercise,
    target: Path,
    *,
    seed: int,
    hidden_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    budget: float = EXERCISE_BUDGET,
    fail_fast: bool = False,
    sandbox: str = "auto",
) -> ExerciseResult:
    """Run every check of *exercise* against the submission in *target*.

    With *fail_fast*, grading stops at the first lost point (the rest count as not run): for
    measurements such as ``nox -s power`` that only need to know whether a submission was caught.
    *sandbox* is a mode of :mod:`grader.sandbox` ('auto' takes bubblewrap where it works).
    """
    started = time.monotonic()
    mode = sandboxing.resolve(sandbox)
    sandboxing.become_subreaper()
    files = suite_files(exercise, hidden_dir)
    checks = gradable_checks(exercise, files)
    states = {c.test: CheckState(c) for c in checks}
    unsubmitted = _not_submitted(exercise, target)
    if unsubmitted is not None:
        status, message = unsubmitted
        for state in states.values():
            state.fail(Status.ERROR, message)
        return _result(exercise, states, status, message, time.monotonic() - started)
    deadline = started + budget
    exercise_status, exercise_message = ExerciseStatus.GRADED, ""
    explain = exercise.name in SCENARIOS and not fail_fast  # one search per exercise at most
    for _attempt in range(len(checks) + 1):
        remaining = [s for s in states.values() if not s.finished]
        if not remaining:
            break
        outcome = _run_child(exercise, target, seed, files, remaining, deadline, progress, fail_fast, explain,
                             mode)
        explain = explain and not outcome.explained
        if outcome.kind == "import_error":
            exercise_status, exercise_message = ExerciseStatus.IMPORT_ERROR, outcome.message
            for state in remaining:
                state.fail(Status.ERROR, outcome.message)
            break
        if outcome.kind == "tampered":
            exercise_message = outcome.message
            for state in states.values():
                state.status, state.message, state.finished = Status.ERROR, outcome.message, True
                state.failed_runs = max(state.failed_runs, 1)
            break
        if outcome.kind == "budget":
            exercise_status = ExerciseStatus.TIMED_OUT
            exercise_message = (
                f"grading {exercise.filename} took longer than its budget of {budget:g} s: "
                "the code is far too slow, or it hangs"
            )
            for state in remaining:
                if not state.finished:
                    state.fail(Status.TIMEOUT, exercise_message)
            break
        if outcome.kind in ("died", "hung"):
            _blame(outcome, remaining, target)
            continue
        if outcome.kind == "restart" and not (fail_fast and _any_failed(states)):
            continue
        if fail_fast and _any_failed(states):
            for state in states.values():
                if not state.finished:
                    state.fail(Status.ERROR, "not run: grading stopped at the first lost point (--fail-fast)")
            break
        # done: anything not reported never ran (a test missing from the suite, say)
        for state in remaining:
            if not state.finished and state.runs < state.check.runs:
                state.fail(Status.ERROR, "this check did not run: the grading suite may be incomplete")
            state.finished = True
    return _result(exercise, states, exercise_status, exercise_message, time.monotonic() - started)


def _not_submitted(exercise: Exercise, target: Path) -> tuple[ExerciseStatus, str] | None:
    """(status, message) when there is nothing to grade: the module is missing or still the stub.

    Decided here, before any child starts, from the file alone: a missing module must not be
    reported as an import error (or as a package "not installed"), and the untouched stub is
    no attempt, whatever its checks would say.
    """
    module = target / exercise.filename
    outside = _links_outside(target)
    if outside:
        return ExerciseStatus.IMPORT_ERROR, (
            f"{outside[0]} is a symbolic link leading outside the submission folder: submit the "
            "code itself (a link could point at a reference solution or a classmate's work on the "
            "grading machine)"
        )
    if not module.is_file():
        return ExerciseStatus.NOT_SUBMITTED, (
            f"not submitted: there is no {exercise.filename} in the submission folder"
        )
    if stubs.is_untouched(module, exercise.name):
        return ExerciseStatus.NOT_ATTEMPTED, (
            f"not attempted: {exercise.filename} is still the stub you received (every function "
            "still raises NotImplementedError); start at its first '# TODO:'"
        )
    return None


IMPORTABLE = (".py", ".pyc", ".so", ".pyd", ".pth")  # what Python may import from the folder


def _links_outside(target: Path) -> list[str]:
    """Names of the importable entries of the submission folder (and its sub-folders) that are
    symbolic links leading outside it: what is graded must be the submission's own code. A link
    to anything else (a repository's README from exercises/) is left alone."""
    root = target.resolve()
    found = []
    for folder, dirs, files in os.walk(target):  # links to folders are listed, not followed
        for name in sorted(dirs + files):
            path = Path(folder, name)
            if not path.is_symlink():
                continue
            resolved = path.resolve()
            if resolved.is_relative_to(root):
                continue
            importable = resolved.suffix in IMPORTABLE if not resolved.is_dir() else any(
                resolved.glob("*.py"))
            if importable or name.endswith(IMPORTABLE):
                found.append(str(path.relative_to(target)))
    return sorted(found)


def _any_failed(states: dict[str, CheckState]) -> bool:
    return any(state.failed_runs for state in states.values())


def _blame(outcome: ChildOutcome, remaining: list[CheckState], target: Path) -> None:
    """Charge a child's crash or hang to the check it was running (or to all, at import)."""
    state = outcome.current
    if state is None:  # died before any check started: during the import
        message = (
            "the grading process ended while importing the module "
            f"(exit status {outcome.returncode}): does it call os._exit() or crash at import time?"
        )
        for each in remaining:
            each.fail(Status.ERROR, message)
        return
    if outcome.kind == "hung" or "Timeout (" in outcome.stderr_tail:
        details = _faulthandler_dump(outcome.stderr_tail, target)
        state.fail(
            Status.TIMEOUT,
            f"did not finish within {state.check.timeout:g} s, and did not even respond to the "
            "timeout (signals blocked or replaced?): a deadlock or an endless loop",
            details,
        )
    else:
        code = outcome.returncode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with status {code}"
        state.fail(
            Status.ERROR,
            f"the grading process {how} during this test: does the code call os._exit() or "
            "sys.exit() from a thread, or use more memory or CPU than allowed?",
            outcome.stderr_tail[-2000:],
        )


def _faulthandler_dump(stderr: str, target: Path) -> str:
    """faulthandler's dump of the hung child, trimmed to the submission's frames.

    Each thread keeps its header, its innermost frame (the call it is blocked in) and the frames
    of files in the submission folder; pytest's and the grader's frames are dropped.
    """
    start = stderr.rfind("Timeout (")
    if start < 0:
        return ""
    prefix = f'File "{target}{os.sep}'
    kept: list[str] = []
    for block in stderr[start:].split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        frames = [line for line in lines[1:] if line.strip().startswith("File ")]
        student = [line for line in frames if prefix in line]
        if not student:
            continue
        shown = [frames[0]] + [line for line in student if line != frames[0]]
        kept.append("\n".join([lines[0], *shown]))
    return "\n".join(kept[:12])[:6000]


def _result(
    exercise: Exercise,
    states: dict[str, CheckState],
    status: ExerciseStatus,
    message: str,
    duration: float,
) -> ExerciseResult:
    tests = []
    for state in states.values():
        check = state.check
        passed = state.failed_runs == 0 and state.runs >= check.runs
        tests.append(
            TestResult(
                name=check.title,
                id=check.test,
                status=Status.PASSED if passed else state.status,
                score=check.points if passed else 0,
                max_score=check.points,
                runs=state.runs,
                failed_runs=state.failed_runs,
                message="" if passed else state.message or "failed",
                hidden=check.hidden,
                tier=check.tier.value,
                details="" if passed else state.details,
                replay="" if passed else state.replay,
                failed_case="" if passed else state.case,
                repetitions=check.runs,
            )
        )
    score = sum(t.score for t in tests)
    max_score = sum(t.max_score for t in tests)
    return ExerciseResult(exercise.name, exercise.title, score, max_score, tests, status, message, duration,
                          not_graded=exercise.max_score - max_score)


CHILD_ENV_KEPT = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM")  # and LC_*: nothing else of ours


def _child_env(target: Path, workdir: Path) -> dict[str, str]:
    """A small environment: no tokens or paths of the grader's, work folder as HOME and TMPDIR.

    The child runs with ``python -I``, which ignores PYTHON* variables: what they set (no
    bytecode in the student's folder, unbuffered output, faulthandler) is given as options.
    """
    env = {k: v for k, v in os.environ.items() if k in CHILD_ENV_KEPT or k.startswith("LC_")}
    tmp = workdir / "tmp"
    tmp.mkdir()
    env.update(GRADER_TARGET=str(target), TMPDIR=str(tmp), HOME=str(workdir), **sandboxing.path_env())
    return env


def _run_child(
    exercise: Exercise,
    target: Path,
    seed: int,
    files: Sequence[Path],
    remaining: Sequence[CheckState],
    deadline: float,
    progress: ProgressCallback | None,
    fail_fast: bool = False,
    explain: bool = False,
    mode: str = "none",
) -> ChildOutcome:
    """Start one child for the *remaining* checks and follow it until it ends or must be ended."""
    workdir = Path(tempfile.mkdtemp(prefix=f"grader-{exercise.name}-"))
    read_fd, write_fd = os.pipe()
    nonce = secrets.token_hex(16)
    cmd = sandboxing.python_command("grader.child", "main", [
        "--exercise", exercise.name,
        "--target", str(target),
        "--fd", str(write_fd),
        "--seed", str(seed),
        "--only", ",".join(s.check.test for s in remaining),
        *[arg for f in files for arg in ("--suite", str(f))],
        *(["--explain"] if explain else []),
    ])
    if mode == "bwrap":  # the same work folder path, but inside the sandbox's private /tmp
        cmd = sandboxing.bwrap_argv(cmd, workdir=workdir, readable=[target, *{f.parent for f in files}])
    proc = None
    since = 0
    try:
        proc = sandboxing.start(  # remembered as ours: not an orphan for end_orphans
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_fd,),
            cwd=workdir,
            env=_child_env(target, workdir),
            start_new_session=True,
        )
        since = sandboxing.start_time(proc.pid)
        os.close(write_fd)
        write_fd = -1
        assert proc.stdin is not None
        proc.stdin.write(nonce.encode() + b"\n")
        proc.stdin.close()
        return _follow(proc, read_fd, Receiver(nonce), remaining, deadline, exercise.name, progress, fail_fast)
    finally:
        if proc is not None:
            limits.kill_session(proc.pid)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            proc.wait()
            sandboxing.forget(proc.pid)
            sandboxing.end_orphans(since)  # escapes re-parented to us (or bwrap's PID 1)
        if write_fd >= 0:
            os.close(write_fd)
        os.close(read_fd)
        shutil.rmtree(workdir, ignore_errors=True)


def _follow(
    proc: subprocess.Popen[bytes],
    read_fd: int,
    receiver: Receiver,
    remaining: Sequence[CheckState],
    deadline: float,
    exercise_name: str,
    progress: ProgressCallback | None,
    fail_fast: bool = False,
) -> ChildOutcome:
    """The event loop of one child: read events and output, enforce deadlines."""
    by_name = {s.check.test: s for s in remaining}
    stdout, stderr = _Tail(limits.Limits().output_bytes), _Tail(limits.Limits().output_bytes)
    selector = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    selector.register(read_fd, selectors.EVENT_READ, "events")
    selector.register(proc.stdout, selectors.EVENT_READ, stdout)
    selector.register(proc.stderr, selectors.EVENT_READ, stderr)
    current: CheckState | None = None
    run_deadline = time.monotonic() + START_GRACE
    outcome: ChildOutcome | None = None
    explained = False
    exited_at: float | None = None
    while selector.get_map() and outcome is None:
        now = time.monotonic()
        if now > deadline:
            return ChildOutcome("budget", current=current, explained=explained)
        if now > run_deadline:
            if current is None and explained:  # the search hung: the verdict is in; go on
                return ChildOutcome("restart", explained=True)
            return ChildOutcome("hung", current=current, stderr_tail=stderr.text(), explained=explained)
        if exited_at is None and proc.poll() is not None:
            exited_at = now
        if exited_at is not None and now - exited_at > EXIT_DRAIN:
            break  # a process it left behind still holds the pipes open; the session is killed next
        for key, _ in selector.select(timeout=min(POLL_INTERVAL, deadline - now, run_deadline - now)):
            fd = key.fd
            chunk = os.read(fd, 65536)
            if not chunk:
                selector.unregister(key.fileobj)
                continue
            if key.data != "events":
                key.data.add(chunk)
                continue
            for event in receiver.feed(chunk):
                kind = event.get("ev")
                state = by_name.get(str(event.get("check", "")))
                if kind == "start" and state is not None:
                    current = state
                    state.runs += 1
                    of = event.get("of")
                    state.expected = max(state.expected, of if isinstance(of, int) else 0)
                    run_deadline = time.monotonic() + state.check.timeout + BACKSTOP_GRACE + KILL_GRACE
                    if progress:  # "of": the runs the child collected, parametrised cases included
                        total = max(state.expected, state.check.runs, state.runs)
                        progress(exercise_name, state.check.title, state.runs, total)
                elif kind == "end" and state is not None and state is current:
                    _record_end(state, event)
                    current = None
                    run_deadline = time.monotonic() + START_GRACE
                    if fail_fast and state.failed_runs:
                        return ChildOutcome("restart")
                elif kind == "explaining":
                    explained = True
                    run_deadline = time.monotonic() + EXPLAIN_GRACE
                elif kind == "explained":
                    _record_explanation(by_name.get(str(event.get("check", ""))), event)
                    run_deadline = time.monotonic() + START_GRACE
                elif kind == "restart" and outcome is None:
                    outcome = ChildOutcome("restart")
                elif kind in ("import_error", "tampered"):
                    outcome = ChildOutcome(kind, message=str(event.get("message", "")))
                elif kind == "done" and outcome is None:
                    outcome = ChildOutcome("done")
    if outcome is not None and (outcome.kind != "done" or current is None):
        outcome.explained = explained
        return outcome
    limits.kill_session(proc.pid)
    returncode = proc.wait()
    if current is None and explained:  # the search ended the child: the verdict is in; go on
        return ChildOutcome("restart", explained=True)
    return ChildOutcome("died", current=current, stderr_tail=stderr.text(), returncode=returncode,
                        explained=explained)


def _record_explanation(state: CheckState | None, event: dict[str, object]) -> None:
    """Put the failing interleaving first in the check's diagnostics."""
    text, replay = str(event.get("text") or ""), str(event.get("replay") or "")
    if state is None or not text:
        return
    state.details = text + ("\n\n" + state.details if state.details else "")
    state.replay = replay


def _record_end(state: CheckState, event: dict[str, object]) -> None:
    status = str(event.get("status"))
    if status == Status.PASSED.value:
        if state.runs >= max(state.check.runs, state.expected):  # every repetition of every case
            state.finished = True
        return
    message = str(event.get("message") or "")
    if status == Status.TIMEOUT.value and not message:
        message = (
            f"did not finish within {state.check.timeout:g} s: a deadlock, a wait that is never "
            "woken up, or an endless loop (the stuck threads are shown below)"
        )
    kind = Status(status) if status in {s.value for s in Status} else Status.ERROR
    state.fail(kind, message, str(event.get("details") or ""), str(event.get("case") or ""))
