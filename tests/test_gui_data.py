"""The Data tab offscreen: previews, drift runs, cancel, bad files, validation, run history and evidence."""

import csv

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent
from scipy import stats

from core.assessment import templates
from core.validation.schema import load_schema
from core.assessment.store import create_assessment, open_assessment
from ui.context import AssessmentContext
from ui.data.tab import DataTab
from ui.drift.model import KEYS
from gui_data_support import N, NEW_CATEGORY_ROWS, _frames, _load, _row, _run, env, files  # noqa: F401


def test_preview_shows_first_rows_and_kinds(qtbot, env, files):
    tab, _store, errors = env
    _load(qtbot, tab, files[0], files[1])
    model = tab.inputs.ref_model
    assert model.rowCount() == 200 and model.columnCount() == 4
    assert model.index(0, 0).data() == f"{files[2]['age'][0]:g}"
    assert model.headerData(2, Qt.Horizontal) == "segment\ncategorical"
    kinds = tab.inputs.kinds_model
    assert [kinds.index(r, 0).data() for r in range(kinds.rowCount())] == ["age", "income", "segment", "flag"]
    assert kinds.index(3, 2).data() == "boolean" and kinds.index(3, 3).data() == "(inferred)"
    assert "3,000 rows" in tab.ref_box.info.text() and "parquet" in tab.cur_box.info.text()
    diff = [tab.validation.diff_list.item(i).text() for i in range(tab.validation.diff_list.count())]
    assert diff == ["segment: 1 new category (zzz)"]
    assert errors == []


def test_drift_run_fills_table_charts_store_and_history(qtbot, env, files):
    tab, store, errors = env
    _load(qtbot, tab, files[0], files[1])
    values = []
    tab.task_bar.bar.valueChanged.connect(values.append)
    _run(qtbot, tab, store)
    assert errors == [] and not tab.error_label.isVisibleTo(tab)
    assert tab.drift_view.proxy.rowCount() == 4
    age, income, segment = _row(tab, "age"), _row(tab, "income"), _row(tab, "segment")
    assert (age["verdict"], segment["verdict"], income["verdict"]) == ("DRIFT", "DRIFT", "ok")
    ref, cur = files[2], files[3]
    w = stats.wasserstein_distance(ref["age"], cur["age"]) / ref["age"].std(ddof=0)
    assert age["method"] == "Wasserstein" and float(age["score"]) == pytest.approx(w, rel=1e-3)
    assert float(age["p_value"]) == pytest.approx(stats.ks_2samp(ref["age"], cur["age"]).pvalue, rel=1e-2)
    assert segment["new_categories"] == "1: zzz" and segment["psi_band"] == "major"
    assert "Dataset drift: YES" in tab.drift_view.summary.text()
    # colours: drifted red, ok green
    proxy = tab.drift_view.proxy
    verdict_col = KEYS.index("verdict")
    colours = {proxy.index(r, 0).data(): proxy.index(r, verdict_col).data(Qt.ForegroundRole).color().name()
               for r in range(4)}
    assert colours["age"] == "#cf222e" and colours["income"] == "#1a7f37"
    # charts
    bars = [i for i in tab.drift_view.psi_plot.getPlotItem().items if i.__class__.__name__ == "BarGraphItem"]
    assert len(bars) == 1
    tab.drift_view.select_column("age")
    curves, hist_bars = tab.drift_view.hist_items()
    assert len(curves) == 2 and hist_bars == []
    edges = np.asarray(next(c for c in store.runs("drift")[0]["result"]["columns"]
                            if c["name"] == "age")["histogram"]["edges"])
    expected = 100 * np.histogram(ref["age"], bins=edges)[0] / N  # % of all reference values per bin
    assert curves[0].yData == pytest.approx(expected) and list(curves[0].xData) == pytest.approx(list(edges))
    tab.drift_view.select_column("segment")
    curves, hist_bars = tab.drift_view.hist_items()
    assert curves == [] and len(hist_bars) == 2
    current_bar = hist_bars[1].opts["height"]
    assert current_bar[list(segment_labels(store)).index("zzz")] == pytest.approx(100 * NEW_CATEGORY_ROWS / N)
    # stored, in the history, progress advanced
    assert len(store.runs("drift")) == 1
    assert tab.history.model.rowCount() == 1 and tab.history.model.index(0, 1).data() == "drift"
    assert values[-1] == 1000 and values == sorted(values)


def segment_labels(store):
    result = store.runs("drift")[0]["result"]
    return next(c for c in result["columns"] if c["name"] == "segment")["categories"]["labels"]


def test_sorting_by_score_puts_the_largest_first(qtbot, env, files):
    tab, store, _errors = env
    _load(qtbot, tab, files[0], files[1])
    _run(qtbot, tab, store)
    tab.drift_view.table.sortByColumn(KEYS.index("psi"), Qt.DescendingOrder)
    proxy = tab.drift_view.proxy
    psis = [float(proxy.index(r, KEYS.index("psi")).data()) for r in range(proxy.rowCount())]
    assert psis == sorted(psis, reverse=True) and proxy.index(0, 0).data() == "segment"


def test_kind_override_and_options_reach_core(qtbot, env, files):
    tab, store, _errors = env
    _load(qtbot, tab, files[0], files[1])
    kinds = tab.inputs.kinds_model
    assert kinds.setData(kinds.index(3, 3), "categorical", Qt.EditRole)
    tab.options.method.setCurrentIndex(tab.options.method.findData("psi"))
    tab.options.threshold.setText("0.25")
    settings = tab.drift_settings()
    assert settings.kind_overrides == {"flag": "categorical"} and settings.threshold == 0.25
    _run(qtbot, tab, store)
    stored = store.runs("drift")[0]
    assert stored["settings"]["kind_overrides"] == {"flag": "categorical"}
    assert _row(tab, "flag")["kind"] == "categorical" and _row(tab, "age")["method"] == "PSI"
    assert _row(tab, "age")["threshold"] == "0.25"


def test_summary_header_shows_multivariate_auc_and_warnings(qtbot, env, files):
    tab, store, _errors = env
    _load(qtbot, tab, files[0], files[1])
    _run(qtbot, tab, store)
    result = dict(store.runs("drift")[0]["result"])
    assert "Multivariate: not computed" in tab.drift_view.multivariate.text()
    # the domain classifier's contract (core.drift.multivariate.domain_classifier), shown as stored
    result["multivariate"] = {"method": "domain_classifier", "auc": 0.7361, "auc_folds": [0.73, 0.74, 0.738],
                              "threshold": 0.55, "drifted": True,
                              "top_features": [{"name": "age", "importance": 0.1467},
                                               {"name": "segment", "importance": 0.0967},
                                               {"name": "flag", "importance": -0.0008}],
                              "rows_used": {"reference": N, "current": N}, "columns": ["age", "segment", "flag"]}
    result["warnings"] = ["column 'x' is only in the current table; not compared", "second warning"]
    tab.drift_view.show_result(result, "test")
    text = tab.drift_view.multivariate.text()
    assert "0.736" in text and "age (0.147)" in text and "segment (0.097)" in text and "flag" not in text
    assert tab.drift_view.warnings_button.text() == "Warnings (2)" and tab.drift_view.warnings.isHidden()
    tab.drift_view.warnings_button.click()
    assert not tab.drift_view.warnings.isHidden() and tab.drift_view.warnings.count() == 2


def test_cancel_keeps_window_responsive_and_stores_nothing(qtbot, env, tmp_path):
    tab, store, errors = env
    rng = np.random.default_rng(1)
    n = 400_000
    big = tmp_path / "big.csv"
    pd.DataFrame({"x": rng.normal(size=n).round(3), "y": rng.integers(0, 50, n)}).to_csv(big, index=False)
    _load(qtbot, tab, big, big)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    values = []
    tab.task_bar.bar.valueChanged.connect(values.append)
    qtbot.mouseClick(tab.options.run_button, Qt.LeftButton)
    assert tab.task_bar.busy
    qtbot.waitUntil(lambda: len(ticks) >= 5 and bool(values), timeout=20000)
    assert tab.task_bar.busy  # the event loop ran while the drift was being computed
    assert all(0 <= v < 1000 for v in values) and max(values) > 0  # the progress bar advanced
    qtbot.mouseClick(tab.task_bar.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not tab.busy, timeout=20000)
    timer.stop()
    assert store.runs("drift") == [] and tab.drift_view.proxy.rowCount() == 0 and errors == []


def _visible_texts(tab):
    """The text of every visible label and status line in the tab and its window."""
    from PySide6.QtWidgets import QLabel
    return [w.text() for w in tab.window().findChildren(QLabel) if w.isVisibleTo(tab.window()) and w.text()]


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n" + bytes(200), b"age,segment\n"], ids=["png", "header-only"])
def test_bad_file_shows_one_message_next_to_it_and_stores_nothing(qtbot, env, files, tmp_path, content):
    tab, store, errors = env
    statuses = []
    tab.context.status_message.connect(statuses.append)
    bad = tmp_path / "broken.csv"
    bad.write_bytes(content)
    tab.set_paths(str(bad), str(files[1]))
    qtbot.waitUntil(lambda: not tab.busy and tab.tables["current"] is not None, timeout=20000)
    naming = [t for t in _visible_texts(tab) if "broken.csv" in t]
    assert len(naming) == 1 and naming[0] == tab.ref_box.info.text() and naming[0].startswith("Cannot read")
    assert not any("above" in t or "below" in t for t in naming)
    assert errors == [] and not tab.error_label.isVisibleTo(tab)
    assert not any("broken.csv" in m for m in statuses)
    # nothing can be run on a file that cannot be read, so the message is not repeated
    assert not tab.options.run_button.isEnabled() and not tab.validation.infer_button.isEnabled()
    qtbot.mouseClick(tab.options.run_button, Qt.LeftButton)
    assert not tab.busy and store.runs("drift") == []
    # choosing a readable file clears the message
    tab.set_paths(str(files[0]))
    qtbot.waitUntil(lambda: not tab.busy and tab.tables["reference"] is not None, timeout=20000)
    assert not [t for t in _visible_texts(tab) if "broken.csv" in t] and tab.options.run_button.isEnabled()


def test_dropping_a_file_sets_the_path(qtbot, env, files):
    tab, _store, _errors = env
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(files[0]))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    tab.ref_box.dropEvent(event)
    assert tab.reference_path == str(files[0])
    qtbot.waitUntil(lambda: tab.tables["reference"] is not None, timeout=20000)
    folder = QMimeData()
    folder.setUrls([QUrl.fromLocalFile(str(files[0].parent))])
    tab.cur_box.dropEvent(QDropEvent(QPointF(10, 10), Qt.CopyAction, folder, Qt.LeftButton, Qt.NoModifier))
    assert tab.current_path == ""


def test_validation_infer_validate_export(qtbot, env, files, tmp_path):
    tab, store, errors = env
    _load(qtbot, tab, files[0], files[1])
    tab.validation.infer_button.click()
    qtbot.waitUntil(lambda: not tab.busy and tab.validation.schema_model.rowCount() == 4, timeout=20000)
    assert store.schemas()["default"]["columns"]["segment"]["allowed"] == ["a", "b", "c"]
    qtbot.mouseClick(tab.validation.validate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not tab.busy and len(store.runs("validation", with_result=False)) == 1, timeout=20000)
    model = tab.validation.violations_model
    assert model.rowCount() == 1
    assert [model.index(0, c).data() for c in range(4)] == ["segment", "Allowed values", "High",
                                                             f"{NEW_CATEGORY_ROWS:,}"]
    assert model.index(0, 2).data(Qt.BackgroundRole).color().name() == "#ffebe9"
    examples = tab.validation.examples_model
    first = int(np.flatnonzero(files[3]["segment"].to_numpy() == "zzz")[0]) + 1
    assert examples.rowCount() == 20 and examples.index(0, 0).data() == str(first)
    assert examples.index(0, 1).data() == "zzz"
    out = tmp_path / "failures.csv"
    assert tab.validation.export_button.isEnabled()
    tab.validation.export_failures(str(out))
    qtbot.waitUntil(lambda: not tab.busy and out.exists(), timeout=20000)
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["column", "check", "severity", "row", "value"] and len(rows) == NEW_CATEGORY_ROWS + 1
    assert tab.history.model.rowCount() == 1 and errors == []


def test_schema_edits_are_checked_saved_and_restored(qtbot, env, files, tmp_path):
    tab, store, _errors = env
    _load(qtbot, tab, files[0], files[1])
    tab.validation.infer_button.click()
    qtbot.waitUntil(lambda: not tab.busy and tab.validation.schema_model.rowCount() == 4, timeout=20000)
    model = tab.validation.schema_model
    assert model.setData(model.index(0, 3), "70", Qt.EditRole)  # age max
    assert store.schemas()["default"]["columns"]["age"]["range"][1] == 70
    assert not model.setData(model.index(0, 2), "90", Qt.EditRole)  # min above max: refused by core
    assert not tab.validation.schema_error.isHidden() and "age" in tab.validation.schema_error.text()
    assert store.schemas()["default"]["columns"]["age"]["range"][0] == 0
    assert model.setData(model.index(2, 6), "a, b", Qt.EditRole)
    assert model.setData(model.index(1, 4), "5", Qt.EditRole)
    assert model.setData(model.index(0, 5), Qt.Checked, Qt.CheckStateRole)
    saved = store.schemas()["default"]["columns"]
    assert saved["segment"]["allowed"] == ["a", "b"] and saved["income"]["max_missing_fraction"] == 0.05
    assert saved["age"]["unique"] is True
    path = tmp_path / "schema.yaml"
    assert tab.validation.save_schema_file(str(path))
    assert load_schema(path) == tab.validation.schema
    other = DataTab(tab.context)
    qtbot.addWidget(other)
    assert other.validation.schema == tab.validation.schema
    bad = tmp_path / "bad.yaml"
    bad.write_text("age: {type: integer, range: [5]}\n")
    assert not tab.validation.load_schema_file(str(bad))
    assert "bad.yaml" in tab.validation.schema_error.text()


def test_history_selection_shows_the_stored_run_and_attaches_evidence(qtbot, env, files, tmp_path):
    tab, store, _errors = env
    _load(qtbot, tab, files[0], files[1])
    _run(qtbot, tab, store)
    tab.options.method.setCurrentIndex(tab.options.method.findData("psi"))
    _run(qtbot, tab, store, expected_runs=2)
    assert _row(tab, "age")["method"] == "PSI"
    history = tab.history
    history.select_run(store.runs("drift")[0]["id"])
    assert _row(tab, "age")["method"] == "Wasserstein"
    dialog = history.attach_dialog()
    assert dialog.list.currentItem().text() == "★ Data Quality — Data drift monitoring"
    changed = []
    tab.context.checklist_changed.connect(lambda: changed.append(1))
    link = history.attach_selected(dialog.selected_item_id())
    item = next(i for i in store.items() if i.name == "Data drift monitoring")
    assert store.links(item.id) == [{**store.links(item.id)[0], "id": link, "run_id": store.runs("drift")[0]["id"]}]
    assert changed == [1]


def test_validation_run_preselects_the_validation_item_and_reopens(qtbot, env, files, tmp_path):
    tab, store, _errors = env
    _load(qtbot, tab, files[0], files[1])
    tab.validation.infer_button.click()
    qtbot.waitUntil(lambda: not tab.busy and bool(tab.validation.schema.columns), timeout=20000)
    tab.validate_current()
    qtbot.waitUntil(lambda: not tab.busy and bool(store.runs("validation", with_result=False)), timeout=20000)
    tab.history.select_run(store.runs("validation")[0]["id"])
    assert tab.history.attach_dialog().list.currentItem().text().endswith("Data validation pipeline")
    path = store.path
    tab.context.set_store(open_assessment(path))
    # reopening shows the newest stored validation at once
    assert tab.history.model.rowCount() == 1 and tab.validation.violations_model.rowCount() == 1
    tab.validation.show_result(None)
    assert tab.validation.violations_model.rowCount() == 0
    tab.history.select_run(tab.history.model.run_at(0)["id"])
    assert tab.validation.violations_model.rowCount() == 1
