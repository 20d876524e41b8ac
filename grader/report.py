"""The grading data model and the JSON report of SPEC section 6.

Results are plain dataclasses: the runner fills them from the child's events, the terminal table,
the JSON report and the other score formats (``formats.py``) only read them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any


class Status(str, Enum):
    """A test's outcome, as pinned in SPEC section 6."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"


class ExerciseStatus(str, Enum):
    """How grading of one exercise went, for the class-wide CSV."""

    GRADED = "graded"
    IMPORT_ERROR = "could not import"
    TIMED_OUT = "timed out"
    NOT_SUBMITTED = "not submitted"  # the module is not in the submission folder: nothing was run
    NOT_ATTEMPTED = "not attempted"  # the module is still the stub (grader.stubs): nothing was run


@dataclass
class TestResult:
    """One check of one exercise: its points and why they were lost."""

    __test__ = False  # a result, not a pytest test class, whatever its name

    name: str  # the check's title, e.g. "no lost updates under stress"
    id: str  # the pytest function name
    status: Status
    score: float
    max_score: float
    runs: int = 0  # repetitions that ran
    failed_runs: int = 0
    message: str = ""  # one or two sentences a student can act on; "" when passed
    hidden: bool = False
    tier: str = "visible"  # grader.catalog's Tier: visible, practice or hidden
    details: str = ""  # longer diagnostics: thread stacks of a timeout, a timeline
    replay: str = ""  # a schedule ID for `--replay`, when one was found
    # The parametrised case that failed, e.g. "amount=True": a deterministic failure of one input,
    # not a run out of many (repetitions are *runs*, cases are not).
    failed_case: str = ""
    repetitions: int = 1  # runs the check must pass (the catalog's Check.runs)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


def failure_context(test: TestResult | dict[str, Any]) -> str:
    """Which input or which run failed, for every output: "fails for amount=True" for a
    parametrised case, "failed in run 4 of 15" for a repeated stress check, "" otherwise."""
    get = test.get if isinstance(test, dict) else lambda key, default=None: getattr(test, key, default)
    if get("status") in (Status.PASSED, Status.PASSED.value):
        return ""
    if get("failed_case"):
        return f"fails for {get('failed_case')}"
    repetitions, runs = get("repetitions", 1) or 1, get("runs", 0) or 0
    if repetitions > 1 and runs:
        return f"failed in run {min(runs, repetitions)} of {repetitions}"
    return ""


@dataclass
class ExerciseResult:
    """All checks of one exercise."""

    name: str
    title: str
    score: float
    max_score: float
    tests: list[TestResult]
    status: ExerciseStatus = ExerciseStatus.GRADED
    message: str = ""  # exercise-wide problem: import error, tampering, budget exhausted
    duration: float = 0.0
    # Points of the exercise's checks that did not run here (in the student edition, the hidden
    # stress checks): max_score counts only the checks that ran, so this says what is missing.
    not_graded: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["tests"] = [test.to_dict() for test in self.tests]
        return data


@dataclass
class Report:
    """A whole grading run: what SPEC's ``--json`` writes."""

    exercises: list[ExerciseResult]
    target: str
    seed: int
    duration: float = 0.0
    hidden_tests: bool = True  # False in the student edition, where only visible and practice checks exist
    interrupted: bool = False
    sandbox: str = "none"  # the grader.sandbox mode that graded: "bwrap" or "none"
    grader_version: str = field(default_factory=lambda: _version())
    # The Python that graded (grader.interpreter): version, and whether it was free-threaded and
    # the GIL on. The children that run the checks are started with this same interpreter.
    interpreter: dict[str, Any] = field(default_factory=lambda: _interpreter())

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 2)

    @property
    def max_score(self) -> float:
        return round(sum(e.max_score for e in self.exercises), 2)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def not_graded(self) -> float:
        """Points of checks that did not run here: they are graded by the instructor."""
        return round(sum(e.not_graded for e in self.exercises), 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": _number(self.score),
            "max_score": _number(self.max_score),
            "exercises": [e.to_dict() for e in self.exercises],
            "target": self.target,
            "seed": self.seed,
            "duration": round(self.duration, 3),
            "hidden_tests": self.hidden_tests,
            "not_graded": _number(self.not_graded),
            "interrupted": self.interrupted,
            "sandbox": self.sandbox,
            "grader_version": self.grader_version,
            "interpreter": self.interpreter,
        }

    def write_json(self, path: str | os.PathLike[str]) -> None:
        """Write the report atomically: a reader never sees half a file."""
        write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")


def _number(value: float) -> float | int:
    """20.0 -> 20, so the JSON reads like SPEC's example."""
    return int(value) if float(value).is_integer() else value


def _version() -> str:
    from grader import __version__

    return __version__


def _interpreter() -> dict[str, Any]:
    from grader import interpreter

    return interpreter.describe()


def write_text_atomic(path: Path, text: str) -> None:
    """Write *text* to *path* through a temporary file in the same folder and os.replace()."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def validate(data: dict[str, Any]) -> list[str]:
    """Problems with *data* as a SPEC section 6 report ([] when valid).

    Used by the kit's tests and by ``merge`` to refuse a file that is not a report.
    """
    problems: list[str] = []

    def need(obj: dict[str, Any], key: str, kinds: tuple[type, ...], where: str) -> None:
        if key not in obj:
            problems.append(f"{where}: missing {key!r}")
        elif not isinstance(obj[key], kinds) or isinstance(obj[key], bool) and bool not in kinds:
            problems.append(f"{where}: {key!r} should be {'/'.join(k.__name__ for k in kinds)}")

    need(data, "score", (int, float), "report")
    need(data, "max_score", (int, float), "report")
    need(data, "exercises", (list,), "report")
    for i, exercise in enumerate(data.get("exercises") or []):
        where = f"exercises[{i}]"
        for key in ("score", "max_score"):
            need(exercise, key, (int, float), where)
        need(exercise, "name", (str,), where)
        need(exercise, "tests", (list,), where)
        for j, test in enumerate(exercise.get("tests") or []):
            twhere = f"{where}.tests[{j}]"
            need(test, "name", (str,), twhere)
            need(test, "status", (str,), twhere)
            need(test, "message", (str,), twhere)
            for key in ("score", "max_score", "runs", "failed_runs"):
                need(test, key, (int, float), twhere)
            if test.get("status") not in {s.value for s in Status}:
                problems.append(f"{twhere}: status {test.get('status')!r} is not one of passed/failed/error/timeout")
    return problems
