"""Broken and hostile submissions: every grading finishes, reports, cleans up, and cannot be faked.

Each case in tests/hostile/ replaces counter.py in a copy of solutions/; the grader grades counter
and semaphore_pool. Asserted for every case: exit status 0, a valid report, the budget kept, the
other exercise at full marks, no process left behind (looked up in the process table by the unique
target path every grading process inherits) and no temporary directory left. Then per case: the
points, status and message expected.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.report import validate
from tests.kit import HOSTILE, ROOT, Graded, grade, submission_with

BUDGET = 150.0  # seconds: the grader's own per-exercise budget; these cases must stay well inside


@dataclass(frozen=True)
class Expect:
    most: float  # the most points counter may earn
    least: float = 0
    status: str = "graded"  # the exercise's status
    message: str = ""  # a fragment of the exercise's or a lost test's message
    not_passed: tuple[str, ...] = ()  # checks that must not pass


CASES: dict[str, Expect] = {
    "syntax_error": Expect(0, status="could not import", message="syntax error (counter.py, line 3)"),
    "missing_package": Expect(0, status="could not import", message="which is not installed"),
    "missing_class": Expect(0, message="has no attribute 'Counter'"),
    "exception_at_import": Expect(0, status="could not import", message="RuntimeError while being imported"),
    "endless_loop_at_import": Expect(0, status="could not import", message="did not finish within"),
    "sys_exit_at_import": Expect(0, status="could not import", message="sys.exit()"),
    "os_exit_at_import": Expect(0, message="ended while importing"),
    "os_exit_in_reset": Expect(15, 15, message="exited with status 0 during this test"),
    "sys_exit_in_reset": Expect(15, 15, message="SystemExit"),
    "keyboard_interrupt_in_reset": Expect(15, 15, message="KeyboardInterrupt"),
    "sigalrm_ignored_endless_reset": Expect(15, message="did not finish within"),
    "deadlock_in_reset": Expect(15, message="blocked for good"),
    "memory_hog": Expect(15, 15, message="MemoryError"),
    "prints_tens_of_megabytes": Expect(20, 20),
    "non_daemon_thread_forever": Expect(20, 20),
    "sleeping_children": Expect(20, 20),
    "bounded_process_bomb": Expect(20, 20),
    "writes_fake_reports": Expect(19, message="increments were lost"),
    "escape_sequences_in_message": Expect(15, message="ValueError"),
    "patches_pytest": Expect(0, message="modified the grader's environment"),
    "replaces_builtins": Expect(0, message="modified the grader's environment"),
    "patches_grader_class": Expect(0, message="modified the grader's environment"),
    "patches_suite_globals": Expect(0, message="modified the grader's environment"),
    "fakes_threading_for_the_suites": Expect(0, message="modified the grader's environment"),
    "value_equal_to_everything": Expect(0, message="values lie about themselves"),
    "value_is_an_always_equal_object": Expect(0, message="values lie about themselves"),
    "value_is_mock_any": Expect(6),  # no more than the plain racy counter
    "walks_frames_to_the_channel": Expect(6, message="it reached for frame objects"),
    "forges_events": Expect(
        20, not_passed=("counts up and down, reset returns the old value",
                        "no lost updates, distinct return values under stress")
    ),
}


def processes_mentioning(token: str) -> list[str]:
    """Command lines of live processes whose command line or environment contains *token*."""
    found = []
    needle = token.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            blob = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in blob:
            found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120])
    return found


def grading_child_runs(target: Path, exercise: str) -> bool:
    """Whether a grading child (its channel's --fd in its arguments) grades *exercise* of *target*."""
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "--fd" in argv and str(target) in argv and "--exercise" in argv \
                and argv[argv.index("--exercise") + 1] == exercise:
            return True
    return False


def test_every_case_has_an_expectation() -> None:
    assert {p.stem for p in HOSTILE.glob("*.py")} == set(CASES)


def all_messages(graded: Graded, name: str) -> str:
    exercise = graded.exercise(name)
    return "\n".join([exercise.get("message", "")] + [t["message"] for t in exercise["tests"]])


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_submission_is_graded_safely(case: str, tmp_path: Path) -> None:
    expect = CASES[case]
    target = submission_with(tmp_path, {"counter": HOSTILE / f"{case}.py"})
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    fake_reports_before = set(Path("/tmp").glob("*.json"))
    started = time.monotonic()
    graded = grade(target, tmp_path, "--exercise", "counter", "--exercise", "semaphore_pool",
                   env={"TMPDIR": str(tmpdir)})
    elapsed = time.monotonic() - started
    try:
        assert graded.returncode == 0, graded.stderr[-2000:]
        assert graded.report is not None and validate(graded.report) == []
        assert elapsed < BUDGET, f"grading took {elapsed:.0f} s"
        counter = graded.exercise("counter")
        assert expect.least <= counter["score"] <= expect.most, all_messages(graded, "counter")
        assert counter["status"] == expect.status
        assert expect.message in all_messages(graded, "counter")
        for title in expect.not_passed:
            test = next(t for t in counter["tests"] if t["name"] == title)
            assert test["status"] != "passed", f"{title} passed on forged events"
        assert graded.exercise("semaphore_pool")["score"] == 20, "the other exercise lost points"
        left = processes_mentioning(str(target))
        assert not left, f"processes left behind: {left}"
        assert list(tmpdir.iterdir()) == [], f"temporary files left: {list(tmpdir.iterdir())}"
    finally:
        for path in set(Path("/tmp").glob("*.json")) - fake_reports_before:
            if path.name in {"report.json", "results.json", "r.json"}:
                path.unlink(missing_ok=True)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM],
                         ids=["ctrl-c", "sigterm"])
def test_interrupt_stops_grading_reports_what_it_had_and_leaves_nothing(tmp_path: Path, signum: int) -> None:
    target = submission_with(tmp_path, {"counter": HOSTILE / "sigalrm_ignored_endless_reset.py"})
    report = tmp_path / "r.json"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    grader = [sys.executable, "-m", "grader", "--target", str(target), "--json", str(report), "--quiet",
              "--exercise", "downloader", "--exercise", "counter"]  # graded in this (catalog) order
    # Started with SIGINT ignored, as a background job of a non-interactive shell is (and some CI
    # runners start their scripts so): Ctrl-C and a CI's cancel must stop the grader all the same.
    ignore_sigint = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                     "os.execv(sys.argv[1], sys.argv[1:])")
    proc = subprocess.Popen(
        [sys.executable, "-c", ignore_sigint, *grader],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(tmpdir)},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not grading_child_runs(target, "counter"):
        time.sleep(0.1)  # wait until counter's grading child runs
    time.sleep(1.0)
    proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()  # reap it: a Popen left running warns later, inside another test
        pytest.fail("the grader did not stop within 10 s of the signal")
    assert proc.returncode == 130
    assert "downloader" in out and "TOTAL" in out, out
    assert "interrupted" in out
    assert report.exists(), "the report of what was graded should still be written"
    assert not processes_mentioning(str(target)), "processes left behind after the interrupt"
    assert list(tmpdir.iterdir()) == [], f"temporary files left: {list(tmpdir.iterdir())}"


# -- cheats against forced preemption (tests/hostile/preemption/) --------------------------------
# Each replaces one exercise with racy code that also tries to switch the forced thread switches
# off or to dodge them. None may score more than its plain racy version, which loses every stress
# check (checks under forced preemption): the bound is the points of the other checks.
PREEMPTION = HOSTILE / "preemption"
SWITCHED_OFF = "switched off the grader's thread switching"
PREEMPTION_CASES: dict[str, tuple[str, str]] = {  # case -> (exercise it replaces, message expected)
    "settrace_none_in_methods": ("counter", SWITCHED_OFF),
    # Before 3.12 a block does not use threading's trace hook (grader.preempt._LegacyStart), so
    # clearing it changes nothing there: the race shows as for the plain racy counter.
    "threading_settrace_none_in_methods": ("counter", SWITCHED_OFF if sys.version_info >= (3, 12) else "were lost"),
    "profile_and_trace_off_in_methods": ("counter", SWITCHED_OFF),
    "replaces_settrace_at_import": ("counter", SWITCHED_OFF),
    "replaces_sleep_at_import": ("counter", SWITCHED_OFF),
    "f_trace_none": ("counter", SWITCHED_OFF),
    "clears_preempt_config": ("counter", SWITCHED_OFF),
    "compiled_as_stdlib_file": ("counter", SWITCHED_OFF),
    "replaces_random_at_import": ("counter", "were lost"),  # the grader's generator is C's: no effect
    "racy_helper_in_tmp": ("counter", "were lost"),  # traced like the submission: the race shows
    "compiled_made_up_filename": ("counter", "were lost"),
    "pool_lazy_creation_race_untraced": ("semaphore_pool", SWITCHED_OFF),
}


def test_every_preemption_cheat_has_an_expectation() -> None:
    assert {p.stem for p in PREEMPTION.glob("*.py")} == set(PREEMPTION_CASES)


def racy_bound(exercise: str) -> float:
    """The most a racy version can score: every check that does not run under forced preemption."""
    from grader import catalog

    return sum(check.points for check in catalog.get(exercise).checks if not check.stress)


@pytest.mark.parametrize("case", sorted(PREEMPTION_CASES))
def test_switching_off_forced_preemption_earns_nothing(case: str, tmp_path: Path) -> None:
    exercise, message = PREEMPTION_CASES[case]
    other = "semaphore_pool" if exercise == "counter" else "counter"
    target = submission_with(tmp_path, {exercise: PREEMPTION / f"{case}.py"})
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    graded = grade(target, tmp_path, "--exercise", "counter", "--exercise", "semaphore_pool",
                   env={"TMPDIR": str(tmpdir)})
    assert graded.returncode == 0, graded.stderr[-2000:]
    assert graded.report is not None and validate(graded.report) == []
    cheat = graded.exercise(exercise)
    assert cheat["score"] <= racy_bound(exercise), all_messages(graded, exercise)
    assert message in all_messages(graded, exercise)
    assert graded.exercise(other)["score"] == 20, "the other exercise lost points"
    assert not processes_mentioning(str(target)), "processes left behind"
    assert list(tmpdir.iterdir()) == [], f"temporary files left: {list(tmpdir.iterdir())}"


def test_escape_sequences_in_a_failure_message_are_shown_escaped(tmp_path: Path) -> None:
    """A message that would clear the terminal and draw a fake total reaches the student escaped."""
    target = submission_with(tmp_path, {"counter": HOSTILE / "escape_sequences_in_message.py"})
    summary = tmp_path / "summary.md"
    graded = grade(target, tmp_path, "--exercise", "counter", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert "\x1b[2J" in all_messages(graded, "counter"), "the JSON report keeps the exact text"
    for shown in (graded.stdout, summary.read_text()):
        assert "\x1b" not in shown and "\r" not in shown and "\x07" not in shown
        assert "\\x1b" in shown
    assert "<b>" not in summary.read_text() and "**passed**" not in summary.read_text()
