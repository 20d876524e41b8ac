"""The controlled scheduler: it finds the interleaving behind a race, shrinks it, replays it exactly,
and never fails or deadlocks a correct submission."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import explain
from grader.scheduler import RandomChooser
from tests.kit import ALTERNATIVES, MUTANTS, SOLUTIONS, grade, run_cli, submission_with

RACY = {
    "counter": ["no_lock", "check_then_act_outside_lock", "reset_in_two_steps", "lock_on_increment_only",
                "new_lock_per_call", "unlocked_decrement_split", "return_read_after_release"],
    "semaphore_pool": ["lazy_creation_race", "idle_list_without_lock"],
    "producer_consumer_threads": ["if_instead_of_while", "notify_in_close", "one_condition_with_notify",
                                  "single_sentinel"],
}
CORRECT = [(name, SOLUTIONS / f"{name}.py") for name in explain.SCENARIOS] + [
    (name, path) for name in explain.SCENARIOS for path in sorted((ALTERNATIVES / name).glob("*.py"))
]


def single(tmp_path: Path, exercise: str, source: Path) -> Path:
    """A folder holding just *source* as the exercise's module."""
    folder = tmp_path / "sub"
    folder.mkdir(exist_ok=True)
    shutil.copy(source, folder / f"{exercise}.py")
    return folder


@pytest.mark.parametrize(("exercise", "mutant"), [(e, m) for e, ms in RACY.items() for m in ms])
def test_a_race_is_found_shown_in_at_most_ten_steps_and_replayed_every_time(
    tmp_path: Path, exercise: str, mutant: str
) -> None:
    target = single(tmp_path, exercise, MUTANTS / exercise / f"{mutant}.py")
    found = explain.explain(target, exercise, seed=1)
    assert found is not None, "no failing schedule found"
    lines = found.text.splitlines()
    assert f"--replay {found.replay_id}" in lines[0]
    steps = [line for line in lines[1:-1] if line.startswith("  Thread-")]
    assert 2 <= len(steps) <= explain.MAX_STEPS, found.text
    assert len({line.split()[0] for line in steps}) >= 2, "a race needs two threads in its timeline"
    schedule = explain.Schedule.parse(exercise, found.replay_id)
    failures = {explain.replay(target, schedule).failure for _ in range(10)}
    assert failures == {lines[-1]}, "the replay must break the same invariant in 10 of 10 runs"


@pytest.mark.parametrize(("exercise", "path"), CORRECT, ids=[f"{e}-{p.parent.name}-{p.stem}" for e, p in CORRECT])
def test_correct_code_never_fails_or_deadlocks_under_the_scheduler(tmp_path: Path, exercise: str,
                                                                    path: Path) -> None:
    target = single(tmp_path, exercise, path)
    for scenario in explain.SCENARIOS[exercise]:
        for size in explain.SIZES:
            for seed in range(6):
                result = explain.run_once(target, scenario, size, RandomChooser(seed, p=0.3))
                assert not result.abandoned, f"{scenario.key} {size} seed {seed} did not finish"
                assert result.failure == "", f"{scenario.key} {size} seed {seed}: {result.failure}"
    assert explain.explain(target, exercise, seed=2, budget=2.0) is None


def test_the_search_runs_the_modules_top_level_code_once(tmp_path: Path) -> None:
    marker = tmp_path / "imports.log"
    source = tmp_path / "counter.py"
    source.write_text((MUTANTS / "counter" / "no_lock.py").read_text()
                      + f"\nwith open({str(marker)!r}, 'a') as _log:\n    _log.write('imported\\n')\n")
    target = single(tmp_path, "counter", source)
    assert explain.explain(target, "counter", seed=1) is not None
    assert marker.read_text().splitlines() == ["imported"], "one import for the whole search, not one per schedule"


@pytest.mark.parametrize("mutant", RACY["producer_consumer_threads"])
def test_a_lost_wake_up_or_unchecked_wake_up_ends_with_the_step_that_breaks(tmp_path: Path, mutant: str) -> None:
    target = single(tmp_path, "producer_consumer_threads", MUTANTS / "producer_consumer_threads" / f"{mutant}.py")
    found = explain.explain(target, "producer_consumer_threads", seed=1)
    assert found is not None
    lines = found.text.splitlines()
    assert all(len(line) <= explain.WIDTH for line in lines[1:-1]), found.text
    last_step = [line for line in lines[1:-1] if line.startswith("  Thread-")][-1]
    assert "raises" in last_step or "waits" in last_step or "reads" in last_step, found.text
    failing = lines[-1]
    assert ("deadlock" in failing and "notified" in failing) or "check again" in failing, failing


def test_the_same_choices_give_the_same_interleaving(tmp_path: Path) -> None:
    target = single(tmp_path, "counter", MUTANTS / "counter" / "no_lock.py")
    scenario = explain.SCENARIOS["counter"][0]
    runs = [explain.run_once(target, scenario, (3, 2), RandomChooser(11, p=0.2)) for _ in range(3)]
    shapes = {tuple((s.thread, s.lineno, tuple(s.notes)) for s in run.steps) for run in runs}
    assert len(shapes) == 1 and {run.failure for run in runs} == {runs[0].failure}


def test_a_lock_taken_twice_is_reported_as_a_deadlock_not_a_hang(tmp_path: Path) -> None:
    source = tmp_path / "counter.py"
    source.write_text(
        "import threading\n"
        "class Counter:\n"
        "    def __init__(self, start=0):\n"
        "        self._value, self._lock = start, threading.Lock()\n"
        "    @property\n"
        "    def value(self):\n"
        "        return self._value\n"
        "    def increment(self, amount=1):\n"
        "        with self._lock:\n"
        "            with self._lock:\n"
        "                self._value += amount\n"
        "                return self._value\n"
    )
    target = single(tmp_path, "counter", source)
    result = explain.run_once(target, explain.SCENARIOS["counter"][0], (2, 1), RandomChooser(0, p=0.3))
    assert result.failure.startswith("deadlock:"), result.failure


@pytest.mark.parametrize(
    ("text", "message"),
    [("nope.2x1", "they start with: inc"), ("inc.2y1", "copy it whole"), ("inc.2x1.1-5-3", "out of range"),
     ("inc.2x1.1-5", "copy it whole"), ("inc.2x1.2-5-2", "out of range")],
)
def test_a_bad_replay_id_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        explain.Schedule.parse("counter", text)


def test_replay_ids_round_trip() -> None:
    schedule = explain.Schedule(explain.SCENARIOS["semaphore_pool"][1], 3, 2, ((0, 4, 1), (2, 19, 0)))
    assert explain.Schedule.parse("semaphore_pool", schedule.replay_id) == schedule


@pytest.mark.slow
def test_grading_reports_the_timeline_and_replay_reproduces_it(tmp_path: Path) -> None:
    target = submission_with(tmp_path, {"counter": MUTANTS / "counter" / "no_lock.py"})
    graded = grade(target, tmp_path, "--exercise", "counter", "--seed", "5")
    explained = [t for t in graded.exercise("counter")["tests"] if t["replay"]]
    assert len(explained) == 1, graded.lost("counter")
    test = explained[0]
    assert test["details"].startswith("lost update in Counter.increment") and test["status"] == "failed"
    assert f"--replay {test['replay']}" in graded.stdout, "the table shows the timeline"
    for _ in range(2):
        proc = run_cli("--target", str(target), "--exercise", "counter", "--replay", test["replay"])
        assert proc.returncode == 0 and "reproduced" in proc.stdout, proc.stdout + proc.stderr
        assert test["details"].splitlines()[-1] in proc.stdout


@pytest.mark.parametrize(("source", "shown"), [
    ("self._value += amount  # the race", "self._value += amount"),
    ("self._leased[id(resource)] = resource", "self._leased[id(resource)] = ..."),
    ("resource = self._idle[-1] if self._idle else None", "resource = self._idle[-1] if ..."),
])
def test_timeline_source_drops_comments_and_is_cut_between_tokens(source: str, shown: str) -> None:
    assert explain.short_source(source) == shown
    assert len(shown) <= explain.SOURCE_WIDTH
