"""``python -m grader``: see grader.cli.

``list`` and ``hint`` need only the standard library and the catalog: they are dispatched here,
before grader.cli imports the grading machinery (pytest), so that ``nox -s list`` runs in nox's
own interpreter without a virtual environment.
"""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] in (["list"], ["hint"]):
        from grader import loop

        sys.exit(loop.list_main(sys.argv[2:]) if sys.argv[1] == "list" else loop.hint_main(sys.argv[2:]))
    from grader.cli import main

    sys.exit(main())
