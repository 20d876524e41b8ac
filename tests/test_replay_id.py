"""Replay IDs that cannot lie: an ID says which Python and which module source it was found on, and
``--replay`` refuses a mismatch with what to do, never an all-clear for code that is still racy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import explain, replay_id
from tests.kit import MUTANTS, ROOT, run_cli

RACY = MUTANTS / "counter" / "check_then_act_outside_lock.py"


def _pyenv_tag(python: Path) -> str:
    """``py312`` for ~/.pyenv/versions/3.12.1/bin/python, ``py313t`` for .../3.13.0t/...."""
    version = python.parent.parent.name
    major, minor = version.rstrip("t").split(".")[:2]
    return f"py{major}{minor}{'t' * version.endswith('t')}"


# Pythons of this machine of another version or build than the running one (pyenv's), for the
# cross-version check.
OTHER_PYTHONS = sorted(p for p in Path.home().glob(".pyenv/versions/3.1[0-9]*/bin/python")
                       if _pyenv_tag(p) != replay_id.python_tag())


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A folder holding a racy counter.py and the full replay ID of a schedule that breaks it."""
    target = tmp_path_factory.mktemp("racy")
    shutil.copy(RACY, target / "counter.py")
    explanation = explain.explain(target, "counter", seed=1)
    assert explanation is not None
    return target, explanation.replay_id


def replay(target: Path, full_id: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--target", str(target), "--exercise", "counter", "--replay", full_id)


def test_an_id_names_the_scenario_first_then_this_python_and_the_source_hash(found: tuple[Path, str]) -> None:
    target, full_id = found
    schedule, tag, digest = replay_id.split(full_id)
    assert replay_id.exercise_key(full_id) == schedule.split(".")[0] in {s.key for s in explain.SCENARIOS["counter"]}
    assert tag == f"py{sys.version_info.major}{sys.version_info.minor}" + ("t" if tag.endswith("t") else "")
    assert digest == replay_id.source_hash(target / "counter.py")
    assert explain.Schedule.parse("counter", full_id).replay_id == schedule


def test_the_same_python_and_source_reproduce_the_race(found: tuple[Path, str]) -> None:
    proc = replay(*found)
    assert proc.returncode == 0 and "reproduced" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("other", ["py39", "py399", "py313t", "py311t", "py315"])
def test_an_id_from_another_python_is_refused_with_what_to_do(found: tuple[Path, str], other: str) -> None:
    target, full_id = found
    schedule, tag, digest = replay_id.split(full_id)
    if other == tag:
        other = other.removesuffix("t") if other.endswith("t") else other + "t"
    proc = replay(target, f"{schedule}.{other}.{digest}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "held" not in proc.stdout and "reproduced" not in proc.stdout, "a refusal, not a verdict"
    assert f"found on {replay_id.describe_tag(other)}" in proc.stderr
    assert "or grade again to get an ID for this Python" in proc.stderr


def test_an_id_for_changed_source_is_refused(found: tuple[Path, str], tmp_path: Path) -> None:
    target, full_id = found
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "counter.py").write_text(RACY.read_text() + "\n# a comment moves nothing, but the code changed\n")
    proc = replay(changed, full_id)
    assert proc.returncode == 2 and "held" not in proc.stdout
    assert "counter.py has changed since this ID was found: grade again" in proc.stderr


def test_an_id_without_stamps_is_refused(found: tuple[Path, str]) -> None:
    target, full_id = found
    proc = replay(target, replay_id.split(full_id)[0])
    assert proc.returncode == 2 and "held" not in proc.stdout
    assert "grade again" in proc.stderr


def test_line_endings_do_not_change_the_hash(tmp_path: Path) -> None:
    unix, dos = tmp_path / "unix.py", tmp_path / "dos.py"
    unix.write_bytes(b"a = 1\nb = 2\n")
    dos.write_bytes(b"a = 1\r\nb = 2\r\n")
    assert replay_id.source_hash(unix) == replay_id.source_hash(dos)


def test_tags_read_as_python_versions() -> None:
    assert replay_id.describe_tag("py312") == "Python 3.12"
    assert replay_id.describe_tag("py313t") == "Python 3.13 (free-threaded build)"
    assert replay_id.split("inc.2x1.1-5-2") == ("inc.2x1.1-5-2", "", "")
    assert replay_id.split("inc.2x1.1-5-2.py310.0a1b2c") == ("inc.2x1.1-5-2", "py310", "0a1b2c")


def other_python_env() -> dict[str, str]:
    """This environment for another Python, without PYTHON_GIL: the free-threaded session sets it
    to 0, and a default build refuses to start with it ("Disabling the GIL is not supported")."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHON_GIL"}
    return {**env, "PYTHONPATH": str(ROOT)}


@pytest.mark.skipif(not OTHER_PYTHONS, reason="no other Python installed (pyenv) to replay on")
@pytest.mark.parametrize("python", OTHER_PYTHONS, ids=lambda p: p.parent.parent.name)
def test_an_id_replayed_on_a_real_other_python_never_says_the_racy_code_held(
        found: tuple[Path, str], python: Path) -> None:
    target, full_id = found
    proc = subprocess.run(
        [str(python), "-m", "grader.explain", "--target", str(target), "--exercise", "counter",
         "--replay", full_id],
        cwd=target, capture_output=True, text=True, timeout=120, env=other_python_env(),
    )
    assert "held" not in proc.stdout, proc.stdout
    assert proc.returncode == 2 and "grade again to get an ID for this Python" in proc.stderr, proc.stderr
