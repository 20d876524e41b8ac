"""Imports a package that is not installed."""

import numpy_that_does_not_exist  # noqa: F401
