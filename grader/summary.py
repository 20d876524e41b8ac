"""The class view: what a whole class got, beside the gradebook CSV.

``--submissions DIR --csv scores.csv`` (and ``merge ... --out gradebook.csv``) write two files
beside the CSV, read from it and from the JSON reports in its ``<name>_reports/`` folder:

- ``<name>_summary.md``: Markdown tables (always written; the standard library is enough);
- ``<name>_summary.html``: one self-contained page (no CDN, no network: plotly.js is inlined) with
  interactive plots: the score distribution per exercise, the share of attempts failing each check,
  the most common failure messages.

Why these libraries: plotly draws the interactive plots (hover shows who and how many) and can
inline its JavaScript, so the page opens offline from a CI artifact or an e-mail; jinja2 renders
the page from a template with autoescaping switched on, so no text from a submission (failure
messages quote its exceptions) can become markup. Both are heavy and only instructors need them:
they are the ``instructor`` extra (``pip install '.[instructor]'``), never part of the student's
install. Without them, the Markdown summary is written with a note that says how to get the page.
"""

from __future__ import annotations

import csv
import datetime
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import sanitize
from grader.batch import reports_folder
from grader.report import write_text_atomic

INSTALL_NOTE = ("The HTML page with plots needs the instructor extra: "
                "pip install 'concurrency-kit-grader[instructor]' (plotly and jinja2).")
UNATTEMPTED = ("not submitted", "not attempted")
NOT_RUN = "not run:"  # checks --fail-fast skipped: unknown, so counted neither way
TOP_MESSAGES = 10
TOP_CHECKS = 15  # rows of the Markdown table; the plot shows every check
CHECKS_NOTE = ("Share of the attempts that ran the check (not submitted, not attempted and checks skipped by "
               "--fail-fast are left out).")
LABEL_WIDTH = 70  # characters of a message on the plot's axis (the table has it whole)
NUMBER = re.compile(r"\d+(?:[,._]\d+)*")


@dataclass
class CheckTally:
    """How one check went across the class: attempts that ran it, and those that lost it."""

    exercise: str
    title: str
    tier: str
    ran: int = 0
    failed: int = 0

    @property
    def share(self) -> float:
        return self.failed / self.ran if self.ran else 0.0


@dataclass
class MessageTally:
    """One failure message (numbers replaced by N), the students who got it, and where."""

    text: str
    students: set[str] = field(default_factory=set)
    exercises: set[str] = field(default_factory=set)


@dataclass
class ClassSummary:
    """Everything the Markdown and the HTML summary show, computed once."""

    source: str
    exercises: list[str]
    rows: list[dict[str, str]]
    max_scores: dict[str, float]
    checks: list[CheckTally]
    messages: list[MessageTally]

    def scores(self, exercise: str) -> list[float]:
        return [_float(row.get(exercise)) for row in self.rows]

    def statuses(self) -> Counter[str]:
        return Counter(row.get("status", "") for row in self.rows)


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def read_class(csv_paths: Sequence[Path]) -> tuple[list[str], list[dict[str, str]], dict[str, dict[str, Any]]]:
    """(exercise names, rows, JSON reports by submission) from gradebook CSVs and their report folders."""
    import json

    exercises: list[str] = []
    rows: list[dict[str, str]] = []
    reports: dict[str, dict[str, Any]] = {}
    for path in csv_paths:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            if "total" in header:
                exercises = header[1:header.index("total")]
            for row in reader:
                rows.append(row)
                report = reports_folder(path) / f"{row['submission']}.json"
                if report.is_file():
                    try:
                        reports[row["submission"]] = json.loads(report.read_text(encoding="utf-8"))
                    except ValueError:
                        pass
    rows.sort(key=lambda row: row["submission"])
    return exercises, rows, reports


def normalize(message: str) -> str:
    """A message with its numbers as N, so "412 of 2000 lost" and "3 of 2000 lost" count as one."""
    first = sanitize.one_line(message.splitlines()[0] if message else "")
    return NUMBER.sub("N", first)


def tally(exercises: Sequence[str], rows: Sequence[Mapping[str, str]],
          reports: Mapping[str, Mapping[str, Any]], source: str = "") -> ClassSummary:
    """Count, per check, the attempts that ran it and lost it, and the students per failure message."""
    checks: dict[tuple[str, str], CheckTally] = {}
    messages: dict[str, MessageTally] = {}
    max_scores: dict[str, float] = {}
    for row in rows:
        report = reports.get(row["submission"])
        if report is None:
            continue
        for exercise in report.get("exercises", []):
            max_scores[exercise["name"]] = _float(exercise.get("max_score"))
            if exercise.get("status", "graded") in UNATTEMPTED:
                continue
            if exercise.get("message"):
                _add_message(messages, exercise["message"], row["submission"], exercise["name"])
            for test in exercise.get("tests", []):
                tier = test.get("tier") or ("hidden" if test.get("hidden") else "visible")
                entry = checks.setdefault((exercise["name"], test["name"]),
                                          CheckTally(exercise["name"], test["name"], tier))
                if (test.get("message") or "").startswith(NOT_RUN):
                    continue
                entry.ran += 1
                if test.get("status") != "passed":
                    entry.failed += 1
                    if test.get("message") and test["message"] != exercise.get("message"):
                        _add_message(messages, test["message"], row["submission"], exercise["name"])
    ranked_checks = sorted(checks.values(), key=lambda c: (-c.share, -c.failed, c.exercise, c.title))
    ranked_messages = sorted(messages.values(), key=lambda m: (-len(m.students), m.text))
    return ClassSummary(source, list(exercises), [dict(r) for r in rows], max_scores, ranked_checks,
                        ranked_messages[:TOP_MESSAGES])


def _add_message(messages: dict[str, MessageTally], message: str, student: str, exercise: str) -> None:
    key = normalize(message)
    if key:
        entry = messages.setdefault(key, MessageTally(key))
        entry.students.add(student)
        entry.exercises.add(exercise)


def _g(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def exercise_rows(summary: ClassSummary) -> list[dict[str, str]]:
    """Per exercise: max, mean, median, lowest, highest, full marks, and the non-graded statuses."""
    result = []
    for name in summary.exercises:
        scores = summary.scores(name)
        top = summary.max_scores.get(name, max(scores, default=0.0))
        result.append({
            "exercise": name, "max": _g(top),
            "mean": _g(statistics.fmean(scores)) if scores else "-",
            "median": _g(statistics.median(scores)) if scores else "-",
            "lowest": _g(min(scores)) if scores else "-", "highest": _g(max(scores)) if scores else "-",
            "full marks": str(sum(1 for s in scores if top and s >= top)),
        })
    return result


def markdown(summary: ClassSummary, *, note: str = "") -> str:
    """The class summary as Markdown: statuses, scores per exercise, checks, messages, submissions."""
    md = sanitize.markdown
    statuses = summary.statuses()
    lines = [f"# Class summary: {md(summary.source)}", "",
             f"{len(summary.rows)} submissions: " + ", ".join(f"{n} {md(s)}" for s, n in statuses.most_common()) + ".",
             ""]
    if note:
        lines += [f"> {note}", ""]
    table = exercise_rows(summary)
    if table:
        keys = list(table[0])
        lines += ["## Scores per exercise", "", "| " + " | ".join(keys) + " |",
                  "|---|" + "---:|" * (len(keys) - 1)]
        lines += ["| " + " | ".join(md(row[k]) for k in keys) + " |" for row in table]
        lines.append("")
    lines += ["## Checks most often failed", "", CHECKS_NOTE, "",
              "| exercise | check | tier | failed | share |", "|---|---|---|---:|---:|"]
    for check in [c for c in summary.checks if c.failed][:TOP_CHECKS]:
        lines.append(f"| {md(check.exercise)} | {md(check.title)} | {check.tier} | {check.failed} of {check.ran} "
                     f"| {check.share:.0%} |")
    lines += ["", "## Most common failure messages", "", "Numbers are shown as N.", "",
              "| students | message | exercises |", "|---:|---|---|"]
    for message in summary.messages:
        lines.append(f"| {len(message.students)} | {md(message.text)} | {md(', '.join(sorted(message.exercises)))} |")
    lines += ["", "## Submissions", "", "| submission | total | status | problems |", "|---|---:|---|---|"]
    for row in summary.rows:
        lines.append(f"| {md(row['submission'])} | {md(row.get('total', ''))} / {md(row.get('max_score', ''))} "
                     f"| {md(row.get('status', ''))} | {md(row.get('problems', ''))} |")
    return "\n".join(lines) + "\n"


def _label(text: str, width: int = LABEL_WIDTH) -> str:
    """Text for a plot label: one line, shortened, escaped (plotly renders a subset of HTML)."""
    text = sanitize.one_line(text)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return sanitize.html(text)


def figures(summary: ClassSummary) -> list[tuple[str, Any]]:
    """(heading, plotly figure) for the page: scores per exercise, checks failed, messages."""
    import plotly.graph_objects as go

    names = [row["submission"] for row in summary.rows]
    scores = go.Figure()
    for exercise in summary.exercises:
        scores.add_trace(go.Box(y=summary.scores(exercise), name=exercise, boxpoints="all", jitter=0.5,
                                pointpos=0, text=[_label(n, 40) for n in names],
                                hovertemplate="%{text}: %{y}<extra>" + exercise + "</extra>"))
    scores.update_layout(yaxis_title="points", showlegend=False, height=420, margin={"t": 20})

    failing = [c for c in summary.checks if c.ran]
    failing.reverse()  # plotly draws the first bar at the bottom: the most failed on top
    colors = {"visible": "#4c78a8", "practice": "#f58518", "hidden": "#e45756"}
    checks = go.Figure(go.Bar(
        x=[c.share * 100 for c in failing], y=[_label(f"{c.exercise}: {c.title}") for c in failing],
        orientation="h", marker_color=[colors.get(c.tier, "#888888") for c in failing],
        text=[f"{c.failed} of {c.ran}" for c in failing], textposition="auto",
        customdata=[c.tier for c in failing],
        hovertemplate="%{y}<br>%{text} attempts failed (%{x:.0f}%), tier %{customdata}<extra></extra>"))
    checks.update_layout(xaxis_title="% of attempts failing", xaxis_range=[0, 100],
                         height=max(300, 22 * len(failing) + 80), margin={"t": 20, "l": 10})

    top = list(reversed(summary.messages))
    messages = go.Figure(go.Bar(
        x=[len(m.students) for m in top], y=[_label(m.text) for m in top], orientation="h",
        customdata=[_label(", ".join(sorted(m.exercises))) for m in top],
        hovertemplate="%{x} students<br>%{customdata}<extra></extra>", marker_color="#72b7b2"))
    messages.update_layout(xaxis_title="students", xaxis_tickformat="d",
                           xaxis_dtick=1 if len(summary.rows) <= 20 else None,
                           height=max(250, 30 * len(top) + 80), margin={"t": 20, "l": 10})
    return [("Score distribution per exercise", scores),
            ("Share of attempts failing each check", checks),
            ("Most common failure messages", messages)]


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Class summary: {{ source }}</title>
<script>{{ plotly_js }}</script>
<style>
 body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
 table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
 th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
 td.n { text-align: right; } .status { white-space: nowrap; }
 .note { background: #fff4d6; padding: 0.5rem 1rem; }
 h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
</style>
</head>
<body>
<h1>Class summary: {{ source }}</h1>
<p>{{ rows|length }} submissions: {% for status, n in statuses %}{{ n }} {{ status }}{% if not loop.last %}, {% endif %}{% endfor %}. Generated {{ generated }}.</p>
<h2>Scores per exercise</h2>
<table><tr>{% for key in exercise_keys %}<th>{{ key }}</th>{% endfor %}</tr>
{% for row in exercise_table %}<tr>{% for key in exercise_keys %}<td{% if not loop.first %} class="n"{% endif %}>{{ row[key] }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% for heading, plot in plots %}<h2>{{ heading }}</h2>
{% if loop.index == 2 %}<p>Share of the attempts that ran the check: not submitted, not attempted and checks skipped by --fail-fast are left out. Colour: tier (blue visible, orange practice, red hidden).</p>{% endif %}
{{ plot }}
{% if loop.index == 3 %}<table><tr><th>students</th><th>message (numbers as N)</th><th>exercises</th></tr>
{% for m in messages %}<tr><td class="n">{{ m.students|length }}</td><td>{{ m.text }}</td><td>{{ m.exercises|sort|join(", ") }}</td></tr>
{% endfor %}</table>{% endif %}
{% endfor %}
<h2>Submissions</h2>
<table><tr><th>submission</th><th>total</th><th>status</th><th>found in</th><th>problems</th></tr>
{% for row in rows %}<tr><td>{{ row.submission }}</td><td class="n">{{ row.total }} / {{ row.max_score }}</td><td class="status">{{ row.status }}</td><td>{{ row.found_in }}</td><td>{{ row.problems }}</td></tr>
{% endfor %}</table>
</body>
</html>
"""


def html(summary: ClassSummary) -> str:
    """The self-contained page (ImportError without plotly or jinja2: the caller falls back)."""
    import jinja2
    import plotly.offline
    from markupsafe import Markup

    environment = jinja2.Environment(autoescape=True)
    table = exercise_rows(summary)
    plots = [(heading, Markup(figure.to_html(full_html=False, include_plotlyjs=False,
                                             config={"displaylogo": False, "responsive": True})))
             for heading, figure in figures(summary)]
    shown = ("submission", "total", "max_score", "status", "found_in", "problems")
    clean_rows = [{k: sanitize.one_line(row.get(k) or "") for k in shown} for row in summary.rows]
    return environment.from_string(PAGE).render(
        source=sanitize.one_line(summary.source), plotly_js=Markup(plotly.offline.get_plotlyjs()),
        rows=clean_rows, statuses=summary.statuses().most_common(),
        generated=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        exercise_keys=list(table[0]) if table else [], exercise_table=table, plots=plots,
        messages=[{"text": sanitize.one_line(m.text), "students": m.students, "exercises": m.exercises}
                  for m in summary.messages])


def write(csv_out: Path, sources: Iterable[Path] | None = None) -> tuple[list[Path], str]:
    """Write ``<name>_summary.md`` (and ``.html`` when plotly and jinja2 are there) beside *csv_out*.

    *sources* are the CSVs whose report folders hold the JSON reports (default: *csv_out* itself,
    as after a class grading; after ``merge``, the shards' CSVs). Returns the files written and a
    note ("" when the page was written).
    """
    paths = list(sources) if sources is not None else [csv_out]
    exercises, rows, reports = read_class(paths)
    summary = tally(exercises, rows, reports, source=csv_out.name)
    written, note = [], ""
    try:
        page = html(summary)
    except ImportError:
        note = INSTALL_NOTE
    else:
        page_path = csv_out.with_name(f"{csv_out.stem}_summary.html")
        write_text_atomic(page_path, page)
        written.append(page_path)
    md_path = csv_out.with_name(f"{csv_out.stem}_summary.md")
    write_text_atomic(md_path, markdown(summary, note=note))
    return [md_path, *written], note

