"""The window's PDF export runs Qt's PDF writer in a process of its own.

Laying out and painting a report takes Qt's font, text and image machinery.  In
a worker thread of the window that machinery would run beside the UI thread's
own painting, and PySide keeps Python's global lock while it runs Qt code, so
a Qt lock taken on one side and Python's lock on the other could stop both.  A
child process shares neither.  It also makes Cancel immediate (the child is
ended) and keeps a crash in the writer from taking the window down.

The worker thread that calls :func:`write_pdf_in_child` imports no Qt module:
it writes the job (HTML, target, footer) to a temporary JSON file, starts
``python -m ui.report.pdf JOB`` with the offscreen platform, and waits for it.
The child prints one ``error: ...`` line and exits 2 when it cannot write.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from core.errors import Cancelled, PreflightError

ROOT = Path(__file__).resolve().parents[2]
#: How often (seconds) the waiting worker looks at its Cancel flag.
POLL_S = 0.05


def child_command(job: Path) -> list[str]:
    return [sys.executable, "-m", "ui.report.pdf", str(job)]


def child_env() -> dict:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"  # the child never shows a window nor talks to a display
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def write_pdf_in_child(html: str, path, footer: dict | None = None, cancelled=None, progress=None) -> None:
    """Write ``html`` as a PDF at ``path`` through a child process (see the module docstring).

    ``progress(fraction)``, when given, follows the pages the child has drawn (it reports through a small
    file in the job's folder, read each time the worker looks at Cancel).

    Raises :class:`Cancelled` when ``cancelled()`` turns true (the child is ended and leaves no file
    behind it at ``path``), and :class:`PreflightError` with the child's message when it fails.
    """
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="preflight-pdf-") as folder:
        job, pages = Path(folder) / "job.json", Path(folder) / "progress.txt"
        job.write_text(json.dumps({"html": html, "path": str(path), "footer": footer or {}, "progress": str(pages)}),
                       encoding="utf-8")
        errors = Path(folder) / "stderr.txt"
        with open(errors, "wb") as err:
            child = subprocess.Popen(child_command(job), env=child_env(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=err)
            try:
                while True:
                    try:
                        code = child.wait(timeout=POLL_S)
                        break
                    except subprocess.TimeoutExpired:
                        if progress is not None:
                            _report(pages, progress)
                        if cancelled is not None and cancelled():
                            child.kill()
                            child.wait()
                            path.unlink(missing_ok=True)
                            raise Cancelled() from None
            except BaseException:
                if child.poll() is None:
                    child.kill()
                    child.wait()
                raise
        if code != 0:
            raise PreflightError(_failure(errors.read_text(encoding="utf-8", errors="replace"), code, path))
        if progress is not None:
            _report(pages, progress)  # the last pages may have been drawn after the last look


def _report(pages: Path, progress) -> None:
    try:
        progress(float(pages.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass  # not written yet


def _failure(stderr: str, code: int, path: Path) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = [line[len("error: "):] for line in lines if line.startswith("error: ")]
    if said:
        return said[-1]
    if code < 0:
        return f"{path}: the PDF writer stopped unexpectedly (signal {-code})"
    tail = f": {lines[-1]}" if lines else ""
    return f"{path}: the PDF writer failed (exit code {code}){tail}"
