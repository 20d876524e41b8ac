"""Autograder for the concurrency exercise kit: ``python -m grader --help``.

One module per concern:

- ``catalog``: the exercises, their checks and points (the one list everything reads)
- ``cli``: the command line; ``batch``: class-wide grading; ``edition``: the student edition
- ``loop``: ``list`` and ``hint`` (the last grading, remembered in .grader/); ``watch``: regrade on save
- ``runner``: one isolated child process per exercise, and the parent's verdicts
- ``child``, ``plugin``, ``limits``, ``channel``, ``integrity``: inside and around that child
- ``sandbox``, ``bootstrap``: how the child starts (``python -I``, bubblewrap where it works) and
  how nothing it started outlives it; ``integrity`` also hashes the kit between gradings
- ``preempt``: forced thread switches inside the submission, so races show up
- ``scheduler``, ``explain``: the controlled scheduler that finds and replays a failing interleaving
- ``report``, ``render``, ``formats``: the results, the score table, and the score files
- ``testing``: helpers for the grading suites in ``suites/``; ``power``: the grader's own catch rate
"""

__version__ = "1.0.0"
