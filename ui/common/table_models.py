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


def read_only_table(model, widths: tuple[int, ...] = (), row_height: int = 24) -> QTableView:
    """A row-selecting, non-editable table view over ``model`` with the given column widths."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.setSelectionMode(QAbstractItemView.SingleSelection)
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(row_height)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.Interactive)
    header.setStretchLastSection(True)
    for col, width in enumerate(widths):
        table.setColumnWidth(col, width)
    return table
