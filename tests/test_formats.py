"""Score files (Gradescope, JUnit, GitHub Classroom, step summary) agree with the JSON report."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader import formats
from grader.report import ExerciseResult, ExerciseStatus, Report, Status, TestResult
from tests.kit import HOSTILE, MUTANTS, grade, submission_with


def sample_report() -> Report:
    """One exercise with a passed visible check and a failed hidden stress check."""
    tests = [
        TestResult("counts up and down", "test_a", Status.PASSED, 3, 3, runs=1),
        TestResult("no lost updates", "test_b", Status.FAILED, 0, 4, runs=7, failed_runs=1,
                   message="412 of 160,000 increments were lost", hidden=True, details="stack | here",
                   repetitions=50),
        TestResult("never hangs", "test_c", Status.TIMEOUT, 0, 2, runs=1, message="did not finish"),
        TestResult("no crash", "test_d", Status.ERROR, 0, 1, runs=1, message="ValueError"),
    ]
    exercise = ExerciseResult("counter", "Lock-protected counter", 3, 10, tests, duration=1.5)
    return Report(exercises=[exercise], target="/x", seed=42, duration=2.0)


def test_gradescope_results_have_the_documented_fields_and_scores() -> None:
    data = formats.gradescope(sample_report())
    assert data["score"] == 3 and data["execution_time"] == 2.0 and "seed 42" in data["output"]
    assert [t["status"] for t in data["tests"]] == ["passed", "failed", "failed", "failed"]
    assert [t["score"] for t in data["tests"]] == [3, 0, 0, 0]
    assert sum(t["max_score"] for t in data["tests"]) == 10
    assert [t["visibility"] for t in data["tests"]] == ["visible", "after_due_date", "visible", "visible"]
    assert "Failed in run 7 of 50. 412 of 160,000" in data["tests"][1]["output"]


def test_a_failed_parametrised_case_is_named_not_counted_as_a_failed_run() -> None:
    report = sample_report()
    report.exercises[0].tests[3] = TestResult("bad amounts are refused", "test_d", Status.FAILED, 0, 1, runs=4,
                                              failed_runs=1, message="increment(True) was accepted",
                                              failed_case="amount=True")
    output = formats.gradescope(report)["tests"][3]["output"]
    assert output.startswith("Fails for amount=True. increment(True)") and "runs" not in output


def test_junit_counts_failures_and_errors_and_carries_the_points() -> None:
    root = ET.fromstring(formats.junit_text(sample_report()))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "1")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["score"] == "3" and props["max_score"] == "10" and props["seed"] == "42"
    failure = suite.findall("testcase")[1].find("failure")
    assert failure is not None and failure.get("message") == "412 of 160,000 increments were lost"


def test_classroom_result_decodes_to_each_checks_own_points() -> None:
    line = formats.emit_classroom(sample_report(), environ={})
    assert line.startswith("result=")
    data = json.loads(base64.b64decode(line.removeprefix("result=")))
    assert data["version"] == 1 and data["status"] == "fail" and data["max_score"] == 10
    assert [(t["status"], t["score"]) for t in data["tests"]] == [("pass", 3), ("fail", 0), ("fail", 0), ("fail", 0)]


def test_classroom_result_is_set_as_the_step_output_in_github_actions(tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    line = formats.emit_classroom(sample_report(), environ={"GITHUB_OUTPUT": str(output)})
    assert output.read_text() == line + "\n"


def test_step_summary_is_appended_only_when_github_sets_it(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    assert formats.append_step_summary(sample_report(), environ={}) is False
    assert formats.append_step_summary(sample_report(), environ={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert text.startswith("earlier step\n")
    assert "| counter | 3 / 10 | 3 checks lost; first: no lost updates: 412 of 160,000" in text
    assert "**3 / 10**" in text


def test_exercise_status_reaches_junit_properties() -> None:
    report = sample_report()
    report.exercises[0].status = ExerciseStatus.IMPORT_ERROR
    suite = formats.junit(report).find("testsuite")
    assert suite is not None
    assert {p.get("name"): p.get("value") for p in suite.iter("property")}["status"] == "could not import"


@pytest.mark.slow
def test_score_files_of_a_real_grading_agree_with_the_json_report(tmp_path: Path) -> None:
    target = submission_with(tmp_path, {"counter": MUTANTS / "counter" / "no_lock.py",
                                        "downloader": HOSTILE / "syntax_error.py"})
    gradescope, junit = tmp_path / "gs.json", tmp_path / "junit.xml"
    summary = tmp_path / "summary.md"
    graded = grade(target, tmp_path, "--exercise", "counter", "--exercise", "downloader", "--fail-fast",
                   "--gradescope", str(gradescope), "--junit", str(junit), "--classroom", "--fail-under", "90",
                   env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert graded.returncode == 1, "below --fail-under the exit status is 1"
    report = graded.report
    assert report is not None and report["score"] < 20
    tests = [(f"{e['name']}: {t['name']}", t["score"], t["max_score"]) for e in report["exercises"] for t in e["tests"]]

    gs = json.loads(gradescope.read_text())
    assert gs["score"] == report["score"]
    assert [(t["name"], t["score"], t["max_score"]) for t in gs["tests"]] == tests

    root = ET.parse(junit).getroot()
    junit_scores = {s.get("name"): float(p.get("value") or 0) for s in root.iter("testsuite")
                    for p in s.iter("property") if p.get("name") == "score"}
    assert junit_scores == {e["name"]: e["score"] for e in report["exercises"]}
    failed = sum(t["status"] != "passed" for e in report["exercises"] for t in e["tests"])
    assert len(root.findall(".//failure")) + len(root.findall(".//error")) == failed

    line = next(line for line in graded.stdout.splitlines() if line.startswith("result="))
    classroom = json.loads(base64.b64decode(line.removeprefix("result=")))
    assert [(t["name"], t["score"], t["max_score"]) for t in classroom["tests"]] == tests
    assert f"**{report['score']:g} / {report['max_score']:g}**" in summary.read_text()
