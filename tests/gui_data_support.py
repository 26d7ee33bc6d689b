"""Shared data, fixtures and helpers of the Data-tab GUI tests (test_gui_data*.py)."""

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from core.assessment import templates
from core.assessment.store import create_assessment
from ui.context import AssessmentContext
from ui.data.tab import DataTab
from ui.drift.model import KEYS

N = 3000
NEW_CATEGORY_ROWS = 600


def _frames(n=N, seed=0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"age": rng.normal(40, 10, n).round(1), "income": rng.lognormal(10, 0.5, n).round(2),
                        "segment": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
                        "flag": rng.choice([True, False], n)})
    cur = pd.DataFrame({"age": rng.normal(48, 10, n).round(1), "income": rng.lognormal(10, 0.5, n).round(2),
                        "segment": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
                        "flag": rng.choice([True, False], n)})
    cur.loc[rng.choice(n, NEW_CATEGORY_ROWS, replace=False), "segment"] = "zzz"
    return ref, cur


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    ref, cur = _frames()
    ref.to_csv(folder / "reference.csv", index=False)
    cur.to_parquet(folder / "current.parquet", index=False)
    return folder / "reference.csv", folder / "current.parquet", ref, cur


@pytest.fixture
def env(qtbot, tmp_path, monkeypatch):
    errors = []  # every message the tab shows in its error line
    shown = DataTab.show_error

    def record(self, title, message):
        errors.append(message)
        shown(self, title, message)

    monkeypatch.setattr(DataTab, "show_error", record)
    for name in ("critical", "warning", "information"):  # the Data tab opens no message box
        monkeypatch.setattr(f"PySide6.QtWidgets.QMessageBox.{name}",
                            lambda *a, **k: pytest.fail(f"unexpected message box {a[1:3]}"))
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    tab = DataTab(context)
    qtbot.addWidget(tab)
    tab.resize(1360, 760)
    tab.show()
    yield tab, store, errors
    tab.shutdown()
    context.close()


def _load(qtbot, tab, ref, cur, multivariate=False):
    tab.options.multivariate.setChecked(multivariate)
    tab.set_paths(str(ref), str(cur))
    qtbot.waitUntil(lambda: not tab.busy and tab.tables["current"] is not None, timeout=20000)


def _run(qtbot, tab, store, expected_runs=1):
    qtbot.mouseClick(tab.options.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not tab.busy and len(store.runs("drift", with_result=False)) == expected_runs,
                    timeout=60000)


def _row(tab, name):
    view = tab.drift_view
    rows = [r for r in range(view.proxy.rowCount()) if view.proxy.index(r, 0).data() == name]
    assert len(rows) == 1
    return {k: view.proxy.index(rows[0], c).data() for c, k in enumerate(KEYS)}


