"""The student's loop: list (progress, next), hint (in steps), watch (regrade on save, Ctrl-C ends it)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from grader import catalog, loop
from tests.kit import EXERCISES, MUTANTS, ROOT, SOLUTIONS


def report_entry(name: str, score: float, messages: list[str]) -> dict[str, object]:
    tests = [{"status": "failed", "message": m} for m in messages] or [{"status": "passed", "message": ""}]
    return {"name": name, "score": score, "max_score": 20, "tests": tests}


@pytest.fixture
def target(tmp_path: Path) -> Path:
    folder = tmp_path / "exercises"
    shutil.copytree(EXERCISES, folder)
    (tmp_path / "noxfile.py").write_text("")  # a project folder, like the student's clone
    return folder


def test_no_state_is_written_beside_a_folder_outside_a_project(tmp_path: Path) -> None:
    folder = tmp_path / "submission"
    shutil.copytree(EXERCISES, folder)
    loop.record(folder, [report_entry("counter", 20, [])])
    assert not (tmp_path / ".grader").exists()


def test_list_shows_each_state_and_the_next_exercise(target: Path) -> None:
    loop.record(target, [report_entry("downloader", 20, []),
                         report_entry("counter", 8, ["689 of 2000 increments were lost"]),
                         report_entry("semaphore_pool", 0, ["not implemented yet: ResourcePool.__init__ ..."])])
    text = loop.list_text(target, "nox -s grade --")
    states = {line.split()[1]: line for line in text.splitlines() if line[:3].strip().isdigit()}
    assert "passing" in states["downloader"] and "20 / 20" in states["downloader"]
    assert "failing" in states["counter"] and "8 / 20" in states["counter"]
    assert "not started" in states["semaphore_pool"] and "not started" in states["producer_consumer_threads"]
    assert "Next: counter" in text and "nox -s watch -- counter" in text and "nox -s hint -- counter" in text


def test_list_says_when_a_module_was_edited_after_its_grading(target: Path) -> None:
    loop.record(target, [report_entry("counter", 8, ["lost"])])
    assert "edited since" not in loop.list_text(target, "python -m grader")
    with (target / "counter.py").open("a") as file:
        file.write("# a change\n")
    assert "edited since" in loop.list_text(target, "python -m grader")


def test_the_state_file_is_beside_the_submission_and_ignored_by_git(target: Path) -> None:
    loop.record(target, [report_entry("counter", 20, [])])
    state = target.parent / ".grader" / "exercises.json"
    assert json.loads(state.read_text())["exercises"]["counter"]["state"] == "passing"
    assert (target.parent / ".grader" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_broken_state_file_reads_as_nothing_graded(target: Path) -> None:
    state = loop.state_file(target)
    state.parent.mkdir()
    state.write_text("{not json")
    assert all(row.state == loop.NOT_STARTED for row in loop.rows(target))


def test_each_hint_request_shows_one_more_step_until_all_are_shown(target: Path) -> None:
    steps = loop.hint_steps(catalog.get("counter"))
    assert len(steps) >= 3 and steps[0] == catalog.get("counter").hint
    for count in range(1, len(steps) + 2):
        text = loop.hint_text(target, "counter", show_all=False, width=80)
        shown = min(count, len(steps))
        assert f"hint {shown} of {len(steps)}" in text
        assert f"  {shown}. " in text and f"  {shown + 1}. " not in text
    assert max(len(line) for line in text.splitlines()) <= 78


def test_hint_all_shows_every_step_at_once(target: Path) -> None:
    text = loop.hint_text(target, "semaphore_pool", show_all=True, width=80)
    steps = loop.hint_steps(catalog.get("semaphore_pool"))
    assert f"  {len(steps)}. " in text and "ask again" not in text


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_grading_records_the_state_that_list_reads(target: Path) -> None:
    graded = run_module("--exercise", "counter", "--quiet", cwd=target.parent)
    assert graded.returncode == 0, graded.stderr
    listed = run_module("list", cwd=target.parent)
    assert listed.returncode == 0 and "Next: downloader" in listed.stdout
    counter = next(line for line in listed.stdout.splitlines() if " counter " in line)
    assert "not started" in counter, "an untouched stub is not started, though it was graded"


def test_list_and_hint_need_no_pytest(target: Path) -> None:
    """`nox -s list` runs in nox's own interpreter: the two commands import only the standard library."""
    code = ("import sys, runpy; sys.modules['pytest'] = None; sys.argv = ['grader', 'hint', 'counter'];"
            "runpy.run_module('grader', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=target.parent, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=False)
    assert proc.returncode == 0 and "hint 1 of" in proc.stdout, proc.stderr


def wait_for(path: Path, predicate: Callable[[str], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 90
    while not predicate(path.read_text(errors="replace")):
        assert proc.poll() is None, f"watch ended before {what}:\n{path.read_text(errors='replace')}"
        assert time.monotonic() < deadline, f"no {what} within 90 s:\n{path.read_text(errors='replace')}"
        time.sleep(0.2)


@pytest.mark.slow
def test_watch_regrades_a_saved_module_and_ctrl_c_ends_it_cleanly(target: Path, tmp_path: Path) -> None:
    pytest.importorskip("watchfiles")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    out = tmp_path / "watch.txt"
    with out.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "grader", "watch", "counter"], cwd=target.parent,
                                env=env, stdout=sink, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(out, lambda text: "watching counter.py" in text, proc, "the first grading")
        shutil.copy(MUTANTS / "counter" / "validation_after_mutation.py", target / "counter.py")
        wait_for(out, lambda text: "TOTAL" in text.partition("saved at")[2], proc, "a regrade after the save")
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = out.read_text()
    assert proc.returncode == 0 and text.rstrip().endswith("watch stopped")
    assert "not implemented yet" not in text.partition("saved at")[2]
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # nothing of the watch's session is left running


def test_grading_solutions_keeps_a_state_apart_from_the_exercises() -> None:
    assert loop.state_file(SOLUTIONS) != loop.state_file(EXERCISES)
