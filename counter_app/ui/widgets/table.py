"""The read-only table of the windows: rows to read and pick one of, never to edit."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from counter_app.ui.widgets.style import colour


class ReadOnlyTable(QTableWidget):
    """Whole rows, one at a time, no editing, no row numbers, every other row shaded; the last
    column takes the room left unless ``stretch_last`` is False. With ``elided_column`` the other
    columns are never cut (sized to their content) and that one takes the room left, elided, with
    its full text in the tooltip. A row may carry a state (``overdue``, ``warning``, ``error``…):
    its text takes that colour from the palette."""

    def __init__(self, columns: int, parent: QWidget | None = None, *, name: str = "",
                 stretch_last: bool = True, elided_column: int | None = None) -> None:
        super().__init__(0, columns, parent)
        if name:
            self.setObjectName(name)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setStretchLastSection(stretch_last)
        self.horizontalHeader().setHighlightSections(False)
        self.elided_column = elided_column
        if elided_column is not None:
            header = self.horizontalHeader()
            header.setStretchLastSection(False)
            header.setMinimumSectionSize(40)
            for column in range(columns):
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column == elided_column
                                            else QHeaderView.ResizeMode.ResizeToContents)
            self.setTextElideMode(Qt.TextElideMode.ElideRight)
            self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def set_headers(self, labels: Sequence[str]) -> None:
        self.setHorizontalHeaderLabels(list(labels))

    def set_rows(self, rows: Sequence[Sequence[str]], *, states: Sequence[str] | None = None,
                 tooltips: Sequence[str | None] | None = None) -> None:
        """Replace the rows: ``rows[r][c]`` is a cell's text; ``states[r]`` colours a row ('' none);
        ``tooltips[r]`` is shown over each cell of the row."""
        self.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            state = states[r] if states is not None else ""
            tip = tooltips[r] if tooltips is not None else None
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if state:
                    item.setForeground(QBrush(colour(state)))
                if tip:
                    item.setToolTip(tip)
                elif c == self.elided_column:
                    item.setToolTip(text)
                self.setItem(r, c, item)

    def selectRow(self, row: int) -> None:  # noqa: N802 - Qt's name
        """Select ``row`` whole. Qt's own looks for the row's first column at the viewport's right
        edge in a right-to-left table, one pixel past the last column, and selects nothing in Arabic."""
        if not 0 <= row < self.rowCount():
            return
        index = self.model().index(row, 0)
        flags = QItemSelectionModel.SelectionFlag
        self.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)

    def selected_row(self) -> int:
        """The selected row (a click or ``selectRow``), else the current one, else -1."""
        rows = self.selectionModel().selectedRows()
        return rows[0].row() if rows else self.currentRow()
