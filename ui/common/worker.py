"""Moved to :mod:`ui.common.tasks` (kept while call sites switch)."""

from ui.common.tasks import TaskBar, Worker, WorkerSignals, start  # noqa: F401
