"""Bidirectional text: a name, code or number inside a sentence of the other direction."""

from __future__ import annotations


def isolate(text: str) -> str:
    """Wrap ``text`` in a first-strong isolate (U+2068..U+2069), so a code or a number inside
    Arabic text (or an Arabic name inside English) keeps its order and does not reorder the
    sentence around it."""
    return f"\u2068{text}\u2069"
