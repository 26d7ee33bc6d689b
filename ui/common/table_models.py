"""Read-only list tables: a base model and the table view they share (evidence, signatures, runs, audit)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView


class ListTableModel(QAbstractTableModel):
    """Rows are a Python list returned by :meth:`rows`; ``HEADERS`` names the columns."""

    HEADERS: tuple[str, ...] = ()

    def rows(self) -> list:
        raise NotImplementedError

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows())

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.HEADERS[section]
        return None


def table_view(model, widths: tuple[int, ...] = (), *, row_height: int = 22, editable: bool = False,
               edit_triggers=None, select_rows: bool = True, single_selection: bool = True,
               row_numbers: bool = False, stretch_last: bool = True) -> QTableView:
    """The table view every tab uses over a ``QAbstractTableModel``: columns resizable by the user, no word
    wrap, given column widths. Not editable unless ``editable`` (Qt's default triggers) or ``edit_triggers``."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectRows if select_rows else QAbstractItemView.SelectItems)
    if single_selection:
        table.setSelectionMode(QAbstractItemView.SingleSelection)
    if edit_triggers is not None:
        table.setEditTriggers(edit_triggers)
    elif not editable:
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.verticalHeader().setVisible(row_numbers)
    table.verticalHeader().setDefaultSectionSize(row_height)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.Interactive)
    header.setStretchLastSection(stretch_last)
    for col, width in enumerate(widths):
        table.setColumnWidth(col, width)
    return table


def read_only_table(model, widths: tuple[int, ...] = (), row_height: int = 24) -> QTableView:
    """A row-selecting, non-editable table view over ``model`` with the given column widths."""
    return table_view(model, widths, row_height=row_height)
