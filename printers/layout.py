"""A layout is a list of blocks (text, label/value pairs, rules, QR codes) stacked top to bottom."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Align = Literal["start", "center", "end"]


@dataclass(frozen=True)
class Text:
    text: str
    size: int  # pixel size at the layout's width
    bold: bool = False
    align: Align = "start"
    inverse: bool = False  # white on black band
    fit: bool = False  # one line, shrink the font until it fits


@dataclass(frozen=True)
class Pair:
    """A label on the start side and a value on the end side of one line (fee line, total)."""

    label: str
    value: str
    size: int
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    thickness: int = 2
    dashed: bool = False


@dataclass(frozen=True)
class Spacer:
    height: int


@dataclass(frozen=True)
class QRCode:
    payload: str
    max_fraction: float = 0.6  # of the printable width


@dataclass(frozen=True)
class QRAside:
    """A QR code on the end side (left in Arabic) with text lines beside it on the start side."""

    payload: str
    lines: tuple[Text | Pair | Spacer, ...]
    max_fraction: float = 0.45


@dataclass(frozen=True)
class Table:
    """Rows of cells in columns, the first column on the start side (right in Arabic): a header row
    in bold over a thin rule, then one row per line. The first column holds the row names and is
    ``first_weight`` times as wide as each of the others; the other cells are centred in their column,
    so a value always stands under its column's name, whatever the reading direction."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    size: int
    first_weight: float = 1.1


Block = Text | Pair | Rule | Spacer | QRCode | QRAside | Table


@dataclass
class Layout:
    width: int  # dots
    rtl: bool
    margin: int
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Layout:
        self.blocks.extend(blocks)
        return self
