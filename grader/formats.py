"""Score files for the places instructors collect grades: Gradescope, JUnit, GitHub.

Every writer reads the same ``Report``, so the files agree with the JSON report by construction.
They only read it: no format decides a score.
"""

from __future__ import annotations

import base64
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from grader import sanitize
from grader.report import (
    ExerciseResult,
    Report,
    Status,
    TestResult,
    _number,
    failure_context,
    write_text_atomic,
)

# Gradescope shows a hidden stress test's result only after the due date, so a student cannot
# probe the hidden suite by resubmitting; visible checks show at once.
GRADESCOPE_VISIBILITY = {False: "visible", True: "after_due_date"}


def _test_output(test: TestResult) -> str:
    """What a student reads about one check: the message, then the diagnostics (escaped: the
    platforms show it in a browser or a log that honours escape sequences, and XML 1.0 cannot hold
    control characters at all)."""
    context = failure_context(test)
    runs = f"{context[0].upper()}{context[1:]}. " if context else ""
    return sanitize.control("\n\n".join(part for part in (runs + test.message, test.details) if part))


def _test_name(exercise: ExerciseResult, test: TestResult) -> str:
    return f"{exercise.name}: {test.name}"


def gradescope(report: Report) -> dict[str, Any]:
    """Gradescope's results.json: top-level score and output, one entry per check."""
    tests = []
    for exercise in report.exercises:
        for test in exercise.tests:
            tests.append({
                "name": _test_name(exercise, test),
                "score": _number(test.score),
                "max_score": _number(test.max_score),
                "status": "passed" if test.status == Status.PASSED else "failed",
                "output": _test_output(test),
                "visibility": GRADESCOPE_VISIBILITY[test.hidden],
            })
    notes = [f"{e.name}: {sanitize.control(e.message)}" for e in report.exercises if e.message]
    return {
        "score": _number(report.score),
        "execution_time": round(report.duration, 3),
        "output": "\n".join([f"Concurrency kit: {report.score:g} / {report.max_score:g} "
                             f"(seed {report.seed})", *notes]),
        "tests": tests,
    }


def junit(report: Report) -> ET.Element:
    """JUnit XML: one testsuite per exercise, one testcase per check; points in properties."""
    root = ET.Element("testsuites", name="concurrency-kit", tests=str(sum(len(e.tests) for e in report.exercises)),
                      time=f"{report.duration:.3f}")
    for exercise in report.exercises:
        failures = sum(t.status in (Status.FAILED, Status.TIMEOUT) for t in exercise.tests)
        errors = sum(t.status == Status.ERROR for t in exercise.tests)
        suite = ET.SubElement(root, "testsuite", name=exercise.name, tests=str(len(exercise.tests)),
                              failures=str(failures), errors=str(errors), time=f"{exercise.duration:.3f}")
        props = ET.SubElement(suite, "properties")
        for key, value in (("score", exercise.score), ("max_score", exercise.max_score),
                           ("status", exercise.status.value), ("seed", report.seed)):
            ET.SubElement(props, "property", name=key, value=f"{value:g}" if isinstance(value, float) else str(value))
        for test in exercise.tests:
            case = ET.SubElement(suite, "testcase", classname=exercise.name, name=test.name)
            if test.status == Status.PASSED:
                continue
            tag = "error" if test.status == Status.ERROR else "failure"
            element = ET.SubElement(case, tag, message=sanitize.control(test.message) or test.status.value,
                                    type=test.status.value)
            element.text = _test_output(test)
    return root


def junit_text(report: Report) -> str:
    root = junit(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def markdown_summary(report: Report) -> str:
    """A Markdown score table for GitHub's job summary page."""
    lines = ["### Concurrency kit grade", "", "| exercise | score | what went wrong |", "|---|---|---|"]
    for exercise in report.exercises:
        lost = [f"{t.name}: {t.message}" for t in exercise.tests if t.status != Status.PASSED]
        why = exercise.message or (lost[0] if len(lost) == 1 else f"{len(lost)} checks lost; first: {lost[0]}"
                                   if lost else "")
        lines.append(f"| {sanitize.markdown(exercise.name)} | {exercise.score:g} / {exercise.max_score:g} "
                     f"| {sanitize.markdown(why)} |")
    lines.append(f"| **total** | **{report.score:g} / {report.max_score:g}** | seed {report.seed} |")
    if report.not_graded:
        lines += ["", f"{report.not_graded:g} more points are graded by your instructor (hidden stress checks)."]
    return "\n".join(lines) + "\n"


def classroom(report: Report) -> dict[str, Any]:
    """The payload GitHub Classroom's autograding reporter decodes: each check with its own score."""
    tests = []
    for exercise in report.exercises:
        for test in exercise.tests:
            tests.append({
                "name": _test_name(exercise, test),
                "status": "pass" if test.status == Status.PASSED else "fail",
                "score": _number(test.score),
                "max_score": _number(test.max_score),
                "message": sanitize.control(test.message),  # shown in the Actions log, which honours ANSI
                "line_no": 0,
                "execution_time": "",
            })
    passed = report.score == report.max_score
    return {"version": 1, "status": "pass" if passed else "fail", "max_score": _number(report.max_score),
            "tests": tests}


def classroom_result(report: Report) -> str:
    """The base64 string of the ``result`` step output that the reporter reads."""
    return base64.b64encode(json.dumps(classroom(report)).encode()).decode("ascii")


def write_gradescope(report: Report, path: str | os.PathLike[str]) -> None:
    write_text_atomic(Path(path), json.dumps(gradescope(report), indent=2) + "\n")


def write_junit(report: Report, path: str | os.PathLike[str]) -> None:
    write_text_atomic(Path(path), junit_text(report))


def append_step_summary(report: Report, environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Append the Markdown table to $GITHUB_STEP_SUMMARY when it is set; True if written."""
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(markdown_summary(report))
    return True


def emit_classroom(report: Report, environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """Print ``result=...`` and, inside GitHub Actions, set it as the step's output."""
    line = f"result={classroom_result(report)}"
    output = environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as step_output:
            step_output.write(line + "\n")
    return line
