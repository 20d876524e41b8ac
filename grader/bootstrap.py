"""Start-up of every process the grader starts: ``python -I bootstrap.py MODULE:FUNCTION ARGS...``.

Run as a script, never imported. ``-I`` keeps the working folder, ``PYTHONPATH`` and the user's
site-packages off ``sys.path``, so a ``grader/`` planted in the work folder is never imported; this
script then puts the kit first on ``sys.path`` and makes the kit's modules load from their source
only (a ``.pyc`` in the kit's ``__pycache__`` could have been planted by an earlier submission).
The grading process's own ``sys.path`` (less its working folder) comes in ``GRADER_SYS_PATH`` and
is appended, so packages it finds (user site, ``PYTHONPATH``) are found here too, after the
kit and the standard library. Finally it calls ``MODULE.FUNCTION(ARGS)`` and exits with what it
returns.
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib.machinery import FileFinder, SourceFileLoader
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.abc import PathEntryFinder

KIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(KIT, "grader")


class KitSourceLoader(SourceFileLoader):
    """A loader that never reads bytecode: without path statistics, the .pyc is not consulted."""

    def path_stats(self, path: str) -> dict[str, float]:
        raise OSError("the kit is always compiled from its source")


_kit_finder = FileFinder.path_hook((KitSourceLoader, [".py"]))


def kit_hook(path: str) -> PathEntryFinder:
    """Finders for the kit's own folders; every other path goes to Python's usual hooks."""
    if path in (KIT, PACKAGE) or path.startswith(PACKAGE + os.sep):
        return _kit_finder(path)
    raise ImportError(path)


def main() -> None:
    sys.path_hooks.insert(0, kit_hook)
    sys.path.insert(0, KIT)
    for entry in os.environ.get("GRADER_SYS_PATH", "").split(os.pathsep):
        if entry and entry not in sys.path:
            sys.path.append(entry)
    sys.path_importer_cache.clear()
    module, function = sys.argv[1].split(":")
    sys.exit(getattr(importlib.import_module(module), function)(sys.argv[2:]))


if __name__ == "__main__":
    main()
