"""The student edition: the kit as students receive it, with nothing that gives answers away.

``nox -s student_kit -- OUTDIR`` (or ``python -m grader.edition OUTDIR``) writes the stubs, the
visible and practice suites, the grader, the noxfile, the contract (docs/SPEC.md) and a README for
students, and leaves out ``solutions/``, the hidden stress suites, the kit's own tests (mutants,
alternatives) and the instructors' tools. Which suites stay behind is decided by the catalog's
tiers (``Tier.shipped``); this module only leaves those folders out.

Every file comes from git's HEAD, never from the working tree: an instructor who tried the
exercises in their checkout hands out the committed stubs, not their answers. A committed stub
that implements a function is refused, and so is a folder that is not a git checkout.
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader import stubs
from grader.catalog import EXERCISES, Tier

ROOT = Path(__file__).resolve().parent.parent

# What a student receives, relative to the kit's root. Everything else stays behind.
SHIPPED = ["exercises", "grader", "docs/SPEC.md", "docs/spec-map.md", "noxfile.py", "pyproject.toml", "README.md",
           ".gitignore", ".github/workflows/grade.yml"]
# Inside what ships, what does not: the suites of tiers that do not ship (today: hidden/), and
# instructor-only modules.
WITHHELD = [f"grader/suites/{tier.value}" for tier in Tier if not tier.shipped] + [
    "grader/power.py", "grader/edition.py", "grader/platforms.py",
    "grader/summary.py"]
IGNORED_PARTS = {"__pycache__", ".pytest_cache"}
# The README's parts for students lie between these markers; the rest (instructors, maintainers)
# stays behind.
STUDENT_PART = re.compile(r"<!-- student-edition:start -->\n(.*?)<!-- student-edition:end -->\n?", re.DOTALL)
STUDENT_NOTE = """\
> **Student edition.** `nox -s grade` runs two kinds of checks on your work in `exercises/`:
> functional checks, and *practice* stress checks that run your code in many threads while the
> grader forces thread switches inside it, so a race costs points here, with the interleaving
> that broke it and a `--replay` command. Your instructor's grading adds hidden stress checks
> (other sizes, other scenarios, many more runs) worth the remaining points: the score table
> says how many. The contract of every module is in [docs/SPEC.md](docs/SPEC.md).
"""


class EditionError(Exception):
    """The edition cannot be written (OUTDIR not empty or inside the kit, no git, a solved stub)."""


@dataclass
class Edition:
    """What was written: the files (relative to OUTDIR) and what differed from HEAD."""

    files: list[Path]
    commit: str
    not_shipped: list[str] = field(default_factory=list)  # working-tree changes left behind


def check_outdir(outdir: Path, root: Path = ROOT) -> None:
    if outdir.exists() and any(outdir.iterdir()):
        raise EditionError(f"{outdir} is not empty: give a new or empty folder")
    if outdir.resolve().is_relative_to(root.resolve()):
        raise EditionError(f"{outdir} is inside the kit: give a folder outside it, so nothing mixes")


def git(root: Path, *args: str, check: bool = True) -> bytes:
    """Run git in *root*; an EditionError that says what is missing when it cannot.

    With ``check=False`` a silent non-zero exit gives b"" instead (a question git answered "no").
    """
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], check=False, capture_output=True, timeout=60)
    except FileNotFoundError:
        raise EditionError(
            "git is not installed: the edition is built from the stubs committed at git's HEAD, "
            "so that no answer tried in exercises/ is handed out"
        ) from None
    if proc.returncode != 0 and not check and not proc.stderr.strip():
        return b""  # a quiet "no" (rev-parse --verify --quiet), not a failure
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        if "not a git repository" in " ".join(message):
            raise EditionError(
                f"{root} is not a git checkout: the edition is built from the stubs committed at "
                "git's HEAD, so that no answer tried in exercises/ is handed out; build it from a "
                "clone of the kit"
            )
        raise EditionError(f"git {' '.join(args)} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def is_shipped(path: str) -> bool:
    """True when *path* (relative, with /) belongs to the edition."""
    if IGNORED_PARTS.intersection(path.split("/")) or path.endswith(".pyc"):
        return False
    inside = [item for item in SHIPPED if path == item or path.startswith(item + "/")]
    withheld = [item for item in WITHHELD if path == item or path.startswith(item + "/")]
    return bool(inside) and not withheld


def committed_files(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every shipped file as committed at HEAD: path -> (content, mode)."""
    prefix = git(root, "rev-parse", "--show-prefix").decode().strip()  # the kit may sit in a sub-folder
    archive = git(root, "archive", "--format=tar", f"HEAD:{prefix}")
    files = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            if member.isfile() and is_shipped(member.name):
                data = tar.extractfile(member)
                assert data is not None
                files[member.name] = (data.read(), member.mode)
    return files


def changed_since_head(root: Path) -> list[str]:
    """Shipped paths whose working copy differs from HEAD (modified, staged, new or deleted)."""
    prefix = git(root, "rev-parse", "--show-prefix").decode().strip()
    status = git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", *SHIPPED)
    entries = iter(status.decode("utf-8", "replace").split("\0"))
    paths = []
    for entry in entries:
        if len(entry) > 3:
            paths.append(entry[3:].removeprefix(prefix))
            if entry[0] in "RC":
                next(entries, None)  # the rename's or copy's source path follows
    return sorted(p for p in paths if is_shipped(p))


def solved_functions(source: str) -> list[str]:
    """Functions of a stub that do something else than ``raise NotImplementedError``."""
    return [name for name, todo in stubs.functions(source).items() if not todo]


def check_stubs(files: dict[str, tuple[bytes, int]]) -> None:
    """Refuse committed stubs that are solved (an instructor committed their answers)."""
    for exercise in EXERCISES:
        path = f"exercises/{exercise.filename}"
        if path not in files:
            raise EditionError(f"{path} is not committed at HEAD: the edition needs every stub")
        solved = solved_functions(files[path][0].decode("utf-8"))
        if solved:
            raise EditionError(
                f"{path} at HEAD implements {', '.join(solved[:4])}(): the edition ships stubs only "
                f"(every function raising NotImplementedError); commit the stub, keep answers in solutions/"
            )


def student_readme(text: str) -> str:
    """The README's student parts (between the student-edition markers), with a note on this edition."""
    lines = text.splitlines(keepends=True)
    parts = STUDENT_PART.findall(text)
    if not parts:
        raise EditionError("README.md has no <!-- student-edition:start --> part: nothing to give students")
    body = "".join(part.rstrip("\n") + "\n\n" for part in parts).rstrip("\n")
    return "".join(lines[:1]) + "\n" + STUDENT_NOTE + "\n" + body + "\n"


def write_edition(outdir: Path, root: Path = ROOT) -> Edition:
    """Write the edition of *root*'s HEAD into *outdir*."""
    check_outdir(outdir, root)
    commit = git(root, "rev-parse", "--short", "--verify", "--quiet", "HEAD^{commit}", check=False).decode().strip()
    if not commit:
        raise EditionError(f"{root} has no commit yet: commit the kit (with its stubs) first")
    files = committed_files(root)
    check_stubs(files)
    not_shipped = changed_since_head(root)
    readme, _mode = files["README.md"]
    files["README.md"] = (student_readme(readme.decode("utf-8")).encode("utf-8"), 0o644)
    outdir.mkdir(parents=True, exist_ok=True)
    for name, (data, mode) in sorted(files.items()):
        dest = outdir / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        dest.chmod(mode & 0o777 or 0o644)
    return Edition(sorted(Path(name) for name in files), commit, not_shipped)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.edition",
                                     description="Write the student edition of the kit (from git's HEAD) into OUTDIR.")
    parser.add_argument("outdir", metavar="OUTDIR")
    args = parser.parse_args(argv)
    try:
        edition = write_edition(Path(args.outdir))
    except EditionError as exc:
        print(f"student_kit: error: {exc}", file=sys.stderr)
        return 2
    print(f"student edition of commit {edition.commit} written to {args.outdir}: {len(edition.files)} files, "
          "no solutions, no hidden tests, no kit tests")
    if edition.not_shipped:
        shown = ", ".join(edition.not_shipped[:5]) + (" ..." if len(edition.not_shipped) > 5 else "")
        print(f"note: {len(edition.not_shipped)} file(s) differ from HEAD and were shipped as committed, "
              f"not as in your working tree: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
