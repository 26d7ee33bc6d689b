"""Model card: the Markdown preview from core.handoff.modelcard, the free-text sections, and export."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QScrollArea, QSplitter, QTextBrowser, QVBoxLayout, QWidget)

from core.handoff import signing
from core.errors import PreflightError
from core.handoff.modelcard import SECTIONS, generate_model_card
from core.canonical import utc_now_seconds

#: Sections Preflight fills from the handoff and the runs; text typed there is added after those facts.
AUTO_FILLED = {"model_details", "metrics", "evaluation_data", "training_data", "quantitative_analyses",
               "ethical_considerations", "caveats"}


class SectionEdit(QPlainTextEdit):
    """A plain-text editor that reports when the user leaves it."""

    editingFinished = Signal()

    def focusOutEvent(self, event):
        super().focusOutEvent(event)
        self.editingFinished.emit()


class ModelCardPanel(QWidget):
    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.editors: dict[str, SectionEdit] = {}
        self.preview = QTextBrowser()
        self.preview.setOpenExternalLinks(True)
        self.preview.setObjectName("modelCardPreview")
        self.markdown = ""

        body = QWidget()
        col = QVBoxLayout(body)
        intro = QLabel("Free text for each section (saved when you leave the box). Sections marked * are also "
                       "filled automatically from the handoff and the runs; your text follows those facts.")
        intro.setWordWrap(True)
        intro.setStyleSheet("color:#57606a")
        col.addWidget(intro)
        for key, title in SECTIONS:
            box = QGroupBox(title + (" *" if key in AUTO_FILLED else ""))
            inner = QVBoxLayout(box)
            edit = SectionEdit()
            edit.setObjectName(f"section_{key}")
            edit.setFixedHeight(72)
            edit.setTabChangesFocus(True)
            edit.editingFinished.connect(self.save_sections)
            inner.addWidget(edit)
            col.addWidget(box)
            self.editors[key] = edit
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.export_button = QPushButton("Export model card...")
        self.export_button.clicked.connect(self.choose_export_path)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.export_button)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.preview)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([780, 520])
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(splitter, 1)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """A different assessment was opened: load its sections into the editors."""
        store = self.context.store
        if store is None:
            return
        sections = signing.model_card_sections(store)
        for key, edit in self.editors.items():
            edit.setPlainText(str(sections.get(key) or ""))
        self.refresh()

    def refresh(self) -> None:
        """Regenerate the preview from what is stored."""
        store = self.context.store
        if store is None:
            return
        try:
            self.markdown = generate_model_card(store.meta(), signing.load_handoff(store), signing.counted_runs(store),
                                                signing.model_card_sections(store))
        except PreflightError as exc:
            self.markdown = ""
            self.preview.setPlainText(f"The model card cannot be generated: {exc}")
            return
        bar = self.preview.verticalScrollBar()
        position = bar.value()
        self.preview.setMarkdown(self.markdown)
        bar.setValue(position)

    def typed_sections(self) -> dict[str, str]:
        return {key: edit.toPlainText().strip() for key, edit in self.editors.items()
                if edit.toPlainText().strip()}

    def save_sections(self) -> bool:
        """Save the section texts when they differ from the stored ones."""
        store = self.context.store
        if store is None:
            return False
        sections = self.typed_sections()
        if sections == signing.model_card_sections(store):
            return False
        try:
            signing.save_handoff(store, signing.load_handoff(store), sections=sections)
        except PreflightError as exc:
            self.status.setText(f"Cannot save the sections: {exc}")
            self.status.setStyleSheet("color:#cf222e")
            return False
        self.status.setText("Sections saved.")
        self.status.setStyleSheet("color:#57606a")
        self.context.notify("handoff")
        return True

    # ----------------------------------------------------------------- export
    def choose_export_path(self) -> None:
        store = self.context.store
        if store is None:
            return
        default = store.path.with_name(store.path.stem + "-model-card.md")
        path, _ = QFileDialog.getSaveFileName(self, "Export model card", str(default), "Markdown (*.md)")
        if path:
            self.export_model_card(path if path.lower().endswith(".md") else path + ".md")

    def export_model_card(self, path) -> bool:
        store = self.context.store
        self.save_sections()
        try:
            text = generate_model_card(store.meta(), signing.load_handoff(store), signing.counted_runs(store),
                                       signing.model_card_sections(store), generated_utc=utc_now_seconds())
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except PreflightError as exc:
            self._export_failed(path, str(exc))
            return False
        except OSError as exc:
            self._export_failed(path, exc.strerror or str(exc))
            return False
        self.status.setText(f"Model card exported to {path}")
        self.status.setStyleSheet("color:#1b7f3b")
        self.context.status_message.emit(f"Model card exported to {path}")
        return True

    def _export_failed(self, path, message: str) -> None:
        self.status.setText(f"Cannot export the model card to {path}: {message}")
        self.status.setStyleSheet("color:#cf222e")
