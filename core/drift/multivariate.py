"""Multivariate drift: can a classifier tell reference rows from current rows?

``domain_classifier`` labels reference rows 0 and current rows 1 and trains
scikit-learn's ``HistGradientBoostingClassifier`` on a random sample of at most
``max_rows`` rows from each table.  The score is the 3-fold cross-validated
ROC AUC (mean over the folds): about 0.5 when the tables are indistinguishable,
up to 1.0 when every row betrays its table.  Drift is reported when AUC > 0.55.
This catches changes no single column shows, such as a broken correlation.

Encoding: numeric columns as floats (missing stays missing, the model handles
it), datetime columns as epoch seconds, categorical and boolean columns as
integer codes passed as ``categorical_features`` (the 254 most frequent
categories keep their own code, rarer ones share one).

Top features: permutation importance on a held-out part.  The model of the
last fold is scored on its held-out fold (at most 8,000 rows); each column is
shuffled in turn and its importance is how much the held-out
AUC falls.  A column that carries the drift makes the AUC fall the most.

The three folds are fitted side by side in two Python threads, each keeping
scikit-learn's OpenMP to one thread; the permutations are drawn in column order and
then scored side by side the same way, so the result does not depend on the threads.

:class:`BackgroundClassifier` runs the whole test in its own thread, so that
:func:`core.drift.compute.compute_drift` computes the per-column statistics at the same
time (the heavy parts, tree fitting and prediction, release the GIL).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from core.errors import PreflightError, check_cancel
from core.drift.profile import CATEGORY_KINDS, NUMERIC_KINDS, numeric_array

AUC_THRESHOLD = 0.55
MIN_ROWS = 20
FOLDS = 3
TOP_FEATURES = 5
IMPORTANCE_ROWS = 8_000
IMPORTANCE_REPEATS = 1
MAX_CODES = 254
WORKERS = 2


def _one_thread():
    """Keep scikit-learn's OpenMP to the calling thread.  The folds run side by side in
    Python threads instead; OpenMP teams stall badly when the cores are already busy."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def _fit_fold(X, y, train, test, is_cat, seed, cancelled, step):
    from sklearn.metrics import roc_auc_score

    check_cancel(cancelled)
    with _one_thread():
        model = _model(is_cat, seed).fit(X[train], y[train])
        auc = float(roc_auc_score(y[test], model.predict_proba(X[test])[:, 1]))
    step()
    return model, auc


def _sample(df: pd.DataFrame, max_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(df) <= max_rows:
        return df
    idx = np.sort(rng.choice(len(df), size=max_rows, replace=False))
    return df.iloc[idx]


def _encode(ref: pd.DataFrame, cur: pd.DataFrame, columns, kinds) -> tuple[np.ndarray, np.ndarray]:
    X = np.empty((len(ref) + len(cur), len(columns)), dtype=float)
    is_cat = np.zeros(len(columns), dtype=bool)
    for j, name in enumerate(columns):
        kind = kinds[name]
        if kind in NUMERIC_KINDS:
            col = np.concatenate([numeric_array(ref[name], kind, name, "reference"),
                                  numeric_array(cur[name], kind, name, "current")])
            col[~np.isfinite(col)] = np.nan
        else:
            is_cat[j] = True
            both = pd.concat([ref[name], cur[name]], ignore_index=True)
            codes, _ = pd.factorize(both, use_na_sentinel=True)
            col = np.full(codes.size, np.nan)
            present = codes >= 0
            if present.any():
                counts = np.bincount(codes[present])
                rank = np.empty(counts.size, dtype=np.int64)
                rank[np.argsort(-counts, kind="stable")] = np.arange(counts.size)
                col[present] = np.minimum(rank[codes[present]], MAX_CODES)
        X[:, j] = col
    return X, is_cat


def _model(is_cat: np.ndarray, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=50, learning_rate=0.2, max_leaf_nodes=31,
                                          categorical_features=is_cat if is_cat.any() else None,
                                          random_state=seed)


def domain_classifier(reference_df: pd.DataFrame, current_df: pd.DataFrame, columns, kinds, *,
                      max_rows: int = 20_000, seed: int = 0, cancelled=None, step=None) -> dict:
    """Cross-validated AUC of a reference-vs-current classifier and the columns it relies on.

    Returns ``{"method": "domain_classifier", "auc", "auc_folds", "threshold": 0.55,
    "drifted": auc > 0.55, "top_features": [{"name", "importance"}, ...] (up to 5,
    largest AUC drop first), "rows_used": {"reference", "current"}, "columns": [...]}``.
    ``step(done, total)``, when given, is called (from worker threads) as folds and
    permuted columns finish.
    """
    # every scikit-learn import here, in one thread, before the fold threads start: two threads
    # importing the same package tree at once can fail with a module-lock deadlock error
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: F401
    from sklearn.metrics import roc_auc_score  # noqa: F401
    from sklearn.model_selection import StratifiedKFold

    cols = [c for c in columns if kinds.get(c) in NUMERIC_KINDS + CATEGORY_KINDS
            and c in reference_df.columns and c in current_df.columns]
    if not cols:
        raise PreflightError("the domain classifier needs at least one numeric, datetime, "
                             "categorical or boolean column present in both tables")
    rng = np.random.default_rng(seed)
    # rows first, then columns: selecting columns of the whole table would copy all of it
    ref = _sample(reference_df, int(max_rows), rng)[cols]
    cur = _sample(current_df, int(max_rows), rng)[cols]
    if len(ref) < MIN_ROWS or len(cur) < MIN_ROWS:
        raise PreflightError(f"the domain classifier needs at least {MIN_ROWS} rows in each table "
                             f"(reference has {len(ref)}, current has {len(cur)})")
    check_cancel(cancelled)
    X, is_cat = _encode(ref, cur, cols, kinds)
    y = np.concatenate([np.zeros(len(ref), dtype=np.int8), np.ones(len(cur), dtype=np.int8)])
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    splits = list(folds.split(X, y))
    tick = _Counter(FOLDS + len(cols), step)
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="preflight-drift-folds") as pool:
        fitted = list(pool.map(lambda s: _fit_fold(X, y, s[0], s[1], is_cat, seed, cancelled, tick), splits))
        aucs = [auc for _, auc in fitted]
        model, test = fitted[-1][0], splits[-1][1]
        check_cancel(cancelled)
        importances = _permutation_importance(model, X[test], y[test], rng, cancelled, pool, tick)
    order = np.argsort(-importances, kind="stable")[:TOP_FEATURES]
    auc = float(np.mean(aucs))
    return {"method": "domain_classifier", "auc": auc, "auc_folds": aucs,
            "threshold": AUC_THRESHOLD, "drifted": bool(auc > AUC_THRESHOLD),
            "top_features": [{"name": cols[i], "importance": float(importances[i])} for i in order],
            "rows_used": {"reference": int(len(ref)), "current": int(len(cur))}, "columns": cols}


def _permutation_importance(model, X, y, rng, cancelled, pool, tick) -> np.ndarray:
    from sklearn.metrics import roc_auc_score

    if len(y) > IMPORTANCE_ROWS:
        keep = np.sort(rng.choice(len(y), size=IMPORTANCE_ROWS, replace=False))
        X, y = X[keep], y[keep]
    with _one_thread():
        base = roc_auc_score(y, model.predict_proba(X)[:, 1])
    # every permutation is drawn up front, in column order, so the threads cannot change them
    perms = [[rng.permutation(len(y)) for _ in range(IMPORTANCE_REPEATS)] for _ in range(X.shape[1])]

    def drop(j):
        check_cancel(cancelled)
        work = X.copy()
        drops = []
        with _one_thread():
            for perm in perms[j]:
                work[:, j] = X[perm, j]
                drops.append(base - roc_auc_score(y, model.predict_proba(work)[:, 1]))
        tick()
        return float(np.mean(drops))

    return np.array(list(pool.map(drop, range(X.shape[1]))), dtype=float)


class _Counter:
    """Counts finished steps and passes ``(done, total)`` on to ``step``."""

    def __init__(self, total, step):
        self.total, self.step, self.done, self._lock = total, step, 0, threading.Lock()

    def __call__(self):
        with self._lock:
            self.done += 1
            done = self.done
        if self.step is not None:
            self.step(done, self.total)


def _has_values(series: pd.Series) -> bool:
    return bool(series.notna().any())


class BackgroundClassifier:
    """:func:`domain_classifier` in its own thread, started before the per-column statistics.

    The column list is not final until the statistics say which columns have usable values
    in both tables, so the thread starts with the columns that have any non-missing value in
    both; :meth:`result` reruns the test (in the caller's thread) in the rare case that the
    final list differs, so the answer is always that of ``domain_classifier(final columns)``.
    The thread stops at its next cancellation check when the caller's ``cancelled()`` turns
    true or :meth:`stop` is called.
    """

    def __init__(self, reference_df, current_df, columns, kinds, cancelled=None):
        self._ref, self._cur, self._kinds = reference_df, current_df, kinds
        self._cancelled = cancelled
        self._stop = threading.Event()
        self._done = threading.Event()
        self.fraction = 0.0
        self._columns = None
        self._result = self._error = None
        self._thread = threading.Thread(target=self._run, args=(list(columns),), daemon=True,
                                        name="preflight-drift-classifier")
        self._thread.start()

    def _should_stop(self) -> bool:
        return self._stop.is_set() or (self._cancelled is not None and bool(self._cancelled()))

    def _progress(self, done, total):
        self.fraction = max(self.fraction, done / total)

    def _run(self, columns):
        try:
            self._columns = [c for c in columns if c in self._ref.columns and c in self._cur.columns
                             and _has_values(self._ref[c]) and _has_values(self._cur[c])]
            if self._columns:
                self._result = domain_classifier(self._ref, self._cur, self._columns, self._kinds,
                                                 cancelled=self._should_stop, step=self._progress)
        except BaseException as exc:  # handed to the caller's thread by result()
            self._error = exc
        finally:
            self._done.set()

    def stop(self) -> None:
        """Ask the thread to stop and wait until it has (at most one fold fit)."""
        self._stop.set()
        self._thread.join()

    def result(self, columns, progress=None) -> dict | None:
        """The classifier's answer for ``columns`` (waits for the thread; the caller's thread
        checks ``cancelled`` and relays ``progress(fraction of the classifier done)``)."""
        reported = -1.0
        try:
            while not self._done.wait(0.05):
                check_cancel(self._cancelled)
                if progress is not None and self.fraction > reported:
                    reported = self.fraction
                    progress(reported)
            self._thread.join()
            check_cancel(self._cancelled)
        except BaseException:
            self.stop()
            raise
        if list(columns) != self._columns:
            if not columns:
                return None
            return domain_classifier(self._ref, self._cur, list(columns), self._kinds, cancelled=self._cancelled)
        if self._error is not None:
            raise self._error
        return self._result


def classifier_warning(mv: dict) -> str:
    """The one sentence that reports a domain classifier that tells the tables apart.

    The rule: the classifier never changes ``dataset_drift`` (that counts drifted columns); it is this
    separate warning, ``multivariate_warning: true`` in the result, and a WARN on the report's drift gate.
    """
    top = ", ".join(str(f.get("name")) for f in (mv.get("top_features") or [])[:3])
    auc, thr = mv.get("auc"), mv.get("threshold")
    return (f"the domain classifier tells the tables apart (AUC {auc:.2f}, above {thr:g})"
            + (f"; it relies most on {top}" if top else "")
            + ". Rows differ jointly even where single columns may not; this does not change the "
              "dataset drift verdict, which counts drifted columns")
