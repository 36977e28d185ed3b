"""A local HTTP SMS gateway on loopback, as :class:`counter_app.notify.senders.HttpSmsSender` talks
to one: ``POST`` a message (bearer ``sms-token``), ``GET /<id>`` its delivery. ``answers``: the
replies of the next POSTs (a failure, a refusal); ``received``: the messages accepted;
``status``: each accepted message's delivery, ``pending`` until a test sets it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Gateway:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[tuple[int, str]] = []  # (status, body) for the next POSTs
        self.status: dict[str, str] = {}
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, code: int, body: str) -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length))
                if self.headers.get("Authorization") != "Bearer sms-token":
                    return self._reply(401, '{"error": "token"}')
                if gateway.answers:
                    return self._reply(*gateway.answers.pop(0))
                gateway.received.append(payload)
                ident = f"g-{len(gateway.received)}"
                gateway.status[ident] = "pending"
                return self._reply(200, json.dumps({"id": ident, "status": "accepted"}))

            def do_GET(self) -> None:  # noqa: N802
                ident = self.path.rsplit("/", 1)[1]
                return self._reply(200, json.dumps({"id": ident, "status": gateway.status.get(ident, "unknown")}))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
