"""Which drift engine runs - in memory or out of core (DuckDB) - and the out-of-core run itself.

``engine="auto"`` keeps the in-memory engine unless the two tables would not fit: their estimated
in-memory footprint (:data:`FOOTPRINT_FACTOR` times their uncompressed data size: a Parquet file's
uncompressed column-chunk sizes from its metadata, a CSV file's size, four times that when
gzipped) exceeds the memory limit (by default half the machine's RAM, at most 4 GB; see
:func:`core.data.duckdb_source.default_memory_limit`).  A folder of Parquet files always goes out
of core.  ``"memory"`` and ``"duckdb"`` force an engine.  The run's JSON says which engine ran
(``engine``) and why (``engine_reason``).
"""

from __future__ import annotations

from pathlib import Path

from core.data import duckdb_source as dsrc
from core.data.footprint import engine_by_size
from core.errors import PreflightError
from core.progress import scaled

ENGINES = ("auto", "memory", "duckdb")
#: measured: a table loaded for drift takes about 3.3 times its Arrow (uncompressed) size
FOOTPRINT_FACTOR = 3.3


def choose(engine: str, reference_path, current_path, reference_profile, memory_limit) -> tuple[str, str]:
    """(engine that runs, the reason in one sentence)."""
    if engine not in ENGINES:
        raise PreflightError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine == "memory":
        return "memory", "the in-memory engine was asked for (--engine memory)"
    if engine == "duckdb":
        return "duckdb", "the out-of-core engine was asked for (--engine duckdb)"
    tables = [current_path] if reference_profile is not None else [reference_path, current_path]
    if any(Path(t).is_dir() for t in tables):
        return "duckdb", "a table is a folder of Parquet files, which only the out-of-core engine reads"
    return engine_by_size(tables, FOOTPRINT_FACTOR, memory_limit or dsrc.default_memory_limit())


def run_out_of_core(reference_path, current_path, settings, overrides, want_profile, progress,
                    cancelled, memory_limit, reference_profile=None, profile_check=None):
    """Drift of two table files by the out-of-core engine: (result JSON, inputs, profile).

    With ``reference_profile`` (a stored profile dict) only the current table is read; see
    :func:`run_against_profile`.
    """
    if reference_profile is not None:
        return run_against_profile(current_path, reference_profile, settings, overrides, progress, cancelled,
                                   memory_limit, profile_check)
    from core.drift.ooc import sha256_path, table_info
    from core.drift.profile import ReferenceProfile
    from core.drift.multivariate import classifier_warning

    conn = dsrc.connect(memory_limit)
    try:
        kinds = dict(overrides) or None
        ref = dsrc.register(conn, reference_path, "reference", cancelled, kinds)
        cur = dsrc.register(conn, current_path, "current", cancelled, kinds)
        _check_overrides(overrides, ref.columns, cur.columns)
        if progress:
            progress(0.05)
        kinds = {**{c: k for c, k in cur.kinds.items()}, **ref.kinds}
        result, notes = _compute(conn, ref, cur, kinds, settings, progress, cancelled)
        ref_info = table_info(ref, sha256_path(reference_path, cancelled))
        cur_info = table_info(cur, sha256_path(current_path, cancelled))
    finally:
        conn.close()
    body = result.to_dict()
    mv_warning = [classifier_warning(body["multivariate"])] if body.get("multivariate_warning") else []
    if body.get("multivariate"):
        body["multivariate"]["sample"] = (
            f"trained on a uniform random sample of at most {20_000:,} rows per table drawn by DuckDB"
            " (the whole table when it has no more rows)")
    warnings = ([f"reference: {w}" for w in notes["reference"]] + [f"current: {w}" for w in notes["current"]])
    out = {"reference": ref_info, "current": cur_info, **body,
           "warnings": mv_warning + warnings + body["warnings"]}
    inputs = (_input("reference", ref_info), _input("current", cur_info))
    prof = None
    if want_profile:
        prof = ReferenceProfile(columns={n: {"kind": kinds[n], **e} for n, e in result.reference_summaries.items()},
                                rows=ref.rows).to_dict()
        prof["source"] = {"path": ref_info["path"], "sha256": ref_info["sha256"]}
    return out, inputs, prof


def _compute(conn, reference, cur, kinds, settings, progress, cancelled):
    from core.drift.ooc import compute_drift_ooc

    return compute_drift_ooc(conn, reference, cur, kinds, method=settings.method, threshold=settings.threshold,
                             columns=list(settings.columns) if settings.columns else None,
                             drift_share=settings.drift_share, multivariate=settings.multivariate,
                             progress=scaled(progress, 0.05, 0.9), cancelled=cancelled)


def _input(role: str, info: dict) -> dict:
    return {"role": role, "path": info["path"], "sha256": info["sha256"], "size": info["size"],
            "rows": info["rows"], "format": info["format"]}


def _check_overrides(overrides, ref_cols, cur_cols) -> None:
    from core.drift.columns import unknown_columns_message

    present = set(ref_cols) | set(cur_cols)
    unknown = [c for c in overrides if c not in present]
    if unknown:
        raise PreflightError(unknown_columns_message(unknown, ref_cols, cur_cols, what="kind override"))


def run_against_profile(current_path, reference_profile, settings, overrides, progress, cancelled,
                        memory_limit, profile_check=None):
    """Drift of a table file read out of core against a reference profile: (result JSON, inputs, None)."""
    from core.drift.ooc import sha256_path, table_info
    from core.drift.profile import ReferenceProfile

    profile = ReferenceProfile.from_dict(reference_profile)
    conn = dsrc.connect(memory_limit)
    try:
        cur = dsrc.register(conn, current_path, "current", cancelled, dict(overrides) or None)
        _check_overrides(overrides, list(profile.columns), cur.columns)
        if profile_check is not None:
            profile_check(cur.kinds)
        if progress:
            progress(0.05)
        kinds = {**cur.kinds, **{n: c["kind"] for n, c in profile.columns.items()}, **overrides}
        result, notes = _compute(conn, profile, cur, kinds, settings, progress, cancelled)
        cur_info = table_info(cur, sha256_path(current_path, cancelled))
    finally:
        conn.close()
    src = reference_profile.get("source", {}) if isinstance(reference_profile, dict) else {}
    ref_info = {"path": src.get("path", "(reference profile)"), "rows": profile.rows,
                "columns": len(profile.columns), "sha256": src.get("sha256")}
    if src.get("engine"):
        ref_info["profile"] = dict(src)
    body = result.to_dict()
    out = {"reference": ref_info, "current": cur_info, **body,
           "warnings": [f"current: {w}" for w in notes["current"]] + body["warnings"]}
    inputs = ({"role": "reference_profile", "path": ref_info["path"], "sha256": ref_info["sha256"],
               "size": None, "rows": profile.rows},
              _input("current", cur_info))
    return out, inputs, None
