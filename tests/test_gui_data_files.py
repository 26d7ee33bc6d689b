"""The Data tab offscreen: new files clear stale results, schemas follow only files they fit, row counts,
the assessment's drift share, human labels."""

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


def _validations(store):
    return len(store.runs("validation", with_result=False))


def test_new_files_clear_old_results_and_never_reuse_an_inferred_schema(qtbot, env, files, tmp_path):
    tab, store, errors = env
    _load(qtbot, tab, files[0], files[1])
    _run(qtbot, tab, store)
    tab.validation.infer_button.click()
    qtbot.waitUntil(lambda: not tab.busy and tab.validation.schema_model.rowCount() == 4, timeout=20000)
    qtbot.mouseClick(tab.validation.validate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not tab.busy and _validations(store) == 1, timeout=20000)
    assert tab.drift_view.proxy.rowCount() == 4 and tab.validation.violations_model.rowCount() == 1
    # another pair of files, with other columns
    other = pd.DataFrame({"x": np.arange(50), "y": ["p", "q"] * 25})
    other.to_csv(tmp_path / "new_ref.csv", index=False)
    other.to_csv(tmp_path / "new_cur.csv", index=False)
    _load(qtbot, tab, tmp_path / "new_ref.csv", tmp_path / "new_cur.csv")
    assert tab.drift_view.proxy.rowCount() == 0 and "Run drift" in tab.drift_view.summary.text()
    assert tab.validation.violations_model.rowCount() == 0 and "reference.csv" not in tab.validation.verdict.text()
    # the schema inferred from reference.csv does not validate new_cur.csv
    assert not tab.validation.validate_button.isEnabled()
    assert tab.validation.scope_box.isVisibleTo(tab) and "reference.csv" in tab.validation.scope_note.text()
    tab.validate_current()  # even when asked directly
    assert not tab.busy and _validations(store) == 1
    # inferring from the new reference makes it usable again
    tab.validation.infer_button.click()
    qtbot.waitUntil(lambda: not tab.busy and tab.validation.schema_model.rowCount() == 2, timeout=20000)
    assert tab.validation.validate_button.isEnabled() and not tab.validation.scope_box.isVisibleTo(tab)
    qtbot.mouseClick(tab.validation.validate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not tab.busy and _validations(store) == 2, timeout=20000)
    assert store.runs("validation")[-1]["result"]["passed"] is True


def test_a_loaded_schema_follows_a_new_current_file_only_when_its_columns_fit(qtbot, env, files, tmp_path):
    tab, store, _errors = env
    _load(qtbot, tab, files[0], files[1])
    files[2].head(100).to_csv(tmp_path / "same_columns.csv", index=False)
    pd.DataFrame({"other": [1, 2, 3]}).to_csv(tmp_path / "other_columns.csv", index=False)
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text("columns:\n  age: {type: numeric, range: [0, 120]}\n  segment: {allowed: [a, b, c, zzz]}\n")
    assert tab.validation.load_schema_file(str(schema_file))
    assert tab.validation.validate_button.isEnabled()
    tab.set_paths(current=str(tmp_path / "same_columns.csv"))
    qtbot.waitUntil(lambda: not tab.busy and tab.tables["current"] is not None, timeout=20000)
    assert tab.validation.validate_button.isEnabled()
    tab.set_paths(current=str(tmp_path / "other_columns.csv"))
    qtbot.waitUntil(lambda: not tab.busy and tab.tables["current"] is not None, timeout=20000)
    assert not tab.validation.validate_button.isEnabled()
    note = tab.validation.scope_note.text()
    assert "other_columns.csv" in note and "age" in note and "segment" in note
    tab.validation.use_anyway_button.click()  # the user chooses it for this file
    assert tab.validation.validate_button.isEnabled() and not tab.validation.scope_box.isVisibleTo(tab)
    qtbot.mouseClick(tab.validation.validate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not tab.busy and _validations(store) == 1, timeout=20000)


def test_file_boxes_show_the_name_and_the_exact_row_count(qtbot, env, tmp_path):
    tab, store, _errors = env
    folder = tmp_path / "a folder with a rather long name" / "and another one below it"
    folder.mkdir(parents=True)
    ref, cur = _frames(6000, seed=3)[0], _frames(20000, seed=4)[1]
    ref.to_csv(folder / "six_thousand.csv", index=False)
    cur.to_parquet(folder / "twenty_thousand.parquet", index=False)
    _load(qtbot, tab, folder / "six_thousand.csv", folder / "twenty_thousand.parquet")
    assert tab.ref_box.path_edit.text() == "six_thousand.csv"
    assert tab.ref_box.path_edit.toolTip() == str(folder / "six_thousand.csv")
    assert tab.ref_box.path == str(folder / "six_thousand.csv")
    # counted in the worker right after the preview (Parquet from its metadata, CSV by a streamed count)
    qtbot.waitUntil(lambda: not tab.busy and "counting" not in tab.ref_box.info.text() + tab.cur_box.info.text(),
                    timeout=20000)
    assert "6,000 rows" in tab.ref_box.info.text() and "20,000 rows" in tab.cur_box.info.text()
    tab.row_counts = {"reference": None, "current": None}  # as for a file core cannot count without reading it
    tab._describe("reference")
    assert "more than 5,000 rows" in tab.ref_box.info.text()
    _run(qtbot, tab, store)  # reads both files in full
    assert "6,000 rows" in tab.ref_box.info.text() and "20,000 rows" in tab.cur_box.info.text()
    assert "more than" not in tab.ref_box.info.text() + tab.cur_box.info.text()


def test_drift_share_defaults_to_the_assessments_setting(qtbot, env):
    tab, store, _errors = env
    assert tab.options.share.value() == pytest.approx(store.meta()["drift_share_threshold"])
    store.update_meta(drift_share_threshold=0.3)
    tab.context.notify("meta")
    assert tab.options.share.value() == pytest.approx(0.3)
    assert tab.drift_settings().drift_share == pytest.approx(0.3)
    context = AssessmentContext()
    context.set_store(store)
    fresh = DataTab(context)
    qtbot.addWidget(fresh)
    assert fresh.options.share.value() == pytest.approx(0.3)
    fresh.shutdown()


def test_validation_views_show_labels_percentages_and_missing_values(qtbot, env):
    from core.validation.schema import Schema
    from core.validation.validate import validate
    tab, _store, _errors = env
    df = pd.DataFrame({"size": [1.0, None, None, 4.0, None, 6.0, 7.0, 8.0, 9.0, 10.0],
                       "colour": ["red", "blue", "green", "red", "red", "red", "red", "red", "red", "pink"]})
    schema = Schema.from_dict({"columns": {"size": {"type": "numeric", "max_missing_fraction": 0.1,
                                                    "max_out_of_range_fraction": 0.02},
                                           "colour": {"allowed": ["red", "blue", "green"]}}})
    result = validate(df, schema).to_dict()
    tab.validation.set_schema(schema, origin="loaded")
    tab.validation.show_result(result, "test", 1)
    model = tab.validation.violations_model
    rows = {model.index(r, 1).data(): [model.index(r, c).data() for c in range(6)] for r in range(model.rowCount())}
    assert set(rows) == {"Missing values", "Allowed values"}
    assert rows["Missing values"][2] == "High" and rows["Missing values"][5] == "10%"  # stored as 0.1
    assert rows["Allowed values"][5] == "0%"
    tab.validation.violations_view.selectRow(list(rows).index("Missing values"))
    examples = tab.validation.examples_model
    values = [examples.index(r, 1).data() for r in range(examples.rowCount())]
    assert values == ["(missing)"] * 3 and "None" not in values
    schema_model = tab.validation.schema_model
    size_row = schema_model.names.index("size")
    assert schema_model.index(size_row, 4).data() == "10"  # the "Max missing %" column
    tip = schema_model.index(size_row, 0).data(Qt.ToolTipRole)
    assert tip == "Max out of range: 2%" and "_pct" not in tip
