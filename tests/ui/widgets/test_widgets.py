"""The shared widgets of ``counter_app/ui/widgets`` on their own, in the application's style: the
message line, the read-only table, the window header and the style sheet built from the palette."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QLayout,
    QMainWindow,
    QTableWidgetItem,
    QWidget,
)
from pytestqt.qtbot import QtBot

from counter_app.common.i18n import gettext
from counter_app.common.palette import PALETTE, STATES
from counter_app.ui.shell.app import make_application
from counter_app.ui.shell.i18n import Language, UiError
from counter_app.ui.widgets import MessageLine, ReadOnlyTable, WindowHeader, colour, set_state, with_header
from counter_app.ui.widgets.style import stylesheet
from tests.helpers.bidi import plain


@pytest.fixture
def lang() -> Iterator[Language]:
    make_application()  # the font, the palette and the style sheet, as the app has them
    language = Language("ar")
    language.apply_direction()
    yield language
    language.set("ar")  # the application's direction and locale as the next test expects them
    language.release()  # and no translator of this test left in the application


def shown(qtbot: QtBot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def cell(table: ReadOnlyTable, row: int, column: int) -> QTableWidgetItem:
    item = table.item(row, column)
    assert item is not None
    return item


def layout_of(widget: QWidget) -> QLayout:
    layout = widget.layout()
    assert layout is not None
    return layout


def foreground(label: QLabel) -> QColor:
    return label.palette().color(label.foregroundRole())


def test_the_message_line_says_translates_colours_and_clears(qtbot: QtBot, lang: Language) -> None:
    host = QWidget()
    line = MessageLine(lang, host)
    shown(qtbot, host)
    assert line.text() == "" and line.state == "" and line.wordWrap()
    assert line.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse  # a code can be copied

    line.say("sup.day_opened")
    assert plain(line.text()) == gettext("sup.day_opened", "ar") and line.property("state") == "success"
    assert foreground(line) == QColor(PALETTE.success)
    assert plain(line.accessibleName()) == plain(gettext("message.a11y_success", "ar", text=line.text()))

    line.fail(UiError("login.fill_in"))
    assert plain(line.text()) == gettext("login.fill_in", "ar") and line.property("state") == "error"
    assert foreground(line) == QColor(PALETTE.error) and line.is_error
    assert plain(gettext("message.a11y_error", "ar", text="")).strip() in plain(line.accessibleName())

    lang.set("en")  # the stored message follows the switch
    assert plain(line.text()) == "Enter your user name and password." and line.state == "error"  # type: ignore[comparison-overlap]  # the switch re-said it

    line.say("sup.day_opened", state="info")
    assert foreground(line) == QColor(PALETTE.info) and line.accessibleName() == line.text()

    line.clear()
    assert line.text() == "" and line.property("state") == "" and foreground(line) == QColor(PALETTE.text)
    assert not line.is_error


def test_a_long_message_wraps_inside_its_panel(qtbot: QtBot, lang: Language) -> None:
    host = QWidget()
    host.resize(220, 200)
    line = MessageLine(lang, host)
    line.setGeometry(0, 0, 220, 200)
    shown(qtbot, host)
    line.fail("login.no_window_for_role")
    one_line = line.fontMetrics().height()
    assert line.heightForWidth(220) > 2 * one_line  # several lines, not one line wider than the panel


def test_set_state_restyles_any_label(qtbot: QtBot, lang: Language) -> None:
    label = QLabel("x")
    shown(qtbot, label)
    for state in STATES:
        set_state(label, state)
        assert foreground(label) == QColor(PALETTE.state_colour(state)), state


def test_the_read_only_table(qtbot: QtBot, lang: Language) -> None:
    table = ReadOnlyTable(3, name="things")
    shown(qtbot, table)
    table.set_headers(["a", "b", "c"])
    table.set_rows([("1", "one", "x"), ("2", "two", "y"), ("3", "three", "z")], states=["", "overdue", "error"],
                   tooltips=[None, "late", None])
    assert table.objectName() == "things" and table.rowCount() == 3 and cell(table, 1, 1).text() == "two"
    assert table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    assert cell(table, 1, 0).foreground().color() == colour("overdue") == QColor(PALETTE.overdue)
    assert cell(table, 2, 2).foreground().color() == QColor(PALETTE.error)
    assert cell(table, 1, 2).toolTip() == "late" and cell(table, 0, 0).toolTip() == ""
    # a double click does not open an editor; rows are picked whole, one at a time
    rect = table.visualItemRect(cell(table, 0, 1))
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert table.state() != QAbstractItemView.State.EditingState and cell(table, 0, 1).text() == "one"
    assert table.isRightToLeft()  # Qt's own selectRow selects nothing right to left; the table's does
    table.selectRow(0)
    table.selectRow(2)
    assert table.selected_row() == 2 and len(table.selectionModel().selectedRows()) == 1
    table.set_rows([])
    assert table.rowCount() == 0 and table.selected_row() == -1


def test_the_elided_column_takes_the_room_left_with_its_text_in_a_tooltip(qtbot: QtBot, lang: Language) -> None:
    table = ReadOnlyTable(3, elided_column=1)
    table.resize(300, 200)
    shown(qtbot, table)
    long_name = "a service with a very long name indeed, longer than the table"
    table.set_rows([("A-001", long_name, "today")])
    assert cell(table, 0, 1).toolTip() == long_name and cell(table, 0, 0).toolTip() == ""
    assert table.textElideMode() == Qt.TextElideMode.ElideRight
    assert table.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff


def test_the_window_header(qtbot: QtBot, lang: Language) -> None:
    window = QMainWindow()
    header = WindowHeader(lang, window)
    body = with_header(window, header)
    body.addWidget(QLabel("body"))
    pressed: list[str] = []
    refresh = header.add_button("refresh", "review.refresh", lambda: pressed.append("refresh"), key="F5")
    shown(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # shortcuts work in the active window
    assert window.menuWidget() is header and header.who.objectName() == "who"
    header.set_who("someone")
    assert header.who.text() == "someone"
    # the window's own buttons come before the language switch and log out
    row = layout_of(header)
    widgets = [w for i in range(row.count()) if (item := row.itemAt(i)) is not None and (w := item.widget())]
    assert widgets[-2:] == [header.language_button, header.logout_button]
    assert "F5" in refresh.text() and "Ctrl+L" in header.language_button.text()
    qtbot.mouseClick(refresh, Qt.MouseButton.LeftButton)
    assert pressed == ["refresh"]
    # Ctrl+L switches the language, the texts follow; Ctrl+Shift+Q asks to log out
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: lang.lang == "en", timeout=5000)
    assert plain(header.logout_button.text() if header.logout_button else "") == "Log out"
    with qtbot.waitSignal(header.logout_requested, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)


def test_a_header_without_a_user_has_no_log_out(qtbot: QtBot, lang: Language) -> None:
    window = QWidget()
    header = WindowHeader(lang, window, logout=False)
    with_header(window, header)
    shown(qtbot, window)
    assert header.logout_button is None and "logout" not in header.buttons
    first = layout_of(window).itemAt(0)
    assert first is not None and first.widget() is header and layout_of(window).contentsMargins().top() == 0


def test_the_style_sheet_comes_from_the_palette(lang: Language) -> None:
    sheet = stylesheet()
    for state in STATES:
        if state:
            assert f'QLabel[state="{state}"] {{ color: {PALETTE.state_colour(state)};' in sheet
    assert 'QPushButton[primary="true"]' in sheet and PALETTE.primary in sheet
    app = QApplication.instance()
    assert isinstance(app, QApplication) and app.styleSheet() == sheet  # applied once, at start
