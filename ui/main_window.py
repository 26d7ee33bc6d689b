"""The main window: tabs from the registry, the File and Edit menus, the status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from core import paths

from core.assessment import checklist, templates
from core.errors import PreflightError
from core.assessment.store import create_assessment, open_assessment
from ui.context import AssessmentContext
from ui.common.dialogs import NewAssessmentDialog, show_error
from ui.tabs import tab_classes
from ui.common.tasks import TaskBar, TaskQueue

FILE_FILTER = "Preflight assessments (*.preflight)"
BANNER_STYLE = "background:#cf222e;color:white;font-weight:bold;padding:8px"


class MainWindow(QMainWindow):
    def __init__(self, context: AssessmentContext | None = None):
        super().__init__()
        self.context = context or AssessmentContext(self)
        self.resize(1360, 820)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(6, 6, 6, 6)
        self.banner = QLabel("")
        self.banner.setObjectName("auditBanner")
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        lay.addWidget(self.banner)
        self.tabs = QTabWidget()
        self.tab_widgets = [cls(self.context) for cls in tab_classes()]
        for tab in self.tab_widgets:
            self.tabs.addTab(tab, tab.title.replace("&", "&&"))
        lay.addWidget(self.tabs)
        self.setCentralWidget(central)
        self.task_bar = TaskBar()
        self.statusBar().addPermanentWidget(self.task_bar, 1)
        self.tasks = TaskQueue(self.task_bar, self.context, on_error=self.show_task_error, parent=self)
        self.context.task_failed.connect(self.show_task_error)
        self.chain_label = QLabel("")
        self.statusBar().addPermanentWidget(self.chain_label)
        self.checklist_tab = next((t for t in self.tab_widgets if t.title == "Checklist"), None)
        self._build_menus()
        self.context.opened.connect(self._on_opened)
        self.context.audit_changed.connect(self.check_chain)
        self.context.status_message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        if self.context.store is not None:
            self._on_opened()

    # ----------------------------------------------------------------- menus
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&New...", self.new_assessment, QKeySequence.New)
        self._action(file_menu, "&Open...", self.open_dialog, QKeySequence.Open)
        self._action(file_menu, "Save &As...", self.save_as, QKeySequence.SaveAs)
        self.recent_menu = file_menu.addMenu("Recent files")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        self._action(file_menu, "&Import checklist...", self.import_checklist)
        self._action(file_menu, "&Export checklist...", self.export_checklist)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.Quit)
        edit_menu = self.menuBar().addMenu("&Edit")
        if self.checklist_tab is not None:
            stack = self.checklist_tab.undo_stack
            self.undo_action = stack.createUndoAction(self, "&Undo")
            self.redo_action = stack.createRedoAction(self, "&Redo")
            self.checklist_tab.install_shortcuts(self.undo_action, self.redo_action)
            edit_menu.addAction(self.undo_action)
            edit_menu.addAction(self.redo_action)

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in paths.recent_files():
            self.recent_menu.addAction(p, lambda p=p: self.open_path(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)

    # ----------------------------------------------------------------- state
    def _on_opened(self) -> None:
        store = self.context.store
        self.setWindowTitle(f"Preflight — {store.path.name}")
        paths.remember(store.path)
        self.context.chain = None
        self.chain_label.setText("Verifying the audit chain...")
        self.check_chain()

    def check_chain(self) -> None:
        """Verify the audit chain in the worker: all of it after opening, afterwards only the new events."""
        if self.context.store is None:
            return
        self.tasks.run("Verifying the audit chain", _verify_chain, self.context.store, self.context.chain,
                       on_result=self._chain_checked, error_title="Cannot verify the audit trail",
                       replace="chain")

    def _chain_checked(self, result) -> None:
        known = self.context.chain
        if known is not None and known.ok and result.ok and result.count < known.count:
            return  # an older check finishing after a newer one
        self.context.chain = result
        if result.ok:
            self.chain_label.setText(f"Audit chain intact · {result.count} events · head {result.head_hash[:12]}")
            self.banner.setVisible(False)
        else:
            self.chain_label.setText("Audit chain BROKEN")
            self.banner.setText(f"The audit trail of this assessment has been tampered with: {result.problem}. "
                                "Its records cannot be trusted.")
            self.banner.setVisible(True)
        self.context.chain_checked.emit()

    def show_task_error(self, title: str, message: str) -> None:
        """A failed task of the window (or of a tab without a place of its own): one dialog."""
        show_error(self, title, message)

    # ----------------------------------------------------------------- files
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open assessment", "", FILE_FILTER + ";;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path) -> None:
        self.tasks.run(f"Opening {Path(path).name}", _open_store, str(path), on_result=self.context.set_store,
                       error_title="Cannot open assessment", replace="open")

    def new_assessment(self) -> None:
        dialog = NewAssessmentDialog(self)
        if not dialog.exec():
            return
        values = dialog.values()
        path, _ = QFileDialog.getSaveFileName(self, "Create assessment", f"{values['name']}.preflight", FILE_FILTER)
        if not path:
            return
        if not path.endswith(".preflight"):
            path += ".preflight"
        try:
            tpl = templates.load(values["template"])
            store = create_assessment(path, name=values["name"], system=values["system"], owner=values["owner"],
                                      items=list(tpl.items), template=tpl.name, overwrite=True)
        except PreflightError as exc:
            show_error(self, "Cannot create assessment", str(exc))
            return
        self.context.set_store(store)

    def save_as(self) -> None:
        store = self.context.store
        path, _ = QFileDialog.getSaveFileName(self, "Save assessment as", str(store.path), FILE_FILTER)
        if not path:
            return
        if not path.endswith(".preflight"):
            path += ".preflight"
        try:
            store.save_as(path)
            self.context.set_store(open_assessment(path))
        except (PreflightError, OSError) as exc:
            show_error(self, "Cannot save assessment", str(exc))

    def import_checklist(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Import checklist", "", "Checklist JSON (*.json)")
            if not path:
                return
        self.tasks.run(f"Importing {Path(path).name}", _load_checklist, path,
                       on_result=lambda items: self._replace_items(items, path),
                       error_title="Cannot import checklist")

    def _replace_items(self, items, source) -> None:
        self.context.store.replace_items(items, source=str(source))
        if self.checklist_tab is not None:
            self.checklist_tab.undo_stack.clear()
        self.context.notify("checklist")
        self.statusBar().showMessage(f"Imported {len(items)} items from {source}", 8000)

    def export_checklist(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export checklist", "checklist.json", "Checklist JSON (*.json)")
            if not path:
                return
        try:
            checklist.save_checklist(self.context.store.items(), path)
        except OSError as exc:
            show_error(self, "Cannot export checklist", f"{path}: {exc.strerror or exc}")
            return
        self.statusBar().showMessage(f"Exported the checklist to {path}", 8000)

    def closeEvent(self, event) -> None:
        self.tasks.shutdown()
        for tab in self.tab_widgets:
            shutdown = getattr(tab, "shutdown", None)
            if shutdown:
                shutdown()
        self.context.close()
        super().closeEvent(event)


def _open_store(path, progress=None, cancelled=None):
    if progress:
        progress(0.1)
    return open_assessment(path)


def _verify_chain(store, since=None, progress=None, cancelled=None):
    """Runs in the worker, on a read-only connection of its own."""
    with store.open_reader() as reader:
        return reader.verify_audit(since)


def _load_checklist(path, progress=None, cancelled=None):
    return checklist.load_checklist(path)
