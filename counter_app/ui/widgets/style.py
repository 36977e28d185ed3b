"""The one style of the counter app's windows: a type scale, spacing, and ONE style sheet built
from the palette (:mod:`counter_app.common.palette`), applied once when the application starts.

Widgets never carry colours. They carry what they are — an object name (``who``, ``ticketCard``)
or a property — and the style sheet says how that looks, with property selectors
(``QLabel[state="error"]``, ``QPushButton[primary="true"]``), as qutebrowser's status bar and
Electrum's ``ColorScheme`` do. A window changes a state with :func:`set_state`; the rest follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QPushButton, QWidget

from counter_app.common.palette import PALETTE, STATES, Palette
from counter_app.ui.widgets.fonts import ui_font


@dataclass(frozen=True)
class TypeScale:
    """Point sizes: every text in the windows is one of these."""

    small: float = 9.5  # captions, the status line
    body: float = 11.0  # the application font
    strong: float = 12.0  # who is logged in, a message line
    heading: float = 13.0  # group titles, the service timer
    title: float = 16.0  # a window's title (login, a file under review)
    kiosk: float = 18.0  # the kiosk's touch buttons and its answer
    kiosk_title: float = 24.0  # the centre's name on the kiosk
    figure: float = 20.0  # a dashboard tile's figure
    ticket: float = 40.0  # the current ticket's number


@dataclass(frozen=True)
class Spacing:
    """Pixels. Layouts keep Qt's own margins (9) and spacing (6) unless a window needs air."""

    tight: int = 4
    gap: int = 8
    card: int = 12  # inside a card or a band
    page: int = 10  # around the body of a window under its header band
    radius: int = 6
    radius_large: int = 12  # the ticket card, the kiosk's buttons


TYPE = TypeScale()
SPACE = Spacing()


def stylesheet(p: Palette = PALETTE, t: TypeScale = TYPE, s: Spacing = SPACE) -> str:
    """The application's style sheet, from the palette, the type scale and the spacing."""
    states = "\n".join(
        f'QLabel[state="{state}"] {{ color: {p.state_colour(state)}; }}' for state in STATES if state)
    tiles = "\n".join(
        f'QLabel[tile="true"][state="{state}"] {{ background: {p.state_background(state)}; '
        f"border-color: {p.state_colour(state)}; color: {p.text}; }}" for state in STATES if state)
    return f"""
QToolTip {{ color: {p.text}; background: {p.surface}; border: 1px solid {p.border}; padding: 4px; }}
QStatusBar {{ background: {p.surface}; border-top: 1px solid {p.border}; }}
QStatusBar QLabel {{ font-size: {t.small}pt; }}

/* the band at the top of a window: who, the window's buttons, language, log out */
QFrame#windowHeader {{ background: {p.band}; border: none; }}
QFrame#windowHeader QLabel {{ color: {p.on_band}; }}
QFrame#windowHeader QLabel#who {{ font-size: {t.strong}pt; font-weight: bold; }}
QFrame#windowHeader QLabel#brand {{ color: {p.accent}; font-size: {t.strong}pt; font-weight: bold; }}
QFrame#windowHeader QPushButton {{ background: transparent; color: {p.on_band};
    border: 1px solid {p.on_band_muted}; border-radius: {s.radius}px; padding: 5px 12px; }}
QFrame#windowHeader QPushButton:hover {{ background: {p.band_raised}; }}
QFrame#windowHeader QPushButton:pressed {{ background: {p.primary}; }}
QFrame#windowHeader QPushButton:focus {{ border: 2px solid {p.accent}; padding: 4px 11px; }}

/* buttons: plain, and the one primary action of a panel */
QPushButton {{ background: {p.surface}; color: {p.text}; border: 1px solid {p.border_strong};
    border-radius: {s.radius}px; padding: 6px 14px; }}
QPushButton:hover {{ background: {p.primary_soft}; border-color: {p.primary}; }}
QPushButton:pressed {{ background: {p.primary_soft}; border-color: {p.primary_pressed}; }}
QPushButton:focus {{ border: 2px solid {p.primary}; padding: 5px 13px; }}
QPushButton:checked {{ background: {p.warning_bg}; border: 2px solid {p.warning}; padding: 5px 13px;
    font-weight: bold; }}
QPushButton:disabled {{ background: {p.surface_alt}; color: {p.muted}; border-color: {p.border}; }}
QPushButton[primary="true"] {{ background: {p.primary}; color: {p.on_primary}; border: 1px solid {p.primary_pressed};
    font-weight: bold; }}
QPushButton[primary="true"]:hover {{ background: {p.primary_hover}; }}
QPushButton[primary="true"]:pressed {{ background: {p.primary_pressed}; }}
QPushButton[primary="true"]:focus {{ border: 2px solid {p.band}; padding: 5px 13px; }}
QPushButton[primary="true"]:disabled {{ background: {p.primary_soft}; color: {p.muted}; border-color: {p.border}; }}

/* tabs, group boxes, tables, lists: white cards on the window's grey */
QTabWidget::pane {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: {s.radius}px; top: -1px; }}
QTabBar::tab {{ background: {p.window}; color: {p.muted}; border: 1px solid {p.border}; border-bottom: none;
    border-top: 3px solid {p.window}; border-top-left-radius: {s.radius}px; border-top-right-radius: {s.radius}px;
    padding: 6px 16px; margin: 0 2px; }}
QTabBar::tab:selected {{ background: {p.surface}; color: {p.primary}; border-top: 3px solid {p.primary}; }}
QTabBar::tab:hover:!selected {{ color: {p.text}; border-top: 3px solid {p.border_strong}; }}
QGroupBox {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: {s.radius}px;
    margin-top: 1.4em; padding-top: 0.4em; }}
QGroupBox::title {{ subcontrol-origin: margin; subcontrol-position: top left; left: 8px; padding: 0 4px;
    color: {p.primary}; font-weight: bold; }}
QTableView, QListView {{ background: {p.surface}; alternate-background-color: {p.surface_alt};
    border: 1px solid {p.border}; border-radius: {s.radius}px; gridline-color: {p.border};
    selection-background-color: {p.primary_soft}; selection-color: {p.text}; }}
QHeaderView::section {{ background: {p.surface_alt}; color: {p.text}; font-weight: bold; padding: 5px 6px;
    border: none; border-bottom: 1px solid {p.border_strong}; border-left: 1px solid {p.border}; }}
QWidget#intakeFormBody, QWidget#dashboardCharts {{ background: transparent; }}
QScrollArea#intakeForm, QScrollArea#dashboardScroll {{ background: transparent; border: none; }}

/* a message line and every label that tells a state */
{states}
QLabel#message, QLabel[message="true"], QLabel[state="error"] {{ font-weight: bold; }}
QLabel[state="hint"] {{ color: {p.muted}; }}
QLabel#cashChange[state="info"] {{ font-weight: bold; }}

/* the counter's current ticket: the waiting-hall display's navy once a ticket is called */
QFrame#ticketCard {{ background: {p.surface_alt}; border: 2px dashed {p.border}; border-radius: {s.radius_large}px; }}
QFrame#ticketCard[state="called"] {{ background: {p.band}; border: 2px solid {p.band}; }}
QFrame#ticketCard QLabel {{ color: {p.muted}; }}
QFrame#ticketCard[state="called"] QLabel {{ color: {p.on_band_muted}; }}
QFrame#ticketCard QLabel#currentTicket {{ font-size: {t.ticket}pt; font-weight: bold; color: {p.border_strong}; }}
QFrame#ticketCard[state="called"] QLabel#currentTicket {{ color: {p.accent}; }}
QFrame#ticketCard[state="called"] QLabel#serviceTimer {{ color: {p.on_band}; font-size: {t.heading}pt;
    font-weight: bold; }}
QLabel#waiting {{ color: {p.waiting}; font-weight: bold; }}

/* dashboard tiles */
QLabel[tile="true"] {{ background: {p.surface_alt}; border: 1px solid {p.border}; border-radius: {s.radius}px;
    padding: 6px 10px; }}
{tiles}

/* titles, the login and the kiosk: the kiosk's centre name on the display's navy band */
QLabel#title {{ font-size: {t.title}pt; font-weight: bold; color: {p.text}; }}
QWidget#kioskWindow QLabel#title {{ font-size: {t.kiosk_title}pt; background: {p.band}; color: {p.on_band};
    border-radius: {s.radius_large}px; padding: 18px; }}
QLabel#kioskPrompt {{ font-size: {t.title}pt; color: {p.text}; }}
QLabel#kioskResult {{ font-size: {t.kiosk}pt; }}
QLabel#kioskResult[state="info"] {{ font-weight: bold; }}
QLabel#kioskMobileLabel, QLabel#kioskBookingLabel {{ font-size: {t.title}pt; color: {p.text}; }}
QLineEdit#kioskMobile, QLineEdit#kioskBooking {{ font-size: {t.kiosk}pt; padding: 8px; }}
QPushButton[kiosk="true"] {{ font-size: {t.kiosk}pt; font-weight: bold; padding: 12px; background: {p.primary};
    color: {p.on_primary}; border: none; border-radius: {s.radius_large}px; }}
QPushButton[kiosk="true"]:hover {{ background: {p.primary_hover}; }}
QPushButton[kiosk="true"]:pressed {{ background: {p.band}; }}
QPushButton[kiosk="true"]:focus {{ border: 3px solid {p.accent}; }}
QPushButton[kiosk="true"]:disabled {{ background: {p.primary_soft}; color: {p.muted}; }}
QWidget#kioskWindow QPushButton#priority, QWidget#kioskWindow QPushButton#language {{ font-size: {t.title}pt;
    border-radius: {s.radius_large}px; }}
QLabel#kioskExitTitle {{ font-weight: bold; }}
QFrame#kioskExit {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: {s.radius}px; }}
"""


def qt_palette(p: Palette = PALETTE) -> QPalette:
    """Qt's palette from ours, for what the style sheet leaves to the style (inputs, combo boxes,
    check boxes, scroll bars, date pop-ups)."""
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: p.window, QPalette.ColorRole.WindowText: p.text,
        QPalette.ColorRole.Base: p.surface, QPalette.ColorRole.AlternateBase: p.surface_alt,
        QPalette.ColorRole.Text: p.text, QPalette.ColorRole.Button: p.surface,
        QPalette.ColorRole.ButtonText: p.text, QPalette.ColorRole.Highlight: p.primary,
        QPalette.ColorRole.HighlightedText: p.on_primary, QPalette.ColorRole.ToolTipBase: p.surface,
        QPalette.ColorRole.ToolTipText: p.text, QPalette.ColorRole.PlaceholderText: p.muted,
        QPalette.ColorRole.Link: p.primary, QPalette.ColorRole.BrightText: p.error,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(p.muted))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, QColor(p.surface_alt))
    return pal


def apply_style(app: QApplication, palette: Palette = PALETTE) -> None:
    """The font, Qt's palette and the style sheet, once for the whole application."""
    app.setFont(ui_font(TYPE.body))
    app.setPalette(qt_palette(palette))
    app.setStyleSheet(stylesheet(palette))


def colour(name: str, palette: Palette = PALETTE) -> QColor:
    """A colour by role for what a style sheet cannot reach (a table cell, a painted bar): a
    state (``info``, ``success``, ``warning``, ``error``), a ticket's or a file's ``waiting``,
    ``called`` or ``overdue``, ``primary``, or ``hint`` (muted); anything else is the text colour."""
    roles = {"info": palette.info, "success": palette.success, "warning": palette.warning, "error": palette.error,
             "waiting": palette.waiting, "called": palette.called, "overdue": palette.overdue,
             "primary": palette.primary, "hint": palette.muted}
    return QColor(roles.get(name, palette.text))


def repolish(widget: QWidget) -> None:
    """Apply the style sheet again after a property it selects on changed (children too: a rule
    like ``QFrame#ticketCard[state="called"] QLabel`` depends on the parent's property)."""
    for w in (widget, *widget.findChildren(QWidget)):
        style = w.style()
        style.unpolish(w)
        style.polish(w)
    widget.update()


def set_state(widget: QWidget, state: str) -> None:
    """Set what a widget says (``info``, ``success``, ``warning``, ``error``, '' for nothing
    special, or a widget's own states such as the ticket card's ``called``); the style sheet
    gives it its look."""
    if widget.property("state") != state:
        widget.setProperty("state", state)
        repolish(widget)


def mark_primary(button: QAbstractButton) -> None:
    """The one primary action of a panel: drawn as such, and the default button (Enter in a dialog)."""
    button.setProperty("primary", True)
    if isinstance(button, QPushButton):
        button.setDefault(True)
    repolish(button)
