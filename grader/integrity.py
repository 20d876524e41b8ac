"""Detect a submission that patches the grader, pytest or builtins from inside the child.

The grading child imports pytest and the grader first, takes a snapshot of the callables and
classes those modules (and ``builtins``) expose, then imports the submission. After the import and
after every run the plugin compares: a replaced ``pytest.fail``, a patched ``_pytest.runner``
function or a new ``builtins.len`` is reported as tampering and the exercise earns nothing. Code in
the same process can always defeat a check like this one (README's threat model says so); it stops
the casual cheats and makes the deliberate ones visible.
"""

from __future__ import annotations

import sys
from types import ModuleType

WATCHED_PREFIXES = ("pytest", "_pytest", "pluggy", "grader", "pytest_timeout", "pytest_repeat")


def _watched(name: str) -> bool:
    return name == "builtins" or name.split(".")[0] in WATCHED_PREFIXES


def _callables(module: ModuleType) -> dict[str, object]:
    """Every function and class attribute of *module* (values that should never change).

    The objects themselves are kept, not their id(): a freed object's id can be reused.
    """
    return {key: value for key, value in list(vars(module).items()) if callable(value)}


class Snapshot:
    """What the watched modules looked like before the submission was imported."""

    def __init__(self) -> None:
        self._modules: dict[str, tuple[ModuleType, dict[str, object]]] = {}
        for name, module in list(sys.modules.items()):
            if module is not None and _watched(name):
                self._modules[name] = (module, _callables(module))

    def changes(self) -> str:
        """A student-readable description of what was patched, or '' when nothing was."""
        changed = []
        for name, (module, before) in self._modules.items():
            if sys.modules.get(name) is not module:
                changed.append(f"module {name} was replaced")
                continue
            now = vars(module)
            for key, value in before.items():
                if now.get(key) is not value:
                    changed.append(f"{name}.{key}")
        if changed:
            shown = ", ".join(changed[:5])
            return (
                f"the submission modified the grader's environment ({shown}): "
                "exercise code must not patch pytest, the grader or builtins; no points for this exercise"
            )
        return ""
