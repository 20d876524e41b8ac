"""Defines everything but the Counter class."""


def helper() -> int:
    return 1
