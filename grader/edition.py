"""The student edition: the kit as students receive it, with nothing that gives answers away.

``nox -s student_kit -- OUTDIR`` (or ``python -m grader.edition OUTDIR``) copies the stubs, the
visible suites, the grader, the noxfile and the README, and leaves out ``solutions/``, the hidden
stress suites, the kit's own tests (mutants, alternatives) and the instructors' tools. Which
suites are hidden is decided by the catalog (``Check.hidden``) and the folder they live in; this
module only leaves that folder out. In the edition, ``nox -s grade`` grades the visible checks and
says that the hidden ones run when the instructor grades.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from grader.catalog import Tier

ROOT = Path(__file__).resolve().parent.parent

# What a student receives, relative to the kit's root. Everything else stays behind.
SHIPPED = ["exercises", "grader", "noxfile.py", "pyproject.toml", "README.md", ".gitignore",
           ".github/workflows/grade.yml"]
# Inside what ships, what does not: hidden suites, and instructor-only modules.
# The catalog's tiers decide which suite folders stay behind (today: hidden/).
WITHHELD = [f"grader/suites/{tier.value}" for tier in Tier if not tier.shipped] + [
    "grader/power.py", "grader/edition.py"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
INSTRUCTOR_SECTION = re.compile(r"<!-- instructors:start -->.*?<!-- instructors:end -->\n?", re.DOTALL)
STUDENT_NOTE = (
    "> This is the student edition: `nox -s grade` runs the visible tests. The hidden stress tests,\n"
    "> which hammer your code with many threads, run when your instructor grades.\n"
)


class EditionError(Exception):
    """The edition cannot be written (OUTDIR not empty, or inside the kit)."""


def check_outdir(outdir: Path, root: Path = ROOT) -> None:
    if outdir.exists() and any(outdir.iterdir()):
        raise EditionError(f"{outdir} is not empty: give a new or empty folder")
    if outdir.resolve().is_relative_to(root.resolve()):
        raise EditionError(f"{outdir} is inside the kit: give a folder outside it, so nothing mixes")


def student_readme(text: str) -> str:
    """The README without its instructors' sections, with a note on what this edition runs."""
    text = INSTRUCTOR_SECTION.sub("", text)
    lines = text.splitlines(keepends=True)
    return "".join(lines[:1]) + "\n" + STUDENT_NOTE + "".join(lines[1:])


def write_edition(outdir: Path, root: Path = ROOT) -> list[Path]:
    """Copy what ships into *outdir*; the files written, relative to it."""
    check_outdir(outdir, root)
    outdir.mkdir(parents=True, exist_ok=True)
    for item in SHIPPED:
        source = root / item
        if not source.exists():
            continue
        dest = outdir / item
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest, ignore=IGNORED)
        else:
            shutil.copy2(source, dest)
    for item in WITHHELD:
        path = outdir / item
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    readme = outdir / "README.md"
    readme.write_text(student_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
    return sorted(p.relative_to(outdir) for p in outdir.rglob("*") if p.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.edition",
                                     description="Write the student edition of the kit into OUTDIR.")
    parser.add_argument("outdir", metavar="OUTDIR")
    args = parser.parse_args(argv)
    try:
        files = write_edition(Path(args.outdir))
    except EditionError as exc:
        print(f"student_kit: error: {exc}", file=sys.stderr)
        return 2
    print(f"student edition written to {args.outdir}: {len(files)} files, "
          "no solutions, no hidden tests, no kit tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
