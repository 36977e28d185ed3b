"""A horizontal bar chart drawn with QPainter (PySide6-Essentials has no QtCharts).

One row per bar: the label on the reading side (right in Arabic), the bar growing in the reading
direction, the value at its end. Qt shapes the Arabic labels; the geometry is mirrored by hand
for a right-to-left layout, and text is aligned with ``AlignAbsolute`` so that "right" means right.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from counter_app.ui.widgets.style import colour

ROW_HEIGHT = 24
TITLE_HEIGHT = 28
BAR_COLOUR = colour("primary")
ALERT_COLOUR = colour("error")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown at the end of the bar
    alert: bool = False  # drawn in red (e.g. an hour whose wait is above the target)


class BarChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""
        self.empty_text = ""
        self.bars: list[Bar] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    def set_bars(self, title: str, bars: list[Bar], empty_text: str) -> None:
        self.title, self.bars, self.empty_text = title, bars, empty_text
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(360, TITLE_HEIGHT + max(len(self.bars), 1) * ROW_HEIGHT + 8)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.sizeHint()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rtl = self.layoutDirection() == Qt.LayoutDirection.RightToLeft
        width = float(self.width())
        leading = Qt.AlignmentFlag.AlignAbsolute | (Qt.AlignmentFlag.AlignRight if rtl else Qt.AlignmentFlag.AlignLeft)
        title_font = QFont(self.font())
        title_font.setBold(True)
        p.setFont(title_font)
        p.drawText(QRectF(4, 0, width - 8, TITLE_HEIGHT), int(leading | Qt.AlignmentFlag.AlignVCenter), self.title)
        p.setFont(self.font())
        metrics = QFontMetrics(self.font())
        if not self.bars:
            p.drawText(QRectF(4, TITLE_HEIGHT, width - 8, ROW_HEIGHT), int(leading | Qt.AlignmentFlag.AlignVCenter),
                       self.empty_text)
            p.end()
            return
        label_w = min(width * 0.38, 220.0)
        value_w = 64.0
        bar_room = max(width - label_w - value_w - 16, 10.0)
        top = max(bar.value for bar in self.bars) or 1.0

        def span(x: float, w: float) -> tuple[float, float]:
            """Left-to-right geometry, mirrored for a right-to-left layout."""
            return (width - x - w, w) if rtl else (x, w)

        for i, bar in enumerate(self.bars):
            y = TITLE_HEIGHT + i * ROW_HEIGHT
            x, w = span(4, label_w - 4)
            p.setPen(self.palette().text().color())
            label = metrics.elidedText(bar.label, Qt.TextElideMode.ElideRight, int(w))  # "…" at the text's end
            p.drawText(QRectF(x, y, w, ROW_HEIGHT), int(leading | Qt.AlignmentFlag.AlignVCenter), label)
            length = max(bar_room * bar.value / top, 1.0 if bar.value > 0 else 0.0)
            x, w = span(label_w + 4, length)
            p.fillRect(QRectF(x, y + 4, w, ROW_HEIGHT - 8), ALERT_COLOUR if bar.alert else BAR_COLOUR)
            x, w = span(label_w + 8 + length, value_w)
            p.drawText(QRectF(x, y, w, ROW_HEIGHT), int(leading | Qt.AlignmentFlag.AlignVCenter), bar.text)
        p.end()
