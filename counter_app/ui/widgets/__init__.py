"""The pieces every window of the counter app shares, and the one style they are drawn in.

* :class:`WindowHeader` — the band at the top: who is logged in, the window's buttons, language, log out;
* :class:`MessageLine` — the line that says what just happened, coloured by its state;
* :class:`ReadOnlyTable` — rows to read and pick one of;
* :class:`TicketCard` — the counter's current ticket with its service timer;
* :mod:`.style` — the type scale, the spacing and the style sheet built from the palette
  (:mod:`counter_app.common.palette`), applied once by :func:`apply_style`; :mod:`.fonts` — the UI font.
"""

from counter_app.ui.widgets.header import WindowHeader, with_header
from counter_app.ui.widgets.message import MessageLine, Said
from counter_app.ui.widgets.style import SPACE, TYPE, apply_style, colour, mark_primary, set_state
from counter_app.ui.widgets.table import ReadOnlyTable
from counter_app.ui.widgets.ticket_card import TicketCard

__all__ = ["SPACE", "TYPE", "MessageLine", "ReadOnlyTable", "Said", "TicketCard", "WindowHeader", "apply_style", "colour",
           "mark_primary", "set_state", "with_header"]
