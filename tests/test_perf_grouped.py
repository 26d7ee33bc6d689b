"""The per-group metrics (windows, segments) equal scikit-learn's on each group's rows, on random data with
absent classes, ties, one-row and constant groups."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from core.performance import grouped

SEEDS = st.integers(0, 2**32 - 1)


def _random_groups(rng, n_groups, n):
    group = rng.integers(0, n_groups, n)
    # an empty group now and then
    if n_groups > 2 and rng.random() < 0.5:
        group[group == 1] = 0
    return group


def _close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and a == pytest.approx(b, abs=1e-12))


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS, k=st.integers(2, 5), n_groups=st.integers(1, 6), n=st.integers(1, 300))
def test_classification_per_group_equals_scikit_learn(seed, k, n_groups, n):
    rng = np.random.default_rng(seed)
    group = _random_groups(rng, n_groups, n)
    # skewed labels, so some groups lack a class in their labels or their predictions
    p = rng.dirichlet(np.full(k, 0.4))
    y_true = rng.choice(k, n, p=p)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.choice(k, n, p=p))
    out = grouped.classification(group, n_groups, y_true, y_pred, k)
    assert len(out) == n_groups
    for g in range(n_groups):
        sel = group == g
        if not sel.any():
            assert out[g] is None
            continue
        yt, yp, m = y_true[sel], y_pred[sel], out[g]
        assert m["accuracy"] == pytest.approx(skm.accuracy_score(yt, yp), abs=1e-12)
        for avg, suffix in (("weighted", ""), ("macro", "_macro")):
            p_, r_, f_, _ = skm.precision_recall_fscore_support(yt, yp, average=avg, zero_division=0)
            assert m[f"precision{suffix}"] == pytest.approx(p_, abs=1e-12)
            assert m[f"recall{suffix}"] == pytest.approx(r_, abs=1e-12)
            assert m[f"f1{suffix}"] == pytest.approx(f_, abs=1e-12)
        assert m["confusion_matrix"]["matrix"] == skm.confusion_matrix(yt, yp, labels=range(k)).tolist()
        assert m["roc_auc"] is None


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS, n_groups=st.integers(1, 8), n=st.integers(1, 400), decimals=st.sampled_from([1, 2, 6]))
def test_binary_roc_auc_per_group_equals_scikit_learn_with_ties_and_one_class_groups(seed, n_groups, n, decimals):
    rng = np.random.default_rng(seed)
    group = _random_groups(rng, n_groups, n)
    y = (rng.random(n) < rng.uniform(0.02, 0.98)).astype(int)
    score = np.round(np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1), decimals)  # rounding makes ties
    score[rng.random(n) < 0.05] = np.nan                                        # rows left out of the AUC
    out = grouped.classification(group, n_groups, y, (score > 0.5).astype(int), 2, score=score)
    for g in range(n_groups):
        sel = (group == g)
        ok = sel & np.isfinite(score)
        if not sel.any():
            continue
        if len(set(y[ok].tolist())) < 2:
            assert out[g]["roc_auc"] is None
        else:
            assert out[g]["roc_auc"] == pytest.approx(skm.roc_auc_score(y[ok], score[ok]), abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS, k=st.integers(3, 5), n_groups=st.integers(1, 5), n=st.integers(2, 300))
def test_one_vs_rest_roc_auc_equals_scikit_learn(seed, k, n_groups, n):
    rng = np.random.default_rng(seed)
    group = _random_groups(rng, n_groups, n)
    y = rng.choice(k, n, p=rng.dirichlet(np.full(k, 0.7)))
    raw = rng.random((n, k)) + 0.8 * np.eye(k)[y]
    proba = np.floor(raw / raw.sum(axis=1, keepdims=True) * 1000) / 1000  # 3 decimals for ties, rounded down
    proba[:, -1] = 1 - proba[:, :-1].sum(axis=1)  # so the last class keeps a share >= 0 and rows sum to 1
    out = grouped.classification(group, n_groups, y, proba.argmax(axis=1), k, proba=proba)
    for g in range(n_groups):
        sel = group == g
        if not sel.any():
            continue
        yt, pr, m = y[sel], proba[sel], out[g]
        present = sorted(set(yt.tolist()))
        if len(present) == k:
            for avg, key in (("weighted", "roc_auc"), ("macro", "roc_auc_macro")):
                want = skm.roc_auc_score(yt, pr, multi_class="ovr", average=avg, labels=list(range(k)))
                assert m[key] == pytest.approx(want, abs=1e-12)
        elif len(present) >= 2:
            # an absent class weighs nothing: the support-weighted mean of the present classes' binary AUCs
            aucs = [skm.roc_auc_score(yt == c, pr[:, c]) for c in present]
            support = [np.sum(yt == c) for c in present]
            assert m["roc_auc"] == pytest.approx(np.average(aucs, weights=support), abs=1e-12)
            assert m["roc_auc_macro"] is None
        else:
            assert m["roc_auc"] is None and m["roc_auc_macro"] is None


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS, n_groups=st.integers(1, 6), n=st.integers(1, 200))
def test_regression_per_group_equals_scikit_learn(seed, n_groups, n):
    rng = np.random.default_rng(seed)
    group = _random_groups(rng, n_groups, n)
    y_true = rng.normal(10, 3, n)
    y_true[group == 0] = 4.0                        # a constant target in one group
    y_pred = y_true + rng.normal(0, 1, n) * (rng.random(n) < 0.7)
    out = grouped.regression(group, n_groups, y_true, y_pred)
    for g in range(n_groups):
        sel = group == g
        if not sel.any():
            assert out[g] is None
            continue
        yt, yp, m = y_true[sel], y_pred[sel], out[g]
        assert m["mae"] == pytest.approx(skm.mean_absolute_error(yt, yp), rel=1e-9, abs=1e-12)
        assert m["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(yt, yp)), rel=1e-9, abs=1e-12)
        if sel.sum() < 2:
            assert m["r2"] is None
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert m["r2"] == pytest.approx(skm.r2_score(yt, yp), rel=1e-9, abs=1e-9)


def test_confusion_counts_in_chunks_equal_one_pass(monkeypatch):
    rng = np.random.default_rng(0)
    group, yt, yp = rng.integers(0, 7, 500), rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    whole = grouped.confusion_matrices(group, 7, yt, yp, 3)
    monkeypatch.setattr(grouped, "MAX_CELLS", 20)   # two groups of 9 cells per pass
    assert (grouped.confusion_matrices(group, 7, yt, yp, 3) == whole).all()
    assert whole.sum() == 500 and whole[2].tolist() == skm.confusion_matrix(yt[group == 2], yp[group == 2],
                                                                            labels=range(3)).tolist()


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS, k=st.integers(2, 4))
def test_evaluate_windows_and_segments_equal_scikit_learn_on_their_rows(seed, k):
    from core.performance.evaluate import Columns, evaluate

    rng = np.random.default_rng(seed)
    n = 400
    names = np.array(["ant", "bee", "cat", "dog"][:k], dtype=object)
    y = rng.choice(k, n, p=rng.dirichlet(np.full(k, 0.5)))
    keep = rng.choice(n, k, replace=False)
    y[keep] = np.arange(k)                                 # every class among the labels somewhere
    pred = np.where(rng.random(n) < 0.7, y, rng.choice(k, n))
    labels = names[y].copy()
    late = rng.random(n) < 0.2
    late[keep] = False
    labels[late] = None                                    # labels not arrived yet
    seg = rng.choice(np.array(["eu", "us", "asia"], dtype=object), n)
    score = rng.random(n) if k == 2 else None
    r = evaluate(Columns(labels, names[pred], score, segment=seg), window=80, min_labels=1)
    classes = r["classes"]
    code = {c: i for i, c in enumerate(classes)}

    def check(metrics, rows):
        rows = rows[labels[rows] != None]  # noqa: E711 - object array of labels and None
        if len(rows) == 0:
            assert metrics is None
            return
        yt = np.array([code[v] for v in labels[rows]])
        yp = np.array([code[v] for v in names[pred][rows]])
        assert metrics["accuracy"] == pytest.approx(skm.accuracy_score(yt, yp), abs=1e-12)
        assert metrics["f1"] == pytest.approx(skm.f1_score(yt, yp, average="weighted", zero_division=0), abs=1e-12)
        assert metrics["recall_macro"] == pytest.approx(skm.recall_score(yt, yp, average="macro", zero_division=0),
                                                        abs=1e-12)
        if score is not None:
            want = skm.roc_auc_score(yt, score[rows]) if len(set(yt.tolist())) == 2 else None
            assert _close(metrics.get("roc_auc"), want)

    for w, window in enumerate(r["windows"]):
        check(window["metrics"], np.arange(80 * w, 80 * (w + 1)))
    for name, s in r["segments"].items():
        check(s["metrics"], np.flatnonzero(seg == name))
        for w, window in enumerate(s["windows"]):
            rows = np.arange(80 * w, 80 * (w + 1))
            check(window["metrics"], rows[seg[rows] == name])
