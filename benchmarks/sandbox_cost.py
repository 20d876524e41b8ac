"""What bubblewrap costs: grade solutions/ with --sandbox bwrap and --sandbox none, alternately.

    python benchmarks/sandbox_cost.py [--rounds 3] [--exercise counter ...]

Each round grades the same folder with the same seed once per mode, in alternating order, so both
modes see the same machine load; the result is the ratio of the median wall-clock times
(bwrap / none). Timing is a benchmark, never a pass/fail bound: nothing in the kit's tests reads it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def grade_once(mode: str, target: Path, seed: int, exercises: list[str]) -> tuple[float, dict[str, object]]:
    """Seconds one `python -m grader` run takes in *mode*, and its report."""
    with tempfile.TemporaryDirectory(prefix="sandbox-cost-") as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "grader", "--target", str(target), "--quiet", "--seed", str(seed),
                   "--sandbox", mode, "--json", str(report), *[a for e in exercises for a in ("--exercise", e)]]
        started = time.monotonic()
        proc = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True, timeout=1800)
        seconds = time.monotonic() - started
        if proc.returncode != 0 or not report.exists():
            raise SystemExit(f"grading with --sandbox {mode} failed:\n{proc.stderr[-2000:]}")
        return seconds, json.loads(report.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="gradings per mode (default 3)")
    parser.add_argument("--target", default=str(ROOT / "solutions"))
    parser.add_argument("--exercise", action="append", default=[], help="only this exercise (repeatable)")
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"bwrap": [], "none": []}
    for round_ in range(args.rounds):
        order = ("bwrap", "none") if round_ % 2 == 0 else ("none", "bwrap")
        for mode in order:
            seconds, report = grade_once(mode, Path(args.target).resolve(), args.seed, args.exercise)
            if report.get("sandbox") != mode:
                raise SystemExit(f"asked for --sandbox {mode}, the report says {report.get('sandbox')!r}")
            times[mode].append(seconds)
            print(f"round {round_ + 1} {mode:>5}: {seconds:6.1f} s  score {report['score']}/{report['max_score']}",
                  flush=True)
    bwrap, none = statistics.median(times["bwrap"]), statistics.median(times["none"])
    print(f"median bwrap {bwrap:.1f} s, none {none:.1f} s: ratio {bwrap / none:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
