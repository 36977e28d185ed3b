"""The display window with its watcher on a real database; calls made by another process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from counter_app.common.i18n import strip_isolates
from counter_app.core import queue
from counter_app.core.db import Database
from queue_display.announcer import Announcer
from queue_display.watcher import Watcher
from queue_display.window import DisplayController, DisplayWindow
from tests.display.test_state_voice import RecordingPlayer
from tests.helpers.bidi import assert_reads_in_order
from tests.helpers.factories import Centre, build_centre
from tests.helpers.postgres import Cluster

WAIT_MS = 15_000
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = Path("/tmp/display_ar.png")
CALL = """
import sys
from counter_app.core.db import Database
from counter_app.core import queue
db = Database(sys.argv[1], migrate=False)
with db.begin() as s:
    t = queue.call_next(s, int(sys.argv[2]), int(sys.argv[3]))
    print(f"{t.letter}-{t.number:03d}")
db.dispose()
"""


def call_in_other_process(url: str, counter_id: int, clerk_id: int) -> str:
    result = subprocess.run([sys.executable, "-c", CALL, url, str(counter_id), str(clerk_id)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    return result.stdout.strip()


class Screen:
    def __init__(self, url: str, lang: str = "ar", groups: frozenset[str] | None = None) -> None:
        QApplication.instance() or QApplication([])
        self.player = RecordingPlayer(0.05)
        self.controller = DisplayController()
        self.announcer = Announcer(["ar", "en"], self.player)
        self.window = DisplayWindow(lang, sorted(groups or ()), self.announcer)
        self.controller.state_changed.connect(self.window.set_state)
        self.controller.status_changed.connect(self.window.set_status)
        self.watcher = Watcher(url, self.controller.on_state, self.controller.on_status, groups)
        self.window.resize(1920, 1080)
        self.window.show()
        self.watcher.start()

    def close(self) -> None:
        self.watcher.stop()
        self.announcer.stop()
        self.window.close()
        self.window.deleteLater()


@pytest.fixture
def screen_factory(qtbot: QtBot) -> Iterator[list[Screen]]:
    screens: list[Screen] = []
    yield screens
    for screen in screens:
        screen.close()


def test_call_from_another_process_appears_and_is_announced(qtbot: QtBot, db_url: str, site: Centre,
                                                             screen_factory: list[Screen]) -> None:
    with site.db.begin() as s:
        for letter in "AAB":
            queue.issue_ticket(s, letter)
    screen = Screen(db_url)
    screen_factory.append(screen)
    window = screen.window
    qtbot.waitUntil(lambda: window.state is not None, timeout=WAIT_MS)
    assert window.now_ticket.text() == "—" and window.announced == []
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft

    first = call_in_other_process(db_url, site.counter_ids[0], site.clerk_ids[0])
    qtbot.waitUntil(lambda: window.state is not None and window.state.now_calling is not None, timeout=WAIT_MS)
    assert first == "A-001"
    # the ticket's own characters (Western digits, as printed), the running text in Arabic-Indic digits
    assert window.now_ticket.text() == "\u2066A-001\u2069"
    assert_reads_in_order(window.now_ticket.text(), "A-001", rtl=True)
    assert strip_isolates(window.now_counter.text()) == "تفضل إلى الشباك ١"
    assert window.flashing
    second = call_in_other_process(db_url, site.counter_ids[1], site.clerk_ids[1])
    qtbot.waitUntil(lambda: len(window.announced) == 2, timeout=WAIT_MS)
    assert [a.ticket for a in window.announced] == [first, second]
    assert window.now_ticket.text() == f"\u2066{second}\u2069"
    assert window.recent_rows[0][0].text() == "\u2066A-001\u2069"
    assert strip_isolates(window.recent_rows[0][1].text()) == "الشباك ١"
    qtbot.waitUntil(lambda: len(screen.player.played) == 2, timeout=WAIT_MS)
    assert window.state is not None
    waiting = {g.letter: g for g in window.state.waiting}
    assert (waiting["A"].waiting, waiting["B"].waiting) == (0, 1)
    shown = strip_isolates(window.waiting.text()).replace("\u00a0", " ")  # items joined unbreakably
    assert shown.startswith("المنتظرون — ") and f"{waiting['A'].name_ar}: لا أحد" in shown
    assert f"{waiting['B'].name_ar}: شخص واحد" in shown
    assert not any("0" <= c <= "9" for c in strip_isolates(window.clock.text()))  # Arabic-Indic clock
    assert "، " in window.ticker.text and " ج.م" in window.ticker.text
    window.grab().save(str(SCREENSHOT))  # looked at by hand: A-002 large, A-001 in the recent calls


def test_english_layout_and_group_filter(qtbot: QtBot, tmp_path: Path, screen_factory: list[Screen]) -> None:
    url = f"sqlite:///{tmp_path / 'centre.sqlite3'}"
    db = Database(url)
    site = build_centre(db)
    with db.begin() as s:
        queue.issue_ticket(s, "A")
        queue.issue_ticket(s, "B")
    screen = Screen(url, "en", frozenset({"B"}))
    screen_factory.append(screen)
    window = screen.window
    qtbot.waitUntil(lambda: window.state is not None, timeout=WAIT_MS)
    assert window.layoutDirection() == Qt.LayoutDirection.LeftToRight
    call_in_other_process(url, site.counter_ids[0], site.clerk_ids[0])  # another display's group
    call_in_other_process(url, site.counter_ids[1], site.clerk_ids[1])  # B-001
    qtbot.waitUntil(lambda: window.state is not None and window.state.now_calling is not None, timeout=WAIT_MS)
    assert window.now_ticket.text() == "\u2066B-001\u2069"
    assert strip_isolates(window.now_counter.text()) == "Please go to counter 2"
    assert [a.ticket for a in window.announced] == ["B-001"]
    assert strip_isolates(window.waiting.text()).replace("\u00a0", " ") == "Waiting — Building and planning: 0 people"
    ticker = strip_isolates(window.ticker.text)
    assert ticker.startswith("Building permit: ") and "— fee EGP " in ticker
    db.dispose()


@pytest.mark.expect_log(r"^display-watcher cannot read the database \(attempt \d+\): ", logger="counter_app.core.changes")
def test_sqlite_file_gone_then_back(qtbot: QtBot, tmp_path: Path, screen_factory: list[Screen]) -> None:
    path = tmp_path / "centre.sqlite3"
    url = f"sqlite:///{path}"
    db = Database(url)
    site = build_centre(db)
    with db.begin() as s:
        queue.issue_ticket(s, "A")
        queue.issue_ticket(s, "A")
    db.dispose()
    screen = Screen(url)
    screen_factory.append(screen)
    window = screen.window
    qtbot.waitUntil(lambda: window.status.connected, timeout=WAIT_MS)
    away = tmp_path / "moved.sqlite3"
    path.rename(away)  # the database disappears (share unmounted, disk swapped…)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT_MS)
    assert window.banner.text().startswith("انقطع الاتصال")
    away.rename(path)
    qtbot.waitUntil(lambda: window.status.connected and not window.banner.isVisible(), timeout=WAIT_MS)
    call_in_other_process(url, site.counter_ids[0], site.clerk_ids[0])
    qtbot.waitUntil(lambda: window.state is not None and window.state.now_calling is not None, timeout=WAIT_MS)


@pytest.mark.expect_log(r"^display-watcher cannot read the database \(attempt \d+\): ", logger="counter_app.core.changes")
@pytest.mark.postgres
def test_postgres_stops_then_comes_back(qtbot: QtBot, screen_factory: list[Screen]) -> None:
    """A cluster of its own (even when SHUBBAK_TEST_PG_URL names a shared server): it is stopped."""
    cluster = Cluster()
    cluster.start()
    try:
        url = cluster.create_database()
        db = Database(url)
        site = build_centre(db)
        with db.begin() as s:
            queue.issue_ticket(s, "A")
        db.dispose()
        screen = Screen(url)
        screen_factory.append(screen)
        window = screen.window
        qtbot.waitUntil(lambda: window.status.connected, timeout=WAIT_MS)
        cluster.pause()
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT_MS)
        cluster.resume()
        qtbot.waitUntil(lambda: window.status.connected and not window.banner.isVisible(), timeout=30_000)
        call_in_other_process(url, site.counter_ids[0], site.clerk_ids[0])
        qtbot.waitUntil(lambda: window.state is not None and window.state.now_calling is not None,
                        timeout=WAIT_MS)
        screen.close()
        screen_factory.remove(screen)
    finally:
        cluster.stop()
