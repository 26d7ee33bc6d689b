"""The stored drift and validation runs: attaching one as evidence to a checklist item, choosing the run that
counts for the verdict, and leaving runs out of the report (core.assessment.counted has the rule)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from core.assessment.counted import BASIS_TEXT, counted_runs
from core.errors import PreflightError
from ui.common.dialogs import show_error
from ui.common.evidence import AttachEvidenceDialog, attach_run, named
from ui.common.table_models import ListTableModel, read_only_table

KINDS = ("drift", "validation")
PREFERRED_ITEM = {"drift": "Data drift monitoring", "validation": "Data validation pipeline"}
HEADERS = ("Run", "Kind", "Finished (UTC)", "Files", "Summary", "In the report")
REPORT_COLUMN = 5
COUNTS_TEXT = "Counts for the verdict"
LEAVE_OUT_TEXT = "Leave out of the report"


def _name(path) -> str:
    return str(path or "?").replace("\\", "/").rsplit("/", 1)[-1]


def run_files(run: dict) -> str:
    names = [_name(i.get("path")) for i in run.get("inputs") or []]
    return " → ".join(names)


def run_summary(run: dict) -> str:
    s = run.get("summary") or {}
    if run["kind"] == "drift":
        if "dataset_drift" not in s:
            return ""
        drifted = s.get("drifted_columns") or []
        text = (f"{'DRIFT' if s['dataset_drift'] else 'no dataset drift'}: {len(drifted)} of "
                f"{s.get('columns', '?')} columns drifted")
        return text + (f" ({', '.join(drifted[:4])}{', ...' if len(drifted) > 4 else ''})" if drifted else "")
    if "passed" not in s:
        return ""
    if s["passed"]:
        return f"passed: {s.get('rows', 0):,} rows, no violation"
    return (f"FAILED: {s.get('violations', 0)} violation(s), {s.get('critical', 0)} critical, "
            f"in {s.get('rows', 0):,} rows")


def _bad(run: dict) -> bool:
    s = run.get("summary") or {}
    return bool(s.get("dataset_drift")) if run["kind"] == "drift" else s.get("passed") is False


class RunsModel(ListTableModel):
    """Drift and validation runs, newest first (listed without their results)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.runs: list[dict] = []
        self.counted: dict[str, dict] = {}

    def set_runs(self, runs: list[dict], counted: dict | None = None) -> None:
        """``counted``: kind -> {run_id, basis} of the run that counts (core.assessment.counted.counted_runs)."""
        self.beginResetModel()
        self.runs = sorted(runs, key=lambda r: -r["id"])
        self.counted = dict(counted or {})
        self.endResetModel()

    def counts(self, run: dict) -> str | None:
        """How ``run`` was picked to count for the verdict (a key of BASIS_TEXT), or None when it does not count."""
        info = self.counted.get(run["kind"])
        return info["basis"] if info and info.get("run_id") == run["id"] else None

    def report_text(self, run: dict) -> str:
        if run.get("excluded_from_report"):
            return "left out"
        basis = self.counts(run)
        return f"counts for the verdict ({BASIS_TEXT[basis]})" if basis else "shown"

    def run_at(self, row: int) -> dict:
        return self.runs[row]

    def row_of(self, run_id: int) -> int:
        return next((n for n, r in enumerate(self.runs) if r["id"] == run_id), -1)

    HEADERS = HEADERS

    def rows(self) -> list:
        return self.runs

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        col = index.column()
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            if col == 0:
                return f"#{run['id']}"
            if col == 1:
                return run["kind"]
            if col == 2:
                return (run.get("finished_utc") or "").replace("T", " ").rstrip("Z")[:19]
            if col == 3:
                if role == Qt.ToolTipRole:
                    return "\n".join(f"{i.get('role')}: {i.get('path')}\nSHA-256 {i.get('sha256')}"
                                     for i in run.get("inputs") or [])
                return run_files(run)
            if col == REPORT_COLUMN:
                return self.report_text(run)
            return run_summary(run)
        if role == Qt.ForegroundRole and col == 4:
            return QBrush(QColor("#cf222e" if _bad(run) else "#1a7f37"))
        if role == Qt.ForegroundRole and col == REPORT_COLUMN and run.get("excluded_from_report"):
            return QBrush(QColor("#6e7781"))
        if role == Qt.FontRole and col == REPORT_COLUMN and self.counts(run):
            from PySide6.QtGui import QFont
            font = QFont()
            font.setBold(True)
            return font
        return None


class RunHistory(QWidget):
    """The runs list; selecting one emits ``run_selected(run_id)``."""

    run_selected = Signal(int)
    show_requested = Signal(int)

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.model = RunsModel(self)
        self.table = read_only_table(self.model, (55, 80, 150, 300, 300), row_height=22)
        self.table.setContextMenuPolicy(Qt.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(lambda index: self.show_requested.emit(self.model.run_at(index.row())["id"]))
        self.show_button = QPushButton("Show")
        self.show_button.setToolTip("Show the selected run's stored result in its view")
        self.show_button.clicked.connect(self._show_clicked)
        self.attach_button = QPushButton("Attach as evidence...")
        self.attach_button.clicked.connect(lambda: self.attach_selected())
        self.counts_button = QPushButton(COUNTS_TEXT)
        self.counts_button.setCheckable(True)
        self.counts_button.setToolTip("Judge the report's gate and the model card on the selected run. Unchecked, "
                                      "the newest run linked as evidence counts, else the newest run.")
        self.counts_button.clicked.connect(lambda checked: self.set_counts(checked))
        self.leave_out_button = QPushButton(LEAVE_OUT_TEXT)
        self.leave_out_button.setCheckable(True)
        self.leave_out_button.setToolTip("Leave the selected run out of the report (it stays in the assessment file, "
                                         "its audit trail and the report's JSON copy) and never count it")
        self.leave_out_button.clicked.connect(lambda checked: self.set_left_out(checked))
        self.status = QLabel("")
        self.status.setStyleSheet("color:#57606a")
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.show_button)
        bar.addWidget(self.attach_button)
        bar.addWidget(self.counts_button)
        bar.addWidget(self.leave_out_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        self._update_buttons()

    def refresh(self) -> None:
        store = self.context.store
        keep = self.selected_run()
        runs = [] if store is None else [r for kind in KINDS for r in store.runs(kind, with_result=False)]
        counted = {} if store is None else counted_runs(runs, store.links(), store.counted_run_choices(), KINDS)
        self.model.set_runs(runs, counted)
        self.status.setText(f"{len(runs)} stored run{'s' if len(runs) != 1 else ''} in this assessment"
                            if runs else "No drift or validation run stored yet.")
        if keep is not None:
            self.select_run_quietly(keep["id"])
        self._update_buttons()

    def selected_run(self) -> dict | None:
        index = self.table.currentIndex()
        return self.model.run_at(index.row()) if index.isValid() and self.model.rowCount() else None

    def select_run(self, run_id: int) -> None:
        """Select a run and show it (run_selected is emitted even when it was already selected)."""
        row = self.model.row_of(run_id)
        if row < 0:
            return
        already = self.table.currentIndex().row() == row
        self.table.selectRow(row)
        if already:
            self.run_selected.emit(run_id)

    def reset(self) -> None:
        """Forget the selection (another assessment was opened) and list its runs."""
        self.model.set_runs([])
        self.refresh()

    def select_run_quietly(self, run_id: int) -> None:
        """Select a run without emitting run_selected (its result is already shown)."""
        row = self.model.row_of(run_id)
        if row < 0:
            return
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        self.table.selectRow(row)
        selection.blockSignals(False)
        self.table.viewport().update()
        self._update_buttons()

    def _current_changed(self, index, _previous) -> None:
        self._update_buttons()
        if index.isValid():
            self.run_selected.emit(self.model.run_at(index.row())["id"])

    def _show_clicked(self) -> None:
        run = self.selected_run()
        if run is not None:
            self.show_requested.emit(run["id"])

    def _update_buttons(self) -> None:
        run = self.selected_run()
        has = run is not None
        self.show_button.setEnabled(has)
        self.attach_button.setEnabled(has)
        chosen = has and self.model.counts(run) == "chosen"
        left_out = has and bool(run.get("excluded_from_report"))
        for button, checked, enabled in ((self.counts_button, chosen, has and not left_out),
                                         (self.leave_out_button, left_out, has)):
            button.blockSignals(True)
            button.setChecked(checked)
            button.setEnabled(enabled)
            button.blockSignals(False)

    # ------------------------------------------------------------ which runs count
    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        self.context_menu().popup(self.table.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """The selected run's actions: the same as the buttons."""
        menu = QMenu(self)
        for button, handler in ((self.counts_button, self.set_counts), (self.leave_out_button, self.set_left_out)):
            action = QAction(button.text(), menu)
            action.setCheckable(True)
            action.setChecked(button.isChecked())
            action.setEnabled(button.isEnabled())
            action.toggled.connect(handler)
            menu.addAction(action)
        return menu

    def set_counts(self, counts: bool) -> bool:
        """Make the selected run the one of its kind that counts for the verdict (or go back to the default rule)."""
        run = self.selected_run()
        if run is None or self.context.store is None:
            return False
        try:
            self.context.store.set_counted_run(run["kind"], run["id"] if counts else None)
        except PreflightError as exc:
            show_error(self, "Cannot choose the run", str(exc))
            self._update_buttons()
            return False
        self.refresh()
        self.context.notify("runs")
        self.context.status_message.emit(
            f"Run #{run['id']} now counts for the {run['kind']} verdict" if counts else
            f"The {run['kind']} verdict goes back to the newest run linked as evidence, else the newest run")
        return True

    def set_left_out(self, left_out: bool) -> bool:
        """Leave the selected run out of the report, or take it back in."""
        run = self.selected_run()
        if run is None or self.context.store is None:
            return False
        try:
            self.context.store.set_run_excluded(run["id"], left_out)
        except PreflightError as exc:
            show_error(self, "Cannot change the run", str(exc))
            self._update_buttons()
            return False
        self.refresh()
        self.context.notify("runs")
        self.context.status_message.emit(f"Run #{run['id']} " + ("is left out of the report" if left_out
                                                                 else "is shown in the report again"))
        return True

    def attach_dialog(self, run: dict | None = None) -> AttachEvidenceDialog | None:
        run = run or self.selected_run()
        if run is None or self.context.store is None:
            return None
        items = self.context.store.items()
        return AttachEvidenceDialog(items, f"the {run['kind']} run #{run['id']} ({run_summary(run)})",
                                    suggested=named(items, [PREFERRED_ITEM.get(run["kind"])]), parent=self)

    def attach_selected(self, item_id: int | None = None) -> int | None:
        """Link the selected run to a checklist item (asked in a dialog when not given); returns the link id."""
        run = self.selected_run()
        if run is None:
            return None
        return attach_run(self.context, run["id"], f"{run['kind']} run #{run['id']}", lambda: self.attach_dialog(run),
                          lambda title, message: show_error(self, title, message), item_id)
