"""Fixtures of the display tests: the screenshot fixture of the window tests, and the application's
style as the display process has it (the counter app's style sheet, left by a window test in the
same process, would set the display's fonts)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import screenshot  # noqa: F401  (a fixture, found by pytest here)


@pytest.fixture(autouse=True)
def display_process_style() -> Iterator[None]:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        yield
        return
    sheet = app.styleSheet()
    app.setStyleSheet("")
    yield
    app.setStyleSheet(sheet)
