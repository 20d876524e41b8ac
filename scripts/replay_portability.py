"""Measure whether switch points named by source line replay across Python versions.

A replay ID names each switch by a thread's count of scheduling points (bytecode instructions),
which differs between versions. The portable alternative measured here names a switch by
(thread, source line, k-th scheduling point of that thread on that line). For every racy mutant
of the counter and the pool, it finds failing schedules on each Python given, names their switches
by line, and replays those names on every other Python; a replay that no longer breaks the
invariant would have been a wrong all-clear. The figures are quoted in grader/replay_id.py.

    python scripts/replay_portability.py python3.10 python3.11 python3.12 python3.13

Slow (a few minutes): it runs the interleaving search for 9 mutants on each Python.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
RACY = {
    "counter": ["no_lock", "check_then_act_outside_lock", "reset_in_two_steps", "lock_on_increment_only",
                "new_lock_per_call", "unlocked_decrement_split", "return_read_after_release"],
    "semaphore_pool": ["lazy_creation_race", "idle_list_without_lock"],
}
SEEDS = 2


def _line(folder: str) -> int:
    """The line of the submission's innermost frame (the scheduling point's line)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and not frame.f_code.co_filename.startswith(folder):
        frame = frame.f_back
    return frame.f_lineno if frame is not None else 0


def child(mode: str, target: Path, exercise: str, plans: str = "") -> None:
    """In one Python: ``find`` prints line-named schedules; ``replay`` prints which still fail."""
    sys.path.insert(0, str(ROOT))
    from grader import explain
    from grader.scheduler import Chooser, ReplayChooser

    folder = str(target.resolve())

    class ByLine(Chooser):
        """Counts each thread's points per line; switches where a line-named plan says."""

        def __init__(self, plan: dict[tuple[int, int, int], int], inner: Chooser | None = None) -> None:
            super().__init__()
            self.plan, self.inner, self.seen = plan, inner, {}
            self.names: dict[tuple[int, int], tuple[int, int, int]] = {}

        def choose(self, current: int, k: int, runnable: list[int]) -> int:  # type: ignore[override]
            key = (current, _line(folder))
            self.seen[key] = self.seen.get(key, 0) + 1
            self.names[(current, k)] = (*key, self.seen[key])
            if self.inner is not None:
                return self.inner.choose(current, k, runnable)
            to = self.plan.get(self.names[(current, k)], current)
            return to if to in runnable and to != current else current

    if mode == "find":
        found = []
        for seed in range(SEEDS):
            result = explain.search(target, exercise, seed, budget=6)
            if result is None:
                continue
            schedule = result[0]
            recorder = ByLine({}, ReplayChooser(schedule.switches))
            explain.run_once(target, schedule.scenario, (schedule.threads, schedule.calls), recorder)
            found.append({"key": schedule.scenario.key, "size": [schedule.threads, schedule.calls],
                          "plan": [[*recorder.names[(a, k)], b] for a, k, b in schedule.switches]})
        print(json.dumps(found))
        return
    scenarios = {s.key: s for s in explain.SCENARIOS[exercise]}
    for item in json.loads(plans):
        plan = {(t, line, n): to for t, line, n, to in item["plan"]}
        run = explain.run_once(target, scenarios[item["key"]], tuple(item["size"]), ByLine(plan))
        print("fails" if run.failure else "held")


def main(pythons: list[str]) -> None:
    total = held = 0
    with tempfile.TemporaryDirectory() as tmp:
        for exercise, mutants in RACY.items():
            for mutant in mutants:
                target = Path(tmp) / mutant
                target.mkdir()
                shutil.copy(ROOT / "tests" / "mutants" / exercise / f"{mutant}.py", target / f"{exercise}.py")
                run = lambda py, *args: subprocess.run(  # noqa: E731
                    [py, __file__, "--child", *args], capture_output=True, text=True, check=True).stdout
                found = {py: run(py, "find", str(target), exercise) for py in pythons}
                for source, plans in found.items():
                    for py in pythons:
                        if py == source:
                            continue
                        verdicts = run(py, "replay", str(target), exercise, plans).split()
                        total += len(verdicts)
                        held += verdicts.count("held")
                        if "held" in verdicts:
                            print(f"{exercise}/{mutant}: found on {source}, replayed on {py}: "
                                  f"{verdicts.count('held')} of {len(verdicts)} held")
    print(f"{total - held} of {total} cross-version replays by line broke the invariant again; {held} did not")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], Path(sys.argv[3]), sys.argv[4], *sys.argv[5:6])
    else:
        main(sys.argv[1:])
