"""Shubbak printing: layouts, Qt rendering to a 1-bit raster, ESC/POS through python-escpos,
A4 PDFs and a persistent print-job queue.

Takes plain data (``printers.data``); never imports ``counter_app.core``. Its texts come from the
one gettext catalogue and its values from the formatters of ``counter_app.common`` (a Qt-free leaf,
which also holds the receipt signing, ``counter_app.common.signing``).

Importing the package loads nothing heavy (no Qt, no python-escpos, no reportlab): callers import
the submodule they use (``printers.data``, ``printers.devices``, ``printers.documents``,
``printers.jobs``, ``printers.pdf``, ...).
"""

from printers import _escpos_cache  # noqa: F401  (before any submodule imports python-escpos)
