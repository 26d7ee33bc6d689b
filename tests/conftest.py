"""Test-wide settings: Qt runs offscreen and no test touches the real user directory."""

import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Property tests draw the same examples on every run, so the suite cannot pass once and fail the next time
# on a newly drawn example; a failing example found while developing is added with @example.
settings.register_profile("preflight", derandomize=True, database=None)
settings.load_profile("preflight")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Point Preflight's user data directory at a temporary folder for every test."""
    home = tmp_path_factory.mktemp("preflight-home")
    monkeypatch.setenv("PREFLIGHT_HOME", str(home))
    yield home


@pytest.fixture(autouse=True)
def _fast_signer_keys(monkeypatch):
    """Signer keys are derived with a low scrypt cost in tests (the production cost, N=2^17, is fixed in code
    and checked by tests/test_keys.py, which undoes this)."""
    from core.handoff import keys

    monkeypatch.setattr(keys, "TEST_ONLY_SCRYPT_N", 2 ** 10)


#: A test (setup, call and teardown) that runs longer than this is stuck.  pytest's faulthandler_timeout
#: (pyproject.toml) first prints every thread's stack; then the alarm ends the run, so a deadlock fails the
#: suite within minutes and says where, instead of holding it until an outer timeout without a word.
STUCK_AFTER_S = int(os.environ.get("PREFLIGHT_TEST_STUCK_S", "300"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    import signal

    if not hasattr(signal, "SIGALRM"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the kernel ends the process: no GIL needed
    signal.alarm(STUCK_AFTER_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _modal_dialogs_do_not_block(request):
    """An application-modal dialog that a GUI test did not expect (an error box opened with ``exec()``, a
    question) would wait for a click that never comes offscreen.  A timer closes any such dialog left open for
    more than a second and the test fails, quoting the dialog's text."""
    if not ({"qtbot", "qapp"} & set(request.fixturenames)):
        yield
        return
    request.getfixturevalue("qapp")
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

    seen, closed = {}, []

    def check():
        widget = QApplication.activeModalWidget()
        if not isinstance(widget, QDialog) or widget.windowModality() != Qt.ApplicationModal:
            return
        seen[id(widget)] = seen.get(id(widget), 0) + 1
        if seen[id(widget)] >= 5:  # 5 checks of 250 ms: a test's own timer would have answered by now
            text = widget.text() if isinstance(widget, QMessageBox) else ""
            closed.append(f"{widget.windowTitle()}: {text}".strip(": "))
            widget.done(0)

    timer = QTimer()
    timer.setInterval(250)
    timer.timeout.connect(check)
    timer.start()
    yield
    timer.stop()
    if closed:
        pytest.fail(f"a modal dialog would have blocked the test (closed by the suite): {closed}")
