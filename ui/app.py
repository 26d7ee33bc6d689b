"""Start the GUI: the QApplication, the demo assessment, the main window."""

from __future__ import annotations

import sys

from core.errors import PreflightError


def open_window(path: str | None = None):
    """The main window on ``path``, or on the demo assessment when no path is given.

    When ``path`` cannot be opened the demo is opened instead, and the window says so once, in a dialog.
    """
    from PySide6.QtWidgets import QApplication

    from core.assessment.store import open_assessment
    from core.demo import open_or_create_demo
    from ui.common.dialogs import show_error
    from ui.context import AssessmentContext
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Preflight")
    app.setStyle("Fusion")
    context = AssessmentContext()
    error = None
    try:
        store = open_assessment(path) if path else open_or_create_demo()
    except PreflightError as exc:
        error = str(exc)
        store = open_or_create_demo()
    context.set_store(store)
    window = MainWindow(context)
    window.show()
    if error:
        show_error(window, "Cannot open assessment", error + "\n\nThe demo assessment was opened instead.")
    return window


def run(path: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    window = open_window(path)  # noqa: F841 - kept alive while the event loop runs
    return QApplication.instance().exec()
