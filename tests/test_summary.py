"""The class summary: Markdown always, one self-contained HTML page with plots when plotly is there."""

from __future__ import annotations

import builtins
import csv
import json
from pathlib import Path
from typing import Any

import pytest

from grader import batch, summary
from tests.kit import run_cli

HOSTILE = "boom <script>alert(1)</script> | **bold** \x1b[2J"


def test_report(name: str, status: str = "passed", message: str = "", *, tier: str = "visible") -> dict[str, Any]:
    return {"name": name, "status": status, "score": 2 if status == "passed" else 0, "max_score": 2,
            "runs": 1, "failed_runs": 0 if status == "passed" else 1, "message": message, "hidden": tier == "hidden",
            "tier": tier, "details": "", "replay": ""}


test_report.__test__ = False  # type: ignore[attr-defined]  # a builder, not a test


def counter(*tests: dict[str, Any], status: str = "graded", message: str = "") -> dict[str, Any]:
    score = sum(t["score"] for t in tests)
    return {"name": "counter", "title": "Lock-protected counter", "score": score, "max_score": 2 * len(tests),
            "status": status, "message": message, "tests": list(tests)}


def lost(value: int) -> str:
    return f"{value} of 2000 increments were lost"


CLASS = {
    "amy": counter(test_report("counts"), test_report("stress", "failed", lost(412), tier="practice")),
    "ben": counter(test_report("counts"), test_report("stress", "failed", lost(3), tier="practice")),
    "cat": counter(test_report("counts", "error", HOSTILE), test_report("stress", "error", "not run: --fail-fast")),
    "dan": counter(test_report("counts", "error", "x"), test_report("stress", "error", "x"),
                   status="not attempted", message="not attempted: counter.py is still the stub"),
}


def write_class(folder: Path, names: list[str], csv_name: str = "scores.csv") -> Path:
    """A gradebook CSV and its reports folder, as a class grading leaves them."""
    path = folder / csv_name
    reports = batch.reports_folder(path)
    reports.mkdir(parents=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, batch.columns([]))
        writer.fieldnames.insert(1, "counter")
        writer.writeheader()
        for name in names:
            exercise = CLASS[name]
            report = {"score": exercise["score"], "max_score": 4, "exercises": [exercise], "seed": 1}
            (reports / f"{name}.json").write_text(json.dumps(report), encoding="utf-8")
            writer.writerow({"submission": name, "counter": exercise["score"], "total": exercise["score"],
                             "max_score": 4, "seconds": "1.0", "status": exercise["status"],
                             "found_in": "exercises/", "problems": HOSTILE if name == "cat" else ""})
    return path


def test_checks_count_attempts_only_and_messages_group_their_numbers(tmp_path: Path) -> None:
    exercises, rows, reports = summary.read_class([write_class(tmp_path, list(CLASS))])
    tally = summary.tally(exercises, rows, reports)
    stress = next(c for c in tally.checks if c.title == "stress")
    assert (stress.failed, stress.ran, stress.tier) == (2, 2, "practice"), "not run and not attempted left out"
    counts = next(c for c in tally.checks if c.title == "counts")
    assert (counts.failed, counts.ran) == (1, 3)
    top = tally.messages[0]
    assert top.text == "N of N increments were lost" and top.students == {"amy", "ben"}


def test_markdown_summary_escapes_what_came_from_submissions(tmp_path: Path) -> None:
    summary.write(write_class(tmp_path, list(CLASS)))
    text = (tmp_path / "scores_summary.md").read_text(encoding="utf-8")
    assert "| counter | 4 | 1 | 1 | 0 | 2 | 0 |" in text, "max, mean, median, lowest, highest, full marks"
    assert "| counter | stress | practice | 2 of 2 | 100% |" in text
    assert "<script>" not in text and "\x1b" not in text
    assert "&lt;script&gt;" in text and "\\|" in text


def test_html_page_is_self_contained_and_escaped(tmp_path: Path) -> None:
    pytest.importorskip("plotly")
    written, note = summary.write(write_class(tmp_path, list(CLASS)))
    assert note == "" and tmp_path / "scores_summary.html" in written
    page = (tmp_path / "scores_summary.html").read_text(encoding="utf-8")
    assert page.count("Plotly.newPlot") == 3, "three plots"
    assert "<script src" not in page and "<link" not in page, "nothing loaded from the network"
    assert "alert(1)</script>" not in page.split("</head>", 1)[1].replace("\\u003c", "<").replace("<\\/", "</")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_without_plotly_the_summary_is_markdown_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_plotly(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in ("plotly", "jinja2"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_plotly)
    written, note = summary.write(write_class(tmp_path, list(CLASS)))
    assert note == summary.INSTALL_NOTE
    assert written == [tmp_path / "scores_summary.md"]
    assert not (tmp_path / "scores_summary.html").exists()
    assert "concurrency-kit-grader[instructor]" in written[0].read_text(encoding="utf-8")


def test_merge_writes_the_summary_of_the_whole_class(tmp_path: Path) -> None:
    first = write_class(tmp_path / "a", ["amy", "cat"], "shard-1.csv")
    second = write_class(tmp_path / "b", ["ben", "dan"], "shard-2.csv")
    out = tmp_path / "gradebook.csv"
    proc = run_cli("merge", str(first), str(second), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "gradebook_summary.md").read_text(encoding="utf-8")
    assert "4 submissions" in text and "| counter | stress | practice | 2 of 2 | 100% |" in text
    assert "class summary:" in proc.stdout


def test_merge_is_listed_in_help() -> None:
    proc = run_cli("--help")
    assert "python -m grader merge" in proc.stdout
