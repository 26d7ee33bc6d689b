"""Start and stop the built-in demo endpoint from the Load tab.

The endpoint runs in its own process (:mod:`ui.load.demo_process`), serving on 127.0.0.1.  Starting it
trains the small demo model, so it runs in the tab's task pipeline.  Every endpoint this panel started is
stopped by :meth:`DemoPanel.shutdown` (the tab or the window closing), including one whose start
finished after the user moved on.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from core.errors import PreflightError
from core.load.plan import DEMO_PORT
from ui.load.demo_process import DemoProcess

RUNNING_STYLE = "color:#1a7f37;font-weight:bold"
STOPPED_STYLE = "color:#57606a"


def start_demo_server(started: list, lock: threading.Lock, *, port: int = DEMO_PORT, latency_ms: float = 0.0,
                      error_rate: float = 0.0, progress=None, cancelled=None) -> DemoProcess:
    """Start a demo endpoint on ``port`` (or any free port when that one is taken); keep it in ``started``
    from the moment its process exists, so that :meth:`DemoPanel.shutdown` can always stop it."""
    if progress:
        progress(0.05)
    for candidate in (port, 0) if port else (0,):
        server = DemoProcess(port=candidate, latency_ms=latency_ms, error_rate=error_rate)
        with lock:
            started.append(server)
        try:
            server.start(cancelled=cancelled)
        except PreflightError:
            with lock:
                started.remove(server)
            if candidate == 0:
                raise
            continue  # the usual port is taken (another Preflight, or serve-demo): take any free one
        if progress:
            progress(1.0)
        return server
    raise PreflightError("no free port for the demo endpoint")  # not reached


def stop_demo_server(server, *, progress=None, cancelled=None) -> None:
    server.stop()


class DemoPanel(QGroupBox):
    """State, Start/Stop buttons and the demo's added latency and error rate."""

    url_changed = Signal(str)  # the running demo's URL, or "" when stopped

    def __init__(self, tasks, parent=None):
        super().__init__("Demo endpoint (this machine)", parent)
        self.tasks = tasks
        self.server = None
        self.port = DEMO_PORT
        self._started: list = []
        self._lock = threading.Lock()
        self.state = QLabel("Stopped")
        self.state.setWordWrap(True)
        self.state.setStyleSheet(STOPPED_STYLE)
        self.state.setToolTip("The demo model (a small scikit-learn classifier) serves POST /predict from its own "
                              "process on 127.0.0.1, so it does not compete with the load generator")
        self.latency = QDoubleSpinBox()
        self.latency.setRange(0, 10_000)
        self.latency.setSuffix(" ms")
        self.latency.setToolTip("Latency the demo adds to each reply")
        self.error_rate = QDoubleSpinBox()
        self.error_rate.setRange(0, 100)
        self.error_rate.setDecimals(1)
        self.error_rate.setSuffix(" %")
        self.error_rate.setToolTip("Share of requests the demo answers with HTTP 500")
        self.start_button = QPushButton("Start demo")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop demo")
        self.stop_button.clicked.connect(self.stop)
        knobs = QHBoxLayout()
        knobs.addWidget(QLabel("Added latency"))
        knobs.addWidget(self.latency)
        knobs.addWidget(QLabel("Errors"))
        knobs.addWidget(self.error_rate)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.state)
        lay.addLayout(knobs)
        lay.addLayout(buttons)
        self.update_buttons(False)

    @property
    def url(self) -> str:
        return self.server.url if self.server is not None else ""

    @property
    def running(self) -> bool:
        return self.server is not None

    def update_buttons(self, busy: bool) -> None:
        if not busy:
            self._show_label()  # a start or stop that was cancelled or failed leaves no "Starting..."
        self.start_button.setEnabled(not busy and self.server is None)
        self.stop_button.setEnabled(not busy and self.server is not None)
        self.latency.setEnabled(self.server is None)
        self.error_rate.setEnabled(self.server is None)

    def start(self) -> None:
        if self.server is not None:
            return
        self.state.setText("Starting (training the demo model)...")
        self.state.setStyleSheet(STOPPED_STYLE)
        self.tasks.run("Starting the demo endpoint", start_demo_server, self._started, self._lock, port=self.port,
                       latency_ms=self.latency.value(), error_rate=self.error_rate.value() / 100.0,
                       on_result=self._started_ok, on_error=lambda _m: self._show_state(),
                       error_title="Cannot start the demo endpoint")

    def _started_ok(self, server) -> None:
        self.server = server
        self._show_state()
        self.url_changed.emit(server.url)

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is None:
            return
        self.state.setText("Stopping...")
        self.tasks.run("Stopping the demo endpoint", stop_demo_server, server,
                       on_result=lambda _r: self._forget(server), on_error=lambda _m: self._show_state(),
                       error_title="Cannot stop the demo endpoint")
        self.url_changed.emit("")

    def _forget(self, server) -> None:
        with self._lock:
            if server in self._started:
                self._started.remove(server)
        self._show_state()

    def _show_label(self) -> None:
        if self.server is not None:
            self.state.setText(f"Running at {self.server.url}")
            self.state.setStyleSheet(RUNNING_STYLE)
        else:
            self.state.setText("Stopped")
            self.state.setStyleSheet(STOPPED_STYLE)

    def _show_state(self) -> None:
        self._show_label()
        self.update_buttons(self.tasks.busy)

    def shutdown(self) -> None:
        """Stop every demo server this panel started (call after the task pipeline has stopped)."""
        with self._lock:
            servers, self._started = list(self._started), []
        self.server = None
        for server in servers:
            try:
                server.stop()
            except Exception:  # noqa: BLE001 - closing: a server that fails to stop is already gone
                pass
