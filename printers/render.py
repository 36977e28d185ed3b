"""Render a Layout with Qt's text engine (which shapes Arabic) to a 1-bit raster (PIL mode "1").

In the raster 0 is black (printed) and 255 white, as PIL and escpos expect.
"""

from __future__ import annotations

from functools import lru_cache

import qrcode
from PIL import Image
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen

from printers.layout import Block, Layout, Pair, QRAside, QRCode, Rule, Spacer, Table, Text
from printers.qt import RASTER_FAMILY, ensure_qt

SUPPORTED_WIDTHS = (384, 576)
THRESHOLD = 150  # grey levels below this print as black: slightly bolder than 50 %
_BIG = 1_000_000
_PAD = 6  # vertical padding around an inverse band
_TABLE_RULE = 6  # the rule under a table's header row, with its space
_CELL_GAP = 6  # horizontal space between two table cells

_ALIGN = {
    "start": Qt.AlignmentFlag.AlignLeading,
    "center": Qt.AlignmentFlag.AlignHCenter,
    "end": Qt.AlignmentFlag.AlignTrailing,
}
_LUT = [0 if v < THRESHOLD else 255 for v in range(256)]


def _font(size: int, bold: bool) -> QFont:
    font = QFont(RASTER_FAMILY)
    font.setPixelSize(size)
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferFullHinting)
    return font


@lru_cache(maxsize=64)
def qr_matrix(payload: str) -> tuple[tuple[bool, ...], ...]:
    """QR modules (True = dark), without quiet zone; error correction M."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    return tuple(tuple(bool(m) for m in row) for row in code.get_matrix())


class _Renderer:
    def __init__(self, layout: Layout, left: int | None = None, inner: int | None = None) -> None:
        self.layout = layout
        self.left = layout.margin if left is None else left
        self.inner = layout.width - 2 * layout.margin if inner is None else inner
        self.direction = Qt.LayoutDirection.RightToLeft if layout.rtl else Qt.LayoutDirection.LeftToRight

    # -- measuring ---------------------------------------------------------------------------
    def _fit_font(self, block: Text) -> QFont:
        size = block.size
        font = _font(size, block.bold)
        while size > 8 and QFontMetrics(font).horizontalAdvance(block.text) > self.inner:
            size -= 2
            font = _font(size, block.bold)
        return font

    def _text_flags(self, block: Text) -> int:
        wrap = 0 if block.fit else Qt.TextFlag.TextWordWrap
        return int(_ALIGN[block.align] | Qt.AlignmentFlag.AlignTop | wrap)

    def _text_font(self, block: Text) -> QFont:
        return self._fit_font(block) if block.fit else _font(block.size, block.bold)

    def height(self, block: Block) -> int:
        if isinstance(block, Text):
            metrics = QFontMetrics(self._text_font(block))
            text_h = metrics.boundingRect(
                QRect(0, 0, self.inner, _BIG), self._text_flags(block), block.text
            ).height()
            return text_h + (2 * _PAD if block.inverse else 0)
        if isinstance(block, Pair):
            return self._pair_geometry(block)[2]
        if isinstance(block, Rule):
            return block.thickness + 8
        if isinstance(block, Spacer):
            return block.height
        if isinstance(block, Table):
            return sum(self._table_rows(block)) + _TABLE_RULE
        if isinstance(block, QRAside):
            column = self._aside_column(block)
            return max(self._qr_size(block) + 8, sum(column.height(line) for line in block.lines))
        return self._qr_size(block) + 8

    def _qr_size(self, block: QRCode | QRAside) -> int:
        matrix, module = self._qr_geometry(block)
        return module * len(matrix)

    def _aside_column(self, block: QRAside) -> _Renderer:
        """A renderer for the text column beside the QR code."""
        qr_width = self._qr_size(block) + 12
        column_left = self.left + qr_width if self.layout.rtl else self.left
        return _Renderer(self.layout, column_left, self.inner - qr_width)

    def _pair_geometry(self, block: Pair) -> tuple[QFont, int, int]:
        font = _font(block.size, block.bold)
        metrics = QFontMetrics(font)
        value_w = min(metrics.horizontalAdvance(block.value) + 2, self.inner * 5 // 8)
        label_w = self.inner - value_w - block.size // 2
        flags = int(Qt.AlignmentFlag.AlignLeading | Qt.TextFlag.TextWordWrap)
        label_h = metrics.boundingRect(QRect(0, 0, label_w, _BIG), flags, block.label).height()
        value_h = metrics.boundingRect(QRect(0, 0, value_w, _BIG), flags, block.value).height()
        return font, value_w, max(label_h, value_h)

    def table_columns(self, block: Table) -> list[tuple[int, int]]:
        """(left, width) of each column in dots, the first column on the start side."""
        count = max(len(block.header), *(len(row) for row in block.rows)) if block.rows else len(block.header)
        unit = self.inner / (block.first_weight + count - 1)
        widths = [int(unit * block.first_weight)] + [int(unit)] * (count - 1)
        widths[0] += self.inner - sum(widths)
        columns, edge = [], 0
        for width in widths:
            left = self.left + self.inner - edge - width if self.layout.rtl else self.left + edge
            columns.append((left, width))
            edge += width
        return columns

    def _cell_flags(self, index: int) -> int:
        align = Qt.AlignmentFlag.AlignLeading if index == 0 else Qt.AlignmentFlag.AlignHCenter
        return int(align | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)

    def _table_fonts(self, block: Table) -> list[QFont]:
        """The header row's font, then each row's: a row's font shrinks until each word of each of
        its cells fits its column (a cell may still wrap between words)."""
        columns = self.table_columns(block)
        fonts = []
        for bold, cells in ((True, block.header), *((False, row) for row in block.rows)):
            size = block.size
            while size > 10:
                metrics = QFontMetrics(_font(size, bold))
                if all(metrics.horizontalAdvance(word) <= width - _CELL_GAP
                       for cell, (_left, width) in zip(cells, columns, strict=False) for word in cell.split()):
                    break
                size -= 1
            fonts.append(_font(size, bold))
        return fonts

    def _table_rows(self, block: Table) -> list[int]:
        """The height of the header row, then of each row."""
        columns = self.table_columns(block)
        heights = []
        for font, cells in zip(self._table_fonts(block), (block.header, *block.rows), strict=True):
            metrics = QFontMetrics(font)
            heights.append(max(
                metrics.boundingRect(QRect(0, 0, max(1, width - _CELL_GAP), _BIG), self._cell_flags(i),
                                     cell).height()
                for i, (cell, (_left, width)) in enumerate(zip(cells, columns, strict=False))
            ) + 2)
        return heights

    def _draw_table(self, painter: QPainter, block: Table, top: int) -> None:
        columns, heights = self.table_columns(block), self._table_rows(block)
        y = top
        fonts = self._table_fonts(block)
        for index, cells in enumerate((block.header, *block.rows)):
            painter.setFont(fonts[index])
            for i, (cell, (left, width)) in enumerate(zip(cells, columns, strict=False)):
                painter.drawText(QRect(left + _CELL_GAP // 2, y, width - _CELL_GAP, heights[index]),
                                 self._cell_flags(i), cell)
            y += heights[index]
            if index == 0:
                painter.setPen(QPen(QColor(0, 0, 0), 1))
                painter.drawLine(self.left, y + _TABLE_RULE // 2, self.left + self.inner, y + _TABLE_RULE // 2)
                painter.setPen(QColor(0, 0, 0))
                y += _TABLE_RULE

    def _qr_geometry(self, block: QRCode | QRAside) -> tuple[tuple[tuple[bool, ...], ...], int]:
        matrix = qr_matrix(block.payload)
        module = max(2, int(self.inner * block.max_fraction) // len(matrix))
        return matrix, module

    # -- drawing -----------------------------------------------------------------------------
    def draw(self, painter: QPainter, block: Block, top: int, height: int) -> None:
        left, inner = self.left, self.inner
        if isinstance(block, Text):
            painter.setFont(self._text_font(block))
            rect = QRect(left, top, inner, height)
            if block.inverse:
                painter.fillRect(QRect(0, top, self.layout.width, height), QColor(0, 0, 0))
                painter.setPen(QColor(255, 255, 255))
                rect = QRect(left, top + _PAD, inner, height - 2 * _PAD)
            painter.drawText(rect, self._text_flags(block), block.text)
            painter.setPen(QColor(0, 0, 0))
        elif isinstance(block, Pair):
            font, value_w, _ = self._pair_geometry(block)
            painter.setFont(font)
            label_w = inner - value_w - block.size // 2
            start_flags = int(Qt.AlignmentFlag.AlignLeading | Qt.TextFlag.TextWordWrap)
            end_flags = int(Qt.AlignmentFlag.AlignTrailing | Qt.TextFlag.TextWordWrap)
            # logical start side: right in RTL, left in LTR
            if self.layout.rtl:
                label_rect = QRect(left + inner - label_w, top, label_w, height)
                value_rect = QRect(left, top, value_w, height)
            else:
                label_rect = QRect(left, top, label_w, height)
                value_rect = QRect(left + inner - value_w, top, value_w, height)
            painter.drawText(label_rect, start_flags, block.label)
            painter.drawText(value_rect, end_flags, block.value)
        elif isinstance(block, Table):
            self._draw_table(painter, block, top)
        elif isinstance(block, Rule):
            pen = QPen(QColor(0, 0, 0), block.thickness)
            if block.dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            painter.setPen(pen)
            y = top + 4 + block.thickness // 2
            painter.drawLine(left, y, left + inner, y)
            painter.setPen(QColor(0, 0, 0))
        elif isinstance(block, QRAside):
            column = self._aside_column(block)
            line_top = top
            for line in block.lines:
                line_height = column.height(line)
                column.draw(painter, line, line_top, line_height)
                line_top += line_height
            size = self._qr_size(block)
            x0 = left if self.layout.rtl else left + inner - size
            self._draw_qr(painter, block, x0, top + 4)
        elif isinstance(block, QRCode):
            self._draw_qr(painter, block, (self.layout.width - self._qr_size(block)) // 2, top + 4)

    def _draw_qr(self, painter: QPainter, block: QRCode | QRAside, x0: int, y0: int) -> None:
        matrix, module = self._qr_geometry(block)
        black = QColor(0, 0, 0)
        for r, row in enumerate(matrix):
            c = 0
            while c < len(row):  # one rectangle per run of dark modules
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    painter.fillRect(
                        x0 + start * module, y0 + r * module, (c - start) * module, module, black
                    )
                else:
                    c += 1


def render_layout(layout: Layout) -> Image.Image:
    """Render ``layout`` to a 1-bit PIL image ``layout.width`` dots wide."""
    ensure_qt()
    renderer = _Renderer(layout)
    heights = [renderer.height(block) for block in layout.blocks]
    total = max(1, sum(heights))
    image = QImage(layout.width, total, QImage.Format.Format_Grayscale8)
    image.fill(255)
    painter = QPainter(image)
    try:
        painter.setLayoutDirection(renderer.direction)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        painter.setPen(QColor(0, 0, 0))
        top = 0
        for block, height in zip(layout.blocks, heights, strict=True):
            renderer.draw(painter, block, top, height)
            top += height
    finally:
        painter.end()
    grey = Image.frombuffer(
        "L", (image.width(), image.height()), bytes(image.constBits()), "raw", "L", image.bytesPerLine(), 1
    )
    return grey.point(_LUT, "1")
