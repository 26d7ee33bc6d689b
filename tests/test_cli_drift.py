"""CLI `drift`: the README flags (--columns, --drift-share, --numeric, --text), unknown column names,
small samples and the domain-classifier warning in the text output; drift recording in one transaction."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    d = tmp_path_factory.mktemp("drift")
    rng = np.random.default_rng(11)
    n = 3000

    def frame(shift):
        return pd.DataFrame({"age": rng.normal(40 + 8 * shift, 10, n),
                             "income": rng.lognormal(10 + 0.6 * shift, 0.5, n),
                             "score": rng.normal(600 + 60 * shift, 50, n),
                             "tenure": rng.normal(5, 2, n), "visits": rng.normal(12, 3, n),
                             "rating": rng.choice([1, 2, 3, 4], n, p=[0.4, 0.3, 0.2, 0.1] if not shift
                                                  else [0.1, 0.2, 0.3, 0.4]),
                             "user_id": [f"u{i}" for i in rng.permutation(n)]})

    frame(0).to_csv(d / "ref.csv", index=False)
    frame(1).to_csv(d / "cur.csv", index=False)  # age, income, score and rating drift: 4 of 6 analysed
    a = rng.normal(size=n)
    pd.DataFrame({"a": a, "b": a + rng.normal(0, 0.1, n)}).to_csv(d / "corr_ref.csv", index=False)
    b = rng.normal(size=n)  # the same marginals, the correlation broken
    pd.DataFrame({"a": b, "b": rng.permutation(b) + rng.normal(0, 0.1, n)}).to_csv(d / "corr_cur.csv", index=False)
    pd.DataFrame({"age": [30.0, 31.0], "income": [1e4, 2e4]}).to_csv(d / "tiny.csv", index=False)
    return d


def _json(proc):
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_columns_analyses_only_those(tables):
    out = _json(run("drift", tables / "ref.csv", tables / "cur.csv", "--columns", "age,tenure", "--json",
                    "--no-multivariate"))
    assert [c["name"] for c in out["columns"]] == ["age", "tenure"]
    assert out["drifted_share"] == 0.5


def test_unknown_column_names_the_table_and_a_near_match(tables):
    line = one_line_error(run("drift", tables / "ref.csv", tables / "cur.csv", "--columns", "age,agee"),
                          "column 'agee' is in neither", "did you mean 'age'?")
    assert "no kind is known" not in line
    one_line_error(run("drift", tables / "ref.csv", tables / "cur.csv", "--columns", "age,nosuchcol"),
                   "'nosuchcol'", "neither the reference nor the current table")
    one_line_error(run("drift", tables / "ref.csv", tables / "cur.csv", "--numeric", "ratng"),
                   "kind override", "'ratng'", "neither", "did you mean 'rating'?")


def test_drift_share_flag_decides_the_dataset_verdict(tables):
    args = ("drift", tables / "ref.csv", tables / "cur.csv", "--json", "--no-multivariate")
    out = _json(run(*args))
    assert out["drifted_share"] == pytest.approx(4 / 6) and out["dataset_drift"] is True
    proc = run(*args, "--drift-share", "0.7")
    assert proc.returncode == 0 and _json(proc)["dataset_drift"] is False
    assert _json(proc)["drift_share_threshold"] == 0.7
    assert run(*args, "--drift-share", "0.6").returncode == 1


def test_assessment_drift_share_threshold_is_used_unless_the_flag_is_given(tables, tmp_path):
    from core.assessment.store import open_assessment

    f = tmp_path / "a.preflight"
    assert run("new", f).returncode == 0
    s = open_assessment(f)
    s.update_meta(drift_share_threshold=0.9)
    s.close()
    args = ("drift", tables / "ref.csv", tables / "cur.csv", "--no-multivariate", "--assessment", f)
    proc = run(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["drifted_share"] > 0.6 and out["dataset_drift"] is False and out["drift_share_threshold"] == 0.9
    proc = run(*args, "--json", "--drift-share", "0.5")
    assert proc.returncode == 1 and json.loads(proc.stdout)["drift_share_threshold"] == 0.5


def test_numeric_forces_a_low_cardinality_integer_column_to_ks_and_wasserstein(tables):
    base = ("drift", tables / "ref.csv", tables / "cur.csv", "--json", "--no-multivariate", "--columns", "rating")
    plain = _json(run(*base))["columns"][0]
    assert plain["kind"] == "categorical" and plain["ks_statistic"] is None
    forced = _json(run(*base, "--numeric", "rating"))["columns"][0]
    assert forced["kind"] == "numeric" and forced["method"] == "wasserstein"
    assert forced["ks_statistic"] is not None and forced["wasserstein"] is not None


def test_text_leaves_a_column_out(tables):
    out = _json(run("drift", tables / "ref.csv", tables / "cur.csv", "--json", "--no-multivariate",
                    "--text", "tenure"))
    names = [c["name"] for c in out["columns"]]
    assert "tenure" not in names and "age" in names
    assert any("'tenure'" in w and "not analysed" in w for w in out["warnings"])


def test_small_samples_are_flagged_in_json_and_text(tables):
    args = ("drift", tables / "ref.csv", tables / "tiny.csv", "--columns", "age,income", "--no-multivariate")
    out = _json(run(*args, "--json"))
    assert all(c["small_sample"] for c in out["columns"])
    assert sum("small sample" in w and "unreliable" in w for w in out["warnings"]) == 2
    text = run(*args).stdout
    assert "DRIFT*" in text and "verdict is unreliable" in text
    assert "warning: column 'age': small sample (3000 reference and 2 current" in text


def test_classifier_is_a_labelled_warning_beside_dataset_drift_no(tables):
    args = ("drift", tables / "corr_ref.csv", tables / "corr_cur.csv")
    out = _json(run(*args, "--json"))
    assert out["dataset_drift"] is False and out["multivariate"]["drifted"] is True
    assert out["multivariate_warning"] is True
    assert out["warnings"][0].startswith("the domain classifier tells the tables apart (AUC ")
    proc = run(*args)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    verdict = lines.index(next(x for x in lines if x.startswith("dataset drift:")))
    assert lines[verdict].startswith("dataset drift: no")
    assert lines[verdict + 1].startswith("warning: the domain classifier tells the tables apart (AUC 0.")
    assert "does not change the dataset drift verdict" in lines[verdict + 1]
    assert not any("DRIFT" in x for x in lines if x.startswith("multivariate"))
    calm = _json(run("drift", tables / "ref.csv", tables / "ref.csv", "--json"))
    assert calm["multivariate_warning"] is False
    assert not any("domain classifier" in w for w in calm["warnings"])


# ---------------------------------------------------------------- recording: one transaction

def test_record_drift_stores_run_and_profile_in_one_transaction(tables, tmp_path, monkeypatch):
    from core.assessment.store import create_assessment
    from core.drift.run import DriftSettings, record_drift, run_drift

    store = create_assessment(tmp_path / "t.preflight", name="t")
    drift = run_drift(tables / "ref.csv", tables / "cur.csv", DriftSettings(multivariate=False))
    assert drift.profile is not None
    events = len(store.audit_events())

    def broken(*args, **kwargs):
        raise OSError("disk full while writing the profile")

    monkeypatch.setattr(type(store), "save_profile", broken)
    with pytest.raises(OSError):
        record_drift(store, drift)
    assert store.runs("drift") == [] and store.profiles() == []
    assert len(store.audit_events()) == events
    monkeypatch.undo()
    run_id = record_drift(store, drift)
    assert [r["id"] for r in store.runs("drift")] == [run_id] and store.profiles()[0]["run_id"] == run_id
    assert len(store.audit_events()) == events + 2 and store.verify_audit().ok
    store.close()
