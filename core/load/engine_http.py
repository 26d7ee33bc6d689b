"""A minimal HTTP/1.1 keep-alive client connection for the load generator (asyncio protocol).

One :class:`Conn` carries one request at a time over a kept-alive TCP connection.  It parses the
status line and headers, then the body by ``Content-Length``, by chunked transfer coding, or (when the
server gives neither) until the server closes.  Everything runs in event-loop callbacks: no task or
coroutine per request.  The owner (the generator) gets ``done(conn, status, keep)``,
``failed(conn, kind)`` and ``dropped(conn)`` calls.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

MAX_HEAD = 65536

#: exception kinds, as counted in ``error_types``
TIMEOUT = "timeout"
REFUSED = "connection_refused"
RESET = "connection_reset"
CLOSED = "connection_closed"
PROTOCOL = "protocol_error"
CONNECT = "connection_error"
NOT_SENT = "not_sent"


class ProtocolError(Exception):
    pass


def target_of(url: str) -> tuple[str, int, str, str]:
    """(host, port, request target, Host header) of an http:// URL."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return host, port, path, host_header


def build_requests(method: str, url: str, headers, bodies) -> list[bytes]:
    """The raw request bytes, one per body (``bodies`` may be [None] for a request without a body)."""
    _, _, path, host_header = target_of(url)
    head = f"{method.upper()} {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: preflight-loadtest\r\n"
    for name, value in headers:
        if name.lower() in ("host", "content-length", "connection", "transfer-encoding"):
            continue
        head += f"{name}: {value}\r\n"
    out = []
    for body in bodies:
        if body is None:
            out.append((head + "\r\n").encode("latin-1"))
        else:
            raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
            out.append((head + f"Content-Length: {len(raw)}\r\n\r\n").encode("latin-1") + raw)
    return out


def classify_exception(exc: BaseException | None) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return RESET
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return TIMEOUT
    return CONNECT


class Conn(asyncio.Protocol):
    """One keep-alive connection; ``owner`` is told when a response is complete or the request failed."""

    __slots__ = ("owner", "transport", "busy", "closed", "intended", "sent", "head_only", "buf", "state",
                 "status", "need", "keep", "idx", "served", "retried")

    def __init__(self, owner):
        self.owner = owner
        self.transport = None
        self.busy = False
        self.closed = False
        self.intended = 0.0
        self.sent = 0.0
        self.head_only = False
        self.buf = bytearray()
        self.state = 0     # 0 head, 1 body by length, 2 chunk size line, 3 chunk data, 4 trailers, 5 until close
        self.status = 0
        self.need = 0
        self.keep = True
        self.idx = 0           # which request body is on the wire
        self.served = 0        # replies this connection has carried
        self.retried = False   # the request on the wire is already a retry

    # ------------------------------------------------------------------ owner side
    def send(self, data: bytes, intended: float, now: float, idx: int = 0, retried: bool = False) -> None:
        self.busy = True
        self.idx = idx
        self.retried = retried
        self.intended = intended
        self.sent = now
        self.state = 0
        self.buf.clear()
        self.transport.write(data)

    def abort(self) -> None:
        """Drop the connection (after a timeout or a protocol error); no callback follows."""
        self.busy = False
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    # ------------------------------------------------------------------ protocol side
    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        if self.closed:
            return
        self.closed = True
        if self.busy:
            self.busy = False
            if exc is None and self.state == 5:
                self.owner.done(self, self.status, False)
            else:
                self.owner.failed(self, CLOSED if exc is None else classify_exception(exc))
        else:
            self.owner.dropped(self)

    def eof_received(self):
        return False

    def data_received(self, data: bytes) -> None:
        if not self.busy:
            # bytes nobody asked for: the connection is out of step, drop it
            self.closed = True
            self.transport.abort()
            self.owner.dropped(self)
            return
        buf = self.buf
        if not buf and self.state == 0 and not self.head_only and data.startswith(b"HTTP/1.1 "):
            # the common case: a whole HTTP/1.1 reply with a Content-Length in one read
            end = data.find(b"\r\n\r\n")
            head = data[:end].lower() if end > 0 else b""
            at = head.find(b"\r\ncontent-length:")
            if at > 0 and b"transfer-encoding" not in head and b"connection:" not in head:
                stop = head.find(b"\r\n", at + 17)
                try:
                    length = int(head[at + 17:stop if stop > 0 else end])
                    status = int(data[9:12])
                except ValueError:
                    length, status = -1, 0
                if status >= 200 and len(data) == end + 4 + length and status not in (204, 304):
                    self.busy = False
                    self.served += 1
                    self.status = status
                    self.owner.done(self, status, True)
                    return
        buf += data
        try:
            complete = self._parse(buf)
        except (ProtocolError, ValueError, IndexError):
            self.abort()
            self.owner.failed(self, PROTOCOL)
            return
        if complete:
            if buf:
                # extra bytes after a complete response: the server is not speaking HTTP/1.1 as agreed
                self.abort()
                self.owner.failed(self, PROTOCOL)
                return
            self.busy = False
            self.served += 1
            keep = self.keep
            if not keep:
                self.closed = True
                self.transport.close()
            self.owner.done(self, self.status, keep)

    def _parse(self, buf: bytearray) -> bool:
        while True:
            state = self.state
            if state == 0:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        raise ProtocolError("header too long")
                    return False
                lines = bytes(buf[:end]).split(b"\r\n")
                del buf[:end + 4]
                version, _, rest = lines[0].partition(b" ")
                if not version.startswith(b"HTTP/1."):
                    raise ProtocolError("not an HTTP/1.x response")
                status = int(rest[:3])
                length = None
                chunked = False
                keep = version != b"HTTP/1.0"
                for line in lines[1:]:
                    name, sep, value = line.partition(b":")
                    if not sep:
                        raise ProtocolError("bad header line")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value.strip())
                        if length < 0:
                            raise ProtocolError("negative Content-Length")
                    elif name == b"transfer-encoding":
                        chunked = b"chunked" in value.lower()
                    elif name == b"connection":
                        v = value.strip().lower()
                        if v == b"close":
                            keep = False
                        elif v == b"keep-alive":
                            keep = True
                if 100 <= status < 200:
                    continue  # an interim response: the real one follows
                self.status = status
                self.keep = keep
                if self.head_only or status in (204, 304):
                    return True
                if chunked:
                    self.state = 2
                elif length is not None:
                    if len(buf) >= length:
                        del buf[:length]
                        return True
                    self.need = length
                    self.state = 1
                    return False
                else:
                    self.state = 5
                    self.keep = False
                    buf.clear()
                    return False
            elif state == 1:
                if len(buf) < self.need:
                    return False
                del buf[:self.need]
                return True
            elif state == 2:
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > 1024:
                        raise ProtocolError("chunk size line too long")
                    return False
                size = int(bytes(buf[:end]).split(b";", 1)[0].strip(), 16)
                if size < 0:
                    raise ProtocolError("negative chunk size")
                del buf[:end + 2]
                if size == 0:
                    self.state = 4
                else:
                    self.need = size + 2
                    self.state = 3
            elif state == 3:
                if len(buf) < self.need:
                    return False
                if buf[self.need - 2:self.need] != b"\r\n":
                    raise ProtocolError("chunk not followed by CRLF")
                del buf[:self.need]
                self.state = 2
            elif state == 4:
                if buf[:2] == b"\r\n":
                    del buf[:2]
                    return True
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        raise ProtocolError("trailers too long")
                    return False
                del buf[:end + 4]
                return True
            else:  # state 5: the body runs until the server closes
                buf.clear()
                return False
