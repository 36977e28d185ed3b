"""The windows' font: Noto Sans Arabic UI (made for Arabic on screens, with the compact line height
of a UI font) and Noto Sans for the Latin letters it does not have, both shipped in
``resources/fonts`` under the SIL Open Font License. The printers keep DejaVu Sans (``printers/qt.py``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase

FONTS_DIR = Path(__file__).resolve().parents[3] / "resources" / "fonts"
#: The files loaded at start, in the order of the families' fallback.
FONT_FILES = ("NotoSansArabicUI-Regular.ttf", "NotoSansArabicUI-Bold.ttf", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
#: Arabic first (the default language, and its digits and punctuation), then Latin letters.
UI_FAMILIES = ("Noto Sans Arabic UI", "Noto Sans")

_loaded: tuple[str, ...] | None = None


class FontMissing(RuntimeError):
    """A font file of the installation is missing or unreadable (a broken install, not user input)."""


def load_ui_fonts() -> tuple[str, ...]:
    """Register the UI fonts with Qt (once per process); returns the families loaded."""
    global _loaded
    if _loaded is None:
        families: list[str] = []
        for name in FONT_FILES:
            font_id = QFontDatabase.addApplicationFont(str(FONTS_DIR / name))
            if font_id < 0:
                raise FontMissing(f"cannot load the UI font {FONTS_DIR / name}")
            families += [f for f in QFontDatabase.applicationFontFamilies(font_id) if f not in families]
        _loaded = tuple(families)
    return _loaded


def ui_font(point_size: float) -> QFont:
    """The UI font at ``point_size``: Arabic from Noto Sans Arabic UI, Latin from Noto Sans."""
    load_ui_fonts()
    font = QFont()
    font.setFamilies(list(UI_FAMILIES))
    font.setPointSizeF(point_size)
    return font
