"""How long the GUI's UI thread is blocked on a large assessment.

Builds an assessment with 20,000 audit events and three large evidence files
(sparse, 200 MB each by default), opens the real MainWindow offscreen and
drives it as a user would: checklist edits through the checklist model on the
Checklist tab, then with the Report tab on screen, then with the audit log on
screen, and finally a signature through the Sign dialog.  A QTimer firing every
5 ms probes the event loop; the gap between two firings is how long the UI
thread could not react.  Prints the max and p99 gap of each phase.

Run from the repository root:

    python benchmarks/ui_responsiveness.py [--events 20000] [--evidence-mb 200] [--keep DIR]

Measured on 2 shared cores (load average about 5), 20,000 events, 3 x 200 MB
sparse evidence; largest UI-thread gap in ms, before (22c3924) -> after the
task-pipeline work:

    opening the file and building the window   1292 -> 830  (the window now has
                                               two more tabs; their pyqtgraph
                                               plots take ~400 ms to build)
    40 checklist edits                          780 -> 110  (p99 771 -> 94)
    Report tab shown, then 10 edits             813 -> 324  (the 324 is the first
                                               paint of the report; rebuilds after
                                               edits stay under ~25 ms)
    audit log shown, then 10 edits            10197 -> 71
    sign (scrypt + re-hash 600 MB)             1592 -> 24

What remains per checklist edit is the checklist table repainting through its
Python model (ui/checklist/model.py ``data``), not the audit chain.

Nothing here is part of the test suite.  To compare with an older version,
export that version (``git archive <commit> | tar -x -C /tmp/old``) and run
this same file with ``--root /tmp/old``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROBE_MS = 5
PASSWORD = "benchmark password"


def build(folder: Path, events: int, evidence_mb: int) -> Path:
    from core.assessment import templates
    from core.assessment.store import create_assessment
    from core.handoff import signing

    path = folder / "large.preflight"
    store = create_assessment(path, name="Large", items=templates.load("seed").items)
    items = store.items()
    start = time.perf_counter()
    with store.transaction():
        for k in range(events - len(store.audit_events()) - 4):  # 3 attachments and 1 user follow
            store.update_item(items[k % len(items)].id, notes=f"note {k}")
    for n in range(3):
        big = folder / f"evidence-{n}.bin"
        with open(big, "wb") as fh:
            fh.truncate(evidence_mb * 1024 * 1024)
            fh.seek(0)
            fh.write(f"evidence file {n}\n".encode())
        signing.attach_evidence(store, big, f"Large evidence {n}")
    signing.add_user(store, "Ada", "preparer", PASSWORD)
    count = len(store.audit_events())
    store.close()
    print(f"built {path} with {count:,} audit events and 3 x {evidence_mb} MB evidence "
          f"in {time.perf_counter() - start:.1f} s")
    return path


class Probe:
    """Records the event loop's gaps through a QTimer that should fire every PROBE_MS."""

    def __init__(self):
        from PySide6.QtCore import Qt, QTimer

        self.stamps: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(lambda: self.stamps.append(time.perf_counter()))
        self.timer.start()

    def mark(self) -> int:
        return len(self.stamps)

    def gaps(self, since: int) -> list[float]:
        s = self.stamps[max(0, since - 1):]  # from the last probe before the phase began
        return [(b - a) * 1000 for a, b in zip(s, s[1:])]


def pump(seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        QApplication.processEvents()
        time.sleep(0.001)


def idle(window, limit: float = 120.0, quiet: float = 1.0) -> None:
    """Wait until no task of the window or its tabs has run or waited for ``quiet`` seconds (delayed
    refreshes, such as the Report tab's, start a little after the change that asked for them)."""
    end = time.perf_counter() + limit
    calm_since = None
    pump(0.3)
    while time.perf_counter() < end:
        queues = [getattr(window, "tasks", None)] + [getattr(t, "tasks", None) for t in window.tab_widgets]
        busy = any(q is not None and q.busy for q in queues)
        bars = [window.task_bar] + [getattr(t, "task_bar", None) or getattr(t, "task", None)
                                    for t in window.tab_widgets]
        busy = busy or any(b is not None and b.busy for b in bars) or \
            any(getattr(t, "busy", False) for t in window.tab_widgets)
        if busy:
            calm_since = None
        elif calm_since is None:
            calm_since = time.perf_counter()
        elif time.perf_counter() - calm_since >= quiet:
            return
        pump(0.05)


def edits(window, count: int, spacing: float) -> None:
    from PySide6.QtCore import Qt

    tab = window.checklist_tab
    for k in range(count):
        index = tab.proxy.index(k % tab.proxy.rowCount(), 3)
        tab.proxy.setData(index, "done" if (k // tab.proxy.rowCount()) % 2 == 0 else "open", Qt.EditRole)
        pump(spacing)


def summary(name: str, gaps: list[float]) -> dict:
    gaps = sorted(gaps) or [0.0]
    p99 = gaps[min(len(gaps) - 1, int(round(0.99 * (len(gaps) - 1))))]
    row = {"phase": name, "probes": len(gaps), "max_ms": max(gaps), "p99_ms": p99,
           "median_ms": statistics.median(gaps)}
    print(f"{name:<40} {row['probes']:>6} {row['median_ms']:>9.1f} {row['p99_ms']:>9.1f} {row['max_ms']:>9.1f}")
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--evidence-mb", type=int, default=200)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--keep", help="build into (and keep) this folder")
    parser.add_argument("--root", help="run the Preflight found in this folder (e.g. an older version)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    root = Path(args.root).resolve() if args.root else Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="preflight-ui-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PREFLIGHT_HOME"] = str(folder / "home")

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # noqa: F841
    path = folder / "large.preflight"
    if not path.exists():
        path = build(folder, args.events, args.evidence_mb)

    from core.assessment.store import open_assessment
    from ui.context import AssessmentContext
    from ui.main_window import MainWindow

    print(f"Preflight from {root}")
    print(f"{'phase':<40} {'probes':>6} {'median':>9} {'p99':>9} {'max':>9}   (gaps between 5 ms probes, ms)")
    from ui.tabs import tab_classes

    tab_classes()  # imports (pyqtgraph...) are start-up time, not responsiveness
    rows = []
    probe = Probe()
    pump(0.5)
    start = time.perf_counter()
    context = AssessmentContext()
    context.set_store(open_assessment(path))
    window = MainWindow(context)
    window.resize(1360, 820)
    window.show()
    print(f"{'(opening the file and building the window)':<40} {'':>6} {'':>9} {'':>9} "
          f"{(time.perf_counter() - start) * 1000:>9.1f}")
    mark = probe.mark() + 1
    idle(window)
    rows.append(summary("after opening (chain check, evidence)", probe.gaps(mark)))

    mark = probe.mark()
    edits(window, args.edits, 0.05)
    idle(window)
    rows.append(summary(f"{args.edits} checklist edits, Checklist tab", probe.gaps(mark)))

    report = next(t for t in window.tab_widgets if t.title == "Report")
    mark = probe.mark()
    window.tabs.setCurrentWidget(report)
    pump(1.0)
    edits(window, 10, 0.5)
    idle(window)
    rows.append(summary("Report tab shown, then 10 edits", probe.gaps(mark)))

    handoff = next(t for t in window.tab_widgets if t.title.startswith("Handoff"))
    window.tabs.setCurrentWidget(handoff)
    idle(window)
    mark = probe.mark()
    handoff.sub_tabs.setCurrentWidget(handoff.audit)
    pump(1.0)
    edits(window, 10, 0.3)
    idle(window)
    rows.append(summary("audit log shown, then 10 edits", probe.gaps(mark)))

    handoff.sub_tabs.setCurrentWidget(handoff.signoff)
    idle(window)
    mark = probe.mark()
    from PySide6.QtWidgets import QDialogButtonBox

    dialog = handoff.signoff.sign_dialog(context.store.users()[0]["id"], "authorship")
    dialog.password.setText(PASSWORD)
    pump(0.2)
    dialog.buttons.button(QDialogButtonBox.Ok).click()
    end = time.perf_counter() + 120
    while getattr(dialog, "busy", False) and time.perf_counter() < end:
        pump(0.05)
    idle(window)
    rows.append(summary("sign (scrypt + re-hash 3 evidence files)", probe.gaps(mark)))
    signed = len(context.store.signature_rows())
    print(f"signatures stored: {signed}; audit events: {len(context.store.audit_events()):,}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
