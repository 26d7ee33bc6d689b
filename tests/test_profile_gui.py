"""Data tab: a reference profile file as the reference; drift runs against it through the task queue."""

import json

from core.drift import profile_file as pf
from core.data.tables import read_table
from core.drift.run import run_drift
from tests.gui_data_support import _run, env, files  # noqa: F401 - pytest fixtures


def _profile(path, out):
    table = read_table(path)
    doc = pf.make_profile_file(pf.build_profile_data(table.df, table.kinds), engine="test-engine",
                               source=str(path), edges="own")
    return pf.write_profile_file(doc, out)


def test_drift_against_a_profile_file(qtbot, env, files, tmp_path):  # noqa: F811
    tab, store, errors = env
    sha = _profile(files[0], tmp_path / "ref.profile.json")
    tab.options.multivariate.setChecked(False)
    tab.set_paths(str(tmp_path / "ref.profile.json"), str(files[1]))
    qtbot.waitUntil(lambda: not tab.busy and tab.tables["current"] is not None and tab.ref_profile is not None,
                    timeout=20000)
    assert "reference profile" in tab.ref_box.info.text() and "3,000 rows" in tab.ref_box.info.text()
    assert tab.options.run_button.isEnabled() and not tab.validation.infer_button.isEnabled()
    _run(qtbot, tab, store)
    assert errors == []
    run = store.run(store.runs("drift", with_result=False)[0]["id"])
    prov = run["result"]["reference"]["profile"]
    assert prov["sha256"] == sha and prov["engine"] == "test-engine" and prov["rows"] == 3000
    drifted = {c["name"] for c in run["result"]["columns"] if c["drifted"]}
    assert drifted == {"age", "segment"}
    tables = run_drift(files[0], files[1], tab.drift_settings()).result  # the raw reference: same statistics
    assert [(c["name"], c["score"]) for c in run["result"]["columns"]] == \
        [(c["name"], c["score"]) for c in tables["columns"]]
    assert tab.drift_view.proxy.rowCount() == 4


def test_a_damaged_or_mismatched_profile_is_named_and_nothing_is_stored(qtbot, env, files, tmp_path):  # noqa: F811
    tab, store, errors = env
    _profile(files[0], tmp_path / "ref.profile.json")
    doc = json.loads((tmp_path / "ref.profile.json").read_text())
    doc["version"] = pf.FORMAT_VERSION + 1
    doc["content_sha256"] = pf.content_sha256(doc)
    pf.write_profile_file(doc, tmp_path / "new.profile.json")
    tab.set_paths(str(tmp_path / "new.profile.json"), str(files[1]))
    qtbot.waitUntil(lambda: not tab.busy and tab.tables["current"] is not None, timeout=20000)
    assert "newer than this Preflight" in tab.ref_box.info.text()
    assert not tab.options.run_button.isEnabled()
    # a profile with a column the current table lacks: the drift task fails naming file and column
    doc = json.loads((tmp_path / "ref.profile.json").read_text())
    doc["columns"]["tenure"] = dict(doc["columns"]["age"])
    doc["content_sha256"] = pf.content_sha256(doc)
    pf.write_profile_file(doc, tmp_path / "extra.profile.json")
    tab.set_paths(str(tmp_path / "extra.profile.json"))
    qtbot.waitUntil(lambda: not tab.busy and tab.ref_profile is not None, timeout=20000)
    tab.options.run_button.click()
    qtbot.waitUntil(lambda: not tab.busy and bool(errors), timeout=20000)
    assert "extra.profile.json" in errors[-1] and "'tenure'" in errors[-1]
    assert store.runs("drift", with_result=False) == []
