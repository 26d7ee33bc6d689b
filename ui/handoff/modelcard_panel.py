"""Model card: the Markdown preview from core.handoff.modelcard, the free-text sections, and export."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QHBoxLayout, QLabel, QMessageBox, QPlainTextEdit,
                               QPushButton, QScrollArea, QSplitter, QTextBrowser, QVBoxLayout, QWidget)

from core.handoff import signing
from core.errors import PreflightError
from core.handoff.modelcard import SECTIONS, generate_model_card
from core.canonical import utc_now_seconds

#: Sections Preflight fills from the handoff and the runs; text typed there is added after those facts.
AUTO_FILLED = {"model_details", "metrics", "evaluation_data", "training_data", "quantitative_analyses",
               "ethical_considerations", "caveats"}


WEB_SCHEMES = ("http", "https")


def _web_link(url: str) -> bool:
    return QUrl(url.strip()).scheme().lower() in WEB_SCHEMES


def _image_as_text(self, tokens, idx, options, env) -> str:
    """An image is shown as its description and address, never loaded."""
    token = tokens[idx]
    alt = "".join(child.content for child in (token.children or []))
    return escapeHtml(f"[image: {alt or 'no description'} — {token.attrGet('src') or ''}]")


def markdown_to_safe_html(text: str) -> str:
    """HTML for the preview: Markdown only (raw HTML shows as text), links only to http(s), no images."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.validateLink = _web_link  # any other link stays plain text
    md.add_render_rule("image", _image_as_text)
    return md.render(text)


class SafePreview(QTextBrowser):
    """A preview that loads nothing by itself and opens a web link only after the user confirms."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self.follow)

    def loadResource(self, kind, url):  # noqa: N802 - Qt override: no image, style sheet or file is read
        return None

    def follow(self, url: QUrl) -> bool:
        if url.scheme().lower() not in WEB_SCHEMES:
            return False
        if not self.confirm_open(url):
            return False
        return bool(self.open_external(url))

    def confirm_open(self, url: QUrl) -> bool:
        answer = QMessageBox.question(self, "Open link", f"Open this address in your web browser?\n\n"
                                      f"{url.toString()}", QMessageBox.Open | QMessageBox.Cancel,
                                      QMessageBox.Cancel)
        return answer == QMessageBox.Open

    def open_external(self, url: QUrl) -> bool:
        return QDesktopServices.openUrl(url)


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
        self.preview = SafePreview()
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
        self.preview.setHtml(markdown_to_safe_html(self.markdown))
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
