"""Data drift between a reference table (or its profile) and a current table.

Every compared column gets all its statistics (computed on non-missing values):

* numeric and datetime columns (datetimes as epoch seconds, UTC): ``psi`` and
  ``jensen_shannon`` on 10 bins cut at the reference deciles (outer bins
  open, a value on an edge goes to the upper bin, empty PSI shares -> 1e-4;
  duplicate deciles from ties just leave empty bins), ``ks_statistic`` /
  ``ks_p_value`` (= scipy ``ks_2samp``), ``wasserstein`` (scipy
  ``wasserstein_distance`` divided by the reference standard deviation with
  ddof=0; None when the reference is constant), means and standard deviations;
* categorical and boolean columns: ``psi`` and ``jensen_shannon`` over the
  union of categories, ``chi2_statistic`` / ``chi2_p_value`` (scipy
  ``chi2_contingency`` on the 2 x K counts) and ``new_categories``;
* text columns are skipped (listed in the warnings).

Verdict, ``method="auto"`` (sound at every sample size):

* reference column with at most 1,000 non-missing values: numeric columns with
  more than 5 distinct reference values use the KS test, other numeric
  columns and categorical columns the chi-square test.  These p-values are
  Benjamini-Hochberg adjusted across all columns decided by a p-value, and a
  column drifts when its adjusted p-value is below 0.05;
* more than 1,000 values: numeric columns drift when Wasserstein / std >= 0.1
  (when the reference is constant, so that its std is 0, when the KS
  statistic >= 0.1 instead; the method is then reported as "ks_statistic"),
  categorical columns when Jensen-Shannon >= 0.1.  Effect sizes do not become
  "significant" just because the sample is large.

Other methods: ``psi`` (drift when PSI >= 0.2), ``ks`` (BH-adjusted p < 0.05),
``wasserstein`` (>= 0.1), ``jensenshannon`` (>= 0.1), ``chi2`` (BH-adjusted
p < 0.05).  ``threshold`` replaces the default threshold of the requested
method (of every automatic choice with ``method="auto"``).  A method that does
not fit a column's kind (KS on a categorical column, chi-square on a numeric
one) falls back to the automatic choice for that column, with its default
threshold, and says so in the warnings.  For a p-value method, ``score`` is the
raw p-value and ``p_value_adjusted`` the BH-adjusted one that decides.

The dataset drifts when drifted columns / analysed columns >= ``drift_share``
(default 0.5).  A multivariate domain classifier (:mod:`core.drift.multivariate`)
is added when the raw reference table is available.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass, field, fields

import pandas as pd

from core.drift import stattests
from core.canonical import dumps
from core.errors import PreflightError, check_cancel
from core.drift.columns import AUTO_MIN_UNIQUE, AUTO_SMALL_N, analyse_column, unknown_columns_message
from core.drift.profile import NUMERIC_KINDS, ReferenceProfile, check_kinds, summarise_column

METHODS = ("auto", "psi", "ks", "wasserstein", "jensenshannon", "chi2")
LARGE_EFFECTIVE_N = 5_000
CONSTANT_KS_THRESHOLD = 0.1


@dataclass(frozen=True)
class ColumnDrift:
    name: str
    kind: str
    method: str | None
    score: float | None
    threshold: float | None
    drifted: bool
    p_value_adjusted: float | None = None
    psi: float | None = None
    psi_band: str | None = None
    jensen_shannon: float | None = None
    ks_statistic: float | None = None
    ks_p_value: float | None = None
    wasserstein: float | None = None
    chi2_statistic: float | None = None
    chi2_p_value: float | None = None
    reference_mean: float | None = None
    current_mean: float | None = None
    reference_std: float | None = None
    current_std: float | None = None
    reference_count: int = 0
    current_count: int = 0
    missing_share_reference: float | None = None
    missing_share_current: float | None = None
    new_categories: tuple | None = None
    new_categories_count: int | None = None
    histogram: dict | None = None
    psi_bins: dict | None = None
    categories: dict | None = None
    approximate: bool = False
    small_sample: bool = False  # fewer than 30 values in a table: the verdict is unreliable
    summary: dict | None = None
    histogram_log: dict | None = None

    def to_dict(self) -> dict:
        return json.loads(dumps(asdict(self)))


COLUMN_FIELDS = tuple(f.name for f in fields(ColumnDrift))


@dataclass(frozen=True)
class DriftResult:
    columns: tuple
    dataset_drift: bool
    drifted_share: float
    drift_share_threshold: float
    method: str
    multivariate: dict | None
    warnings: tuple
    #: the reference columns' summaries (sorted values, counts) when the reference was a raw table; they
    #: become the stored reference profile without a second pass over the data (not part of to_dict)
    reference_summaries: dict = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict:
        return json.loads(dumps({
            "dataset_drift": self.dataset_drift, "drifted_share": self.drifted_share,
            "drift_share_threshold": self.drift_share_threshold, "method": self.method,
            # one serialisation pass for the whole result (not one per column, then again for all)
            "columns": [{f: getattr(c, f) for f in COLUMN_FIELDS} for c in self.columns],
            "multivariate": self.multivariate,
            # the classifier is a warning beside the per-column verdict, never part of dataset_drift
            "multivariate_warning": bool((self.multivariate or {}).get("drifted")),
            "warnings": list(self.warnings)}))

    def column(self, name: str) -> ColumnDrift:
        return next(c for c in self.columns if c.name == name)


# ---------------------------------------------------------------- verdicts

def _auto_method(kind: str, n_ref: int, unique: int | None) -> str:
    if n_ref <= AUTO_SMALL_N:
        if kind in NUMERIC_KINDS and (unique or 0) > AUTO_MIN_UNIQUE:
            return "ks"
        return "chi2"
    return "wasserstein" if kind in NUMERIC_KINDS else "jensenshannon"


def _decide(name, kind, stats, method, threshold, notes):
    """(method used, TestResult) for one analysed column."""
    auto = _auto_method(kind, stats["reference_count"], stats.get("unique"))
    chosen = method
    if method == "auto":
        chosen = auto
    elif not stattests.get(method).applies_to(kind):
        notes.append(f"column '{name}': method '{method}' does not apply to {kind} columns; "
                     f"used '{auto}' (the automatic choice) instead")
        chosen = auto
    thr = threshold if threshold is not None and (method == "auto" or chosen == method) else None
    result = stattests.get(chosen)(stats, thr)
    if result is None:  # Wasserstein / std of a constant reference
        notes.append(f"column '{name}': {chosen} is undefined for this column; decided by the KS "
                     f"statistic (largest gap between the two distribution functions) >= "
                     f"{CONSTANT_KS_THRESHOLD} instead")
        d = stats["ks_statistic"]
        chosen = "ks_statistic"
        result = stattests.TestResult(d, d >= CONSTANT_KS_THRESHOLD, CONSTANT_KS_THRESHOLD, False)
    return chosen, result


def _tiny_effect_note(col: ColumnDrift) -> str | None:
    n1, n2 = col.reference_count, col.current_count
    if not col.drifted or col.p_value_adjusted is None or n1 * n2 / (n1 + n2) < LARGE_EFFECTIVE_N:
        return None
    if col.kind in NUMERIC_KINDS and col.wasserstein is not None:
        effect, value = "Wasserstein / std", col.wasserstein
    else:
        effect, value = "Jensen-Shannon distance", col.jensen_shannon
    if value is None or value >= 0.1:
        return None
    return (f"column '{col.name}': the {col.method} test flags drift (adjusted p = "
            f"{col.p_value_adjusted:.2g}) but the change is small ({effect} = {value:.3f} < 0.1); "
            f"with {n1:,} reference and {n2:,} current values even negligible differences are "
            "statistically significant")


def _validate(method, threshold, drift_share):
    if method not in METHODS:
        raise PreflightError(f"unknown drift method {method!r}; choose one of {', '.join(METHODS)}")
    if threshold is not None:
        try:
            threshold = float(threshold)
        except (TypeError, ValueError):
            raise PreflightError(f"drift threshold {threshold!r} is not a number") from None
        p_based = method != "auto" and stattests.get(method).p_value_based
        if not (threshold > 0) or (p_based and threshold >= 1):
            raise PreflightError(f"drift threshold {threshold} is out of range for method '{method}'")
    try:
        share_ok = 0 < float(drift_share) <= 1
    except (TypeError, ValueError):
        share_ok = False
    if not share_ok:
        raise PreflightError(f"drift share {drift_share!r} must be a number between 0 (excluded) and 1")
    return threshold


def _resolve_columns(reference, current, kinds, columns, warnings):
    is_profile = isinstance(reference, ReferenceProfile)
    ref_cols = list(reference.columns)
    names = list(kinds) if columns is None else list(columns)
    unknown = [c for c in names if c not in kinds]
    if unknown:
        raise PreflightError(unknown_columns_message(unknown, ref_cols, current.columns))
    ref_set, cur_set = set(ref_cols), set(current.columns)
    selected, text = [], []
    for name in names:
        kind = kinds[name]
        in_r, in_c = name in ref_set, name in cur_set
        if in_r and in_c and kind == "text":
            text.append(name)
        elif in_r and in_c:
            if is_profile and _family(reference.columns[name]["kind"]) != _family(kind):
                raise PreflightError(f"column '{name}' was profiled as {reference.columns[name]['kind']} "
                                     f"but is now {kind}; rebuild the reference profile")
            selected.append(name)
        elif in_r or in_c:
            warnings.append(f"column '{name}' is only in the {'reference' if in_r else 'current'} "
                            "table; not compared")
        else:
            warnings.append(f"column '{name}' is in neither table; not compared")
    if columns is None:
        extra = [c for c in current.columns if c not in ref_set and c not in kinds]
        warnings.extend(f"column '{c}' is only in the current table; not compared" for c in extra)
    if text:
        warnings.append(f"text column(s) {', '.join(map(repr, text))} are not analysed for drift")
    if not selected:
        raise PreflightError("the reference and current tables have no comparable columns in common")
    return selected


def _family(kind):
    return "numeric" if kind in NUMERIC_KINDS else kind if kind == "text" else "categorical"


def compute_drift(reference, current: pd.DataFrame, kinds: dict[str, str], *, method="auto",
                  threshold=None, columns=None, drift_share=0.5, multivariate=True,
                  progress=None, cancelled=None, workers=2) -> DriftResult:
    """Column-by-column and dataset drift of ``current`` against ``reference``.

    ``reference`` is a DataFrame or a :class:`ReferenceProfile`.  Columns are
    analysed in parallel threads (``workers``) while the multivariate domain
    classifier runs in one more thread.  ``progress`` is called from the calling
    thread only, with a fraction that never decreases, after each column (and as
    the classifier advances); ``cancelled`` is checked after each column and once
    more before the result is returned, so a cancel is never lost.
    """
    if not isinstance(reference, (pd.DataFrame, ReferenceProfile)):
        raise TypeError("reference must be a pandas DataFrame or a ReferenceProfile")
    check_kinds(kinds)
    threshold = _validate(method, threshold, drift_share)
    drift_share = float(drift_share)
    warnings: list[str] = []
    names = _resolve_columns(reference, current, kinds, columns, warnings)
    is_profile = isinstance(reference, ReferenceProfile)
    run_mv = multivariate and not is_profile
    col_part = 0.85 if run_mv else 1.0

    summaries: dict = {}

    def ref_getter(name):
        if is_profile:
            return lambda: reference.reference_column(name)

        def summarise():
            summaries[name] = summarise_column(reference[name], kinds[name], name, "reference")
            return summaries[name]
        return summarise

    stats: dict[str, dict] = {}
    # the domain classifier runs in its own thread beside the column statistics
    background = _start_classifier(reference, current, names, kinds, cancelled) if run_mv else None
    try:
        _column_statistics(names, kinds, ref_getter, current, stats, col_part, progress, cancelled, workers)
        return _result(names, kinds, stats, method, threshold, drift_share, warnings, summaries, multivariate,
                       background, col_part, progress, cancelled)
    except BaseException:
        if background is not None:
            background.stop()  # never leave the classifier running behind a cancel or an error
        raise


def _result(names, kinds, stats, method, threshold, drift_share, warnings, summaries, multivariate,
            background, col_part, progress, cancelled) -> DriftResult:
    cols = _verdicts(names, kinds, stats, method, threshold, warnings)
    analysed = [c for c in cols if c.score is not None]
    drifted_share = sum(c.drifted for c in analysed) / len(analysed) if analysed else 0.0
    if not analysed:
        warnings.append("no column had values in both tables, so no drift verdict was possible")
    approx = [c.name for c in cols if c.approximate and c.kind in NUMERIC_KINDS]
    if approx:
        warnings.append(f"KS and Wasserstein for {', '.join(map(repr, approx))} are approximate: the "
                        "reference profile stores a quantile sketch, not every value")
    mv = None
    if background is not None:
        relay = None if progress is None else (lambda f: progress(col_part + (1 - col_part) * f))
        mv = _multivariate(background, [c.name for c in analysed], relay, warnings)
    elif multivariate:
        warnings.append("multivariate drift needs the raw reference table; skipped (a reference "
                        "profile was given)")
    check_cancel(cancelled)  # the last word before the result: a cancel is never lost
    if progress is not None:
        progress(1.0)
    return DriftResult(tuple(cols), bool(analysed) and drifted_share >= drift_share,
                       float(drifted_share), float(drift_share), method, mv, tuple(warnings),
                       reference_summaries=summaries)


def _column_statistics(names, kinds, ref_getter, current, stats, col_part, progress, cancelled, workers):
    """Every column's statistics into ``stats``, in worker threads; ``progress`` and the cancel
    checks run in the calling thread."""
    with ThreadPoolExecutor(max_workers=max(1, int(workers)), thread_name_prefix="preflight-drift-columns") as pool:
        futures = [(n, pool.submit(analyse_column, n, kinds[n], ref_getter(n), current[n], cancelled)) for n in names]
        try:
            # collected in column order: each wait is on one future, so the loop stays linear in the number of
            # columns (waiting on the whole pending set every time is quadratic on wide tables)
            for name, fut in futures:
                while True:
                    check_cancel(cancelled)
                    try:
                        stats[name] = fut.result(timeout=0.05)
                        break
                    except FutureTimeout:
                        continue
                if progress is not None:
                    progress(col_part * len(stats) / len(names))
            # a cancel that arrives while the last columns finish must not be lost
            check_cancel(cancelled)
        except BaseException:
            for _name, fut in futures:
                fut.cancel()
            raise


def _verdicts(names, kinds, stats, method, threshold, warnings) -> list[ColumnDrift]:
    decided: dict[str, tuple] = {}
    for name in names:
        s = stats[name]
        warnings.extend(s["notes"])
        if s["reference_count"] == 0 or s["current_count"] == 0:
            empty = "reference" if s["reference_count"] == 0 else "current"
            warnings.append(f"column '{name}' has no usable values in the {empty} table; no verdict")
            continue
        decided[name] = _decide(name, kinds[name], s, method, threshold, warnings)
    p_names = [n for n, (_, r) in decided.items() if r.p_value_based]
    adjusted = dict(zip(p_names, stattests.bh_adjust([decided[n][1].score for n in p_names])))
    fields = set(ColumnDrift.__dataclass_fields__)
    cols = []
    for name in names:
        s = {k: v for k, v in stats[name].items() if k in fields}
        s.setdefault("psi", None)
        verdict = dict(method=None, score=None, threshold=None, drifted=False)
        if name in decided:
            used, res = decided[name]
            adj = adjusted.get(name)
            drifted = (adj < res.threshold) if adj is not None else res.drifted
            verdict = dict(method=used, score=res.score, threshold=res.threshold,
                           drifted=bool(drifted), p_value_adjusted=adj)
        if "new_categories" in s:
            s["new_categories"] = tuple(s["new_categories"])
        col = ColumnDrift(name=name, kind=kinds[name], psi_band=stattests.psi_band(s["psi"]),
                          **verdict, **s)
        note = _tiny_effect_note(col)
        if note:
            warnings.append(note)
        cols.append(col)
    quiet = [c.name for c in cols if _significant_but_small(c)]
    if quiet:
        warnings.append(f"column(s) {', '.join(map(repr, quiet))} have test p-values below 0.05 but "
                        "negligible effect sizes (< 0.1); with this many rows tests flag even tiny "
                        "differences, so the verdict uses the effect size")
    return cols


def _significant_but_small(col: ColumnDrift) -> bool:
    """A p-value that did not decide is tiny, yet the effect size says nothing moved."""
    n1, n2 = col.reference_count, col.current_count
    if col.p_value_adjusted is not None or col.score is None or n1 * n2 / (n1 + n2) < LARGE_EFFECTIVE_N:
        return False
    p = col.ks_p_value if col.kind in NUMERIC_KINDS else col.chi2_p_value
    effect = col.wasserstein if col.kind in NUMERIC_KINDS else col.jensen_shannon
    return p is not None and effect is not None and p < 0.05 and effect < 0.1


def _start_classifier(reference, current, names, kinds, cancelled):
    from core.drift.multivariate import BackgroundClassifier

    return BackgroundClassifier(reference, current, names, kinds, cancelled)


def _multivariate(background, names, progress, warnings):
    try:
        return background.result(names, progress)
    except PreflightError as exc:
        warnings.append(f"multivariate drift skipped: {exc}")
        return None
