"""The Data tab's inputs: two file boxes (dialog or drag-and-drop), the previews and the column kinds."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSplitter, QVBoxLayout, QWidget)

from ui.data.models import DataFrameModel, KindDelegate, KindsModel
from ui.common.table_models import table_view

DATA_FILTER = ("Data tables (*.csv *.tsv *.csv.gz *.tsv.gz *.parquet *.xlsx *.jsonl *.ndjson *.json);;"
               "All files (*)")
HINT_STYLE = "color:#57606a"
ERROR_STYLE = "color:#cf222e"
DROP_STYLE = "QGroupBox { border: 2px dashed #0969da; border-radius: 4px; margin-top: 8px; }"


def file_name(path: str) -> str:
    return str(path or "").replace("\\", "/").rsplit("/", 1)[-1]


def dropped_file(mime) -> str | None:
    """The local file carried by a drag, or None (several files, a folder, a web address...)."""
    if mime is None or not mime.hasUrls():
        return None
    urls = mime.urls()
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = urls[0].toLocalFile()
    return path if Path(path).is_file() else None


class FileBox(QGroupBox):
    """A titled box holding one data file's path; accepts a dropped file or a Browse... dialog."""

    path_chosen = Signal(str)

    def __init__(self, title: str, parent=None):
        super().__init__(title, parent)
        self.setAcceptDrops(True)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Drop a data file here or browse...")
        self.path_edit.setAcceptDrops(False)  # a drop anywhere on the box goes to the box
        self.path_edit.returnPressed.connect(self._typed)
        self._path = ""
        self.browse_button = QPushButton("Browse...")
        self.browse_button.clicked.connect(self.browse)
        self.info = QLabel("CSV, TSV, .csv.gz, Parquet, Excel .xlsx, JSON Lines or JSON")
        self.info.setObjectName("fileInfo")
        self.info.setWordWrap(True)
        self.info.setStyleSheet(HINT_STYLE)
        row = self._row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(2)
        lay.addLayout(row)
        lay.addWidget(self.info)

    def add_widget(self, widget) -> None:
        """Put ``widget`` (a button) at the end of the path row."""
        self._row.addWidget(widget)

    @property
    def path(self) -> str:
        """The chosen file's full path (the box shows its name; the tooltip shows the full path)."""
        return self._path

    def set_path(self, path: str, *, emit: bool = True) -> None:
        self._path = str(path).strip()
        self.path_edit.setText(file_name(self._path))
        self.path_edit.setToolTip(self._path)
        self.path_edit.setCursorPosition(0)
        if emit:
            self.path_chosen.emit(self._path)

    def set_info(self, text: str, error: bool = False) -> None:
        self.info.setText(text)
        self.info.setStyleSheet(ERROR_STYLE if error else HINT_STYLE)

    def browse(self) -> None:
        start = str(Path(self.path).parent) if self.path else ""
        path, _ = QFileDialog.getOpenFileName(self, f"Choose the {self.title().lower()}", start, DATA_FILTER)
        if path:
            self.set_path(path)

    def _typed(self) -> None:
        text = self.path_edit.text().strip()
        if text and text != file_name(self._path):
            folder = Path(self._path).parent if self._path and not Path(text).is_absolute() else None
            self.set_path(str(folder / text) if folder is not None and "/" not in text and "\\" not in text
                          else text)

    def dragEnterEvent(self, event) -> None:
        if dropped_file(event.mimeData()):
            event.acceptProposedAction()
            self.setStyleSheet(DROP_STYLE)
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self.setStyleSheet("")
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        self.setStyleSheet("")
        path = dropped_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.set_path(path)
        else:
            event.ignore()



class InputsPanel(QWidget):
    """The previews of both tables side by side with the editable table of column kinds."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ref_model = DataFrameModel(self)
        self.cur_model = DataFrameModel(self)
        self.kinds_model = KindsModel(self)
        self.ref_view = table_view(self.ref_model, select_rows=False, single_selection=False, row_numbers=True,
                                   stretch_last=False)
        self.cur_view = table_view(self.cur_model, select_rows=False, single_selection=False, row_numbers=True,
                                   stretch_last=False)
        self.kinds_view = table_view(self.kinds_model, edit_triggers=QAbstractItemView.AllEditTriggers,
                                     single_selection=False, row_numbers=True, stretch_last=False)
        self.kinds_view.setItemDelegateForColumn(3, KindDelegate(self.kinds_view))
        self.kinds_view.verticalHeader().setVisible(False)
        self.kinds_view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.kinds_view.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((130, 100, 95)):
            self.kinds_view.setColumnWidth(col, width)
        self.ref_title = QLabel("<b>Reference preview</b>")
        self.cur_title = QLabel("<b>Current preview</b>")

        previews = QSplitter(Qt.Vertical)
        for title, view in ((self.ref_title, self.ref_view), (self.cur_title, self.cur_view)):
            box = QWidget()
            lay = QVBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(2)
            lay.addWidget(title)
            lay.addWidget(view, 1)
            previews.addWidget(box)
        kinds_box = QWidget()
        kl = QVBoxLayout(kinds_box)
        kl.setContentsMargins(0, 0, 0, 0)
        kl.setSpacing(2)
        kl.addWidget(QLabel("<b>Column kinds</b>"))
        kl.addWidget(self.kinds_view, 1)
        hint = QLabel("Kinds are inferred from the first rows. Double-click \"Use as\" to override a "
                      "column's kind for drift (e.g. a numeric code that is really categorical).")
        hint.setWordWrap(True)
        hint.setStyleSheet(HINT_STYLE)
        kl.addWidget(hint)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(previews)
        splitter.addWidget(kinds_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 440])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(splitter)
        self.ref_kinds: dict = {}
        self.cur_kinds: dict = {}

    def show_table(self, role: str, table) -> None:
        """Show a preview (a LoadedTable, or None to clear) for role "reference" or "current"."""
        model, title = (self.ref_model, self.ref_title) if role == "reference" else (self.cur_model, self.cur_title)
        kinds = dict(table.kinds) if table is not None else {}
        model.set_frame(table.df if table is not None else None, kinds)
        shown = model.rowCount()
        label = "Reference" if role == "reference" else "Current"
        title.setText(f"<b>{label} preview</b>" + (f" — first {shown} rows" if table is not None else ""))
        if role == "reference":
            self.ref_kinds = kinds
        else:
            self.cur_kinds = kinds
        self.kinds_model.set_kinds(self.ref_kinds, self.cur_kinds)
        view = self.ref_view if role == "reference" else self.cur_view
        view.resizeColumnsToContents()
        for col in range(model.columnCount()):
            view.setColumnWidth(col, min(max(view.columnWidth(col), 60), 220))

    def overrides(self) -> dict[str, str]:
        return self.kinds_model.overrides()
