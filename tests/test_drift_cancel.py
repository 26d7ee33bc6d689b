"""Cancelling a drift computation: a Cancel the user clicked is never lost, progress is orderly.

The scenarios are deterministic (the cancel is tied to a progress step or to the n-th look at
``cancelled``), and each is repeated many times so that a race between the worker threads and
the loop that collects their results would show up here rather than one run in four.
"""

import threading

import numpy as np
import pandas as pd
import pytest

from core.drift.compute import compute_drift
from core.errors import Cancelled

COLUMNS = 6
REPEATS = 200


def _tables(rows=200, seed=0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(COLUMNS - 1)})
    ref["c"] = rng.choice(list("abc"), rows)
    cur = ref.copy()
    cur["x0"] = cur["x0"] + 1.0
    kinds = {c: "numeric" for c in ref}
    kinds["c"] = "categorical"
    return ref, cur, kinds


class CancelAt:
    """A Cancel button pressed from the ``progress`` callback once ``at`` columns are done."""

    def __init__(self, at):
        self.at, self.calls, self.pressed = at, [], threading.Event()

    def progress(self, fraction):
        self.calls.append(fraction)
        if len(self.calls) >= self.at:
            self.pressed.set()

    def cancelled(self):
        return self.pressed.is_set()


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_cancel_with_the_last_column_is_never_lost(workers):
    ref, cur, kinds = _tables()
    for _ in range(REPEATS):
        button = CancelAt(COLUMNS)  # pressed exactly when the last column reports
        with pytest.raises(Cancelled):
            compute_drift(ref, cur, kinds, multivariate=False, workers=workers,
                          progress=button.progress, cancelled=button.cancelled)
        assert len(button.calls) == COLUMNS  # the columns, and no final report after the cancel


@pytest.mark.parametrize("at", range(1, COLUMNS + 1))
def test_no_progress_is_reported_after_the_cancel(at):
    ref, cur, kinds = _tables()
    for _ in range(REPEATS // 4):
        button = CancelAt(at)
        with pytest.raises(Cancelled):
            compute_drift(ref, cur, kinds, multivariate=False, workers=2,
                          progress=button.progress, cancelled=button.cancelled)
        assert len(button.calls) == at


def _cancel_on_look(n):
    looks = []

    def cancelled():
        looks.append(1)
        return len(looks) >= n
    return cancelled


def test_cancel_on_the_nth_look_always_raises():
    ref, cur, kinds = _tables()
    # each column is looked at at least twice, and the result once more before it is returned
    for n in range(1, 2 * COLUMNS + 2):
        for _ in range(REPEATS // 20):
            with pytest.raises(Cancelled):
                compute_drift(ref, cur, kinds, multivariate=False, workers=1, cancelled=_cancel_on_look(n))


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_progress_is_monotonic_and_reported_from_the_calling_thread(workers):
    ref, cur, kinds = _tables()
    for _ in range(REPEATS // 4):
        seen = []
        compute_drift(ref, cur, kinds, multivariate=False, workers=workers,
                      progress=lambda f: seen.append((f, threading.get_ident())))
        fractions = [f for f, _ in seen]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == COLUMNS + 1
        assert {t for _, t in seen} == {threading.get_ident()}


def _drift_threads():
    return [t for t in threading.enumerate() if t.name.startswith("preflight-drift")]


@pytest.mark.parametrize("at", [1, COLUMNS])
def test_cancel_stops_the_domain_classifier_too(at):
    ref, cur, kinds = _tables(rows=400)
    for _ in range(10):
        button = CancelAt(at)
        with pytest.raises(Cancelled):
            compute_drift(ref, cur, kinds, multivariate=True, progress=button.progress,
                          cancelled=button.cancelled)
        assert 1.0 not in button.calls
        assert not _drift_threads()  # nothing left running once Cancelled reaches the caller


def test_cancel_on_the_nth_look_with_the_classifier_always_raises():
    ref, cur, kinds = _tables(rows=400)
    for n in (1, 5, 9, 13, 17, 21):
        for _ in range(3):
            with pytest.raises(Cancelled):
                compute_drift(ref, cur, kinds, multivariate=True, cancelled=_cancel_on_look(n))
            assert not _drift_threads()


def test_classifier_result_matches_a_run_without_cancel_checks():
    ref, cur, kinds = _tables(rows=400)
    plain = compute_drift(ref, cur, kinds, multivariate=True)
    checked = compute_drift(ref, cur, kinds, multivariate=True, cancelled=lambda: False, progress=lambda f: None)
    assert plain.multivariate == checked.multivariate and plain.multivariate["auc"] > 0.55


def test_classifier_beside_the_statistics_answers_for_the_final_column_list():
    from core.drift.multivariate import domain_classifier

    ref, cur, kinds = _tables(rows=400)
    ref["inf"] = np.inf  # present in both tables but no usable value: left out only once analysed
    cur["inf"] = 1.0
    kinds["inf"] = "numeric"
    res = compute_drift(ref, cur, kinds, multivariate=True)
    used = [c.name for c in res.columns if c.score is not None]
    assert "inf" not in used and res.multivariate["columns"] == used
    assert res.multivariate == domain_classifier(ref, cur, used, kinds)
