"""Fixtures of the window tests: a running app shell on the demo centre, printing to a virtual printer."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from counter_app.common import lanes
from counter_app.services.config import AppConfig
from counter_app.ui.login.login import LoginWindow
from counter_app.ui.shell.app import Shell, make_application
from tests.helpers.factories import PASSWORD, Centre

WAIT_MS = 20_000


@pytest.fixture(autouse=True)
def writes_on_the_write_lane(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every window flow opens its write transactions on the write lane (``ops.write``): one
    opened on the read lane fails the test."""
    misuse: list[str] = []
    monkeypatch.setattr(lanes, "on_misuse", misuse.append)
    yield
    assert misuse == []


@pytest.fixture
def printer_dir(tmp_path: Path) -> Path:
    path = tmp_path / "virtual-printer"
    path.mkdir()
    return path


@pytest.fixture
def config(tmp_path: Path, printer_dir: Path) -> AppConfig:
    url = f"virtual://{printer_dir.as_posix()}"
    return AppConfig(path=tmp_path / "counter.ini", data_dir=tmp_path / "data", lang="ar",
                     counter_number=1, ticket_printer=url, receipt_printer=url)


@pytest.fixture
def make_shell(qtbot: QtBot, site: Centre) -> Iterator[Callable[..., Shell]]:
    make_application()
    shells: list[Shell] = []

    def build(config: AppConfig, **kwargs: Any) -> Shell:
        shell = Shell(config, db=site.db, **kwargs)
        shells.append(shell)
        with qtbot.wait_signal(shell.ready, timeout=WAIT_MS):
            shell.start()
        return shell

    yield build
    for shell in shells:
        shell.shutdown()
        if shell.window is not None:
            shell.window.deleteLater()


@pytest.fixture
def shell(make_shell: Callable[..., Shell], config: AppConfig) -> Shell:
    return make_shell(config)


def log_in(qtbot: QtBot, shell: Shell, username: str, password: str = PASSWORD, counter: int = 1) -> Any:
    """Log in through the login window's widgets; returns the window that opens."""
    login = shell.window
    assert isinstance(login, LoginWindow)
    qtbot.waitUntil(lambda: login.counter.count() > 0, timeout=WAIT_MS)
    login.counter.setCurrentIndex(login.counter.findText(f"شباك {counter}") if shell.lang.lang == "ar"
                                  else login.counter.findText(f"Counter {counter}"))
    login.username.setText(username)
    login.password.setText(password)
    with qtbot.wait_signal(shell.window_changed, timeout=WAIT_MS):
        qtbot.mouseClick(login.login_button, _left())
    return shell.window


def _left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def wait_idle(qtbot: QtBot, shell: Shell) -> None:
    qtbot.waitUntil(lambda: not shell.ops.busy, timeout=WAIT_MS)


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[QWidget, str], Path]:
    """Save a grab of a window as PNG, in ``$SHUBBAK_SCREENSHOTS`` when set (to look at), else in
    the test's temporary folder; the picture must not be empty."""
    folder = Path(os.environ.get("SHUBBAK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save(widget: QWidget, name: str) -> Path:
        path = folder / f"{name}.png"
        image = widget.grab()
        assert not image.isNull() and image.width() > 100
        assert image.save(str(path))
        return path

    return save
