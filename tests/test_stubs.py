"""Untouched stubs are recognised by their code and by what they still leave undone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader import catalog, stubs
from tests.kit import ALTERNATIVES, EXERCISES, HOSTILE, MUTANTS, SOLUTIONS

NAMES = [e.name for e in catalog.EXERCISES]


def test_stored_fingerprints_are_those_of_the_kits_stubs() -> None:
    stored = json.loads(stubs.FINGERPRINTS.read_text(encoding="utf-8"))
    assert stored == stubs.compute(EXERCISES, NAMES), "stubs changed: run python -m grader.stubs --write"


@pytest.mark.parametrize("name", NAMES)
def test_the_stub_is_untouched_and_the_solution_is_not(name: str) -> None:
    assert stubs.is_untouched(EXERCISES / f"{name}.py", name)
    assert not stubs.is_untouched(SOLUTIONS / f"{name}.py", name)


def test_no_mutant_alternative_or_hostile_submission_counts_as_untouched() -> None:
    for folder in (MUTANTS, ALTERNATIVES):
        for path in folder.glob("*/*.py"):
            assert not stubs.is_untouched(path, path.parent.name), path
    for path in HOSTILE.glob("*.py"):
        assert not stubs.is_untouched(path, "counter"), path


def test_comments_docstrings_and_layout_do_not_make_an_attempt(tmp_path: Path) -> None:
    source = (EXERCISES / "counter.py").read_text()
    edited = source.replace('"""A thread-safe integer counter."""', '"""My counter."""  # started!') + "\n\n# notes\n"
    assert stubs.code_hash(edited) == stubs.code_hash(source)
    assert stubs.untouched(edited, stubs.load()["counter"])


def test_one_written_function_or_a_helper_of_its_own_is_an_attempt() -> None:
    source = (EXERCISES / "counter.py").read_text()
    stub = stubs.load()["counter"]
    one = source.replace('raise NotImplementedError("Counter.value")', "return self._value")
    assert not stubs.untouched(one, stub)
    helper = source + "\n\ndef helper() -> int:\n    raise NotImplementedError\n"
    assert not stubs.untouched(helper, stub)


def test_without_a_fingerprint_every_function_raising_is_untouched() -> None:
    assert stubs.untouched("def f():\n    raise NotImplementedError('f')\n", None)
    assert not stubs.untouched("def f():\n    return 1\n", None)
    assert not stubs.untouched("x = 1\n", None), "no function at all is not a stub"
    assert not stubs.untouched("def f(:\n", None), "a syntax error is graded as an attempt"
