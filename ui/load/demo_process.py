"""The demo endpoint in its own process, for the Load tab.

Served from a thread of the window's process, the demo model would share one interpreter lock with the
load generator (which runs in the tab's worker thread) and with the window: the generator's sends would
wait for the server's Python code and the test would measure that contention, not the endpoint.  So the
tab runs :func:`core.load.demo_server.serve_demo` in a child process (``spawn``), which reports the port
it bound; :meth:`DemoProcess.stop` terminates it, and the child also ends by itself when the window's
process dies without stopping it (a pipe from the parent closes).  This module imports no Qt, so the
child stays light.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_mod
import threading
import time

from core.errors import Cancelled, PreflightError
from core.load.plan import DEMO_PORT

START_TIMEOUT_S = 120.0  # training the demo model on a busy machine


def _exit_with_parent(lifeline) -> None:
    """Block until the window's process is gone (its end of the pipe closes), then end this process."""
    try:
        lifeline.recv()
    except (EOFError, OSError):
        pass
    os._exit(0)


def _serve(out, lifeline, port: int, latency_ms: float, error_rate: float) -> None:  # runs in the child process
    from core.load.demo_server import serve_demo

    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    try:
        serve_demo(port=port, latency_ms=latency_ms, error_rate=error_rate,
                   on_ready=lambda server: out.put(("ready", server.port)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it there
        out.put(("error", f"{exc}"))


class DemoProcess:
    """A demo endpoint served by a child process on 127.0.0.1: ``start()`` (blocking) returns the port."""

    def __init__(self, port: int = DEMO_PORT, latency_ms: float = 0.0, error_rate: float = 0.0):
        self.port = int(port)
        self.latency_ms = float(latency_ms)
        self.error_rate = float(error_rate)
        self.process = None
        self._lifeline = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/predict"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def start(self, cancelled=None) -> int:
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        child_end, self._lifeline = ctx.Pipe(duplex=False)  # the child reads; closing ours ends it
        self.process = ctx.Process(target=_serve, args=(out, child_end, self.port, self.latency_ms,
                                                        self.error_rate),
                                   name="preflight-demo-endpoint", daemon=True)
        self.process.start()
        child_end.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while True:
                if cancelled is not None and cancelled():
                    raise Cancelled()
                try:
                    kind, value = out.get(timeout=0.1)
                except queue_mod.Empty:
                    if not self.process.is_alive():
                        raise PreflightError(f"the demo endpoint ended while starting (exit code "
                                             f"{self.process.exitcode})") from None
                    if time.monotonic() > deadline:
                        raise PreflightError("the demo endpoint did not start in time") from None
                    continue
                if kind == "ready":
                    self.port = int(value)
                    return self.port
                raise PreflightError(str(value))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self.process = self.process, None
        lifeline, self._lifeline = self._lifeline, None
        if lifeline is not None:
            lifeline.close()
        if process is None:
            return
        if process.is_alive():
            process.terminate()
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(2)
        process.close()
