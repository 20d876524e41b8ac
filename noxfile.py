"""Sessions of the concurrency kit: `nox -s grade` for students, `nox -s tests` for the kit itself."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
from pathlib import Path

import nox

# uv when it is installed (fast), virtualenv otherwise. Chosen here rather than with "uv|virtualenv",
# which makes nox print "uv binary not found." on every run where uv is missing.
HAS_UV = shutil.which("uv") is not None or importlib.util.find_spec("uv") is not None
nox.options.default_venv_backend = "uv" if HAS_UV else "virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["grade"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
# The student edition (nox -s student_kit) ships without the kit's own tests and instructor tools.
FULL_KIT = Path("tests").is_dir() and Path("solutions").is_dir()


def require_full_kit(session: nox.Session) -> None:
    if not FULL_KIT:
        session.skip("this is the student edition: it has no kit tests, solutions or mutants")


def install_kit(session: nox.Session, extra: str = "") -> None:
    """Install the kit (editable) into the session's venv, only when pyproject.toml has changed.

    Reinstalling on every run cost about 3 s of a 4 s grading. The install is editable, so edits
    to grader/ need no reinstall; only the dependencies, declared in pyproject.toml, do. The
    hash of what was installed is kept in the venv: a new venv installs afresh.
    """
    spec = f".[{extra}]" if extra else "."
    digest = hashlib.sha256(Path("pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    stamp = Path(session.virtualenv.location) / "kit-installed.sha256"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
        return
    session.install("-e", spec)
    stamp.write_text(digest, encoding="utf-8")


@nox.session
def grade(session: nox.Session) -> None:
    """Grade exercises/ (or --target DIR) and print the score table; extra arguments go to the grader."""
    install_kit(session)
    session.run("python", "-m", "grader", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the kit's own test suite: solutions score full marks, stubs 0, mutants lose points."""
    require_full_kit(session)
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("-e", ".")
    session.run("pytest", "-n", "auto", *session.posargs)  # -n 0 to run serially


@nox.session(python=["3.10", "3.11", "3.12", "3.13"], default=False)
def compat(session: nox.Session) -> None:
    """Grade solutions/ and the stubs, and run the scheduler (bytecode-level), on every supported Python."""
    require_full_kit(session)
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("-e", ".")
    session.run("pytest", "tests/test_grading.py", "tests/test_explain.py", *session.posargs)


@nox.session(default=False)
def power(session: nox.Session) -> None:
    """Measure how often each mutant is caught and that solutions never fail (slow; for maintainers)."""
    require_full_kit(session)
    session.install(".")
    session.run("python", "-m", "grader.power", *session.posargs)


@nox.session(python=False, default=False)
def student_kit(session: nox.Session) -> None:
    """Write the student edition (git HEAD) to OUTDIR: stubs, visible and practice checks, docs/SPEC.md."""
    require_full_kit(session)
    if len(session.posargs) != 1:
        session.error("usage: nox -s student_kit -- OUTDIR")
    session.run(sys.executable, "-m", "grader.edition", session.posargs[0])
