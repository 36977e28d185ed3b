"""The announcement queue: calls are spoken one after the other, in the order they came; a new
call never cuts the one playing. Runs on its own thread (playing blocks); no Qt here.

Players: :class:`AplayPlayer` plays through ALSA's ``aplay`` (Debian's alsa-utils) when it is
installed and a sound device answers; otherwise :class:`SilentPlayer` only keeps the time the
announcement would take, so the screen's flashing and the order stay the same without sound.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from queue_display import voice

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Announcement:
    letter: str
    number: int
    counter: int

    @property
    def ticket(self) -> str:
        return f"{self.letter}-{self.number:03d}"


class Player(Protocol):
    def play(self, wav: bytes, seconds: float) -> None:
        """Play one joined announcement and return when it has finished."""


class SilentPlayer:
    """No sound device: wait as long as the announcement lasts."""

    def play(self, wav: bytes, seconds: float) -> None:
        time.sleep(seconds)


class AplayPlayer:
    """Plays through ``aplay``; if the device fails, falls silent (the queue keeps its pace)."""

    def __init__(self, command: str = "aplay") -> None:
        self.command = command
        self._silent = SilentPlayer()

    def play(self, wav: bytes, seconds: float) -> None:
        with tempfile.NamedTemporaryFile(suffix=".wav") as f:
            f.write(wav)
            f.flush()
            started = time.monotonic()
            result = subprocess.run([self.command, "-q", f.name], capture_output=True, timeout=seconds + 10)
        if result.returncode != 0:
            log.warning("aplay failed (%s); announcing silently", result.stderr.decode(errors="replace").strip())
            self._silent.play(wav, max(0.0, seconds - (time.monotonic() - started)))


def default_player() -> Player:
    return AplayPlayer() if shutil.which("aplay") else SilentPlayer()


class Announcer:
    """``submit`` from any thread; ``on_start``/``on_done`` are called on the announcer's thread."""

    def __init__(self, langs: Sequence[str] = ("ar",), player: Player | None = None,
                 voice_dir: Path = voice.VOICE_DIR,
                 on_start: Callable[[Announcement], object] | None = None,
                 on_done: Callable[[Announcement], object] | None = None) -> None:
        self.langs = tuple(langs)
        self.player = player or default_player()
        self.voice_dir = voice_dir
        self.on_start, self.on_done = on_start, on_done
        self._queue: queue.Queue[Announcement | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="display-announcer", daemon=True)
        self._thread.start()

    def submit(self, item: Announcement) -> None:
        self._queue.put(item)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                paths = voice.clip_paths(self.langs, item.letter, item.number, item.counter, self.voice_dir)
                wav, seconds = voice.join(paths)
                if self.on_start is not None:
                    self.on_start(item)
                self.player.play(wav, seconds)
            except Exception:  # a missing clip must not stop the next announcements
                log.exception("announcing %s failed", item.ticket)
            finally:
                if self.on_done is not None:
                    self.on_done(item)
