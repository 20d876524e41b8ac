"""Autograder for the concurrency exercise kit: ``python -m grader --help``."""

__version__ = "1.0.0"
