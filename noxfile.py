"""Sessions of the concurrency kit: `nox -s grade` for students, `nox -s tests` for the kit itself."""

from __future__ import annotations

import nox

# uv when it is installed (fast), virtualenv otherwise; environments are reused when unchanged.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["grade"]

PYPROJECT = nox.project.load_toml("pyproject.toml")


@nox.session
def grade(session: nox.Session) -> None:
    """Grade exercises/ (or --target DIR) and print the score table; extra arguments go to the grader."""
    session.install(".")
    session.run("python", "-m", "grader", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the kit's own test suite: solutions score full marks, stubs 0, mutants lose points."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("-e", ".")
    session.run("pytest", *session.posargs)


@nox.session(python=["3.10", "3.11", "3.12", "3.13"], default=False)
def compat(session: nox.Session) -> None:
    """Grade solutions/ and the stubs on every supported Python (SPEC: same behaviour on each)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("-e", ".")
    session.run("pytest", "tests/test_grading.py", *session.posargs)


@nox.session(default=False)
def power(session: nox.Session) -> None:
    """Measure how often each mutant is caught and that solutions never fail (slow; for maintainers)."""
    session.install(".")
    session.run("python", "-m", "grader.power", *session.posargs)
