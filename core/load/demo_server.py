"""The built-in demo endpoint (``python main.py serve-demo``): a small model behind HTTP on 127.0.0.1.

At start it trains a scikit-learn classifier (standard scaling + logistic regression) on the breast
cancer data bundled with scikit-learn.  ``POST /predict`` takes a JSON object of feature values (flat,
or under ``"features"``); a missing feature takes its training mean and unknown keys are ignored.  It
answers ``{"prediction", "label", "probability", "missing"}``.  ``GET /health`` says it is up.

Knobs for rehearsing trouble: a fixed ``latency_ms`` plus a uniform ``jitter_ms``, an ``error_rate`` of
injected 500 replies, and a stall of ``stall_ms`` every ``stall_every_s`` seconds (like a long garbage
collection pause: a request arriving during a stall is answered only when the stall ends).

The server is one asyncio protocol (HTTP/1.1, keep-alive, pipelining in order); the logistic model's
arithmetic is done directly from the fitted coefficients, and replies to repeated bodies are cached,
so simple requests cost a few microseconds.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import threading
import time

from core.load.plan import DEMO_PORT

MAX_BODY = 1 << 20
CACHE_SIZE = 4096
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 411: "Length Required",
           413: "Payload Too Large", 500: "Internal Server Error", 501: "Not Implemented"}


def _response(status: int, payload: dict, close: bool = False) -> bytes:
    body = json.dumps(payload, separators=(",", ":")).encode()
    head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n")
    return head.encode("latin-1") + body


_MODELS: dict = {}


def demo_model(seed: int = 0) -> "DemoModel":
    """The fitted demo model for ``seed`` (fitted once per process)."""
    if seed not in _MODELS:
        _MODELS[seed] = DemoModel(seed)
    return _MODELS[seed]


class DemoModel:
    """The breast-cancer classifier, fitted once; :meth:`predict` works from its coefficients."""

    def __init__(self, seed: int = 0):
        from sklearn.datasets import load_breast_cancer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        data = load_breast_cancer()
        self.pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
        self.pipeline.fit(data.data, data.target)
        scaler, clf = self.pipeline[0], self.pipeline[1]
        self.names = [str(n) for n in data.feature_names]
        self.labels = [str(n) for n in data.target_names]
        self.means = [float(m) for m in scaler.mean_]
        coef = clf.coef_[0]
        self.weights = [float(c / s) for c, s in zip(coef, scaler.scale_)]
        self.intercept = float(clf.intercept_[0] - sum(c * m / s for c, m, s in zip(coef, scaler.mean_,
                                                                                    scaler.scale_)))
        self.index = {n: i for i, n in enumerate(self.names)}

    def row(self, features: dict) -> tuple[list[float], int]:
        """The full feature row (training means filled in) and how many features were missing."""
        x = list(self.means)
        missing = len(self.names)
        for key, value in features.items():
            i = self.index.get(key)
            if i is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise ValueError(f"feature {key!r} is not a number") from None
            if not math.isfinite(value):
                raise ValueError(f"feature {key!r} is not finite")
            x[i] = float(value)
            missing -= 1
        return x, missing

    def predict(self, features: dict) -> dict:
        x, missing = self.row(features)
        z = self.intercept + sum(w * v for w, v in zip(self.weights, x))
        p = 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
        cls = 1 if p >= 0.5 else 0
        return {"prediction": cls, "label": self.labels[cls], "probability": round(p, 6), "missing": missing}


class _Handler(asyncio.Protocol):
    __slots__ = ("server", "transport", "buf", "last_due", "closing")

    def __init__(self, server: "DemoServer"):
        self.server = server
        self.transport = None
        self.buf = bytearray()
        self.last_due = 0.0
        self.closing = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.closing = True

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while not self.closing:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > 65536:
                    self._reply(_response(400, {"error": "header too long"}, True), True)
                return
            head = bytes(buf[:end])
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
                self._reply(_response(400, {"error": "bad request line"}, True), True)
                return
            length, close = 0, parts[2] == b"HTTP/1.0"
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    try:
                        length = int(value)
                    except ValueError:
                        length = -1
                elif name == b"connection":
                    v = value.strip().lower()
                    close = v == b"close" or (close and v != b"keep-alive")
                elif name == b"transfer-encoding":
                    self._reply(_response(501, {"error": "chunked request bodies are not supported"}, True), True)
                    return
            if length < 0 or length > MAX_BODY:
                self._reply(_response(413 if length > 0 else 400, {"error": "bad Content-Length"}, True), True)
                return
            if len(buf) < end + 4 + length:
                return
            body = bytes(buf[end + 4:end + 4 + length])
            del buf[:end + 4 + length]
            self._reply(self.server.handle(parts[0], parts[1], body, close), close)

    def _reply(self, response: bytes, close: bool) -> None:
        server = self.server
        delay = server.delay()
        if delay <= 0 and self.last_due <= 0:
            self.transport.write(response)
            if close:
                self.closing = True
                self.transport.close()
            return
        loop = server.loop
        due = max(loop.time() + delay, self.last_due)
        self.last_due = due
        if close:
            self.closing = True
        loop.call_at(due, self._send_later, response, close, due)

    def _send_later(self, response: bytes, close: bool, due: float) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(response)
        if due >= self.last_due:
            self.last_due = 0.0
        if close:
            self.transport.close()


class DemoServer:
    """The demo endpoint in a background thread: ``start()`` returns the bound port, ``stop()`` ends it."""

    def __init__(self, port: int = 0, latency_ms: float = 0, jitter_ms: float = 0, error_rate: float = 0,
                 stall_every_s: float = 0, stall_ms: float = 0, seed: int = 0, host: str = "127.0.0.1"):
        from core.errors import PreflightError

        if host not in ("127.0.0.1", "::1", "localhost"):
            raise PreflightError("the demo server only listens on this machine (127.0.0.1)")
        for name, value in (("latency", latency_ms), ("jitter", jitter_ms), ("stall", stall_ms),
                            ("stall interval", stall_every_s)):
            if not (value >= 0 and math.isfinite(value)):
                raise PreflightError(f"the demo server's {name} must be zero or positive (got {value})")
        if not 0 <= error_rate <= 1:
            raise PreflightError(f"the error rate must be between 0 and 1 (got {error_rate})")
        if stall_ms and not stall_every_s:
            raise PreflightError("a stall needs --stall-every (seconds between stalls)")
        if stall_every_s and stall_ms >= stall_every_s * 1000:
            raise PreflightError("a stall must be shorter than the interval between stalls")
        if not 0 <= port <= 65535:
            raise PreflightError(f"bad port {port}")
        self.host, self.port = host, int(port)
        self.latency = latency_ms / 1000.0
        self.jitter = jitter_ms / 1000.0
        self.error_rate = float(error_rate)
        self.stall_every = float(stall_every_s)
        self.stall = stall_ms / 1000.0
        self.rng = random.Random(seed)
        self.model = demo_model(seed)
        self.cache: dict[bytes, bytes] = {}
        self.requests = 0
        self.loop = None
        self._server = None
        self._thread = None
        self._ready = threading.Event()
        self._error = None
        self.t0 = 0.0
        self._simple = not (latency_ms or jitter_ms or stall_ms or error_rate)
        self.health = _response(200, {"status": "ok", "model": "logistic regression (breast cancer)",
                                      "features": len(self.model.names)})

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/predict"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ request handling
    def delay(self) -> float:
        """Seconds until the current request may be answered (latency, jitter and any stall)."""
        if self._simple:
            return 0.0
        now = self.loop.time()
        wait = 0.0
        if self.stall_every:
            since = now - self.t0
            k = math.floor(since / self.stall_every)
            into = since - k * self.stall_every
            if k >= 1 and into < self.stall:
                wait = self.stall - into
        return wait + self.latency + (self.rng.random() * self.jitter if self.jitter else 0.0)

    def handle(self, method: bytes, target: bytes, body: bytes, close: bool) -> bytes:
        self.requests += 1
        path = target.split(b"?", 1)[0]
        if path == b"/predict":
            if method != b"POST":
                return _response(405, {"error": "use POST"}, close)
            if self.error_rate and self.rng.random() < self.error_rate:
                return _response(500, {"error": "injected error"}, close)
            if not close:
                hit = self.cache.get(body)
                if hit is not None:
                    return hit
            response = self._predict(body, close)
            if not close and response.startswith(b"HTTP/1.1 200"):
                if len(self.cache) >= CACHE_SIZE:
                    self.cache.clear()
                self.cache[body] = response
            return response
        if path == b"/health":
            return self.health if not close else _response(200, json.loads(self.health.split(b"\r\n\r\n", 1)[1]),
                                                           True)
        return _response(404, {"error": "not found; use POST /predict or GET /health"}, close)

    def _predict(self, body: bytes, close: bool) -> bytes:
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _response(400, {"error": "the body is not JSON"}, close)
        if isinstance(data, dict) and isinstance(data.get("features"), dict):
            data = data["features"]
        if not isinstance(data, dict):
            return _response(400, {"error": "the body must be a JSON object of feature values"}, close)
        try:
            return _response(200, self.model.predict(data), close)
        except ValueError as exc:
            return _response(400, {"error": str(exc)}, close)

    # ------------------------------------------------------------------ lifecycle
    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()
        self._server = await self.loop.create_server(lambda: _Handler(self), self.host, self.port,
                                                     reuse_address=True, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

    def start(self) -> int:
        """Serve in a background thread; returns the bound port."""
        from core.errors import PreflightError

        if self._thread is not None:
            return self.port
        self._thread = threading.Thread(target=self._thread_main, name="preflight-demo-server", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            self._thread = None
            raise PreflightError(f"the demo server cannot listen on {self.host}:{self.port} ({self._error})")
        return self.port

    def stop(self) -> None:
        if self._thread is None:
            return
        if self.loop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> "DemoServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self, on_ready=None) -> None:
        """Serve in this thread until interrupted (Ctrl+C)."""
        async def main():
            await self._serve()
            if on_ready is not None:
                on_ready(self)
            await asyncio.Event().wait()
        from core.errors import PreflightError

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            pass
        except OSError as exc:
            raise PreflightError(f"the demo server cannot listen on {self.host}:{self.port} ({exc})") from None


def serve_demo(port: int = DEMO_PORT, latency_ms: float = 0, jitter_ms: float = 0, error_rate: float = 0,
               stall_every_s: float = 0, stall_ms: float = 0, seed: int = 0, on_ready=None) -> None:
    """Run the demo endpoint in the foreground (the ``serve-demo`` command) until Ctrl+C."""
    DemoServer(port, latency_ms, jitter_ms, error_rate, stall_every_s, stall_ms, seed).serve_forever(on_ready)


def wait_until_up(url: str, timeout_s: float = 10.0) -> bool:
    """True once something accepts TCP connections at the URL's host and port."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((parts.hostname, parts.port or 80), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False
