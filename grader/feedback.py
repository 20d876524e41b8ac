"""The feedback an instructor hands back: one Markdown file per graded submission.

It is written from the JSON report (SPEC section 6), so it says nothing the report does not: the
score table, then for each exercise that lost points every lost check with its message, its
diagnostics (a timeline or the stuck threads' stacks) in a code block, the command that replays
the interleaving found, and the exercise's hint. Everything that came from the submission (its
exception messages, values, file names) goes through grader.sanitize first, so a submission cannot
restyle the page or hide text in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader import sanitize
from grader.report import failure_context

STATUS_WORDS = {"passed": "passed", "failed": "FAILED", "error": "ERROR", "timeout": "TIMEOUT"}
DETAILS_LINES = 60  # lines of one check's diagnostics kept; the JSON report keeps them all
UNATTEMPTED = ("not submitted", "not attempted")


def _points(value: Any) -> str:
    return f"{float(value):g}"


def _percent(score: Any, max_score: Any) -> str:
    return f"{100.0 * float(score) / float(max_score):.0f}%" if float(max_score) else "-"


def _title(name: str) -> str:
    return f"Concurrency kit: feedback for {sanitize.markdown(name)}" if name else "Concurrency kit: feedback"


def empty_markdown(name: str) -> str:
    """The feedback of an empty folder: nothing was handed in, nothing was graded."""
    return (f"# {_title(name)}\n\n**Nothing was graded: the folder is empty.** No exercise module was "
            "handed in (no file at all). Push your work to your repository, or hand in the folder that holds "
            "`exercises/`, and ask for a new grading.\n")


def _score_table(report: Mapping[str, Any]) -> list[str]:
    lines = ["| exercise | score | status |", "|---|---:|---|"]
    for exercise in report["exercises"]:
        status = exercise.get("status", "graded")
        lost = sum(1 for t in exercise["tests"] if t["status"] != "passed")
        note = status if status != "graded" else ("all checks passed" if not lost else
                                                  f"{lost} of {len(exercise['tests'])} checks lost")
        lines.append(f"| {sanitize.markdown(exercise.get('title') or exercise['name'])} "
                     f"(`{exercise['name']}.py`) | {_points(exercise['score'])} / {_points(exercise['max_score'])} "
                     f"| {note} |")
    lines.append(f"| **total** | **{_points(report['score'])} / {_points(report['max_score'])}** "
                 f"| {_percent(report['score'], report['max_score'])} |")
    return lines


def _check(test: Mapping[str, Any], exercise: str) -> list[str]:
    """One lost check: what it checks, what went wrong, the diagnostics, the replay command."""
    context = failure_context(dict(test))
    runs = f" ({sanitize.markdown(context)})" if context else ""
    tier = test.get("tier") or ("hidden" if test.get("hidden") else "")
    hidden = {"hidden": " (instructor's stress check)", "practice": " (practice stress check)"}.get(tier, "")
    heading = (f"#### {STATUS_WORDS.get(test['status'], test['status'])}: {sanitize.markdown(test['name'])}, "
               f"-{_points(test['max_score'])} points{runs}{hidden}")
    lines = [heading, ""]
    if test.get("message"):
        lines += [sanitize.markdown(test["message"]), ""]
    details = test.get("details") or ""
    if details:
        kept = details.splitlines()
        if len(kept) > DETAILS_LINES:
            more = len(kept) - DETAILS_LINES
            kept = kept[:DETAILS_LINES] + [f"... ({more} more lines in the JSON report)"]
        lines += [sanitize.code_block("\n".join(kept)), ""]
    if test.get("replay"):
        replay = sanitize.one_line(test["replay"])
        lines += ["Replay this interleaving, step by step:", "",
                  sanitize.code_block(f"nox -s grade -- --exercise {exercise} --replay {replay}", "bash"), ""]
    return lines


def _grouped(lost: list[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Lost checks in order, those that lost for the same plain reason (an import error, a
    --fail-fast stop) gathered into one group, so the reason is said once."""
    groups: list[list[Mapping[str, Any]]] = []
    for test in lost:
        plain = not test.get("details") and not test.get("replay")
        last = groups[-1][0] if groups else None
        if plain and last is not None and not last.get("details") and not last.get("replay") \
                and (last["status"], last.get("message")) == (test["status"], test.get("message")):
            groups[-1].append(test)
        else:
            groups.append([test])
    return groups


def _same_message(group: list[Mapping[str, Any]]) -> list[str]:
    points = sum(float(t["max_score"]) for t in group)
    status = STATUS_WORDS.get(group[0]["status"], group[0]["status"])
    lines = [f"#### {status}: {len(group)} checks, -{points:g} points", ""]
    if group[0].get("message"):
        lines += [sanitize.markdown(group[0]["message"]), ""]
    lines += [f"- {sanitize.markdown(t['name'])} (-{_points(t['max_score'])})" for t in group]
    return lines + [""]


def _exercise(exercise: Mapping[str, Any], hints: Mapping[str, str]) -> list[str]:
    name = exercise["name"]
    head = f"## {name}.py: {_points(exercise['score'])} / {_points(exercise['max_score'])}"
    status = exercise.get("status", "graded")
    lines = [head, ""]
    if exercise.get("message"):
        lines += [f"> {sanitize.markdown(exercise['message'])}", ""]
    if status in UNATTEMPTED:
        return lines
    lost = [t for t in exercise["tests"] if t["status"] != "passed"]
    passed = [t for t in exercise["tests"] if t["status"] == "passed"]
    if not lost:
        return lines + ["Every check passed.", ""]
    for group in _grouped(lost):
        lines += _check(group[0], name) if len(group) == 1 else _same_message(group)
    if passed:
        lines += ["Passed: " + "; ".join(sanitize.markdown(t["name"]) for t in passed) + ".", ""]
    if hints.get(name):
        lines += ["**Hint:** " + " ".join(hints[name].split()), ""]
    return lines


def markdown(report: Mapping[str, Any] | None, *, name: str = "", found_in: str = "", error: str = "",
             hints: Mapping[str, str] | None = None) -> str:
    """The whole feedback file for one submission (*report* None: the grader could not grade it)."""
    lines = [f"# {_title(name)}", ""]
    if report is None:
        why = sanitize.markdown(error or "the grader produced no report")
        lines += [f"**This submission could not be graded**: {why}. "
                  "Your instructor has the details; this is not a score.",
                  ""]
        return "\n".join(lines)
    where = {"exercises/": "in `exercises/`", "top level": "at the top of the folder"}.get(
        found_in, f"in `{sanitize.markdown(found_in)}`" if found_in else "")
    not_graded = report.get("not_graded") or 0  # points of checks that did not run (no hidden suite)
    share = "checks run here" if not_graded else _percent(report["score"], report["max_score"])
    lines += [f"**Score: {_points(report['score'])} / {_points(report['max_score'])}** "
              f"({share})" + (f"; modules graded {where}" if where else ""),
              ""]
    if not_graded:
        lines += [(f"Only the visible and practice checks ran; {_points(not_graded)} more points are graded by "
                   "your instructor."), ""]
    elif not report.get("hidden_tests", True):
        lines += ["Only the visible and practice checks ran; the others are graded by your instructor.", ""]
    if report.get("interrupted"):
        lines += ["**Grading was interrupted**: the exercises not listed were not graded.", ""]
    lines += _score_table(report) + [""]
    for exercise in report["exercises"]:
        if exercise["score"] != exercise["max_score"] or exercise.get("status", "graded") != "graded":
            lines += _exercise(exercise, hints or {})
    seed = report.get("seed")
    lines += ["## Repeating this grading", "",
              f"Stress checks choose at random; seed {seed} repeats these choices:", "",
              sanitize.code_block(f"nox -s grade -- --seed {seed}", "bash"), "",
              f"Grader {sanitize.markdown(str(report.get('grader_version', '')))}.", ""]
    return "\n".join(lines)
