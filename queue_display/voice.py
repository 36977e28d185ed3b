"""Announcements from shipped clips: "ticket A 42, counter 3" in Arabic, then English when
configured, after a chime. Clips are joined at run time into one WAV (no online service)."""

from __future__ import annotations

import io
import wave
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

VOICE_DIR = Path(__file__).resolve().parent.parent / "resources" / "voice"
PAUSE_S = 0.35


def number_words_ar(n: int) -> list[str]:
    """Clip names for 0..999 in Arabic: 42 -> two, and-forty; 142 -> hundred, two, and-forty."""
    if not 0 <= n <= 999:
        raise ValueError(f"cannot announce {n}")
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words.append(f"n{hundreds * 100}")
    if rest == 0:
        return words or ["n0"]
    if rest < 20:
        words.append(f"n{rest}")
    else:
        tens, units = divmod(rest, 10)
        words += [f"n{units}", f"w{tens * 10}"] if units else [f"n{tens * 10}"]
    return words


def number_words_en(n: int) -> list[str]:
    if not 0 <= n <= 999:
        raise ValueError(f"cannot announce {n}")
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [f"n{hundreds}", "hundred"]
    if rest == 0:
        return words or ["n0"]
    if rest < 20:
        words.append(f"n{rest}")
    else:
        tens, units = divmod(rest, 10)
        words.append(f"n{tens * 10}")
        if units:
            words.append(f"n{units}")
    return words


def phrase(lang: str, letter: str, number: int, counter: int) -> list[str]:
    """The clip names of one announcement in ``lang`` (``ar`` or ``en``)."""
    words = number_words_ar if lang == "ar" else number_words_en
    return ["ticket", letter.upper(), *words(number), "counter", *words(counter)]


def clip_paths(langs: Sequence[str], letter: str, number: int, counter: int,
               voice_dir: Path = VOICE_DIR) -> list[Path | None]:
    """The chime, then each language's phrase; None marks a short pause between languages."""
    paths: list[Path | None] = [voice_dir / "chime.wav"]
    for i, lang in enumerate(langs):
        if i:
            paths.append(None)
        paths += [voice_dir / lang / f"{name}.wav" for name in phrase(lang, letter, number, counter)]
    return paths


@lru_cache(maxsize=256)
def _frames(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes()), w.getframerate()


def join(paths: Sequence[Path | None]) -> tuple[bytes, float]:
    """One WAV file made of the clips (all mono 16-bit at one rate); returns it and its length."""
    chunks: list[bytes] = []
    rate = 0
    for path in paths:
        if path is None:
            chunks.append(b"\0\0" * int((rate or 11025) * PAUSE_S))
            continue
        frames, clip_rate = _frames(path)
        if rate and clip_rate != rate:
            raise ValueError(f"{path} is at {clip_rate} Hz, the others at {rate} Hz")
        rate = clip_rate
        chunks.append(frames)
    data = b"".join(chunks)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate or 11025)
        w.writeframes(data)
    return out.getvalue(), len(data) / 2 / (rate or 11025)
