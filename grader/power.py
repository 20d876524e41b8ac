"""``nox -s power``: measure the grader's power to tell buggy code from correct code.

Grades every mutant (tests/mutants/<exercise>/*.py, each swapped into a copy of solutions/) N
times and the reference solutions M times, all at the default grading settings with a fresh seed
each run, and prints one table: each mutant, its exercise, the share of gradings that caught it,
the median grading time; then the solutions' false failures. Exit status 1 when a mutant is caught
in less than 99% of runs or a solution ever fails: a grader that misses a race, or fails a correct
submission, gives a student a wrong grade.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from grader import catalog
from grader.cli import stop_on_sigterm
from grader.report import ExerciseResult
from grader.runner import grade_exercise

REQUIRED_CATCH_RATE = 0.99


@dataclass
class Tally:
    """Outcomes of the repeated gradings of one submission."""

    label: str
    exercise: str
    runs: int = 0
    failed: int = 0  # gradings with less than full marks in the exercise
    durations: list[float] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)  # a few messages of lost points

    def add(self, result: ExerciseResult) -> None:
        self.runs += 1
        self.durations.append(result.duration)
        if result.score < result.max_score:
            self.failed += 1
            lost = [f"{t.name}: {t.message}" for t in result.tests if t.status.value != "passed"]
            if len(self.examples) < 3 and lost:
                self.examples.append(lost[0][:160])

    @property
    def rate(self) -> float:
        return self.failed / self.runs if self.runs else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.durations) if self.durations else 0.0


@contextmanager
def swapped(solutions: Path, exercise: str, module: Path | None) -> Iterator[Path]:
    """A temporary copy of *solutions* with *module* as the exercise's file."""
    folder = Path(tempfile.mkdtemp(prefix="grader-power-"))
    try:
        for path in solutions.glob("*.py"):
            shutil.copy(path, folder / path.name)
        if module is not None:
            shutil.copy(module, folder / f"{exercise}.py")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(tally: Tally, target: Path, runs: int, jobs: int, rng: random.Random, fail_fast: bool) -> None:
    """Grade tally.exercise of *target* *runs* times, *jobs* at once.

    Mutants are graded with fail_fast (caught at the first lost point: the verdict is the same,
    and a deadlocking mutant costs one hang instead of one per check); solutions in full.
    """
    exercise = catalog.get(tally.exercise)
    seeds = [rng.randrange(1, 2**31) for _ in range(runs)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        grade = lambda seed: grade_exercise(exercise, target, seed=seed, fail_fast=fail_fast)  # noqa: E731
        for result in pool.map(grade, seeds):
            tally.add(result)


def mutant_files(mutants: Path, names: Sequence[str]) -> list[tuple[str, Path]]:
    return [(name, path) for name in names for path in sorted((mutants / name).glob("*.py"))]


def table(mutant_tallies: Sequence[Tally], solution_tallies: Sequence[Tally]) -> str:
    lines = [f"{'mutant':<58} {'exercise':<28} {'caught':>8} {'median s':>9}"]
    for tally in mutant_tallies:
        flag = "" if tally.rate >= REQUIRED_CATCH_RATE else "   <-- below 99%"
        lines.append(
            f"{tally.label:<58} {tally.exercise:<28} {tally.failed:>3}/{tally.runs:<4} {tally.median:>9.2f}{flag}"
        )
    lines.append("")
    lines.append(f"{'solutions':<58} {'exercise':<28} {'failed':>8} {'median s':>9}")
    for tally in solution_tallies:
        flag = "" if tally.failed == 0 else "   <-- FALSE FAILURES"
        lines.append(
            f"{tally.label:<58} {tally.exercise:<28} {tally.failed:>3}/{tally.runs:<4} {tally.median:>9.2f}{flag}"
        )
        lines += [f"    e.g. {example}" for example in tally.examples]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.power", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutant-runs", type=int, default=50, help="gradings per mutant (default 50)")
    parser.add_argument("--solution-runs", type=int, default=200, help="gradings of solutions/ (default 200)")
    parser.add_argument("--mutants", default="tests/mutants", help="folder of mutants (default tests/mutants)")
    parser.add_argument("--solutions", default="solutions", help="reference solutions (default solutions)")
    parser.add_argument("--exercise", action="append", default=[], help="only this exercise (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="gradings at once (default 2)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the seeds (default random)")
    args = parser.parse_args(argv)
    stop_on_sigterm()  # a killed measurement still removes its temporary copies
    solutions, mutants = Path(args.solutions).resolve(), Path(args.mutants).resolve()
    if not solutions.is_dir() or not mutants.is_dir():
        print(f"power: error: need folders {args.solutions} and {args.mutants}", file=sys.stderr)
        return 2
    try:
        names = [catalog.get(n).name for n in args.exercise] or [e.name for e in catalog.EXERCISES]
    except KeyError as exc:
        print(f"power: error: {exc.args[0]}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    started = time.monotonic()
    mutant_tallies = []
    for name, path in mutant_files(mutants, names):
        tally = Tally(f"{name}/{path.stem}", name)
        with swapped(solutions, name, path) as target:
            measure(tally, target, args.mutant_runs, args.jobs, rng, fail_fast=True)
        print(f"  {tally.label}: caught {tally.failed}/{tally.runs}", file=sys.stderr, flush=True)
        mutant_tallies.append(tally)
    solution_tallies = []
    for name in names:
        tally = Tally(f"solutions/{name}", name)
        measure(tally, solutions, args.solution_runs, args.jobs, rng, fail_fast=False)
        print(f"  {tally.label}: failed {tally.failed}/{tally.runs}", file=sys.stderr, flush=True)
        solution_tallies.append(tally)
    print(table(mutant_tallies, solution_tallies))
    print(f"\n{time.monotonic() - started:.0f} s in all")
    weak = [t for t in mutant_tallies if t.rate < REQUIRED_CATCH_RATE]
    false = [t for t in solution_tallies if t.failed]
    return 1 if weak or false else 0


if __name__ == "__main__":
    sys.exit(main())
