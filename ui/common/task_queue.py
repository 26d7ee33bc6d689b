"""One-at-a-time task queue over a tab's TaskBar (the worker pattern of ui/common/worker.py).

Tasks are queued with the assessment that was open when they were asked for; a result
(or error) arriving after another assessment was opened is dropped.  A queued task may
carry a ``replace`` key so that asking again (e.g. previewing another file) drops the
older request that has not started yet.
"""

from __future__ import annotations

from PySide6.QtCore import QThreadPool, QTimer


class TaskQueue:
    def __init__(self, task_bar, context, *, on_error, on_idle):
        self.task_bar = task_bar
        self.context = context
        self.on_error = on_error      # callable(title, message): how the tab shows a failure
        self.on_idle = on_idle        # called after every task (to update buttons)
        self.queue: list[tuple] = []
        self.running = False          # a task is in the worker until its result/error/cancel is handled

    @property
    def busy(self) -> bool:
        return self.running or bool(self.queue)

    def run(self, label: str, fn, *args, on_result=None, on_error=None, error_title: str = "Error",
            replace: str = "", **kwargs) -> None:
        """Queue ``fn(*args, progress=, cancelled=, **kwargs)``; ``on_result(result)`` runs on the UI thread."""
        if replace:
            self.queue = [t for t in self.queue if t[0] != replace]
        self.queue.append((replace, label, fn, args, kwargs, on_result, on_error, error_title, self.context.store))
        self._start_next()

    def _start_next(self) -> None:
        if not self.queue:
            return
        if self.task_bar.busy or self.running:  # the bar clears itself once the last task has finished
            QTimer.singleShot(10, self._start_next)
            return
        _key, label, fn, args, kwargs, on_result, on_error, error_title, store = self.queue.pop(0)
        if store is not self.context.store:
            QTimer.singleShot(0, self._start_next)
            return
        self.running = True
        # every task ends with exactly one of result / error / cancelled
        self.task_bar.run(label, fn, *args, **kwargs,
                          on_result=lambda r: self._finish(store, on_result, r),
                          on_error=lambda m: self._finish(store, self._failed, error_title, m, on_error),
                          on_cancel=lambda: self._finish(store, self.context.status_message.emit,
                                                         f"{label}: cancelled"))
        self.on_idle()

    def _finish(self, store, callback, *args) -> None:
        self.running = False
        try:
            if callback is not None and store is self.context.store:
                callback(*args)
        finally:
            self.on_idle()
            if self.queue:
                QTimer.singleShot(0, self._start_next)

    def _failed(self, title: str, message: str, on_error) -> None:
        if on_error is not None:
            on_error(message)
        self.on_error(title, message)

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
