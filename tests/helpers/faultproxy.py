"""A fault-injecting TCP proxy between the sync agent and the real central server (loopback).

Each new client connection takes the next fault from the queue (then ``pass``):

* ``pass``: forward both ways;
* ``drop_request``: read part of the request, then close (the server never sees it);
* ``drop_response``: forward the request, let the server answer, pass on only the first bytes
  of the answer, then close (the server has stored the batch; the agent does not know);
* ``truncate``: pass the answer's headers and half its body, then close;
* ``delay:S``: wait S seconds, then forward;
* ``status:CODE[:RETRY_AFTER]``: answer CODE (500, 503…) without forwarding;
* ``timeout``: read the request and never answer;
* ``garbage``: answer 200 with a body that is not the protocol.
"""

from __future__ import annotations

import collections
import socket
import threading
import time
from types import TracebackType


class FaultProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.faults: collections.deque[str] = collections.deque()
        self.lock = threading.Lock()
        self.connections = 0
        self.applied: list[str] = []
        self.bytes_up = 0  # client to server, as forwarded on ``pass`` connections
        self.bytes_down = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._accept = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)
        self._accept.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, *faults: str) -> None:
        with self.lock:
            self.faults.extend(faults)

    def _next(self) -> str:
        with self.lock:
            self.connections += 1
            fault = self.faults.popleft() if self.faults else "pass"
            self.applied.append(fault)
            return fault

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._handle, args=(client, self._next()), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _track(self, sock: socket.socket) -> socket.socket:
        with self.lock:
            self._sockets.append(sock)
        return sock

    def _handle(self, client: socket.socket, fault: str) -> None:
        self._track(client)
        try:
            kind, _, arg = fault.partition(":")
            if kind == "drop_request":
                client.recv(64)
                return
            if kind == "timeout":
                while not self._stop.is_set() and client.recv(65536):
                    pass
                return
            if kind == "status":
                code, _, retry_after = arg.partition(":")
                self._read_request(client)
                extra = f"Retry-After: {retry_after}\r\n" if retry_after else ""
                client.sendall(f"HTTP/1.1 {code} Fault\r\nContent-Length: 0\r\nConnection: close\r\n{extra}\r\n"
                               .encode())
                return
            if kind == "garbage":
                self._read_request(client)
                body = b'{"results": "not a list"}'
                client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                               + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                return
            if kind == "delay":
                time.sleep(float(arg or 1))
            server = self._track(socket.create_connection(self.target))
            if kind in ("drop_response", "truncate"):
                request = self._read_request(client)
                server.sendall(request)
                response = self._read_response(server)
                cut = 20 if kind == "drop_response" else response.index(b"\r\n\r\n") + 4 + \
                    max((len(response) - response.index(b"\r\n\r\n") - 4) // 2, 1)
                client.sendall(response[:cut])
                return
            self._pipe(client, server)
        except OSError:
            pass
        finally:
            try:
                client.close()
            except OSError:
                pass

    @staticmethod
    def _read_request(sock: socket.socket) -> bytes:
        """One HTTP request with a Content-Length body (what requests sends)."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    @staticmethod
    def _read_response(sock: socket.socket) -> bytes:
        return FaultProxy._read_request(sock)  # same framing: headers, then Content-Length bytes

    def _pipe(self, client: socket.socket, server: socket.socket) -> None:
        def forward(src: socket.socket, dst: socket.socket, up: bool) -> None:
            try:
                while True:
                    chunk = src.recv(65536)
                    if not chunk:
                        break
                    dst.sendall(chunk)
                    with self.lock:
                        if up:
                            self.bytes_up += len(chunk)
                        else:
                            self.bytes_down += len(chunk)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=forward, args=(server, client, False), daemon=True)
        back.start()
        forward(client, server, True)
        back.join(30)
        server.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        with self.lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:  # shutdown wakes a thread blocked in recv() on it; close alone does not (Linux)
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass
        self._accept.join(5)
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
