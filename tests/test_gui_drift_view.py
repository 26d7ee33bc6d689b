"""The drift results view, offscreen, on real core.drift.run.run_drift output: the note on clipped values,
the log x axis, the summary statistics table, the multivariate warning and the PSI band tooltip."""

import copy

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from core.drift.run import DriftSettings, run_drift
from core.drift.stattests import psi_band
from ui.drift.model import COLUMNS, KEYS
from ui.drift.view import LOG_MISSING_TIP, DriftView

N = 3000
OUTLIERS = 25


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """amount: positive with 25 huge outliers in the current table (drifts on Wasserstein); age: shifted;
    three stable columns, so 2 of 5 columns drift (no dataset drift) while a classifier can tell the tables apart."""
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({"amount": rng.lognormal(3, 1, N).round(2), "age": rng.normal(40, 10, N).round(1),
                        "delta": rng.normal(0, 1, N), "segment": rng.choice(["a", "b", "c"], N, p=[0.5, 0.3, 0.2]),
                        "score": rng.uniform(0, 1, N)})
    cur = pd.DataFrame({"amount": rng.lognormal(3, 1, N).round(2), "age": rng.normal(47, 10, N).round(1),
                        "delta": rng.normal(0, 1, N), "segment": rng.choice(["a", "b", "c"], N, p=[0.5, 0.3, 0.2]),
                        "score": rng.uniform(0, 1, N)})
    cur.loc[: OUTLIERS - 1, "amount"] = 25000.0
    folder = tmp_path_factory.mktemp("driftview")
    ref.to_csv(folder / "ref.csv", index=False)
    cur.to_csv(folder / "cur.csv", index=False)
    return run_drift(folder / "ref.csv", folder / "cur.csv", DriftSettings(multivariate=True)).result


@pytest.fixture
def view(qtbot):
    v = DriftView()
    qtbot.addWidget(v)
    v.resize(1300, 700)
    v.show()
    return v


def _col(result, name):
    return next(c for c in result["columns"] if c["name"] == name)


def _summary(view):
    m = view.summary_model
    return {m.index(r, 0).data(): (m.index(r, 1).data(), m.index(r, 2).data()) for r in range(m.rowCount())}


def test_the_note_says_which_values_the_histogram_leaves_out(view, result):
    amount = _col(result, "amount")
    assert amount["drifted"] and amount["method"] == "wasserstein"
    view.show_result(result)
    view.select_column("amount")
    clipped = amount["histogram"]["clipped"]["current"]["above"]
    assert clipped >= OUTLIERS
    note = view.clip_note.text()
    assert note.startswith(f"Not shown: {clipped:,} current values above ")
    hi = amount["histogram"]["range"][1]
    assert f"above {float(f'{hi:.4g}'):g}" in note
    assert view.clip_note.isVisibleTo(view)


def test_log_x_draws_every_value_on_log_spaced_bins(view, result):
    amount = _col(result, "amount")
    view.show_result(result)
    view.select_column("amount")
    assert view.log_x.isEnabled()
    view.log_x.setChecked(True)
    curves, _bars = view.hist_items()
    assert len(curves) == 2
    assert list(curves[0].xData) == pytest.approx(amount["histogram_log"]["edges"])
    assert list(curves[1].yData) == pytest.approx(list(100 * np.asarray(amount["histogram_log"]["current"]) / N))
    assert view.hist_plot.getPlotItem().getAxis("bottom").logMode
    assert view.clip_note.text() == "Log x: every value is shown."
    # a column with values at or below 0 has no log histogram: the box is disabled and says why
    view.select_column("delta")
    assert "histogram_log" not in _col(result, "delta") or not _col(result, "delta")["histogram_log"]
    assert not view.log_x.isEnabled() and view.log_x.toolTip() == LOG_MISSING_TIP
    assert not view.hist_plot.getPlotItem().getAxis("bottom").logMode
    curves, _bars = view.hist_items()
    assert list(curves[0].xData) == pytest.approx(_col(result, "delta")["histogram"]["edges"])


def test_summary_statistics_of_both_tables_next_to_the_chart(view, result):
    view.show_result(result)
    view.select_column("amount")
    stats = _summary(view)
    assert list(stats) == ["Count", "Missing", "Mean", "Std", "Min", "5%", "25%", "Median", "75%", "95%", "Max"]
    assert stats["Count"] == (f"{N:,}", f"{N:,}")
    assert stats["Max"][1] == "25,000"
    assert stats["Median"][0] == f"{_col(result, 'amount')['summary']['reference']['p50']:,.6g}"
    view.select_column("segment")
    stats = _summary(view)
    assert list(stats) == ["Count", "Missing", "Distinct", "Most frequent", "Its share"]
    assert stats["Distinct"] == ("3", "3") and stats["Most frequent"] == ("a", "a")
    assert view.summary_table.isVisibleTo(view)


def test_a_stored_run_without_the_new_keys_still_shows(view, result):
    old = copy.deepcopy(result)
    for col in old["columns"]:
        col.pop("summary", None)
        col.pop("histogram_log", None)
        if col.get("histogram"):
            col["histogram"].pop("clipped", None)
            col["histogram"].pop("range", None)
    old.pop("multivariate_warning", None)
    view.show_result(old)
    view.select_column("amount")
    assert "does not record how many" in view.clip_note.text()
    assert not view.log_x.isEnabled() and view.summary_model.rowCount() == 0
    curves, _bars = view.hist_items()
    assert len(curves) == 2


def test_classifier_finding_is_an_amber_warning_not_a_second_verdict(view, result):
    assert result["dataset_drift"] is False and result["multivariate"]["drifted"] is True
    view.show_result(result)
    summary, text = view.summary.text(), view.multivariate.text()
    assert "Dataset drift: no" in summary
    auc = f"{result['multivariate']['auc']:.3f}"
    assert f"Warning:</b> a domain classifier tells the tables apart (AUC {auc}" in text
    assert "the per-column rule found no dataset drift" in text
    assert "#9a6700" in text and "#cf222e" not in text and "can be told apart" not in text
    calm = copy.deepcopy(result)
    calm["multivariate"]["drifted"] = False
    calm["multivariate_warning"] = False
    view.show_result(calm)
    assert "Warning" not in view.multivariate.text() and "cannot tell the tables apart" in view.multivariate.text()


def test_psi_band_tooltip_matches_the_bands_core_uses(view):
    tip = view.model.headerData(KEYS.index("psi_band"), Qt.Horizontal, Qt.ToolTipRole)
    assert tip == COLUMNS[KEYS.index("psi_band")][2]
    assert "major above 0.25" in tip and "0.2 " not in tip and not tip.endswith("0.2")
    assert (psi_band(0.09), psi_band(0.24), psi_band(0.25), psi_band(0.26)) == ("stable", "moderate", "moderate",
                                                                                  "major")


def test_new_categories_cell_reads_as_words():
    from ui.drift.model import new_categories_text

    assert new_categories_text({"kind": "numeric"}) == ""
    assert new_categories_text({"new_categories_count": 0, "new_categories": []}) == "none"
    assert new_categories_text({"new_categories_count": 4, "new_categories": ["a", "b", "c", "d"]}) == "4: a, b, c, ..."
