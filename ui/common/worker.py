"""The one worker pattern for every long task.

:class:`Worker` runs a core function on the global QThreadPool, passing it
``progress(fraction)`` and ``cancelled()`` callables, and reports back through
Qt signals (delivered on the UI thread).  :class:`TaskBar` is the progress bar
with a Cancel button that every tab uses to run one task at a time.
"""

from __future__ import annotations

import threading
import time
import traceback

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from core.errors import Cancelled, PreflightError


class WorkerSignals(QObject):
    progress = Signal(float)
    result = Signal(object)
    error = Signal(str)
    cancelled = Signal()
    finished = Signal()


class Worker(QRunnable):
    """Run ``fn(*args, progress=..., cancelled=..., **kwargs)`` off the UI thread."""

    def __init__(self, fn, *args, pass_callbacks: bool = True, **kwargs):
        super().__init__()
        self.setAutoDelete(False)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.pass_callbacks = pass_callbacks
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self._last_emit = 0.0

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def _progress(self, fraction: float) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last_emit > 0.05:  # at most ~20 updates a second
            self._last_emit = now
            self.signals.progress.emit(max(0.0, min(1.0, float(fraction))))

    def run(self) -> None:  # runs on a pool thread
        try:
            kwargs = dict(self.kwargs)
            if self.pass_callbacks:
                kwargs.update(progress=self._progress, cancelled=self.is_cancelled)
            result = self.fn(*self.args, **kwargs)
            if self._cancel.is_set():
                self.signals.cancelled.emit()
            else:
                self.signals.result.emit(result)
        except Cancelled:
            self.signals.cancelled.emit()
        except PreflightError as exc:
            self.signals.error.emit(str(exc))
        except MemoryError:
            self.signals.error.emit("not enough memory for this input")
        except Exception as exc:  # a bug: report it rather than crash the window
            traceback.print_exc()
            self.signals.error.emit(f"unexpected error: {type(exc).__name__}: {exc}")
        finally:
            self.signals.finished.emit()


def start(worker: Worker) -> Worker:
    QThreadPool.globalInstance().start(worker)
    return worker


class TaskBar(QWidget):
    """A label, a progress bar and a Cancel button for one running task."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        lay.addWidget(self.label)
        lay.addWidget(self.bar, 1)
        lay.addWidget(self.cancel_button)
        self.worker: Worker | None = None
        self.setVisible(False)

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def run(self, label: str, fn, *args, on_result=None, on_error=None, on_cancel=None, **kwargs) -> Worker:
        if self.worker is not None:
            raise RuntimeError("a task is already running")
        worker = Worker(fn, *args, **kwargs)
        self.worker = worker
        self.label.setText(label)
        self.bar.setValue(0)
        self.bar.setFormat("%p%")
        self.cancel_button.setEnabled(True)
        self.setVisible(True)
        worker.signals.progress.connect(lambda f: self.bar.setValue(int(f * 1000)))
        if on_result:
            worker.signals.result.connect(on_result)
        if on_error:
            worker.signals.error.connect(on_error)
        if on_cancel:
            worker.signals.cancelled.connect(on_cancel)
        worker.signals.finished.connect(self._finished)
        return start(worker)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText(self.label.text() + " (cancelling...)")

    def _finished(self) -> None:
        self.worker = None
        self.setVisible(False)
