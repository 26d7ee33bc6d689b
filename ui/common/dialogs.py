"""Small dialogs: errors, new assessment from a template."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMessageBox,
                               QWidget)

from core.assessment import templates


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    box = QMessageBox(QMessageBox.Warning, title, message, QMessageBox.Ok, parent)
    box.setObjectName("errorDialog")
    box.open() if parent is not None and not parent.isVisible() else box.exec()


class NewAssessmentDialog(QDialog):
    """Ask for a name and a template."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New assessment")
        form = QFormLayout(self)
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

    def values(self) -> dict:
        return {"name": self.name.text().strip() or "New assessment", "system": self.system.text().strip(),
                "owner": self.owner.text().strip(), "template": self.template.currentData()}
