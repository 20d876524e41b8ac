"""Values that lie about themselves: a submission's classes that answer every comparison the same way.

The suites judge a submission by comparing what it returns with what it should return
(``counter.value == expected``, ``results == [...]``). An object whose ``__eq__`` returns True
whatever it is given passes every such comparison without doing the work: an unlocked counter
whose ``value`` is ``AlwaysEqual(self._value)`` passed the stress checks its plain racy version
fails. No exercise of the kit needs a value type with comparisons of its own, so the grading child
looks at the submission's classes once it is imported and gives the exercise nothing when one of
them is such a value:

- a subclass of a built-in value type (int, str, list, tuple, dict, set, Path...) that redefines
  how it compares, hashes, converts or counts (``__eq__``, ``__lt__``, ``__bool__``, ``__len__``,
  ``__int__``...): an int that is not equal to itself is not an int;
- any class whose comparison methods give one and the same answer for two objects they know
  nothing about (probed with placeholders, not with the submission's own instances, so nothing of
  the submission runs except those methods).

A correct class that defines ``__eq__`` honestly (a dataclass, a wrapper comparing a field) looks
at its arguments, and so fails on the placeholders or answers NotImplemented: it is not flagged.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path, PurePath
from types import ModuleType

from grader.integrity import defined_classes

VALUE_TYPES: tuple[type, ...] = (int, float, complex, str, bytes, bytearray, tuple, list, dict, set,
                                 frozenset, PurePath)
# What a value subclass must not redefine: how it compares, hashes, converts to a number, a truth
# value or a path, and how long it is.
VALUE_METHODS = frozenset({"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__",
                           "__bool__", "__len__", "__int__", "__index__", "__float__", "__fspath__"})
# The answer a lying comparison gives to everything.
LIES = {"__eq__": True, "__le__": True, "__ge__": True, "__ne__": False}


class _Placeholder:
    """What a probe passes as ``self``: an object no honest comparison can make sense of."""


class _Other:
    """What a probe compares with."""


def submission_modules(target: Path) -> list[ModuleType]:
    """The modules imported from the submission folder *target*."""
    folder = str(target.resolve())
    found = []
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None) if isinstance(module, ModuleType) else None
        if isinstance(file, str) and str(Path(file).resolve()).startswith(folder):
            found.append(module)
    return found


def _classes(modules: Iterable[ModuleType]) -> list[type]:
    """Classes defined in *modules* (nested ones too, one level down)."""
    found: list[type] = []
    for module in modules:
        for outer in defined_classes(module):
            found.append(outer)
            found += [inner for inner in vars(outer).values() if isinstance(inner, type)
                      and inner.__qualname__.startswith(outer.__qualname__ + ".")]
    return found


def _answer(method: object, other: object) -> object:
    """What *method* says when called with a placeholder as self: a bool, NotImplemented or
    "raised" (what an honest method that looks at its arguments does)."""
    try:
        answer = method(_Placeholder(), other)  # type: ignore[operator]
    except Exception:  # noqa: BLE001 - an honest method cannot handle a placeholder
        return "raised"
    return answer if answer is NotImplemented else bool(answer)


def _constant_comparison(cls: type) -> str:
    """The name of a comparison method of *cls* that says "equal" to objects it knows nothing
    about (``__eq__``, ``__le__``, ``__ge__`` always true, ``__ne__`` always false), or ''."""
    for name, lie in LIES.items():
        method = vars(cls).get(name)
        if callable(method) and all(_answer(method, other) is lie for other in (_Other(), 12345, "x")):
            return name
    return ""


def _identity_eq(self: object, other: object) -> bool:
    return self is other


def _identity_ne(self: object, other: object) -> bool:
    return self is not other


def _liars() -> list[type]:
    """Classes of the standard library and of pytest whose instances say they equal what they are
    compared with (``unittest.mock.ANY``, ``pytest.approx(x, abs=1e9)``): a submission needs no class of
    its own to return one."""
    import unittest.mock

    import pytest

    found: list[type] = [type(unittest.mock.ANY)]
    scalar = type(pytest.approx(0))  # its base's module moved between pytest versions
    pending = [kind for kind in scalar.__mro__ if kind.__name__ == "ApproxBase"] or [scalar]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending += kind.__subclasses__()
    return found


def disarm() -> list[tuple[type, str, object]]:
    """Make the known liars compare by identity, in the grading child, before the import (the kit
    compares with neither). Returns (class, name, method) for the child's snapshot to watch."""
    watched: list[tuple[type, str, object]] = []
    for kind in _liars():
        for name, method in (("__eq__", _identity_eq), ("__ne__", _identity_ne)):
            setattr(kind, name, method)
            watched.append((kind, name, method))
    return watched


def rigged(target: Path) -> str:
    """A student-readable sentence when a class of the submission is a value that lies, else ''."""
    problems = []
    for cls in _classes(submission_modules(target)):
        if issubclass(cls, VALUE_TYPES):
            redefined = sorted(VALUE_METHODS & set(vars(cls)))
            if redefined:
                base = next(kind for kind in cls.__mro__ if kind in VALUE_TYPES).__name__
                article = "an" if base[0] in "aeiou" else "a"
                problems.append(f"{cls.__name__} is {article} {base} that redefines {', '.join(redefined[:3])}")
                continue
        constant = _constant_comparison(cls)
        if constant:
            problems.append(f"{cls.__name__}.{constant} gives the same answer whatever it compares")
    if not problems:
        return ""
    return (f"the submission's values lie about themselves ({'; '.join(problems[:3])}): the checks "
            "compare what it returns with what it should return, and no exercise needs a value "
            "that compares differently; no points for this exercise")
