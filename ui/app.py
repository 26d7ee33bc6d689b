"""Start the GUI: the QApplication, the demo assessment, the main window."""

from __future__ import annotations

import sys

from core.errors import PreflightError


def run(path: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from core.demo import open_or_create_demo
    from core.assessment.store import open_assessment
    from ui.context import AssessmentContext
    from ui.common.dialogs import show_error
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
    return app.exec()
