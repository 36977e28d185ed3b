"""The counter app on a damaged centre database (issue 15, item 25): the login says the file is
damaged, names it and says to restore the last backup, in the clerk's language, and its button
stays disabled whatever is typed; the file is not modified. The files are built once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from counter_app.services.config import AppConfig
from counter_app.ui.login.login import LoginWindow
from counter_app.ui.shell.app import Shell, make_application
from tests.helpers.bidi import plain
from tests.helpers.corrupt import KINDS, build_corrupt_files, snapshot

WAIT_MS = 20_000
SAYS = {"ar": ("تالف", "استرجع آخر نسخة احتياطية"), "en": ("is damaged", "Restore the last backup")}


@pytest.fixture(scope="module")
def corrupt_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corrupt_files(tmp_path_factory.mktemp("corrupt-ui"))


@pytest.fixture
def start(qtbot: QtBot, config: AppConfig) -> Iterator[Callable[..., Shell]]:
    make_application()
    shells: list[Shell] = []

    def build(path: Path, *, kiosk: bool = False) -> Shell:
        shell = Shell(config, url=f"sqlite:///{path}", kiosk=kiosk)
        shells.append(shell)
        shell.start()
        qtbot.waitUntil(lambda: shell.startup_error is not None, timeout=WAIT_MS)
        return shell

    yield build
    for shell in shells:
        shell.shutdown()
        if shell.window is not None:
            shell.window.deleteLater()


def _says(login: LoginWindow, path: Path, lang: str) -> bool:
    text = plain(login.error.text())
    return str(path) in text and all(words in text for words in SAYS[lang])


@pytest.mark.expect_log(r"^start-up failed: The centre's database file .+ is damaged", logger="counter_app.ui.shell.app", level="ERROR")
@pytest.mark.parametrize("kind", KINDS)
def test_login_says_the_file_is_damaged_with_the_button_disabled(qtbot: QtBot, start: Callable[..., Shell],
                                                                  corrupt_files: dict[str, Path],
                                                                  kind: str) -> None:
    path = corrupt_files[kind]
    before = snapshot(path)
    shell = start(path, kiosk=kind == "text_file")
    login = shell.window
    assert isinstance(login, LoginWindow)
    qtbot.waitUntil(lambda: _says(login, path, "ar"), timeout=WAIT_MS)
    assert not login.login_button.isEnabled()
    # The clerk types anyway and presses Enter twice, then switches to English (Ctrl+L).
    qtbot.keyClicks(login.username, "clerk1")
    qtbot.keyClicks(login.password, "correct horse 1")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    assert _says(login, path, "ar") and not login.login_button.isEnabled()
    qtbot.keyClick(login, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _says(login, path, "en"), timeout=WAIT_MS)
    assert not login.login_button.isEnabled() and shell.window is login
    assert snapshot(path) == before
