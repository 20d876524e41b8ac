"""Values that lie about themselves are found among a submission's classes; honest ones are not."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import rigging

HONEST = '''
import dataclasses, enum, typing

@dataclasses.dataclass(frozen=True)
class Job:
    index: int
    url: str

class Box:
    def __init__(self, value):
        self.value = value
    def __eq__(self, other):
        return isinstance(other, Box) and self.value == other.value
    __hash__ = None

class Colour(enum.IntEnum):
    RED = 1

class Pair(typing.NamedTuple):
    left: int
    right: int

class Fault(RuntimeError):
    pass
'''


@pytest.fixture
def submission(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("honest_mod", "lying_mod"):
            sys.modules.pop(name, None)


def load(folder: Path, name: str, source: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    __import__(name)


def test_dataclasses_enums_named_tuples_and_honest_equality_are_not_flagged(submission: Path) -> None:
    load(submission, "honest_mod", HONEST)
    assert rigging.rigged(submission) == ""


@pytest.mark.parametrize("source, shown", [
    ("class V(int):\n    def __eq__(self, other): return True\n    __hash__ = int.__hash__\n",
     "V is an int that redefines __eq__, __hash__"),
    ("class L(list):\n    def __len__(self): return 3\n", "L is a list that redefines __len__"),
    ("class A:\n    def __eq__(self, other): return True\n", "A.__eq__ gives the same answer"),
    ("class N:\n    def __ne__(self, other): return False\n", "N.__ne__ gives the same answer"),
])
def test_a_value_that_compares_equal_to_anything_is_flagged(submission: Path, source: str, shown: str) -> None:
    load(submission, "lying_mod", source)
    assert shown in rigging.rigged(submission)
