"""Guard against a PySide6 build that drops a reference to None on every Qt call returning nothing.

PySide6 6.12.0 on CPython 3.11 does this: a GUI session of a few thousand edits takes None's reference count
through zero and the interpreter aborts with "Fatal Python error: none_dealloc".  pyproject.toml keeps that
pair from being installed; this test fails on any installed pair that leaks.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QLabel

CALLS = 5000
BATCH = 100
TOLERANCE = 50  # other objects may take or drop a few references to None meanwhile


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal on Python 3.12+: its reference "
                                                         "count cannot fall, so a leak cannot crash")
def test_void_qt_calls_keep_none_alive(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    texts = [f"value {k}" for k in range(CALLS)]
    before = sys.getrefcount(None)
    lowest = before
    for start in range(0, CALLS, BATCH):
        for text in texts[start:start + BATCH]:
            label.setText(text)  # a void Qt call: it returns None to Python
        lowest = min(lowest, sys.getrefcount(None))
        if lowest < before - TOLERANCE:
            break  # stop well before None's count reaches zero and the interpreter aborts
    calls = min(start + BATCH, CALLS)
    assert lowest >= before - TOLERANCE, (
        f"{calls} QLabel.setText calls dropped {before - lowest} references to None: this PySide6 build "
        "would crash a long GUI session (Fatal Python error: none_dealloc)")
    assert label.text() == texts[-1]
