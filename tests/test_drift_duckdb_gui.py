"""The Data tab's drift view says which engine ran and why (in memory or out of core)."""

import numpy as np
import pandas as pd
import pytest

from core.drift.run import DriftSettings, run_drift
from ui.drift.view import DriftView


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("gui_ooc")
    rng = np.random.default_rng(5)
    for name, shift in (("ref", 0.0), ("cur", 0.7)):
        pd.DataFrame({"x": rng.normal(shift, 1, 300), "k": rng.choice(["a", "b"], 300)}).to_parquet(
            d / f"{name}.parquet")
    return d


@pytest.mark.parametrize("engine, shown", [("duckdb", "Engine: out of core (DuckDB)"),
                                           ("auto", "Engine: in memory")])
def test_summary_names_the_engine_and_its_reason(qtbot, files, engine, shown):
    result = run_drift(files / "ref.parquet", files / "cur.parquet", DriftSettings(), engine=engine).result
    view = DriftView()
    qtbot.addWidget(view)
    view.show_result(result)
    text = view.summary.text()
    assert shown in text
    assert result["engine_reason"].split(":")[0] in text
    if engine == "duckdb":
        assert "uniform random sample" in view.multivariate.text()


def test_a_stored_result_without_engine_keys_shows_no_engine_line(qtbot, files):
    result = run_drift(files / "ref.parquet", files / "cur.parquet", DriftSettings(multivariate=False)).result
    for key in ("engine", "engine_reason"):
        result.pop(key)
    view = DriftView()
    qtbot.addWidget(view)
    view.show_result(result)
    assert "Engine:" not in view.summary.text()
