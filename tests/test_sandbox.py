"""The grading child's isolation, in both modes of grader.sandbox: bubblewrap and none.

Tests marked with ``needs_bwrap`` run where bubblewrap works (``.ci/run`` installs it) and are
skipped, saying why, where it does not (no user namespaces, not Linux). The hostile submissions
are in tests/hostile/sandbox/: each replaces counter.py in a copy of solutions/.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader import sandbox
from grader.integrity import KitChanged, KitGuard, describe_changes, kit_fingerprint
from grader.report import validate
from tests.kit import HOSTILE, ROOT, SOLUTIONS, grade, submission_with

SANDBOXED = HOSTILE / "sandbox"
ESCAPE_TOKEN = "hostile-escape-5c1e"  # in the command line of escapes_by_double_fork's escape

needs_bwrap = pytest.mark.skipif(
    bool(sandbox.bwrap_problem()), reason=f"bubblewrap is not usable here: {sandbox.bwrap_problem()}"
)
BOTH_MODES = [pytest.param("none"), pytest.param("bwrap", marks=needs_bwrap)]


def live_processes_with(token: str) -> dict[int, str]:
    """{pid: command line} of live (not zombie) processes whose command line contains *token*."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if token.encode() in cmdline:
            found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")[:120]
    return found


def kit_copy(tmp_path: Path) -> Path:
    """A writable copy of the kit's grader/ package (a test may let a submission edit it)."""
    root = tmp_path / "kit"
    shutil.copytree(ROOT / "grader", root / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    return root


# -- start-up isolation (both modes) -----------------------------------------------------------
def test_child_start_ignores_a_grader_package_in_its_working_folder(tmp_path: Path) -> None:
    planted = tmp_path / "grader"
    planted.mkdir()
    (planted / "__init__.py").write_text("raise SystemExit('the planted grader package was imported')\n")
    proc = subprocess.run(sandbox.python_command("grader.cli", "main", ["--help"]), cwd=tmp_path, check=False,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout


def test_child_start_keeps_the_graders_sys_path_but_not_its_working_folder(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "site"  # stands for the user's site-packages or a PYTHONPATH folder
    extra.mkdir()
    (extra / "extra_module.py").write_text("def main(argv):\n    print('found', argv)\n    return 0\n")
    monkeypatch.syspath_prepend(str(extra))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    env = sandbox.path_env()
    assert str(extra) in env["GRADER_SYS_PATH"].split(os.pathsep)
    assert str(tmp_path) not in env["GRADER_SYS_PATH"].split(os.pathsep)
    proc = subprocess.run(sandbox.python_command("extra_module", "main", ["x"]), cwd=tmp_path, check=False,
                          capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert proc.stdout.strip() == "found ['x']", proc.stderr


def test_child_start_compiles_the_kit_from_source_not_from_planted_bytecode(tmp_path: Path) -> None:
    kit = kit_copy(tmp_path)
    source = kit / "grader" / "channel.py"
    fake = compile("raise SystemExit('planted bytecode was run')", str(source), "exec")
    stat = source.stat()
    pyc = Path(importlib.util.cache_from_source(str(source)))
    pyc.parent.mkdir(exist_ok=True)
    # a valid timestamp .pyc for channel.py's real size and time: Python would load it
    header = importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")
    header += int(stat.st_mtime).to_bytes(4, "little") + (stat.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    pyc.write_bytes(header + marshal.dumps(fake))
    plain = subprocess.run([sys.executable, "-c", "import grader.channel"], cwd=kit, check=False,
                           capture_output=True, text=True, timeout=60)
    assert "planted bytecode was run" in plain.stderr, "the planted .pyc should fool a plain import"
    proc = subprocess.run(sandbox.python_command("grader.cli", "main", ["--help"], kit=kit), cwd=tmp_path,
                          check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "planted bytecode" not in proc.stderr


@pytest.mark.parametrize("mode", BOTH_MODES)
def test_an_escaped_process_does_not_outlive_the_grading(tmp_path: Path, mode: str) -> None:
    target = submission_with(tmp_path, {"counter": SANDBOXED / "escapes_by_double_fork.py"})
    graded = grade(target, tmp_path, "--exercise", "counter", "--sandbox", mode)
    try:
        assert graded.returncode == 0, graded.stderr[-2000:]
        assert not live_processes_with(ESCAPE_TOKEN), "the escape outlived the grading"
        assert graded.report is not None and validate(graded.report) == []
        assert graded.report["sandbox"] == mode
        assert graded.exercise("counter")["score"] == 20, graded.lost("counter")
        time.sleep(1.0)  # the escape rewrote the report paths every 0.5 s while it lived
        assert json_of(tmp_path / "report.json") == graded.report, "the report was rewritten after the grading"
        shown = "sandbox: bubblewrap" if mode == "bwrap" else "sandbox: none"
        assert shown in graded.stdout
    finally:
        for pid in live_processes_with(ESCAPE_TOKEN):  # never leave one behind, even on failure
            os.kill(pid, signal.SIGKILL)


def json_of(path: Path) -> dict[str, object]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("mode", BOTH_MODES)
def test_a_planted_grader_package_is_never_imported(tmp_path: Path, mode: str) -> None:
    target = submission_with(tmp_path, {"counter": SANDBOXED / "plants_grader_package.py"})
    tmpdir = tmp_path / "tmp"  # the grader's work folders go here: the submission plants into them
    tmpdir.mkdir()
    graded = grade(target, tmp_path, "--exercise", "counter", "--exercise", "semaphore_pool", "--sandbox", mode,
                   env={"TMPDIR": str(tmpdir)})
    assert graded.returncode == 0, graded.stderr[-2000:]
    assert graded.exercise("counter")["score"] == 20, graded.lost("counter")
    assert graded.exercise("semaphore_pool")["score"] == 20, graded.lost("semaphore_pool")
    assert list(tmpdir.iterdir()) == [], "work folders were left behind"


# -- what only bubblewrap prevents ---------------------------------------------------------------
@needs_bwrap
def test_files_written_to_tmp_stay_in_the_sandbox(tmp_path: Path) -> None:
    before = set(Path("/tmp").glob("hostile-fills-tmp-*"))
    target = submission_with(tmp_path, {"counter": SANDBOXED / "fills_tmp.py"})
    graded = grade(target, tmp_path, "--exercise", "counter", "--sandbox", "bwrap")
    left = set(Path("/tmp").glob("hostile-fills-tmp-*")) - before
    for path in left:
        path.unlink()
    assert not left, f"{len(left)} files reached the machine's /tmp"
    assert graded.exercise("counter")["score"] == 20, graded.lost("counter")


@needs_bwrap
def test_the_sandbox_hides_report_paths_other_submissions_and_home(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    klass.mkdir()
    target = submission_with(klass, {"counter": SANDBOXED / "looks_around.py"})
    shutil.copytree(SOLUTIONS, klass / "another_student", ignore=shutil.ignore_patterns("__pycache__"))
    graded = grade(target, tmp_path, "--exercise", "counter", "--sandbox", "bwrap")
    assert graded.exercise("counter")["score"] == 20, graded.exercise("counter")["message"]


def test_without_bwrap_auto_falls_back_and_bwrap_is_refused(tmp_path: Path) -> None:
    no_bwrap = tmp_path / "bin"
    no_bwrap.mkdir()
    env = {**os.environ, "PATH": str(no_bwrap)}
    run = [sys.executable, "-m", "grader", "--target", str(SOLUTIONS), "--exercise", "counter", "--quiet"]
    refused = subprocess.run([*run, "--sandbox", "bwrap"], cwd=ROOT, env=env, check=False, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 2
    assert "bubblewrap cannot be used here" in refused.stderr
    graded = subprocess.run([*run, "--sandbox", "auto", "--json", str(tmp_path / "r.json")], cwd=ROOT, env=env,
                            check=False, capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, graded.stderr[-2000:]
    assert "sandbox: none (bwrap is not installed" in graded.stdout
    assert json_of(tmp_path / "r.json")["sandbox"] == "none"


# -- kit integrity ---------------------------------------------------------------------------------
def test_kit_guard_names_changed_added_and_removed_files(tmp_path: Path) -> None:
    kit = kit_copy(tmp_path) / "grader"
    site_dir = tmp_path / "site-packages"
    site_dir.mkdir()
    (site_dir / "ok.pth").write_text("/somewhere\n")
    guard = KitGuard(kit, [site_dir])
    guard.check("now")  # nothing changed yet
    (kit / "preempt.py").write_text((kit / "preempt.py").read_text() + "\n# edited\n")
    (site_dir / "evil.pth").write_text("import os\n")
    (kit / "suites" / "visible" / "test_counter.py").unlink()
    with pytest.raises(KitChanged) as raised:
        guard.check("while grading alice")
    message = str(raised.value)
    assert "while grading alice" in message
    for fragment in ("preempt.py changed", "evil.pth added", "test_counter.py removed"):
        assert fragment in message
    assert describe_changes(guard.before, guard.before) == ""


def test_kit_fingerprint_leaves_bytecode_out(tmp_path: Path) -> None:
    kit = kit_copy(tmp_path) / "grader"
    before = kit_fingerprint(kit, [])
    (kit / "__pycache__").mkdir(exist_ok=True)
    (kit / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert kit_fingerprint(kit, []) == before


def kit_digest(kit: Path) -> str:
    files = sorted(p for p in (kit / "grader").rglob("*.py") if "__pycache__" not in p.parts)
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


@pytest.mark.parametrize("mode", BOTH_MODES)
def test_a_batch_stops_when_a_submission_edits_the_kit(tmp_path: Path, mode: str) -> None:
    kit = kit_copy(tmp_path)
    klass = tmp_path / "class"
    klass.mkdir()
    submission_with(klass, {"counter": SANDBOXED / "edits_kit.py"}).rename(klass / "alice")
    shutil.copytree(SOLUTIONS, klass / "bob", ignore=shutil.ignore_patterns("__pycache__"))
    before = kit_digest(kit)
    csv = tmp_path / "grades.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "--submissions", str(klass), "--csv", str(csv), "--jobs", "1",
         "--exercise", "counter", "--quiet", "--sandbox", mode],
        cwd=kit, check=False, capture_output=True, text=True, timeout=900,
    )
    if mode == "bwrap":  # read-only kit: the edit fails, the class is graded
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert kit_digest(kit) == before, "the kit changed under bubblewrap"
        assert "alice" in csv.read_text() and "bob" in csv.read_text()
        return
    assert kit_digest(kit) != before, "the submission should have been able to edit a writable kit"
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "the grading kit changed while grading alice" in proc.stderr
    assert "preempt.py changed" in proc.stderr
    assert "bob" not in csv.read_text(), "bob was graded with a changed kit"
