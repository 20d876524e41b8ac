"""Text from a submission is shown escaped: it cannot drive the terminal, restyle Markdown or HTML.

A failure message is whatever the submission's exception said; one carrying ``ESC [2J`` cleared
the student's terminal and drew a fake "100 / 100" table before.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from grader import formats, render, sanitize
from grader.report import ExerciseResult, Report, Status, TestResult

HOSTILE_MESSAGE = "boom\x1b[2J\x1b[H\rTOTAL 100 / 100\x07 | <img src=x> **bold** \u202e"


def report_with(message: str, details: str = "") -> Report:
    tests = [TestResult("no lost updates", "test_b", Status.FAILED, 0, 4, runs=1, message=message, details=details)]
    exercise = ExerciseResult("counter", "Lock-protected counter", 0, 4, tests, duration=1.0)
    return Report(exercises=[exercise], target="/x", seed=1, duration=1.0)


def test_control_characters_are_shown_escaped_but_newline_and_tab_kept() -> None:
    assert sanitize.control("a\x1b[31mb\tc\nd\re\x00\x7f\x9b\u202e") == (
        "a\\x1b[31mb\tc\nd\\re\\x00\\x7f\\x9b\\u202e"
    )
    assert sanitize.control("plain text, ünïcödé and 'quotes'") == "plain text, ünïcödé and 'quotes'"


def test_one_line_folds_line_breaks() -> None:
    assert sanitize.one_line("a\nb\t c\x1b") == "a b c\\x1b"


def test_markdown_is_literal_on_one_line() -> None:
    text = sanitize.markdown("a | b\n**c** [d](e) <script>&amp; `f` \x1b")
    assert "\n" not in text and "\x1b" not in text
    assert "\\|" in text and "\\*\\*c\\*\\*" in text and "\\[d\\]" in text and "\\`f\\`" in text
    assert "&lt;script&gt;&amp;amp;" in text


def test_html_escapes_markup_and_control_characters() -> None:
    assert sanitize.html('<a href="x">\x1b') == "&lt;a href=&quot;x&quot;&gt;\\x1b"


def test_code_block_cannot_be_closed_by_the_text() -> None:
    block = sanitize.code_block("x ```` y\x1b")
    fence = block.splitlines()[0].removesuffix("text")
    assert len(fence) == 5 and block.endswith("\n" + fence) and "\\x1b" in block


def test_score_table_shows_escape_sequences_of_a_failure_message_escaped() -> None:
    table = render.score_table(report_with(HOSTILE_MESSAGE, details="stack\x1b]0;title\x07"), verbose=True)
    assert "\x1b" not in table and "\r" not in table and "\x07" not in table and "\u202e" not in table
    assert "\\x1b[2J" in table and "\\x1b]0;title\\x07" in table


def test_step_summary_shows_a_failure_message_escaped(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    assert formats.append_step_summary(report_with(HOSTILE_MESSAGE), environ={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert "\x1b" not in text and "\r" not in text and "<img" not in text and "**bold**" not in text
    assert "\\\\x1b\\[2J" in text  # the backslash of "\x1b" itself escaped for Markdown
    rows = [line for line in text.splitlines() if line.startswith("| counter")]
    assert len(rows) == 1 and rows[0].count(" | ") == 2  # the message's "|" did not add a column


def test_json_stays_valid_and_exact_and_xml_parses() -> None:
    report = report_with(HOSTILE_MESSAGE)
    data = json.loads(json.dumps(formats.gradescope(report)))
    assert "\x1b" not in data["tests"][0]["output"]
    ET.fromstring(formats.junit_text(report))  # XML 1.0 cannot hold ESC: escaped, it parses
