"""Shared fixtures of the kit's tests."""
