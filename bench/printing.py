"""Printing benchmark: layout data -> ESC/POS bytes for a ticket and a receipt at 576 dots.

Prints ``name: value`` lines: median milliseconds per document (render + escpos encoding) and the
size of the ESC/POS bytes. Targets: ticket < 30 ms, receipt < 60 ms, each < 60 KB.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from counter_app.common.signing import generate_key  # noqa: E402
from printers.documents import render_receipt, render_ticket  # noqa: E402
from printers.escpos_out import build_escpos  # noqa: E402
from printers.qt import ensure_qt  # noqa: E402
from printers.samples import sample_receipt, sample_ticket  # noqa: E402

WIDTH = 576
ROUNDS = 40


def measure(make_bytes: Callable[[], bytes], rounds: int = ROUNDS) -> tuple[float, int]:
    make_bytes()  # warm up: fonts, glyph caches
    times = []
    size = 0
    for _ in range(rounds):
        start = time.perf_counter()
        size = len(make_bytes())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), size


def main() -> int:
    ensure_qt()
    ticket = sample_ticket()
    receipt = sample_receipt(generate_key())
    ticket_ms, ticket_bytes = measure(lambda: build_escpos(render_ticket(ticket, WIDTH, "ar")))
    receipt_ms, receipt_bytes = measure(
        lambda: build_escpos(render_receipt(receipt, WIDTH, "ar"), open_drawer=True)
    )
    print(f"ticket_render_median_ms: {ticket_ms:.2f}")
    print(f"receipt_render_median_ms: {receipt_ms:.2f}")
    print(f"ticket_bytes: {ticket_bytes}")
    print(f"receipt_bytes: {receipt_bytes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
