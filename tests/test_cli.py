"""The command line: clear one-line errors when it cannot grade, exit 0 whenever it graded."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import cli
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
        (["--target", str(SOLUTIONS), "--replay", "inc.2x1", "--json", "r.json"], "drop --json"),
        (["--target", str(SOLUTIONS), "--replay", "zzz.2x1"], "is not a replay ID"),
        (["--target", str(SOLUTIONS), "--exercise", "counter", "--replay", "zzz.2x1"], "is not a replay ID"),
        (["--target", str(SOLUTIONS), "--fail-under", "abc"], "is not a number"),
    ],
    ids=["replay-ignores-json", "replay-unknown-scenario", "replay-bad-id", "fail-under-not-a-number"],
)
def test_options_beyond_spec_fail_with_one_clear_line(args: list[str], expected: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert expected in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["counter", "counter.py", "exercises/counter.py", "solutions/counter.py"])
def test_an_exercise_may_be_named_by_its_module_file(name: str) -> None:
    assert [e.name for e in cli.select_exercises([name])] == ["counter"]


def test_a_replay_id_names_its_exercise() -> None:
    assert cli.replay_exercise("inc.2x1.1-27-2") == "counter"
    assert cli.replay_exercise("pool2.3x2.1-4-2") == "semaphore_pool"


def test_the_replay_command_follows_how_the_grader_was_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOX_CURRENT_SESSION", raising=False)
    assert cli.replay_command("exercises") == "python -m grader --replay {id}"
    monkeypatch.setenv("NOX_CURRENT_SESSION", "grade")
    assert cli.replay_command("my work") == "nox -s grade -- --target 'my work' --replay {id}"
