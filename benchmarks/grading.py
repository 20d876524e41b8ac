"""How long grading takes: solutions/ and a set of the kit's mutants, with ratios (a benchmark, not a test).

    python benchmarks/grading.py                 # every case once
    python benchmarks/grading.py --runs 3        # median of three
    python benchmarks/grading.py --only counter  # cases whose name contains "counter"
    python benchmarks/grading.py --nox           # also nox -s grade against python -m grader

Each case is one ``python -m grader --exercise NAME`` process on a copy of solutions/ with one module
replaced by a mutant, timed from start to exit. The ratio compares it with grading the same exercise
of solutions/, measured in the same run: a wrong submission should be told about as fast as a right
one. Figures depend on the machine and its load: compare ratios, not seconds, between machines.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
MUTANTS = ROOT / "tests" / "mutants"


def if_and_notify_in_close() -> str:
    """`if` instead of `while` in put/get, and notify() instead of notify_all() in close(): two bugs at once."""
    source = (MUTANTS / "producer_consumer_threads" / "if_instead_of_while.py").read_text(encoding="utf-8")
    head, sep, close = source.partition("    def close(self)")
    assert sep and "notify_all()" in close, "the if_instead_of_while mutant changed: update this case"
    body, rest_sep, rest = close.partition("\n    def ")
    return head + sep + body.replace("notify_all()", "notify()") + rest_sep + rest


@dataclass(frozen=True)
class Case:
    name: str
    exercise: str
    module: Callable[[], str] | None = None  # the replaced module's source; None: the solution


def mutant(exercise: str, name: str) -> Case:
    path = MUTANTS / exercise / f"{name}.py"
    return Case(f"{exercise}/{name}", exercise, lambda: path.read_text(encoding="utf-8"))


EXERCISES = ("downloader", "counter", "semaphore_pool", "producer_consumer_threads", "producer_consumer_processes")
CASES = [
    *(Case(f"{name} (solution)", name) for name in EXERCISES),
    mutant("counter", "no_lock"),
    mutant("counter", "lock_on_increment_only"),
    mutant("semaphore_pool", "idle_list_without_lock"),
    mutant("producer_consumer_threads", "if_instead_of_while"),
    mutant("producer_consumer_threads", "notify_in_close"),
    Case("producer_consumer_threads/if+notify_in_close", "producer_consumer_threads", if_and_notify_in_close),
    mutant("producer_consumer_threads", "one_condition_with_notify"),
    mutant("producer_consumer_processes", "death_not_detected"),
]


def grade(target: Path, exercises: list[str], extra: list[str]) -> tuple[float, float, float]:
    """(seconds, score, max score) of one grading process."""
    report = target.parent / f"report-{time.monotonic_ns()}.json"
    args = [arg for name in exercises for arg in ("--exercise", name)]
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "grader", "--target", str(target), *args, "--quiet", "--no-state",
                    "--json", str(report), *extra], cwd=ROOT, stdout=subprocess.DEVNULL, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.monotonic() - started
    data = json.loads(report.read_text(encoding="utf-8"))
    return seconds, data["score"], data["max_score"]


def submission(workdir: Path, case: Case) -> Path:
    folder = workdir / case.name.replace("/", "__").replace(" ", "_")
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    if case.module is not None:
        (folder / f"{case.exercise}.py").write_text(case.module(), encoding="utf-8")
    return folder


def timed(runs: int, job: Callable[[], tuple[float, float, float]]) -> tuple[float, float, float]:
    results = [job() for _ in range(runs)]
    return statistics.median(r[0] for r in results), results[-1][1], results[-1][2]


def nox_overhead(runs: int) -> None:
    """nox -s grade against python -m grader on the same exercise (the venv is made by a first, untimed run)."""
    command = ["nox", "-s", "grade", "--", "--exercise", "counter", "--target", "solutions", "--quiet", "--no-state"]
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    times: dict[str, list[float]] = {"nox -s grade": [], "python -m grader": []}
    for _ in range(runs):
        for label, cmd in (("nox -s grade", command), ("python -m grader", [sys.executable, "-m", "grader",
                                                                            *command[4:]])):
            started = time.monotonic()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
            times[label].append(time.monotonic() - started)
    nox, direct = (statistics.median(times[k]) for k in times)
    print(f"\nnox -s grade -- --exercise counter: {nox:.2f} s; python -m grader: {direct:.2f} s; "
          f"overhead {nox - direct:+.2f} s ({100 * (nox - direct) / direct:+.0f}%)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="gradings per case; the median is shown")
    parser.add_argument("--only", default="", help="only the cases whose name contains this")
    parser.add_argument("--no-full", action="store_true", help="skip grading the whole solutions/ folder")
    parser.add_argument("--nox", action="store_true", help="also measure nox -s grade's overhead")
    parser.add_argument("grader_args", nargs="*", help="more options for every grading (after --)")
    args = parser.parse_args()
    cases = [c for c in CASES if args.only in c.name]
    solution_time: dict[str, float] = {}
    print(f"{'case':<50} {'seconds':>8} {'score':>9} {'x solution':>11}")
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        workdir = Path(tmp)
        if not args.no_full and not args.only:
            full = submission(workdir, Case("solutions (all five)", ""))
            seconds, score, top = timed(args.runs, lambda: grade(full, [], args.grader_args))
            print(f"{'solutions/ (all five exercises)':<50} {seconds:>8.1f} {score:>4g}/{top:<4g}")
        for case in cases:
            folder = submission(workdir, case)
            job = functools.partial(grade, folder, [case.exercise], args.grader_args)
            seconds, score, top = timed(args.runs, job)
            if case.module is None:
                solution_time[case.exercise] = seconds
            base = solution_time.get(case.exercise)
            ratio = f"{seconds / base:>10.1f}x" if base else f"{'':>11}"
            print(f"{case.name:<50} {seconds:>8.1f} {score:>4g}/{top:<4g} {ratio}", flush=True)
    if args.nox:
        nox_overhead(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
