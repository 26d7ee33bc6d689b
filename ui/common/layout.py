"""The page layout the result tabs share: a settings form on the left, the results on the right, and the
error line and task bar along the bottom."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QSplitter, QVBoxLayout, QWidget


def column(*items) -> QWidget:
    """A widget stacking ``items`` top to bottom without margins; an item is a widget, a layout, or
    ``(widget, stretch)``."""
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for item in items:
        stretch = 0
        if isinstance(item, tuple):
            item, stretch = item
        if isinstance(item, QLayout):
            lay.addLayout(item, stretch)
        else:
            lay.addWidget(item, stretch)
    return box


def runs_bar(runs, *buttons) -> QHBoxLayout:
    """"Stored runs" and its chooser (taking the room), then the buttons that act on the chosen run."""
    bar = QHBoxLayout()
    bar.addWidget(QLabel("Stored runs"))
    bar.addWidget(runs, 1)
    for button in buttons:
        bar.addWidget(button)
    return bar


def form_and_results(owner: QWidget, form: QWidget, results: QWidget, *, form_width: int, bottom=()) -> QSplitter:
    """Lay ``owner`` out as ``form | results`` (the results take the extra width), with ``bottom`` widgets
    (the error line, the task bar) underneath; returns the splitter."""
    body = QSplitter(Qt.Horizontal)
    body.addWidget(form)
    body.addWidget(results)
    body.setStretchFactor(1, 1)
    body.setSizes([form_width, 1000])
    lay = QVBoxLayout(owner)
    lay.setContentsMargins(4, 4, 4, 4)
    lay.addWidget(body, 1)
    for widget in bottom:
        lay.addWidget(widget)
    return body
