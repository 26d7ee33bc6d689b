"""The source preview: the file or notebook cell a finding points to, its line highlighted, secrets masked."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QTextCursor, QTextFormat
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

HIGHLIGHT = "#fff1a8"


class SourcePreview(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("Select a finding to see its source.")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight:bold")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.NoWrap)
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.Monospace)
        font.setPointSize(9)
        self.text.setFont(font)
        self.suggestion = QLabel("")
        self.suggestion.setWordWrap(True)
        self.suggestion.setStyleSheet("color:#1f2328;background:#eef6ff;padding:4px")
        self.suggestion.setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.suggestion)
        self.highlighted_line: int | None = None

    def clear(self, message: str = "Select a finding to see its source.") -> None:
        self.title.setText(message)
        self.text.setPlainText("")
        self.text.setExtraSelections([])
        self.suggestion.setVisible(False)
        self.highlighted_line = None

    def show_source(self, title: str, lines: list[str], line: int | None, suggestion: str = "") -> None:
        """Show ``lines`` (numbered) and highlight the 1-based ``line`` (None: no line)."""
        width = len(str(len(lines)))
        self.text.setPlainText("\n".join(f"{n:>{width}}  {text}" for n, text in enumerate(lines, start=1)))
        self.title.setText(title)
        self.suggestion.setText(f"Suggestion: {suggestion}" if suggestion else "")
        self.suggestion.setVisible(bool(suggestion))
        self.highlighted_line = None
        selections = []
        if line is not None and 1 <= line <= len(lines):
            block = self.text.document().findBlockByNumber(line - 1)
            cursor = QTextCursor(block)
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(QColor(HIGHLIGHT))
            sel.format.setProperty(QTextFormat.FullWidthSelection, True)
            sel.cursor = cursor
            selections.append(sel)
            self.text.setTextCursor(cursor)
            self.text.centerCursor()
            self.highlighted_line = line
        self.text.setExtraSelections(selections)

    def highlighted_text(self) -> str:
        """The text of the highlighted line (as shown, number included), or ''."""
        sels = self.text.extraSelections()
        return sels[0].cursor.block().text() if sels else ""
