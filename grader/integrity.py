"""Detect a submission that patches the grader, pytest or builtins, or changes the kit on disk.

Two guards. :class:`KitGuard` (in the grading parent) hashes the kit's files and the ``.pth`` and
``sitecustomize`` files of site-packages before grading and again before and after each
submission or exercise: a change means an earlier grading edited the kit (possible without
bubblewrap when the kit or the venv is writable), so grading stops instead of grading anyone
else with a changed kit. :class:`Snapshot` (in the child) watches the modules in memory:
the grading child imports pytest and the grader first, takes a snapshot of the callables and
classes those modules (and ``builtins``) expose, then imports the submission. After the import and
after every run the plugin compares: a replaced ``pytest.fail``, a patched ``_pytest.runner``
function or a new ``builtins.len`` is reported as tampering and the exercise earns nothing. Code in
the same process can always defeat a check like this one (README's threat model says so); it stops
the casual cheats and makes the deliberate ones visible.
"""

from __future__ import annotations

import hashlib
import site
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import TypeVar

R = TypeVar("R")

PACKAGE = Path(__file__).resolve().parent
STARTUP_FILES = ("sitecustomize.py", "usercustomize.py")  # run by every Python start, like .pth

WATCHED_PREFIXES = ("pytest", "_pytest", "pluggy", "grader", "pytest_timeout", "pytest_repeat")


def _watched(name: str) -> bool:
    return name == "builtins" or name.split(".")[0] in WATCHED_PREFIXES


def _callables(module: ModuleType) -> dict[str, object]:
    """Every function, class and module attribute of *module* (values that should never change:
    ``grader.testing.threading`` replaced by a look-alike whose threads run one after the other
    changes no function, yet serialises every stress check).

    The objects themselves are kept, not their id(): a freed object's id can be reused.
    """
    return {key: value for key, value in list(vars(module).items())
            if callable(value) or isinstance(value, ModuleType)}


def _recorded(name: str, module: ModuleType) -> dict[str, object]:
    """What must not change in *module*: its functions and classes, and for a suite every global
    (``THREADS = 1`` or ``preempted = nullcontext`` in a suite's namespace changes what it checks)."""
    if name.startswith("grader.suites."):
        mutable = set(vars(module).get("MUTABLE_GLOBALS", ()))  # those a check itself sets
        return {key: value for key, value in list(vars(module).items())
                if not key.startswith("__") and key not in mutable}
    return _callables(module)


_METHOD_KINDS = (staticmethod, classmethod, property)


def defined_classes(module: ModuleType) -> list[type]:
    """The classes *module* defines itself (not those it imports)."""
    return [value for value in list(vars(module).values())
            if isinstance(value, type) and value.__module__ == module.__name__]


def _methods(module: ModuleType) -> dict[tuple[type, str], object]:
    """The methods of the classes *module* defines: ``GraderPlugin.pytest_runtest_logfinish``
    replaced on the class changes no module attribute, yet changes what every instance does."""
    return {(owner, key): member for owner in defined_classes(module)
            for key, member in list(vars(owner).items())
            if callable(member) or isinstance(member, _METHOD_KINDS)}


class Snapshot:
    """What the watched modules looked like before the submission was imported."""

    def __init__(self) -> None:
        self._modules: dict[str, tuple[ModuleType, dict[str, object]]] = {}
        self._methods: dict[tuple[type, str], object] = {}
        self.extend()

    def extend(self) -> None:
        """Also watch the modules imported since: the suites, which pytest collects after the
        snapshot is first taken and before the submission is imported (call it then)."""
        for name, module in list(sys.modules.items()):
            if module is None or not _watched(name) or name in self._modules:
                continue
            self._modules[name] = (module, _recorded(name, module))
            if name.split(".")[0] == "grader":  # pytest changes a few of its own class members
                self._methods.update(_methods(module))  # while it runs (Config, fixtures)

    def watch(self, members: Iterable[tuple[type, str, object]]) -> None:
        """Also report a change of these class members (class, name, value now)."""
        self._methods.update({(owner, name): value for owner, name, value in members})

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
        for (owner, key), member in self._methods.items():
            if vars(owner).get(key) is not member:
                changed.append(f"{owner.__module__}.{owner.__qualname__}.{key}")
        if changed:
            shown = ", ".join(changed[:5])
            return (
                f"the submission modified the grader's environment ({shown}): "
                "exercise code must not patch pytest, the grader or builtins; no points for this exercise"
            )
        return ""


class KitChanged(Exception):
    """The kit or the Python start-up files changed during grading; the message says which."""


def site_dirs() -> list[Path]:
    """site-packages folders of this Python (and its venv) whose .pth files run at every start."""
    folders = [*site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return [Path(f) for f in dict.fromkeys(folders) if Path(f).is_dir()]


def kit_fingerprint(package: Path = PACKAGE, sites: Iterable[Path] | None = None) -> dict[str, str]:
    """{file: sha256} of every file of grader/ (suites too) and the start-up files of site-packages.

    ``__pycache__`` is left out: the grading child never reads the kit's bytecode (see
    ``grader.sandbox``), and the grader itself writes it legitimately.
    """
    files = [p for p in package.rglob("*") if "__pycache__" not in p.parts and p.is_file()]
    for folder in site_dirs() if sites is None else sites:
        files += [p for p in folder.glob("*.pth") if p.is_file()]
        files += [folder / name for name in STARTUP_FILES if (folder / name).is_file()]
    digests = {}
    for path in sorted(files):
        try:
            digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digests[str(path)] = "unreadable"
    return digests


def describe_changes(before: dict[str, str], after: dict[str, str]) -> str:
    """'grader/preempt.py changed, .../evil.pth added' (at most five), '' when nothing changed."""
    changed = [f"{path} changed" for path in before if path in after and before[path] != after[path]]
    changed += [f"{path} removed" for path in before if path not in after]
    changed += [f"{path} added" for path in after if path not in before]
    return ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")


class KitGuard:
    """The kit's fingerprint taken when grading starts, compared before and after each grading."""

    def __init__(self, package: Path = PACKAGE, sites: Iterable[Path] | None = None) -> None:
        self._package = package
        self._sites = None if sites is None else list(sites)
        self.before = kit_fingerprint(package, self._sites)

    def check(self, when: str) -> None:
        """Raise KitChanged, saying *when* it was seen, if any watched file differs."""
        changes = describe_changes(self.before, kit_fingerprint(self._package, self._sites))
        if changes:
            raise KitChanged(
                f"the grading kit changed {when} ({changes}): a submission edited the grader, its "
                "suites or the venv's start-up files, so no further grade can be trusted. Restore "
                "the kit (git checkout, reinstall the venv), make it read-only or use --sandbox bwrap, "
                "and grade again"
            )

    def call(self, name: str, grading: Callable[..., R], *args: object) -> R:
        """``grading(*args)`` for the submission *name*, with a check before and after it."""
        self.check(f"before grading {name}")
        result = grading(*args)
        self.check(f"while grading {name}")
        return result
