"""Local HTTP servers for the load-engine tests (no test functions here).

:class:`RawServer` listens on 127.0.0.1, port 0, in a background thread and answers by path:

* ``/ok``: 200 with a Content-Length body;
* ``/cycle``: statuses 200, 200, 404, 503 in turn (server-side counter);
* ``/status/<code>``: that status;
* ``/slow/<ms>``: 200 after that many milliseconds;
* ``/chunked``: 200 with a chunked body in several chunks (with a trailer);
* ``/http10``: an HTTP/1.0 reply without Content-Length, ended by closing the connection;
* ``/close``: closes the connection without replying;
* ``/reset``: resets the connection (RST) without replying;
* ``/garbage``: replies with bytes that are not HTTP;
* ``/one-per-conn``: answers the first request on a connection; closes without replying on the next
  (a server whose kept-alive connection went stale).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading


def free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Proto(asyncio.Protocol):
    def __init__(self, server):
        self.server = server
        self.buf = b""
        self.transport = None
        self.seen = 0

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, _, rest = self.buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return
            self.buf = rest[length:]
            path = head.split(b" ")[1].decode()
            self.server.handled += 1
            self.seen += 1
            self.respond(path)

    def _send(self, status, body=b"ok"):
        self.transport.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" % (status, len(body)) + body)

    def respond(self, path):
        srv = self.server
        if path == "/ok":
            self._send(200, b'{"ok":true}')
        elif path == "/cycle":
            status = (200, 200, 404, 503)[srv.counter % 4]
            srv.counter += 1
            self._send(status)
        elif path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]))
        elif path.startswith("/slow/"):
            ms = float(path.rsplit("/", 1)[1])
            asyncio.get_running_loop().call_later(ms / 1000, self._later)
        elif path == "/chunked":
            self.transport.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 b"5;ext=1\r\nhello\r\n")
            self.transport.write(b"1a\r\n" + b"x" * 26 + b"\r\n0\r\nX-Trailer: 1\r\n\r\n")
        elif path == "/http10":
            self.transport.write(b"HTTP/1.0 200 OK\r\n\r\nbody until close")
            self.transport.close()
        elif path == "/close":
            self.transport.close()
        elif path == "/reset":
            sock = self.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transport.abort()
        elif path == "/one-per-conn":
            if self.seen == 1:
                self._send(200)
            else:
                self.transport.close()
        elif path == "/garbage":
            self.transport.write(b"SSH-2.0-not-http\r\n\r\n")
        else:
            self._send(404)

    def _later(self):
        if not self.transport.is_closing():
            self._send(200)


class RawServer:
    """``with RawServer() as srv: srv.url("/ok")``."""

    def __init__(self):
        self.port = 0
        self.counter = 0
        self.handled = 0
        self.loop = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self):
        self.loop = asyncio.new_event_loop()
        server = self.loop.run_until_complete(self.loop.create_server(lambda: _Proto(self), "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()
        server.close()
        self.loop.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
