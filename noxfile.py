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
    # Class grading and merge write the class summary page: they take the instructor extra (plotly,
    # jinja2), which a student's grading never installs.
    install_kit(session, "instructor" if {"--submissions", "merge"} & set(session.posargs) else "")
    session.run("python", "-m", "grader", *session.posargs)


@nox.session(name="list", python=False, default=False)
def list_exercises(session: nox.Session) -> None:
    """Each exercise with its state from the last grading (not started, failing, passing), and the next one."""
    run_light(session, "list")


@nox.session(python=False, default=False)
def hint(session: nox.Session) -> None:
    """The hint of an exercise (nox -s hint -- counter), one more step each time; --all for every step."""
    run_light(session, "hint")


def run_light(session: nox.Session, command: str) -> None:
    """list and hint read only the catalog and .grader/: nox's own Python runs them, no venv needed."""
    if sys.version_info < (3, 10):  # noqa: UP036 - nox's own Python may be older than the kit's
        session.error(f"nox runs on Python {sys.version.split()[0]}; use: python -m grader {command}")
    session.run(sys.executable, "-m", "grader", command, *session.posargs)


@nox.session(default=False)
def watch(session: nox.Session) -> None:
    """Regrade an exercise each time its module is saved (nox -s watch -- counter); Ctrl-C stops."""
    install_kit(session, extra="watch")
    session.run("python", "-m", "grader", "watch", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the kit's own test suite: solutions score full marks, stubs 0, mutants lose points."""
    require_full_kit(session)
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("-e", ".")
    session.run("pytest", "-n", "auto", *session.posargs)  # -n 0 to run serially


# The tests of what depends on the interpreter: grading (preemption through sys.setswitchinterval
# and the audit hook), the scheduler (sys.settrace before 3.12, sys.monitoring from 3.12 on), replay
# IDs and the interpreter record. CI runs them on 3.11 (in `tests`) and on 3.12 or 3.13 (`compat`).
INTERPRETER_TESTS = ("tests/test_grading.py", "tests/test_explain.py", "tests/test_replay_id.py",
                     "tests/test_interpreter.py")


@nox.session(python=["3.10", "3.11", "3.12", "3.13"], default=False)
def compat(session: nox.Session) -> None:
    """Grade solutions/ and the stubs, and run the scheduler (bytecode-level), on every supported Python."""
    require_full_kit(session)
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("-e", ".")
    session.run("pytest", "-n", "auto", *INTERPRETER_TESTS, *session.posargs)


def free_threaded_python() -> str:
    """python3.13t from PATH, else the one scripts/build-python3.13t.sh builds, else the bare spec
    (nox then says it cannot find it: build it with that script)."""
    for candidate in (shutil.which("python3.13t"), Path.home() / ".cache/py313t/bin/python3.13t"):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return "3.13t"


@nox.session(python=free_threaded_python(), default=False)
def freethreaded(session: nox.Session) -> None:
    """The grading and scheduler tests on a free-threaded Python (python3.13t; scripts/build-python3.13t.sh)."""
    require_full_kit(session)
    session.run("python", "-c", "import sys; assert not sys._is_gil_enabled(), 'not a free-threaded build'")
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("-e", ".")
    # PYTHON_GIL=0 keeps the GIL off even if a dependency's extension module lacks free-threading support.
    # The mutants and the alternative correct submissions too: a build without the GIL must not
    # change which submissions pass.
    session.run("pytest", "-n", "auto", *INTERPRETER_TESTS, "tests/test_mutants.py", *session.posargs,
                env={"PYTHON_GIL": "0"})


@nox.session(default=False)
def lint(session: nox.Session) -> None:
    """ruff (rules chosen in pyproject.toml) on the whole kit, and mypy on grader/."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.install("-e", ".[instructor,watch]")  # mypy follows grader's imports: pytest, jinja2, watchfiles
    session.run("ruff", "check", ".")
    session.run("mypy", "grader")


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


@nox.session(python=False, default=False)
def gradescope(session: nox.Session) -> None:
    """Build Gradescope's autograder zip (setup.sh, run_autograder, the full kit): -- autograder.zip"""
    require_full_kit(session)
    if len(session.posargs) > 1:
        session.error("usage: nox -s gradescope -- [autograder.zip]")
    session.run(sys.executable, "-m", "grader.platforms", "gradescope", *session.posargs)


@nox.session(python=False, default=False)
def classroom50(session: nox.Session) -> None:
    """Write the Classroom 50 autograder (autograder.py and the full kit) to OUTDIR."""
    require_full_kit(session)
    if len(session.posargs) != 1:
        session.error("usage: nox -s classroom50 -- OUTDIR (then copy it to CLASSROOM/autograders/ASSIGNMENT/)")
    session.run(sys.executable, "-m", "grader.platforms", "classroom50", session.posargs[0])
