"""The one palette of every Shubbak window: the counter app's windows (through the style sheet
built by ``counter_app/ui/widgets/style.py``) and the waiting-hall display, which keeps its own
big-screen layout but takes its colours from here.

Plain data, no Qt: the display imports it without the counter app's widgets. Colours are
``#rrggbb`` strings; a state (``info``, ``success``, ``warning``, ``error``) has a text colour for
a line that says it and a background for a tile or a banner that shows it; a ticket has one colour
per state on its way through the queue (waiting, called, overdue).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: What a message line, a tile or a table row says about the thing it shows.
State = Literal["", "info", "success", "warning", "error"]
STATES: tuple[State, ...] = ("", "info", "success", "warning", "error")


@dataclass(frozen=True)
class Palette:
    """Colours by role, never by hue: a window asks for ``error``, not for red."""

    # surfaces and text
    window: str = "#f2f4f7"  # the background of every window
    surface: str = "#ffffff"  # cards, group boxes, inputs, tables
    surface_alt: str = "#f7f9fc"  # every other table row, read-only fields
    border: str = "#c9d1dc"
    border_strong: str = "#9aa6b5"
    text: str = "#17212e"
    muted: str = "#5b6675"  # hints, captions, disabled text
    # the one action colour: primary buttons, focus, selection, bars of a chart
    primary: str = "#0d47a1"
    primary_hover: str = "#1558bd"
    primary_pressed: str = "#0a3780"
    primary_soft: str = "#dde8f8"  # selected rows, hovered plain buttons
    on_primary: str = "#ffffff"
    # the band at the top of a window and the current-ticket card: the display's navy, so the
    # counter, the kiosk and the waiting-hall screen read as one system
    band: str = "#0b2545"
    band_raised: str = "#13315c"
    band_deep: str = "#050f1e"  # the display's ticker strip, below its panels
    on_band: str = "#ffffff"
    on_band_muted: str = "#b9c8da"
    accent: str = "#ffd166"  # the ticket number now called (counter card and display alike)
    flash: str = "#ef476f"  # the display's "new call" flash and its reconnecting banner
    # states
    info: str = "#0d47a1"
    info_bg: str = "#e3edfb"
    success: str = "#1b5e20"
    success_bg: str = "#e6f4e7"
    warning: str = "#8a5a00"
    warning_bg: str = "#fff3dc"
    error: str = "#b00020"
    error_bg: str = "#fdecee"
    # tickets and files on their way through the queue
    waiting: str = "#00695c"
    called: str = "#0d47a1"
    overdue: str = "#b00020"

    def state_colour(self, state: State) -> str:
        """The text colour of a state ('' is the ordinary text colour)."""
        return {"info": self.info, "success": self.success, "warning": self.warning,
                "error": self.error}.get(state, self.text)

    def state_background(self, state: State) -> str:
        return {"info": self.info_bg, "success": self.success_bg, "warning": self.warning_bg,
                "error": self.error_bg}.get(state, self.surface)


PALETTE = Palette()


@dataclass(frozen=True)
class DisplayColours:
    """The waiting-hall display's colours, taken from the palette (dark: a screen seen from afar)."""

    bg: str
    panel: str
    text: str
    accent: str
    flash: str
    muted: str
    ticker: str


def display_colours(palette: Palette = PALETTE) -> DisplayColours:
    return DisplayColours(bg=palette.band, panel=palette.band_raised, text=palette.on_band, accent=palette.accent,
                          flash=palette.flash, muted=palette.on_band_muted, ticker=palette.band_deep)
