"""Small dialogs: errors, new assessment from a template, and how a dialog fits its messages.

A dialog that shows a message (a refusal, an error) shows it in a word-wrapped
label inside its layout and then calls :func:`fit_to_contents`, so the window
grows until every line is visible: nothing is clipped or drawn over a field.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMessageBox,
                               QSizePolicy, QWidget)

from core.assessment import templates


def message_label(object_name: str = "", style: str = "") -> QLabel:
    """A word-wrapped message label that keeps its place in the layout while hidden."""
    label = QLabel("")
    if object_name:
        label.setObjectName(object_name)
    if style:
        label.setStyleSheet(style)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)
    label.setVisible(False)
    return label


def set_message(label: QLabel, text: str) -> None:
    """Show ``text`` in ``label`` (hide it when empty) and grow the label's window to fit."""
    label.setText(text)
    label.setVisible(bool(text))
    fit_to_contents(label.window())


def fit_to_contents(window: QWidget) -> None:
    """Grow ``window`` (never shrink it) so its layout, word-wrapped labels included, fits entirely."""
    lay = window.layout()
    if lay is None:
        return
    lay.activate()
    width = max(window.width(), window.minimumWidth(), lay.minimumSize().width())
    margins = lay.contentsMargins()
    # word-wrapped labels: give each the height its text needs at the width it will have
    for label in window.findChildren(QLabel):
        if label.wordWrap() and label.isVisibleTo(window):
            label.setMinimumHeight(0)
            available = label.width() if label.width() > 1 else width - margins.left() - margins.right()
            label.setMinimumHeight(label.heightForWidth(max(available, 50)))
    lay.activate()
    height = lay.totalHeightForWidth(width) if lay.hasHeightForWidth() else lay.totalSizeHint().height()
    height = max(height, lay.totalMinimumSize().height())
    if width != window.width() or height > window.height():
        window.resize(width, max(height, window.height()))


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    box = QMessageBox(QMessageBox.Warning, title, message, QMessageBox.Ok, parent)
    box.setObjectName("errorDialog")
    box.open() if parent is not None and not parent.isVisible() else box.exec()


class NewAssessmentDialog(QDialog):
    """Ask for a name and a template."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New assessment")
        self.setMinimumWidth(480)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.name = QLineEdit("New assessment")
        self.system = QLineEdit()
        self.owner = QLineEdit()
        self.template = QComboBox()
        for name in templates.names():
            t = templates.load(name)
            self.template.addItem(f"{t.title}  [{name}]", name)
        default = self.template.findData(templates.DEFAULT_TEMPLATE)
        self.template.setCurrentIndex(max(default, 0))
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.template.currentIndexChanged.connect(self._describe)
        form.addRow("Name", self.name)
        form.addRow("System under assessment", self.system)
        form.addRow("Owner", self.owner)
        form.addRow("Template", self.template)
        form.addRow("", self.description)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._describe()

    def _describe(self) -> None:
        t = templates.load(self.template.currentData())
        self.description.setText(f"{len(t.items)} items. {t.description}")
        fit_to_contents(self)

    def values(self) -> dict:
        return {"name": self.name.text().strip() or "New assessment", "system": self.system.text().strip(),
                "owner": self.owner.text().strip(), "template": self.template.currentData()}
