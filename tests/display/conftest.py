"""Fixtures of the display tests: the screenshot fixture of the window tests."""

from tests.ui.conftest import screenshot  # noqa: F401  (a fixture, found by pytest here)
