"""Which Python graded: recorded in the report and printed under the score table.

Races behave differently on a free-threaded build (PEP 703; officially supported since 3.14 by
PEP 779): with the GIL off, threads run Python code truly in parallel, so an unlocked counter
loses updates even without the grader's forced switches. A score, a replay ID and a timeline all
depend on the build, so the report says which one it was.
"""

from __future__ import annotations

import platform
import sys
import sysconfig
import threading
from typing import Any


def free_threaded() -> bool:
    """Whether this interpreter was built without the GIL (``--disable-gil``, python3.13t)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    """Whether the GIL is on now. A free-threaded build turns it back on with PYTHON_GIL=1 or
    when it imports an extension module that does not declare free-threading support."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def describe() -> dict[str, Any]:
    """The ``interpreter`` object of the JSON report."""
    return {
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
        "free_threaded": free_threaded(),
        "gil_enabled": gil_enabled(),
        "platform": sys.platform,
    }


def summary(info: dict[str, Any] | None = None) -> str:
    """One line for the terminal: ``graded on CPython 3.13.5, free-threaded build, GIL off``."""
    info = info or describe()
    build = "free-threaded build" if info["free_threaded"] else "default build"
    gil = "GIL on" if info["gil_enabled"] else "GIL off"
    return f"graded on {info['implementation']} {info['version']} ({build}, {gil})"


class _Unlocked:
    """The classic mistake: ``self.value += 1`` with no lock (a read, an add and a write)."""

    def __init__(self) -> None:
        self.value = 0


def lost_increments(threads: int = 4, increments: int = 200_000) -> int:
    """Run *threads* threads doing unlocked ``+= 1`` at full speed, with no forced switches, and
    return how many increments were lost. On the default build this is almost always 0 (a thread
    switch rarely lands inside ``+= 1``), on a free-threaded build usually hundreds of thousands:
    the race was there all along, the GIL only made it rare."""
    counter = _Unlocked()
    start = threading.Barrier(threads)

    def body() -> None:
        start.wait()
        for _ in range(increments):
            counter.value += 1

    workers = [threading.Thread(target=body) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return threads * increments - counter.value


def main() -> None:
    """``python -m grader.interpreter``: which build is this, and what it does to an unlocked counter."""
    print(summary().replace("graded on", "this is", 1))
    runs = [lost_increments() for _ in range(3)]
    print(f"4 threads x 200,000 unlocked increments, 3 times: {', '.join(f'{n:,}' for n in runs)} lost")


if __name__ == "__main__":
    main()
