"""Generate the announcement clips of the waiting-hall display (run at build time, offline).

    python resources/voice/generate.py        # needs Debian's espeak-ng

Writes ``ar/*.wav`` and ``en/*.wav`` (mono, 16-bit, 11025 Hz) and ``chime.wav``. The display
joins these clips at run time ("ticket A 42, counter 3"), so no online speech service is needed.
See LICENSE.md for the status of the generated audio.
"""

from __future__ import annotations

import array
import math
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
RATE = 11025

AR_UNITS = ["صفر", "واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة", "عشرة",
            "أحد عشر", "اثنا عشر", "ثلاثة عشر", "أربعة عشر", "خمسة عشر", "ستة عشر", "سبعة عشر", "ثمانية عشر",
            "تسعة عشر"]
AR_TENS = {20: "عشرون", 30: "ثلاثون", 40: "أربعون", 50: "خمسون", 60: "ستون", 70: "سبعون", 80: "ثمانون", 90: "تسعون"}
AR_HUNDREDS = {100: "مئة", 200: "مئتان", 300: "ثلاثمئة", 400: "أربعمئة", 500: "خمسمئة", 600: "ستمئة", 700: "سبعمئة",
               800: "ثمانمئة", 900: "تسعمئة"}
AR_WORDS = {"ticket": "التذكرة رقم", "counter": "إلى الشباك رقم",
            "A": "إيه", "B": "بي", "C": "سي", "D": "دي", "E": "إي", "F": "إف"}

EN_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
            "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
EN_TENS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty",
           90: "ninety"}
EN_WORDS = {"ticket": "ticket", "counter": "please go to counter", "hundred": "hundred",
            "A": "A", "B": "B", "C": "C", "D": "D", "E": "E", "F": "F"}


def speak(text: str, voice: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(raw), text], check=True)
        with wave.open(str(raw)) as w:
            rate, frames = w.getframerate(), w.readframes(w.getnframes())
    samples = array.array("h", frames)
    step = rate / RATE
    out = array.array("h", (samples[int(i * step)] for i in range(int(len(samples) / step))))
    trimmed = trim(out)
    with wave.open(str(target), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(trimmed.tobytes())


def trim(samples: array.array[int], threshold: int = 300) -> array.array[int]:
    """Cut the silence espeak leaves at both ends (keeps 30 ms)."""
    loud = [i for i, v in enumerate(samples) if abs(v) > threshold]
    if not loud:
        return samples
    pad = int(RATE * 0.03)
    return samples[max(loud[0] - pad, 0):loud[-1] + pad]


def chime(target: Path) -> None:
    """Two soft bell tones (880 Hz then 660 Hz) with an exponential decay."""
    samples = array.array("h")
    for freq, length in ((880.0, 0.45), (660.0, 0.7)):
        n = int(RATE * length)
        for i in range(n):
            t = i / RATE
            value = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(2 * math.pi * 2 * freq * t)
            samples.append(int(9000 * value * math.exp(-4.0 * t)))
    with wave.open(str(target), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())


def main() -> int:
    for lang in ("ar", "en"):
        (HERE / lang).mkdir(exist_ok=True)
    clips: list[tuple[str, str, str]] = []
    clips += [("ar", f"n{i}", word) for i, word in enumerate(AR_UNITS)]
    clips += [("ar", f"n{n}", word) for n, word in AR_TENS.items()]
    clips += [("ar", f"w{n}", "و" + word) for n, word in AR_TENS.items()]  # "and forty": 42 = two and-forty
    clips += [("ar", f"n{n}", word) for n, word in AR_HUNDREDS.items()]
    clips += [("ar", key, word) for key, word in AR_WORDS.items()]
    clips += [("en", f"n{i}", word) for i, word in enumerate(EN_UNITS)]
    clips += [("en", f"n{n}", word) for n, word in EN_TENS.items()]
    clips += [("en", key, word) for key, word in EN_WORDS.items()]
    for lang, name, text in clips:
        speak(text, "ar" if lang == "ar" else "en-gb", HERE / lang / f"{name}.wav")
    chime(HERE / "chime.wav")
    print(f"{len(clips)} clips and the chime written under {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
