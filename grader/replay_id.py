"""What a replay ID depends on, written into the ID, and checked before a replay.

A schedule names its switches by each thread's count of scheduling points (bytecode
instructions of the submission). That count depends on the bytecode, so on the Python version,
and on the module's source. The same racy counter gives ``below.2x1.1-26-2`` on 3.11 and
``below.2x1.1-23-2`` on 3.12; replaying the 3.12 ID on 3.11 switches at another instruction, the
race does not happen, and the replay used to say every invariant held for code that is still racy.

So an ID ends with two stamps: the Python that found it (``py312``; ``py313t`` for a
free-threaded build) and a short hash of the module's source (``3fa9c1``). The racy counter above
gave the same schedule on 3.13.0 and on the free-threaded 3.13.5, but nothing promises that the
two builds count instructions alike, so the build is part of the stamp too:

    below.2x1.1-26-2.py311.3fa9c1

``--replay`` refuses an ID whose stamps do not match and says what to do, instead of a verdict.
The scenario key stays first, so the exercise can be told from the ID alone (:func:`exercise_key`).

Why not name switch points portably (source line, and the k-th scheduling point on that line)?
Measured on 3.10.13, 3.11.7, 3.12.1 and 3.13.0 with the kit's nine racy counter and pool mutants
(two schedules found per mutant and version, each replayed by line name on the three other
versions): 195 of 216 cross-version replays broke the invariant again, 21 did not (the counter's
reset_in_two_steps and return_read_after_release, the pool's idle_list_without_lock). A line's
instructions differ between versions, so "the 9th point on line 34" falls before a read on one
version and after it on another. Names that fail one replay in ten would bring back the wrong
all-clear, so IDs stay bound to the Python and the source they were found on, and a mismatch is
refused with the next step to take.
"""

from __future__ import annotations

import hashlib
import sys
import sysconfig
from pathlib import Path

HASH_LENGTH = 6  # hex digits of sha256: 1 in 16 million that an edited module keeps its hash


def python_tag() -> str:
    """``py312`` for CPython 3.12, ``py313t`` for a free-threaded (no-GIL) build of 3.13."""
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    return f"py{sys.version_info.major}{sys.version_info.minor}{'t' * free_threaded}"


def describe_tag(tag: str) -> str:
    """``py313t`` -> ``Python 3.13 (free-threaded build)``, for messages."""
    digits = tag.removeprefix("py").removesuffix("t")
    version = f"{digits[0]}.{digits[1:]}" if digits.isdigit() and len(digits) >= 2 else digits
    return f"Python {version}" + (" (free-threaded build)" if tag.endswith("t") else "")


def _version_spec(tag: str) -> str:
    """``py313t`` -> ``3.13t``: how python3.13t and ``nox -P`` name that Python."""
    digits = tag.removeprefix("py").removesuffix("t")
    return f"{digits[0]}.{digits[1:]}{'t' * tag.endswith('t')}"


def source_hash(module: Path) -> str:
    """A short hash of the module's source; line endings do not count (a CRLF checkout replays)."""
    text = module.read_bytes().replace(b"\r\n", b"\n")
    return hashlib.sha256(text).hexdigest()[:HASH_LENGTH]


def stamp(schedule_id: str, module: Path) -> str:
    """The full replay ID: the schedule's ID, this Python's tag and the module's source hash."""
    return f"{schedule_id}.{python_tag()}.{source_hash(module)}"


def exercise_key(replay_id: str) -> str:
    """The scenario key an ID starts with (``inc``, ``below``, ``pool1`` ...): it names the exercise."""
    return replay_id.strip().split(".", 1)[0]


def split(replay_id: str) -> tuple[str, str, str]:
    """(schedule ID, Python tag, source hash) of a full ID; ("id", "", "") when it has no stamps."""
    parts = replay_id.strip().split(".")
    if len(parts) >= 4 and _is_tag(parts[-2]) and _is_hash(parts[-1]):
        return ".".join(parts[:-2]), parts[-2], parts[-1]
    return replay_id.strip(), "", ""


def _is_tag(text: str) -> bool:
    return text.startswith("py") and text.removeprefix("py").removesuffix("t").isdigit()


def _is_hash(text: str) -> bool:
    return len(text) == HASH_LENGTH and all(c in "0123456789abcdef" for c in text)


def mismatch(replay_id: str, module: Path) -> str:
    """Why this ID cannot be replayed here, with what to do instead; "" when it can."""
    _, tag, digest = split(replay_id)
    name = module.name
    if not tag:
        return (f"{replay_id.strip()!r} does not say which Python found it or for which {name} (an ID "
                "from an older grader): grade again to get an ID that can be replayed")
    if tag != python_tag():
        found, here, spec = describe_tag(tag), describe_tag(python_tag()), _version_spec(tag)
        return (f"this ID was found on {found}, and this is {here}: a schedule names bytecode "
                f"instructions, which differ between versions. Run it with {spec} (python{spec} -m grader "
                f"..., or nox -P {spec} -s grade -- ...), or grade again to get an ID for this Python")
    if not module.is_file():
        return f"there is no {name} in the target folder to replay this ID on"
    if digest != source_hash(module):
        return (f"{name} has changed since this ID was found: grade again (the schedule it names "
                "may not exist in the new code, so replaying it could not tell whether a race is left)")
    return ""
