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


if __name__ == "__main__":
    print(summary())
