"""The Load tab offscreen: a real load test against the demo endpoint fills the live charts, the histogram, the
verdict and the summary and is stored; Cancel; a remote host needs confirmation; the 10x preset; shutdown."""

import socket
from urllib.parse import urlsplit

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment
from core.errors import Cancelled
from core.load.plan import DEMO_URL
from ui.context import AssessmentContext
from ui.load.evidence import SUGGESTED
from ui.load.tab import LoadTab

WAIT_MS = 90_000  # generous: the suite shares two cores


@pytest.fixture
def env(qtbot, tmp_path, monkeypatch):
    errors, asked = [], []
    monkeypatch.setattr("ui.load.loadtest_view.show_error", lambda parent, title, message: errors.append(message))

    def no_remote(parent, url):  # a loopback target must never ask
        asked.append(url)
        return False

    monkeypatch.setattr("ui.load.loadtest_view.confirm_remote", no_remote)
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    tab = LoadTab(context)
    qtbot.addWidget(tab)
    tab.resize(1400, 900)
    tab.show()
    view = tab.view("Load test")
    view.demo.port = 0  # any free port: tests may run side by side with a real demo on the usual one
    yield tab, view, store, errors, asked
    tab.shutdown()
    context.close()


def _start_demo(qtbot, view):
    view.demo.start_button.click()
    qtbot.waitUntil(lambda: view.demo.running, timeout=WAIT_MS)
    return view.demo.url


def _accepts(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def test_load_test_against_the_demo_endpoint(qtbot, env):
    tab, view, store, errors, asked = env
    assert [tab.pages.tabText(i) for i in range(tab.pages.count())][0] == "Load test"
    assert view.form.target_url() == DEMO_URL and not view.demo.running
    tab.resize(1400, 600)  # a short window: the form scrolls, its Run button stays in view under it
    qtbot.waitUntil(lambda: not view.form.run_button.visibleRegion().isEmpty(), timeout=5000)
    assert view.form.run_button.mapTo(view, view.form.run_button.rect().bottomLeft()).y() <= view.height()
    tab.resize(1400, 900)
    url = _start_demo(qtbot, view)
    assert view.form.target_url() == url and url in view.demo.state.text() and _accepts(url)
    view.form.rate.setValue(50)
    view.form.duration.setValue(2)
    progress, live = [], []
    view.task_bar.bar.valueChanged.connect(progress.append)
    original_tick = view._tick

    def tick(point):  # what the live chart holds while the run is still going
        live.append((view.shown_run_id, len(store.runs("loadtest", with_result=False))))
        original_tick(point)

    view._tick = tick
    view.form.run_button.click()
    qtbot.waitUntil(lambda: not view.busy and view.shown_run_id is not None, timeout=WAIT_MS)
    assert not errors and not asked
    (run,) = store.runs("loadtest")
    result = run["result"]
    assert result["requests"] > 0 and view.shown_run_id == run["id"]
    assert live and all(shown is None and stored == 0 for shown, stored in live)  # before the run was stored
    assert view.ticks_received == len(live)
    assert progress and max(progress) > 0
    assert view.histogram.bars == len(result["histogram"]["counts"]) > 0
    assert view.histogram.lines["p95_ms"].isVisible() and view.histogram.slo_line.isVisible()
    head = "Production ready" if result["production_ready"] else "Not production ready"
    assert head in view.verdict.text() and view.verdict.text().count("<li>") == len(result["verdict_reasons"])
    measures = [view.summary_model.index(r, 0).data() for r in range(view.summary_model.rowCount())]
    assert "Requests" in measures and "Latency p95 (intended send)" in measures
    assert view.summary_model.index(0, 1).data() == f"{result['requests']:,}"
    assert len(view.live.points) == len(result["timeline"])  # the stored timeline replaces the live points
    assert view.runs.itemData(view.runs.currentIndex()) == run["id"]
    dialog = view.attach_dialog()
    assert dialog.list.item(0).text().endswith(SUGGESTED["loadtest"][0])
    assert dialog.list.item(1).text().endswith(SUGGESTED["loadtest"][1])
    dialog.deleteLater()
    item = next(i for i in store.items() if i.name == "Load testing")
    assert view.attach_evidence(item.id) is not None
    assert any(link["run_id"] == run["id"] for link in store.links(item.id))
    view.demo.stop_button.click()
    qtbot.waitUntil(lambda: not view.busy and not view.demo.running, timeout=WAIT_MS)
    assert "Stopped" in view.demo.state.text() and not _accepts(url)


def test_cancel_stops_a_running_test_and_stores_nothing(qtbot, env):
    _tab, view, store, errors, _asked = env
    _start_demo(qtbot, view)
    view.form.rate.setValue(20)
    view.form.duration.setValue(120)
    view.form.run_button.click()
    assert view.busy and not view.form.run_button.isEnabled()
    qtbot.waitUntil(lambda: view.ticks_received >= 1, timeout=WAIT_MS)  # it is really running
    view.task_bar.cancel_button.click()
    qtbot.waitUntil(lambda: not view.busy, timeout=WAIT_MS)
    assert store.runs("loadtest") == [] and not errors and view.shown_run_id is None
    assert view.form.run_button.isEnabled()
    assert "was cancelled" in view.headline.text() and "nothing was stored" in view.headline.text()


def test_a_remote_host_is_run_only_after_confirmation(qtbot, env, monkeypatch):
    _tab, view, store, errors, asked = env
    remote = "http://192.0.2.10:8080/predict"  # TEST-NET-1: documentation only
    view.form.url.setText(remote)
    view.form.run_button.click()
    assert asked == [remote] and not view.busy and store.runs("loadtest") == []
    sent = []

    def fake_run(plan, *, progress=None, cancelled=None, on_tick=None):  # confirmed: the run starts (no traffic)
        sent.append(plan.url)
        raise Cancelled()

    monkeypatch.setattr("ui.load.loadtest_view.run_loadtest", fake_run)
    monkeypatch.setattr("ui.load.loadtest_view.confirm_remote", lambda parent, url: asked.append(url) or True)
    view.form.run_button.click()
    qtbot.waitUntil(lambda: not view.busy, timeout=WAIT_MS)
    assert asked == [remote, remote] and sent == [remote] and not errors


def test_ten_x_peak_preset_follows_the_handoff(qtbot, env):
    _tab, view, store, _errors, _asked = env
    assert not view.form.peak_button.isEnabled()
    data, _sections = store.handoff_data()
    store.set_handoff({**data, "expected_qps": 12.0})
    view.context.notify("handoff")
    assert view.form.peak_button.isEnabled() and "12" in view.form.peak_note.text()
    view.form.duration.setValue(60)
    view.form.peak_button.click()
    plan = view.form.plan()
    assert plan.peak_rate == pytest.approx(120.0) and plan.extra.get("preset") == "10x_peak"
    assert plan.total_duration_s == pytest.approx(60.0)


def test_stages_body_and_bad_input(qtbot, env):
    _tab, view, store, errors, _asked = env
    view.form.mode.setCurrentIndex(1)
    view.form.stages.setPlainText("duration_s,rate,ramp_to\n3,10,40\n2,40\n")
    plan = view.form.plan()
    assert [(s.duration_s, s.rate, s.ramp_to) for s in plan.stages] == [(3.0, 10.0, 40.0), (2.0, 40.0, None)]
    view.form.body_mode.setCurrentIndex(1)
    view.form.body.setPlainText("")
    view.form.run_button.click()
    assert errors and "JSON body" in errors[-1] and not view.busy
    view.form.body.setPlainText('{"x": 1}')
    view.form.stages.setPlainText("duration_s,rate\n-1,10\n")
    view.form.run_button.click()
    assert "stage" in errors[-1] and not view.busy and store.runs("loadtest") == []
    assert view.error_label.isVisible()


def test_closing_the_tab_stops_the_demo_endpoint(qtbot, env):
    tab, view, _store, _errors, _asked = env
    url = _start_demo(qtbot, view)
    assert _accepts(url)
    tab.shutdown()
    assert not view.demo.running and not _accepts(url)


CHILD = """
import sys, time
from ui.load.demo_process import DemoProcess
if __name__ == "__main__":
    demo = DemoProcess(port=0)
    print(demo.start(), flush=True)
    time.sleep(600)
"""


def test_the_demo_process_ends_when_the_window_process_dies(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = tmp_path / "window.py"
    script.write_text(CHILD)
    root = Path(__file__).resolve().parent.parent
    parent = subprocess.Popen([sys.executable, str(script)], cwd=root, stdout=subprocess.PIPE, text=True,
                              env={**__import__("os").environ, "PYTHONPATH": str(root)})
    try:
        port = int(parent.stdout.readline())
        url = f"http://127.0.0.1:{port}/predict"
        assert _accepts(url)
    finally:
        parent.send_signal(signal.SIGKILL)  # no clean-up code runs in the parent
        parent.wait()
    deadline = time.monotonic() + 60
    while _accepts(url) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _accepts(url)
