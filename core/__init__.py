"""Preflight core engine: Qt-free analysis, scoring and persistence.

Every module in this package is importable without PySide6 or pyqtgraph; a test
enforces it.  Functions take plain data and return frozen dataclasses; long
computations accept ``progress(fraction)`` and ``cancelled()`` callables.
"""

__version__ = "0.1.0"
