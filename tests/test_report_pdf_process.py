"""The window's PDF export in a child process: the same PDF as the in-process writer, Cancel ends the child and
leaves no file, a failure or a crash of the child becomes one clear message, and the Report tab's export does
not run Qt's writer in the window's process."""

import sys
import threading
import time

import pytest
from PySide6.QtCore import Qt

import ui.report.pdf as pdf
import ui.report.tab as report_tab
from core.errors import Cancelled, PreflightError
from ui.report import pdf_process

HTML = "<h1>Preflight</h1>" + "".join(f"<h2>Section {i}</h2><p>{'word ' * 400}</p>" for i in range(12))
FOOTER = {"title": "child check", "content_id": "c" * 64, "audit_head": "a" * 64}


def page_count(data: bytes) -> int:
    return data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") + data.count(b"/Type /Page>")


def test_child_writes_the_same_pages_as_the_in_process_writer(tmp_path, qapp):
    pdf_process.write_pdf_in_child(HTML, tmp_path / "child.pdf", FOOTER)
    pdf.write_pdf(HTML, tmp_path / "here.pdf", FOOTER)
    child, here = (tmp_path / "child.pdf").read_bytes(), (tmp_path / "here.pdf").read_bytes()
    assert child.startswith(b"%PDF") and child.rstrip().endswith(b"%%EOF")
    assert page_count(child) == page_count(here) >= 3


def test_cancel_ends_the_child_and_leaves_no_file(tmp_path, monkeypatch):
    started = threading.Event()
    real_popen = pdf_process.subprocess.Popen

    def popen(*args, **kwargs):
        child = real_popen(*args, **kwargs)
        started.set()
        return child

    monkeypatch.setattr(pdf_process.subprocess, "Popen", popen)
    children = []
    monkeypatch.setattr(pdf_process, "child_command",
                        lambda job: children.append(job) or [sys.executable, "-c", "import time; time.sleep(60)"])
    target = tmp_path / "r.pdf"
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        pdf_process.write_pdf_in_child(HTML, target, FOOTER, cancelled=started.is_set)
    assert time.monotonic() - t0 < 30  # not the child's 60 s: it was ended
    assert children and not target.exists()
    assert not children[0].parent.exists()  # the job folder is removed too


def test_a_failing_child_gives_its_one_line_message(tmp_path):
    with pytest.raises(PreflightError) as info:
        pdf_process.write_pdf_in_child(12345, tmp_path / "r.pdf", FOOTER)  # setHtml(int) fails in the child
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'r.pdf'}: the PDF writer failed (") and "Traceback" not in message


def test_a_crashed_child_is_reported_with_its_signal(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_process, "child_command", lambda job: [
        sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    with pytest.raises(PreflightError, match=r"r\.pdf: the PDF writer stopped unexpectedly \(signal 9\)"):
        pdf_process.write_pdf_in_child(HTML, tmp_path / "r.pdf", FOOTER)


def test_child_entry_point_refuses_a_bad_job(tmp_path, capsys):
    bad = tmp_path / "job.json"
    bad.write_text("{not json", encoding="utf-8")
    assert pdf.main([str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {bad}: not a PDF job")
    assert pdf.main([]) == 2


def test_report_tab_exports_pdf_without_qt_writer_in_the_window_process(qtbot, tmp_path, monkeypatch):
    from core.assessment import templates
    from core.assessment.store import create_assessment
    from ui.context import AssessmentContext

    def not_here(*args, **kwargs):
        raise AssertionError("Qt's PDF writer ran in the window's process")

    monkeypatch.setattr(pdf, "write_pdf", not_here)
    store = create_assessment(tmp_path / "tab.preflight", name="PDF child", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    tab = report_tab.ReportTab(context)
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitUntil(lambda: tab.data is not None, timeout=20000)
    target = tmp_path / "out.pdf"
    monkeypatch.setattr(report_tab.QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(target), "")))
    qtbot.mouseClick(tab.export_buttons[".pdf"], Qt.LeftButton)
    qtbot.waitUntil(lambda: target.exists() and not tab.busy, timeout=30000)
    assert target.read_bytes().startswith(b"%PDF")
    context.close()


def test_progress_follows_the_pages_the_child_draws(tmp_path):
    seen = []
    pdf_process.write_pdf_in_child(HTML * 3, tmp_path / "r.pdf", FOOTER, progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == 1.0 and all(0.0 < f <= 1.0 for f in seen)
