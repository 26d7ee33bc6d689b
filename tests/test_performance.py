"""Performance over time: metrics equal scikit-learn's, the article's worked example, windows, baseline,
degradation, CBPE tracking on simulated data with a known shift, bad logs."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from core.errors import Cancelled, InputFileError, PreflightError
from core.performance import cbpe
from core.performance.evaluate import Columns, detect_task, evaluate
from core.performance.metrics import alert_text, classification_metrics, degradation, regression_metrics
from core.performance.run import PerformanceSettings, run_performance

Y_TRUE = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1]
Y_PRED = [1, 0, 0, 1, 0, 1, 1, 0, 0, 1]
ARTICLE_BASELINE = {"accuracy": 0.92, "precision": 0.89, "recall": 0.88, "f1": 0.885}


def test_worked_example_from_the_article():
    m = classification_metrics(Y_TRUE, Y_PRED)
    assert m["accuracy"] == pytest.approx(0.70)
    d = degradation(ARTICLE_BASELINE, m, 0.05)
    assert d["accuracy"]["drop"] == pytest.approx(0.2391, abs=1e-4)
    assert all(d[k]["alert"] for k in ARTICLE_BASELINE)
    text = alert_text(d, 0.05, drift_run_id=7)
    assert "accuracy: baseline 0.92, current 0.7, drop 23.9%" in text
    for action in ("data drift", "production data distribution", "retraining", "system changes"):
        assert action in text
    assert "#7" in text


def test_worked_example_through_evaluate_alerts_on_all_four():
    r = evaluate(Columns(np.array(Y_TRUE, object), np.array(Y_PRED, object)), window=10,
                 baseline=ARTICLE_BASELINE)
    assert r["alert"] and {m for m, d in r["degradation"].items() if d["alert"]} == set(ARTICLE_BASELINE)
    assert r["windows"][0]["too_few_labels"] and r["warnings"]


def test_metrics_equal_scikit_learn_binary_multiclass_regression():
    rng = np.random.default_rng(3)
    yt, yp = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    m = classification_metrics(yt, yp)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(yt, yp))
    assert m["precision"] == pytest.approx(skm.precision_score(yt, yp, average="weighted", zero_division=0))
    assert m["recall_macro"] == pytest.approx(skm.recall_score(yt, yp, average="macro"))
    assert m["f1_macro"] == pytest.approx(skm.f1_score(yt, yp, average="macro"))
    assert m["confusion_matrix"]["matrix"] == skm.confusion_matrix(yt, yp).tolist()
    yb, score = rng.integers(0, 2, 300), rng.random(300)
    mb = classification_metrics(yb, (score > 0.5).astype(int), score)
    assert mb["roc_auc"] == pytest.approx(skm.roc_auc_score(yb, score))
    a, b = rng.normal(size=200), rng.normal(size=200)
    r = regression_metrics(a, b)
    assert r["mae"] == pytest.approx(skm.mean_absolute_error(a, b))
    assert r["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(a, b)))
    assert r["r2"] == pytest.approx(skm.r2_score(a, b))


def test_error_metrics_drop_means_a_rise():
    d = degradation({"mae": 1.0, "r2": 0.8}, {"mae": 1.2, "r2": 0.79})
    assert d["mae"]["drop"] == pytest.approx(0.2) and d["mae"]["alert"] and not d["r2"]["alert"]


def test_task_detection():
    assert detect_task(np.array([0, 1, None, 1], object)) == "binary"
    assert detect_task(np.array(["a", "b", "c"], object)) == "multiclass"
    assert detect_task(np.array([0.5, 1.25, 3.0], object)) == "regression"
    with pytest.raises(PreflightError, match="no labelled row"):
        detect_task(np.array([None, None], object))


def _shifted_log(n=30000, days=15, shift_day=9, seed=1):
    """Covariate shift after ``shift_day``: the rows crowd the decision boundary, so accuracy falls, while
    P(y | x) and the (miscalibrated but monotone) score stay the same."""
    rng = np.random.default_rng(seed)
    ts = np.datetime64("2026-03-01T00:00:00") + (np.arange(n) * (86400 * days // n)).astype("timedelta64[s]")
    shift = ts >= np.datetime64("2026-03-01") + np.timedelta64(shift_day, "D")
    x = np.where(shift, rng.normal(0.3, 0.5, n), rng.normal(0.0, 1.2, n))
    p = 1 / (1 + np.exp(-3 * x))
    y = (rng.random(n) < p).astype(int)
    score = p ** 1.7
    return ts, y, score, (score >= 0.5).astype(int), shift


def test_cbpe_tracks_realised_accuracy_within_its_band_through_a_shift():
    ts, y, score, pred, shift = _shifted_log()
    r = evaluate(Columns(y.astype(object), pred.astype(object), score, ts), window="1D", baseline_windows=5)
    windows = r["windows"]
    assert len(windows) == 15 and r["reference"]["rows"] > 5000
    inside = [w["estimated"]["accuracy_low"] <= w["metrics"]["accuracy"] <= w["estimated"]["accuracy_high"]
              for w in windows]
    assert sum(inside) >= 14
    before = np.mean([w["estimated"]["accuracy"] for w in windows[:9]])
    after = np.mean([w["estimated"]["accuracy"] for w in windows[9:]])
    assert before - after > 0.08  # the estimate sees the drop without labels
    assert r["alert"]


def test_cbpe_estimates_windows_without_labels():
    ts, y, score, pred, shift = _shifted_log(n=9000, days=6, shift_day=4)
    labels = y.astype(object)
    labels[shift] = None
    r = evaluate(Columns(labels, pred.astype(object), score, ts), window="1D", baseline_windows=2)
    last = r["windows"][-1]
    assert last["labelled"] == 0 and last["metrics"] is None
    assert set(last["estimated"]) == {f"{k}{s}" for k in cbpe.KEYS for s in ("", "_low", "_high")}
    assert last["estimated"]["accuracy"] < r["windows"][0]["estimated"]["accuracy"] - 0.05


def test_cbpe_estimate_is_exact_for_certain_probabilities():
    e = cbpe.estimate(np.array([1.0, 1.0, 0.0, 0.0]), np.array([True, False, False, True]))
    assert e["accuracy"] == pytest.approx(0.5) and e["accuracy_low"] == pytest.approx(0.5)


def test_row_windows_segments_and_baseline_windows():
    rng = np.random.default_rng(5)
    n = 400
    yt = rng.integers(0, 2, n)
    yp = np.where(np.arange(n) < 200, yt, rng.integers(0, 2, n))
    seg = np.where(np.arange(n) % 2 == 0, "eu", "us")
    r = evaluate(Columns(yt.astype(object), yp.astype(object), segment=seg), window=100, baseline_windows=2)
    assert [w["rows"] for w in r["windows"]] == [100] * 4 and r["windows"][0]["start"] == "row 1"
    assert r["baseline"]["accuracy"] == 1.0 and r["alert"] and r["current_window"] == 3
    assert set(r["segments"]) == {"eu", "us"} and r["segments"]["eu"]["rows"] == 200
    assert len(r["segments"]["eu"]["windows"]) == 4


def test_progress_and_cancel():
    seen = []
    yt = np.array([0, 1] * 100, object)
    evaluate(Columns(yt, yt), window=20, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(Cancelled):
        evaluate(Columns(yt, yt), window=20, cancelled=lambda: True)


def _write(tmp_path, df, name="log.csv"):
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


@pytest.mark.parametrize("frame,needle", [
    (pd.DataFrame({"timestamp": ["2026-01-01"], "y_true": [1]}), "prediction column"),
    (pd.DataFrame({"y_pred": [1, 0]}), "label column"),
    (pd.DataFrame({"timestamp": ["2026-01-01", "not a date"], "y_true": [1, 0], "y_pred": [1, 0]}),
     "row 2: 'not a date' is not a timestamp"),
    (pd.DataFrame({"timestamp": ["2026-01-01"] * 2, "y_true": [1, 0], "y_pred": [1, 0], "score": [0.5, 1.5]}),
     "column 'score', row 2: 1.5 is not a probability"),
    (pd.DataFrame({"timestamp": ["2026-01-01"] * 2, "y_true": [1, 0], "y_pred": [1, 7]}), "never take"),
    (pd.DataFrame({"timestamp": ["2026-01-01"] * 2, "y_true": [1, 0], "y_pred": [1, 0], "score": [0.5, "x"]}),
     "'x' is not a number"),
])
def test_bad_logs_get_clear_errors(tmp_path, frame, needle):
    with pytest.raises(InputFileError, match=needle) as info:
        run_performance(_write(tmp_path, frame))
    assert "log.csv" in str(info.value)


def test_missing_labels_and_column_overrides(tmp_path):
    df = pd.DataFrame({"when": pd.date_range("2026-01-01", periods=60, freq="h").astype(str),
                       "truth_col": [1, 0] * 25 + [None] * 10, "guess": [1, 0] * 30, "p": [0.9, 0.1] * 30})
    run = run_performance(_write(tmp_path, df), PerformanceSettings(
        timestamp_col="when", y_true_col="truth_col", y_pred_col="guess", score_col="p", window="1D"))
    r = run.result
    assert r["labelled"] == 50 and [w["rows"] for w in r["windows"]] == [24, 24, 12]
    assert r["columns"]["y_score"] == "p" and r["windows"][0]["metrics"]["roc_auc"] == 1.0
    assert run.inputs[0]["sha256"] and run.summary["alert"] is False


def test_regression_and_multiclass_logs_end_to_end(tmp_path):
    rng = np.random.default_rng(9)
    n = 300
    target = rng.normal(50, 10, n)
    pred = target + rng.normal(0, np.where(np.arange(n) < 200, 1.0, 6.0))
    run = run_performance(_write(tmp_path, pd.DataFrame({"target": target, "prediction": pred}), "reg.csv"),
                          PerformanceSettings(window="100"))
    r = run.result
    assert r["task"] == "regression" and r["alert"] and r["degradation"]["rmse"]["drop"] > 0.05
    assert r["windows"][2]["metrics"]["mae"] == pytest.approx(skm.mean_absolute_error(target[200:], pred[200:]))
    assert r["windows"][0]["estimated"] is None
    labels = rng.choice(["cat", "dog", "eel"], n)
    guess = np.where(rng.random(n) < 0.8, labels, "dog")
    r = run_performance(_write(tmp_path, pd.DataFrame({"label": labels, "y_pred": guess}), "multi.csv"),
                        PerformanceSettings(window="150")).result
    assert r["task"] == "multiclass" and r["classes"] == ["cat", "dog", "eel"]
    m = r["windows"][1]["metrics"]
    assert m["f1_macro"] == pytest.approx(skm.f1_score(labels[150:], guess[150:], average="macro"))
    assert m["confusion_matrix"]["labels"] == ["cat", "dog", "eel"]
    assert m["confusion_matrix"]["matrix"] == skm.confusion_matrix(labels[150:], guess[150:]).tolist()
