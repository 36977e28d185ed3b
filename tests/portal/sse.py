"""A server-sent events client for the tests: one stream read in its own thread, each event with
its arrival time (``http.client``'s ``read1`` hands over what came, chunk by chunk)."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from dataclasses import dataclass
from queue import Queue
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Event:
    at: float  # time.monotonic() of its arrival
    data: dict[str, Any]


class Stream:
    """``GET url`` as a browser's EventSource would; :meth:`next` waits for the next event."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        self.conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                          headers={"Accept": "text/event-stream"})
        self.sock = self.conn.sock  # the connection lets go of it when the answer closes it
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.headers = {k.lower(): v for k, v in self.response.getheaders()}
        self.events: Queue[Event | None] = Queue()
        self.comments = 0
        self.retry: int | None = None
        self.ended = threading.Event()
        if self.status == 200:
            self.thread = threading.Thread(target=self._read, name="sse-client", daemon=True)
            self.thread.start()
        else:
            self.body = self.response.read()
            self.ended.set()

    def _read(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = self.response.read1(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    for line in block.decode("utf-8").split("\n"):
                        if line.startswith("data: "):
                            self.events.put(Event(time.monotonic(), json.loads(line[6:])))
                        elif line.startswith("retry: "):
                            self.retry = int(line[7:])
                        elif line.startswith(":"):
                            self.comments += 1
        except (OSError, http.client.HTTPException, ValueError):
            pass
        finally:
            self.ended.set()
            self.events.put(None)

    def next(self, timeout: float = 10.0) -> Event:
        event = self.events.get(timeout=timeout)
        if event is None:
            raise EOFError("the stream ended")
        return event

    def until(self, wanted: Any, timeout: float = 10.0) -> Event:
        """The first event whose data satisfies ``wanted``."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(0.01, deadline - time.monotonic()))
            if wanted(event.data):
                return event

    def close(self) -> None:
        """Hang up, as a phone that leaves the page (the reader wakes and ends)."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
        if self.status == 200:
            self.thread.join(10)
        self.response.close()
        self.conn.close()
