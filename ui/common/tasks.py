"""The one task pipeline of the GUI: workers, the progress bar and the queue.

:class:`Worker` runs a core function on the global QThreadPool, passing it
``progress(fraction)`` and ``cancelled()`` callables, and reports back through
Qt signals (delivered on the UI thread).

:class:`TaskBar` is the label, progress bar and Cancel button of one running
worker.  It appears only when a task takes longer than a blink, so quick
background checks do not make the window flicker.

:class:`TaskQueue` runs tasks one at a time over a TaskBar.  Every tab and the
main window use it the same way:

* ``run(label, fn, *args, on_result=, on_error=, error_title=, replace=, **kwargs)``
  queues ``fn(*args, progress=, cancelled=, **kwargs)``;
* ``run(..., on_partial=callback)`` also passes ``on_tick=`` (or the keyword named by
  ``partial_kwarg``): each value the function gives it reaches ``callback(value)`` on the UI
  thread, in order, none lost, batched when the UI thread is slower than the task, all before
  the result (live charts of a long run);
* ``busy`` is true while a task runs or waits;
* a result (or error) arriving after another assessment was opened is dropped;
* a ``replace`` key drops an older waiting request with the same key;
* every failure goes to one place: the queue's ``on_error(title, message)``, or,
  without one, the context's ``task_failed`` signal, which the main window shows.

The next task starts when the bar reports that the previous worker has finished
(a signal), never by polling.  Workers only read files and compute; a worker
that needs the assessment opens its own connection
(:meth:`core.assessment.store.base.StoreBase.open_reader`), and the UI thread
does the writes.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from core.errors import Cancelled, PreflightError

#: A task shorter than this never shows the bar.
SHOW_DELAY_MS = 250


class WorkerSignals(QObject):
    progress = Signal(float)
    result = Signal(object)
    error = Signal(str)
    cancelled = Signal()
    finished = Signal()
    partial = Signal()  # partial results are waiting: Worker.take_partial() returns them


class Worker(QRunnable):
    """Run ``fn(*args, progress=..., cancelled=..., **kwargs)`` off the UI thread.

    With ``partial_kwarg`` (e.g. ``"on_tick"``) the function also gets that keyword: a callable that keeps
    each value and emits ``signals.partial`` unless an earlier emission has not been taken yet, so a fast
    producer costs the UI thread one wake-up per batch, not per value, and no value waits for the next one.
    Every emission is queued before ``result``, so the UI thread has taken every value when the result comes.
    """

    def __init__(self, fn, *args, pass_callbacks: bool = True, partial_kwarg: str | None = None, **kwargs):
        super().__init__()
        self.setAutoDelete(False)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.pass_callbacks = pass_callbacks
        self.partial_kwarg = partial_kwarg
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self._last_emit = 0.0
        self._pending: list = []
        self._pending_lock = threading.Lock()
        self._partial_signalled = False

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def _emit(self, name: str, *args) -> None:
        try:
            getattr(self.signals, name).emit(*args)
        except RuntimeError:  # the window was torn down while this worker ran: nobody is listening
            self._cancel.set()

    def _progress(self, fraction: float) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last_emit > 0.05:  # at most ~20 updates a second
            self._last_emit = now
            self._emit("progress", max(0.0, min(1.0, float(fraction))))

    def _partial(self, value) -> None:
        with self._pending_lock:
            self._pending.append(value)
            if self._partial_signalled:
                return  # the UI thread has not taken the last batch yet: this value goes with it
            self._partial_signalled = True
        self._emit("partial")

    def take_partial(self) -> list:
        """The values given since the last call, oldest first (called on the UI thread)."""
        with self._pending_lock:
            batch, self._pending = self._pending, []
            self._partial_signalled = False
        return batch

    def run(self) -> None:  # runs on a pool thread
        try:
            kwargs = dict(self.kwargs)
            if self.pass_callbacks:
                kwargs.update(progress=self._progress, cancelled=self.is_cancelled)
            if self.partial_kwarg:
                kwargs[self.partial_kwarg] = self._partial
            result = self.fn(*self.args, **kwargs)
            if self._cancel.is_set():
                self._emit("cancelled")
            else:
                self._emit("result", result)
        except Cancelled:
            self._emit("cancelled")
        except PreflightError as exc:
            self._emit("error", str(exc))
        except MemoryError:
            self._emit("error", "not enough memory for this input")
        except Exception as exc:  # a bug: report it rather than crash the window
            traceback.print_exc()
            self._emit("error", f"unexpected error: {type(exc).__name__}: {exc}")
        finally:
            self._emit("finished")


def start(worker: Worker) -> Worker:
    QThreadPool.globalInstance().start(worker)
    return worker


class TaskBar(QWidget):
    """A label, a progress bar and a Cancel button for one running worker."""

    idle = Signal()  # the worker has finished and the bar is free again

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
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(SHOW_DELAY_MS)
        self._show_timer.timeout.connect(self._appear)
        self.setVisible(False)

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def run(self, label: str, fn, *args, on_result=None, on_error=None, on_cancel=None, on_partial=None,
            partial_kwarg: str = "on_tick", **kwargs) -> Worker:
        """Start one worker; use a :class:`TaskQueue` to run several one after another.

        ``on_partial(batch)`` gets the lists of values the function passed to its ``partial_kwarg`` callable.
        """
        if self.worker is not None:
            raise RuntimeError("a task is already running")
        worker = Worker(fn, *args, partial_kwarg=partial_kwarg if on_partial else None, **kwargs)
        self.worker = worker
        self.label.setText(label)
        self.bar.setValue(0)
        self.bar.setFormat("%p%")
        self.cancel_button.setEnabled(True)
        self._show_timer.start()
        worker.signals.progress.connect(lambda f: self.bar.setValue(int(f * 1000)))
        if on_result:
            worker.signals.result.connect(on_result)
        if on_error:
            worker.signals.error.connect(on_error)
        if on_cancel:
            worker.signals.cancelled.connect(on_cancel)
        if on_partial:
            worker.signals.partial.connect(lambda: on_partial(worker.take_partial()))
        worker.signals.finished.connect(self._finished)
        return start(worker)

    def _appear(self) -> None:
        if self.worker is not None:
            self.setVisible(True)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText(self.label.text() + " (cancelling...)")

    def _finished(self) -> None:
        self.worker = None
        self._show_timer.stop()
        self.setVisible(False)
        self.idle.emit()


@dataclass
class Task:
    label: str
    fn: object
    args: tuple
    kwargs: dict
    on_result: object = None
    on_error: object = None
    error_title: str = "Error"
    replace: str = ""
    store: object = None
    on_partial: object = None
    partial_kwarg: str = "on_tick"
    outcome: list = field(default_factory=list)  # filled on the UI thread when the worker reports


class TaskQueue(QObject):
    """Tasks run one at a time over ``task_bar``; see the module docstring."""

    finished = Signal()  # after every task, once its callback has run

    def __init__(self, task_bar: TaskBar, context, *, on_error=None, on_idle=None, parent=None):
        super().__init__(parent)
        self.task_bar = task_bar
        self.context = context
        self.on_error = on_error      # callable(title, message): where this queue shows a failure
        self.on_idle = on_idle        # called after a task starts or ends (to update buttons)
        self.queue: list[Task] = []
        self.current: Task | None = None
        task_bar.idle.connect(self._worker_done)

    @property
    def busy(self) -> bool:
        return self.current is not None or bool(self.queue)

    def run(self, label: str, fn, *args, on_result=None, on_error=None, error_title: str = "Error",
            replace: str = "", on_partial=None, partial_kwarg: str = "on_tick", **kwargs) -> None:
        """Queue ``fn(*args, progress=, cancelled=, **kwargs)``; ``on_result(result)`` runs on the UI thread.

        With ``on_partial``, ``fn`` also gets ``partial_kwarg=callable`` and every value passed to it reaches
        ``on_partial(value)`` on the UI thread, in order and before ``on_result`` (dropped when stale).
        """
        if replace:
            self.queue = [t for t in self.queue if t.replace != replace]
        self.queue.append(Task(label, fn, args, kwargs, on_result, on_error, error_title, replace,
                               self.context.store, on_partial, partial_kwarg))
        self._start_next()

    def _start_next(self) -> None:
        if self.current is not None or self.task_bar.busy:
            return  # the bar's idle signal starts the next one
        while self.queue:
            task = self.queue.pop(0)
            if task.store is not self.context.store:
                continue  # asked for an assessment that is no longer open
            self.current = task
            self.task_bar.run(task.label, task.fn, *task.args, **task.kwargs,
                              on_result=lambda r, t=task: t.outcome.append(("result", r)),
                              on_error=lambda m, t=task: t.outcome.append(("error", m)),
                              on_cancel=lambda t=task: t.outcome.append(("cancelled", None)),
                              on_partial=(lambda batch, t=task: self._partial(t, batch)) if task.on_partial else None,
                              partial_kwarg=task.partial_kwarg)
            break
        self._idle()

    def _worker_done(self) -> None:
        task, self.current = self.current, None
        try:
            if task is not None:
                self._deliver(task)
        finally:
            self._idle()
            self.finished.emit()
            self._start_next()

    def _partial(self, task: Task, batch: list) -> None:
        if task.store is not self.context.store or task.outcome:
            return  # another assessment was opened meanwhile, or the task has already ended
        for value in batch:
            task.on_partial(value)

    def _deliver(self, task: Task) -> None:
        if not task.outcome or task.store is not self.context.store:
            return  # another assessment was opened meanwhile: the result is stale
        kind, value = task.outcome[0]
        if kind == "result":
            if task.on_result is not None:
                task.on_result(value)
        elif kind == "error":
            if task.on_error is not None:
                task.on_error(value)
            self.report(task.error_title, value)
        else:
            self.context.status_message.emit(f"{task.label}: cancelled")

    def report(self, title: str, message: str) -> None:
        """Show a failure once, in the place this queue's owner chose."""
        if self.on_error is not None:
            self.on_error(title, message)
        else:
            self.context.task_failed.emit(title, message)

    def _idle(self) -> None:
        if self.on_idle is not None:
            self.on_idle()

    def cancel_all(self) -> None:
        self.queue.clear()
        if self.task_bar.busy:
            self.task_bar.cancel()

    def shutdown(self) -> None:
        """Stop the running task and wait for it (before the assessment is closed)."""
        running = self.task_bar.busy
        self.cancel_all()
        if running:
            QThreadPool.globalInstance().waitForDone(5000)
