"""Helpers for the kit's own tests: build submission folders and grade them like a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
MUTANTS = ROOT / "tests" / "mutants"
HOSTILE = ROOT / "tests" / "hostile"
ALTERNATIVES = ROOT / "tests" / "alternatives"


@dataclass
class Graded:
    """One finished `python -m grader` run."""

    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None

    def exercise(self, name: str) -> dict[str, Any]:
        assert self.report is not None, f"no report; stderr:\n{self.stderr[-2000:]}"
        for exercise in self.report["exercises"]:
            if exercise["name"] == name:
                return exercise
        raise KeyError(name)

    def lost(self, name: str) -> list[str]:
        """'title: message' of every check of *name* that did not pass (for assertion messages)."""
        return [
            f"{t['name']}: {t['status']} {t['message']}"
            for t in self.exercise(name)["tests"]
            if t["status"] != "passed"
        ]


def submission_with(tmp_path: Path, replacements: dict[str, Path], base: Path = SOLUTIONS) -> Path:
    """A copy of *base* (the five modules) with some modules replaced: {exercise name: file}."""
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    for module in base.glob("*.py"):
        shutil.copy(module, folder / module.name)
    for name, source in replacements.items():
        shutil.copy(source, folder / f"{name}.py")
    return folder


def grade(
    target: Path, tmp_path: Path, *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> Graded:
    """Run `python -m grader --target TARGET --json ...` as a user would, and parse the report."""
    report_path = tmp_path / "report.json"
    report_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "grader", "--target", str(target), "--json", str(report_path), "--quiet", *args]
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    return Graded(proc.returncode, proc.stdout, proc.stderr, report)


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m grader ARGS` from the kit's root, output captured (for CLI errors and options)."""
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def case_files(folder: Path, exercise: str) -> list[Path]:
    """The .py files under folder/exercise, sorted, for parametrizing tests."""
    return sorted((folder / exercise).glob("*.py"))
