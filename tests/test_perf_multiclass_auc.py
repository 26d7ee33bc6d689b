"""Multiclass ROC AUC from per-class probability columns: found by name or by --proba-prefix, equal to
scikit-learn's one-vs-rest AUC (weighted and macro), refused when a probability is outside [0, 1]."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from core.errors import InputFileError, PreflightError
from core.performance.evaluate import Columns, evaluate
from core.performance.run import PerformanceSettings, run_performance
from core.cli import main as cli_main

CLASSES = ["cat", "dog", "eel"]


def _log(n=600, seed=4, prefix="proba_"):
    rng = np.random.default_rng(seed)
    y = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    raw = rng.random((n, 3)) + 1.2 * np.eye(3)[y]
    proba = raw / raw.sum(axis=1, keepdims=True)
    df = pd.DataFrame({"timestamp": pd.date_range("2026-02-01", periods=n, freq="10min").astype(str),
                       "label": np.array(CLASSES)[y], "y_pred": np.array(CLASSES)[proba.argmax(axis=1)]})
    for i, c in enumerate(CLASSES):
        df[f"{prefix}{c}"] = proba[:, i]
    return df, y, proba


def _write(tmp_path, df, name="multi.csv"):
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


@pytest.mark.parametrize("prefix", ["proba_", "prob_", "score_", "PROBA_"])
def test_probability_columns_are_found_and_auc_equals_scikit_learn(tmp_path, prefix):
    df, y, proba = _log(prefix=prefix)
    r = run_performance(_write(tmp_path, df), PerformanceSettings(window="200")).result
    assert r["task"] == "multiclass" and r["class_probabilities"]
    assert r["columns"]["class_probabilities"] == {c: f"{prefix}{c}" for c in CLASSES}
    for k, w in enumerate(r["windows"]):
        sl = slice(200 * k, 200 * (k + 1))
        for avg, key in (("weighted", "roc_auc"), ("macro", "roc_auc_macro")):
            want = skm.roc_auc_score(y[sl], proba[sl], multi_class="ovr", average=avg)
            assert w["metrics"][key] == pytest.approx(want, abs=1e-12)
    assert r["metrics"]["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr",
                                                                       average="weighted"), abs=1e-12)


def test_explicit_prefix_and_its_errors(tmp_path):
    df, y, proba = _log(prefix="p_")
    path = _write(tmp_path, df)
    r = run_performance(path, PerformanceSettings(window="600", proba_prefix="p_")).result
    assert r["windows"][0]["metrics"]["roc_auc_macro"] == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=1e-12)
    # without the prefix, p_ is not one of the names found by themselves: no AUC
    assert run_performance(path, PerformanceSettings(window="600")).result["windows"][0]["metrics"]["roc_auc"] is None
    with pytest.raises(InputFileError, match="no column starting with 'q_'"):
        run_performance(path, PerformanceSettings(proba_prefix="q_"))
    with pytest.raises(InputFileError, match="no probability column for class.*eel"):
        run_performance(_write(tmp_path, df.drop(columns=["p_eel"]), "two.csv"), PerformanceSettings(proba_prefix="p_"))


def test_probability_outside_unit_interval_names_the_column_and_row(tmp_path):
    df, _, _ = _log()
    df.loc[4, "proba_dog"] = 1.3
    with pytest.raises(InputFileError, match=r"column 'proba_dog', row 5: 1\.3 is not a probability in \[0, 1\]"):
        run_performance(_write(tmp_path, df))
    # a stray text among numbers is read as missing, with the reader's warning; the row has no AUC
    df["proba_dog"] = df["proba_dog"].astype(object)
    df.loc[4, "proba_dog"] = "high"
    r = run_performance(_write(tmp_path, df, "text.csv"), PerformanceSettings(window="600")).result
    assert any("'proba_dog'" in w and "'high'" in w for w in r["warnings"])
    assert r["class_probabilities"] and r["windows"][0]["metrics"]["roc_auc"] is not None
    # a column of words is no probability
    df["proba_dog"] = "high"
    with pytest.raises(InputFileError, match=r"column 'proba_dog', row 1: 'high' is not a probability"):
        run_performance(_write(tmp_path, df, "words.csv"))


def test_evaluate_refuses_out_of_range_class_probabilities_and_warns_on_bad_sums():
    y = np.array(["a", "b", "c"] * 20, object)
    ok = {"a": np.full(60, 0.5), "b": np.full(60, 0.3), "c": np.full(60, 0.1)}
    r = evaluate(Columns(y, y), window=60, class_scores=ok)
    assert r["class_probabilities"] and any("do not sum to 1" in w for w in r["warnings"])
    with pytest.raises(PreflightError, match="class b is -0.2 in row 1"):
        evaluate(Columns(y, y), window=60, class_scores={**ok, "b": np.full(60, -0.2)})


def test_binary_log_with_per_class_columns_uses_the_positive_one_as_score(tmp_path):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    p1 = np.clip(0.35 * y + rng.random(400) * 0.65, 0, 1)
    df = pd.DataFrame({"y_true": y, "y_pred": (p1 > 0.5).astype(int), "prob_0": 1 - p1, "prob_1": p1})
    r = run_performance(_write(tmp_path, df, "bin.csv"), PerformanceSettings(window="400")).result
    assert r["class_probabilities"] and r["reference"] is not None
    assert r["windows"][0]["metrics"]["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p1), abs=1e-12)


def test_cli_proba_prefix_json(tmp_path, capsys):
    df, y, proba = _log(prefix="p_")
    path = _write(tmp_path, df)
    code = cli_main(["performance", str(path), "--window", "600", "--proba-prefix", "p_", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    assert out["windows"][0]["metrics"]["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted"), abs=1e-12)
    df.loc[0, "p_cat"] = 2
    bad = _write(tmp_path, df, "bad.csv")
    assert cli_main(["performance", str(bad), "--proba-prefix", "p_", "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "'p_cat', row 1" in err and "Traceback" not in err
