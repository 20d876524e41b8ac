"""Raises at import time."""

raise RuntimeError("configuration file not found")
