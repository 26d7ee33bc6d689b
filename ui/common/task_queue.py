"""Moved to :mod:`ui.common.tasks` (kept while call sites switch)."""

from ui.common.tasks import TaskQueue  # noqa: F401
