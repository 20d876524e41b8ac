"""The command line: clear one-line errors when it cannot grade, exit 0 whenever it graded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit import SOLUTIONS, run_cli


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--target", "no/such/folder"], "no such folder: no/such/folder"),
        (["--target", str(SOLUTIONS), "--exercise", "countr"], "unknown exercise 'countr'"),
        (["--seed", "abc"], "invalid int value"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
    ids=["missing-folder", "unknown-exercise", "bad-seed", "bad-option"],
)
def test_cli_refuses_what_it_cannot_grade_with_one_clear_line(args: list[str], expected: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_help_lists_the_options_of_spec() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0
    for option in ("--target", "--json", "--exercise", "--seed"):
        assert option in proc.stdout


def test_a_file_instead_of_a_folder_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "counter.py"
    file.write_text("")
    proc = run_cli("--target", str(file))
    assert proc.returncode == 2
    assert "no such folder" in proc.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--target", str(SOLUTIONS), "--replay", "inc.2x1"], "--replay needs exactly one --exercise"),
        (["--target", str(SOLUTIONS), "--exercise", "counter", "--replay", "zzz.2x1"], "is not a replay ID"),
        (["--target", str(SOLUTIONS), "--fail-under", "abc"], "is not a number"),
    ],
    ids=["replay-without-exercise", "replay-bad-id", "fail-under-not-a-number"],
)
def test_options_beyond_spec_fail_with_one_clear_line(args: list[str], expected: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert expected in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
