"""The handoff form's "Pre-fill from runs" with a stored performance run: the monitoring and baseline fields
it shows are filled, a refused typed value is cleared by the pre-fill, and the scaling policy can be typed."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt

from core.assessment import templates
from core.assessment.store import create_assessment
from core.handoff import signing
from core.performance.run import PerformanceSettings, record_performance, run_performance
from ui.context import AssessmentContext
from ui.handoff.tab import HandoffTab


def _type(qtbot, field, text):
    field.selectAll()
    field.clear()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key_Return)


def test_prefill_fills_the_performance_fields_in_the_form(qtbot, tmp_path):
    rng = np.random.default_rng(1)
    n = 1500
    y = rng.integers(0, 2, n)
    log = tmp_path / "log.csv"
    pd.DataFrame({"y_true": y, "y_pred": np.where(rng.random(n) < 0.9, y, 1 - y)}).to_csv(log, index=False)
    store = create_assessment(tmp_path / "a.preflight", name="GUI", items=list(templates.load("seed").items))
    context = AssessmentContext()
    context.set_store(store)
    tab = HandoffTab(context)
    qtbot.addWidget(tab)
    tab.show()
    try:
        form = tab.form
        for name in ("baseline_precision", "baseline_recall", "baseline_f1", "monitored_metrics",
                     "alert_threshold", "scaling_policy"):
            assert form.fields[name].isVisible()
        _type(qtbot, form.fields["alert_threshold"], "7")          # refused: not a fraction
        assert "alert threshold is a fraction" in form.errors["alert_threshold"].text()
        assert form.prefill_button.isHidden()
        run = run_performance(log, PerformanceSettings(window="500", threshold=0.1))
        rid = record_performance(store, run)
        context.notify("runs")
        assert not form.prefill_button.isHidden()
        form.prefill_button.click()
        saved = signing.load_handoff(store)
        assert saved.alert_threshold == 0.1 and saved.baseline_f1 == run.result["baseline"]["f1"]
        assert form.fields["alert_threshold"].text() == "0.1" and form.errors["alert_threshold"].text() == ""
        assert form.fields["monitored_metrics"].text().startswith("accuracy, precision")
        assert f"performance run #{rid}" in form.prefill_notes.text()
        _type(qtbot, form.fields["scaling_policy"], "HPA: 2-10 pods at 70% CPU")
        assert signing.load_handoff(store).scaling_policy == "HPA: 2-10 pods at 70% CPU"
    finally:
        qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
        context.close()
