"""The task pipeline's partial results: every value a running task gives its ``on_tick`` reaches the UI thread,
in order and before the result; without ``on_partial`` a task gets no ``on_tick`` at all."""

import threading

import pytest
from PySide6.QtCore import QObject, Signal

from core.errors import Cancelled
from ui.common.tasks import TaskBar, TaskQueue


class _Context(QObject):
    status_message = Signal(str)
    task_failed = Signal(str, str)

    def __init__(self):
        super().__init__()
        self.store = object()


def _ticking(n, *, progress=None, cancelled=None, on_tick=None, release=None):
    """Give ``n`` values to ``on_tick`` as fast as possible (many fall inside one throttle interval)."""
    for i in range(n):
        if release is not None and i == n // 2:
            release.wait(10)
        if cancelled():
            raise Cancelled()
        on_tick({"t": i})
        progress((i + 1) / n)
    return n


def _keywords(*, progress=None, cancelled=None, **kwargs):
    return sorted(kwargs)


@pytest.fixture
def queue(qtbot):
    bar = TaskBar()
    qtbot.addWidget(bar)
    context = _Context()
    errors = []
    q = TaskQueue(bar, context, on_error=lambda title, message: errors.append(message))
    yield q, context, errors
    q.shutdown()


def test_every_partial_value_arrives_in_order_before_the_result(qtbot, queue):
    q, _context, errors = queue
    events = []
    with qtbot.waitSignal(q.finished, timeout=20000):
        q.run("ticks", _ticking, 500, on_partial=lambda v: events.append(("tick", v["t"])),
              on_result=lambda r: events.append(("result", r)))
    assert not errors
    assert events[-1] == ("result", 500)
    assert [v for kind, v in events[:-1]] == list(range(500))
    assert all(kind == "tick" for kind, _v in events[:-1])


def test_partials_reach_the_ui_thread_while_the_task_still_runs(qtbot, queue):
    q, _context, _errors = queue
    release = threading.Event()
    seen, results = [], []
    q.run("ticks", _ticking, 10, release=release, on_partial=seen.append, on_result=results.append)
    qtbot.waitUntil(lambda: len(seen) == 5, timeout=20000)  # the task is blocked half way
    assert results == [] and q.busy
    release.set()
    qtbot.waitUntil(lambda: results == [10], timeout=20000)
    assert [v["t"] for v in seen] == list(range(10))


def test_a_task_without_on_partial_gets_no_on_tick_and_a_custom_keyword_is_used(qtbot, queue):
    q, _context, _errors = queue
    results = []
    with qtbot.waitSignal(q.finished, timeout=20000):
        q.run("plain", _keywords, on_result=results.append)
    with qtbot.waitSignal(q.finished, timeout=20000):
        q.run("custom", _keywords, on_partial=lambda v: None, partial_kwarg="tick", on_result=results.append)
    assert results == [[], ["tick"]]


def test_partials_of_a_task_for_a_closed_assessment_are_dropped(qtbot, queue):
    q, context, _errors = queue
    release = threading.Event()
    seen, results = [], []
    q.run("ticks", _ticking, 10, release=release, on_partial=seen.append, on_result=results.append)
    qtbot.waitUntil(lambda: len(seen) == 5, timeout=20000)
    context.store = object()  # another assessment was opened
    release.set()
    with qtbot.waitSignal(q.finished, timeout=20000):
        pass
    assert len(seen) == 5 and results == []


def test_a_cancelled_task_delivers_its_partials_but_no_result(qtbot, queue):
    q, context, _errors = queue
    release = threading.Event()
    seen, results, status = [], [], []
    context.status_message.connect(status.append)
    q.run("ticks", _ticking, 10, release=release, on_partial=seen.append, on_result=results.append)
    qtbot.waitUntil(lambda: len(seen) == 5, timeout=20000)
    q.cancel_all()
    release.set()
    qtbot.waitUntil(lambda: not q.busy, timeout=20000)
    assert results == [] and [v["t"] for v in seen] == list(range(5))
    assert status == ["ticks: cancelled"]
