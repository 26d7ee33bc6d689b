"""Drift of tables larger than memory: the out-of-core engine.

The tables stay on disk.  An embedded DuckDB connection (:mod:`core.data.duckdb_source`, bounded
by a memory limit and spilling to a temporary directory) reads them, and the drift computation
walks the columns one at a time: for each compared column it fetches only that column of the
reference and of the current table, coerces it exactly as the in-memory reader would
(:func:`core.data.kinds.coerce_column`), and hands it to the same per-column statistics as the
in-memory engine (:func:`core.drift.columns.analyse_column`).  So every statistic - PSI on the
reference deciles (numpy's linear quantiles), the exact two-sample KS statistic with scipy's
p-value, Wasserstein, chi-square and Jensen-Shannon from exact counts, the summaries - is
computed by the same code on the same values, and equals the in-memory result.

Python memory therefore holds one column pair at a time (8 bytes per value and table, plus the
sort and merge buffers of that column), never the whole table.

The multivariate domain classifier trains on a uniform random sample of at most
:data:`CLASSIFIER_ROWS` rows per table drawn by DuckDB (reservoir sampling); when a table has no
more rows than that, it gets the whole table in file order, as the in-memory engine does.
"""

from __future__ import annotations


import pandas as pd

from core.data import duckdb_source as dsrc
from core.data.kinds import coerce_column
from core.drift import compute as dc
from core.drift.columns import analyse_column
from core.drift.ooc_read import fetch_column, sha256_path, table_info  # noqa: F401  (re-exported)
from core.drift.ooc_stats import numeric_stats
from core.drift.profile import NUMERIC_KINDS, ReferenceProfile, check_kinds, summarise_column, summary_entry
from core.errors import Cancelled, check_cancel

CLASSIFIER_ROWS = 20_000
SAMPLE_SEED = 20_240_601


class _Columns:
    """What the column resolution of :mod:`core.drift.compute` needs from a table: its names."""

    def __init__(self, columns):
        self.columns = list(columns)


def sample_frame(q: dsrc.Interruptible, view: dsrc.SourceView, names, kinds) -> pd.DataFrame:
    """At most CLASSIFIER_ROWS rows of ``names``: all of them in file order, or a uniform sample."""
    cols = ", ".join(dsrc.ident(n) for n in names)
    if view.rows <= CLASSIFIER_ROWS:
        sql = f"SELECT {cols} FROM {dsrc.ident(view.view)}"
    else:
        sql = (f"SELECT {cols} FROM {dsrc.ident(view.view)} "
               f"USING SAMPLE reservoir({CLASSIFIER_ROWS} ROWS) REPEATABLE ({SAMPLE_SEED})")
    try:
        df = q.conn.execute(sql).df()
    except dsrc.duckdb.InterruptException:
        raise Cancelled() from None
    q.check()
    scratch: list = []
    for n in names:
        df[n] = coerce_column(n, df[n], kinds[n], scratch)
    return df


def compute_drift_ooc(conn, ref, cur: dsrc.SourceView, kinds: dict, *,
                      method="auto", threshold=None, columns=None, drift_share=0.5,
                      multivariate=True, progress=None, cancelled=None):
    """:func:`core.drift.compute.compute_drift` over two registered views, column by column.

    ``ref`` is a registered view, or a :class:`ReferenceProfile` (then only the current table is read,
    and the reference side of every column comes from the profile, as in the in-memory engine).
    Returns ``(DriftResult, notes)``; ``notes`` are the reader-style coercion warnings per table.
    The result's ``reference_summaries`` hold each column's stored profile entry
    (:func:`core.drift.profile.summary_entry`), not its values.
    """
    check_kinds(kinds)
    threshold = dc._validate(method, threshold, drift_share)
    drift_share = float(drift_share)
    warnings: list[str] = []
    if isinstance(ref, ReferenceProfile):
        return _against_profile(conn, ref, cur, kinds, method, threshold, columns, drift_share, multivariate,
                                progress, cancelled)
    names = dc._resolve_columns(_Columns(ref.columns), _Columns(cur.columns), kinds, columns, warnings)
    col_part = 0.85 if multivariate else 1.0
    summaries: dict = {}
    stats: dict = {}
    notes = {"reference": {}, "current": {}}
    background = None
    with dsrc.Interruptible(conn, cancelled, progress, passes=len(names)) as q:
        try:
            if multivariate:
                ref_s = sample_frame(q, ref, names, kinds)
                cur_s = sample_frame(q, cur, names, kinds)
                from core.drift.multivariate import BackgroundClassifier
                background = BackgroundClassifier(ref_s, cur_s, names, kinds, cancelled)
            for i, name in enumerate(names):
                kind = kinds[name]
                r = fetch_column(q, ref, name, kind, notes["reference"].setdefault(name, []))
                ref_summary = summarise_column(r, kind, name, "reference")
                del r
                c = fetch_column(q, cur, name, kind, notes["current"].setdefault(name, []))
                if kind in NUMERIC_KINDS:  # same statistics, merge buffers bounded
                    stats[name] = numeric_stats(name, kind, ref_summary, c, cancelled)
                else:
                    stats[name] = analyse_column(name, kind, lambda: ref_summary, c, cancelled)
                del c
                # keep the stored profile form (edges, counts, moments, sketch), not every value
                summaries[name] = summary_entry(kind, ref_summary)
                del ref_summary
                check_cancel(cancelled)
                if progress is not None:
                    progress(col_part * (i + 1) / len(names))
            for role, view in (("reference", ref), ("current", cur)):
                _other_column_notes(q, view, kinds, notes[role])
            result = dc._result(names, kinds, stats, method, threshold, drift_share, warnings,
                                summaries, multivariate, background, col_part, progress, cancelled)
        except BaseException:
            if background is not None:
                background.stop()
            raise
    return result, {role: [m for c in view.columns for m in notes[role].get(c, [])]
                    for role, view in (("reference", ref), ("current", cur))}


def _against_profile(conn, profile: ReferenceProfile, cur: dsrc.SourceView, kinds, method, threshold,
                     columns, drift_share, multivariate, progress, cancelled):
    warnings: list[str] = []
    names = dc._resolve_columns(profile, _Columns(cur.columns), kinds, columns, warnings)
    stats: dict = {}
    notes = {"reference": {}, "current": {}}
    with dsrc.Interruptible(conn, cancelled, progress, passes=len(names)) as q:
        for name in names:
            kind = kinds[name]
            ref_summary = profile.reference_column(name)
            c = fetch_column(q, cur, name, kind, notes["current"].setdefault(name, []))
            stats[name] = analyse_column(name, kind, lambda: ref_summary, c, cancelled)
            del c, ref_summary
            check_cancel(cancelled)
            q.pass_done()
        _other_column_notes(q, cur, kinds, notes["current"])
    result = dc._result(names, kinds, stats, method, threshold, drift_share, warnings, {}, multivariate,
                        None, 1.0, progress, cancelled)
    return result, {"reference": [], "current": [m for c in cur.columns for m in notes["current"].get(c, [])]}


def _other_column_notes(q, view: dsrc.SourceView, kinds: dict, notes: dict) -> None:
    """The reader's coercion warnings for the columns drift did not fetch (infinities read as
    missing, values that do not fit the column's kind), so that both engines warn alike."""
    for name in view.columns:
        if name in notes:
            continue
        kind, dtype = kinds.get(name, view.kinds[name]), view.types[name]
        if kind in ("text", "categorical"):
            continue
        if kind == "numeric" and dtype in ("DOUBLE", "FLOAT", "REAL"):
            c = dsrc.ident(name)
            if not q.sql(f"SELECT count(*) FROM {dsrc.ident(view.view)} WHERE isinf({c})")[0][0]:
                continue
        elif dtype in dsrc._NUMERIC_TYPES or dtype == "BOOLEAN" or dtype.startswith(("TIMESTAMP", "DATE")):
            continue
        fetch_column(q, view, name, kind, notes.setdefault(name, []))


__all__ = ["compute_drift_ooc", "sha256_path", "table_info", "ReferenceProfile"]
