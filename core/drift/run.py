"""A drift run: read the two tables (or one table and a stored reference profile), compute, record.

The CLI (``drift``) and the Data tab (through the task pipeline) call :func:`run_drift`, then
:func:`record_drift` to store the run, its inputs' SHA-256, its settings and the reference
profile it built, in one transaction with their audit events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.canonical import utc_now
from core.data.kinds import KINDS
from core.data.tables import preview, read_table
from core.drift.multivariate import classifier_warning
from core.drift.profile import ReferenceProfile, profile_from_summaries
from core.errors import PreflightError, check_cancel
from core.progress import scaled

DRIFT_METHODS = ("auto", "psi", "ks", "wasserstein", "jensenshannon", "chi2")


@dataclass(frozen=True)
class DriftSettings:
    method: str = "auto"
    threshold: float | None = None
    columns: tuple[str, ...] | None = None
    kind_overrides: dict = field(default_factory=dict)
    drift_share: float = 0.5
    multivariate: bool = True

    def to_dict(self) -> dict:
        return {"method": self.method, "threshold": self.threshold,
                "columns": list(self.columns) if self.columns else None,
                "kind_overrides": dict(self.kind_overrides), "drift_share": self.drift_share,
                "multivariate": self.multivariate}


@dataclass(frozen=True)
class DriftRun:
    result: dict                 # the contract JSON: reference, current, dataset_drift, columns, ...
    settings: dict
    inputs: tuple                # ({"role", "path", "sha256", "size", "rows"}, ...)
    profile: dict | None         # the reference profile (when the reference was a raw table)
    started_utc: str
    finished_utc: str

    @property
    def summary(self) -> dict:
        cols = self.result["columns"]
        return {"dataset_drift": self.result["dataset_drift"], "drifted_share": self.result["drifted_share"],
                "columns": len(cols), "drifted_columns": [c["name"] for c in cols if c.get("drifted")]}


def run_drift(reference_path, current_path, settings: DriftSettings = DriftSettings(), *,
              reference_profile: dict | None = None, want_profile: bool = True, progress=None,
              cancelled=None, engine: str = "auto", memory_limit: int | None = None,
              profile_check=None) -> DriftRun:
    """Read both tables (or one table and a stored reference profile) and compute drift.

    With ``want_profile`` the run also carries the reference profile (bin edges, category sets, moments,
    a quantile sketch) for :func:`record_drift` to store, built from the summaries the drift computation
    already made.  ``profile_check(kinds)`` (with a reference profile) is called with the current table's
    column kinds once they are known, before any statistic, and raises when the profile does not fit.
    """
    started = utc_now()
    if settings.method not in DRIFT_METHODS:
        raise PreflightError(f"unknown drift method {settings.method!r}; use one of {', '.join(DRIFT_METHODS)}")
    overrides = dict(settings.kind_overrides)
    for name, kind in overrides.items():
        if kind not in KINDS:
            raise PreflightError(f"column {name!r}: unknown kind {kind!r} (use one of {', '.join(KINDS)})")
    from core.drift import ooc_engine as drift_engine

    chosen, reason = drift_engine.choose(engine, reference_path, current_path, reference_profile,
                                         memory_limit)
    if chosen == "duckdb":
        out, inputs, prof = drift_engine.run_out_of_core(
            reference_path, current_path, settings, overrides, want_profile, progress, cancelled,
            memory_limit, reference_profile, profile_check)
        out = {**out, "engine": chosen, "engine_reason": reason}
        if progress:
            progress(1.0)
        return DriftRun(result=out, settings=settings.to_dict(), inputs=inputs, profile=prof,
                        started_utc=started, finished_utc=utc_now())
    if reference_profile is None:
        ref_cols, cur_cols = _columns_of(reference_path, overrides), _columns_of(current_path, overrides)
        _check_override_names(overrides, ref_cols, cur_cols)
        ref = read_table(reference_path, kind_overrides=_present(overrides, ref_cols),
                         progress=scaled(progress, 0.0, 0.2), cancelled=cancelled)
        check_cancel(cancelled)
        cur = read_table(current_path, kind_overrides=_present(overrides, cur_cols),
                         progress=scaled(progress, 0.2, 0.4), cancelled=cancelled)
        kinds = {**cur.kinds, **ref.kinds}
        reference = ref.df
        ref_info = ref.info()
        inputs = (ref.input_record("reference"), cur.input_record("current"))
        warnings = [f"reference: {w}" for w in ref.warnings]
    else:
        profile = ReferenceProfile.from_dict(reference_profile)
        cur_cols = _columns_of(current_path, overrides)
        _check_override_names(overrides, list(profile.columns), cur_cols)
        cur = read_table(current_path, kind_overrides=_present(overrides, cur_cols),
                         progress=scaled(progress, 0.0, 0.4), cancelled=cancelled)
        if profile_check is not None:
            profile_check(cur.kinds)
        kinds = {**cur.kinds, **{n: c["kind"] for n, c in profile.columns.items()}, **overrides}
        reference = profile
        src = reference_profile.get("source", {}) if isinstance(reference_profile, dict) else {}
        ref_info = {"path": src.get("path", "(reference profile)"), "rows": profile.rows,
                    "columns": len(profile.columns), "sha256": src.get("sha256")}
        if src.get("engine"):  # a profile file's provenance (core/drift/cli_profile.py), named in the report
            ref_info["profile"] = dict(src)
        inputs = ({"role": "reference_profile", "path": ref_info["path"], "sha256": ref_info["sha256"],
                   "size": None, "rows": profile.rows}, cur.input_record("current"))
        warnings = []
    warnings += [f"current: {w}" for w in cur.warnings]
    from core.drift.compute import compute_drift  # scipy is imported only when drift is computed

    result = compute_drift(reference, cur.df, kinds, method=settings.method, threshold=settings.threshold,
                           columns=list(settings.columns) if settings.columns else None,
                           drift_share=settings.drift_share, multivariate=settings.multivariate,
                           progress=scaled(progress, 0.4, 0.97), cancelled=cancelled)
    body = result.to_dict()
    mv_warning = [classifier_warning(body["multivariate"])] if body.get("multivariate_warning") else []
    out = {"reference": ref_info, "current": cur.info(), **body,
           "warnings": mv_warning + warnings + body["warnings"], "engine": chosen, "engine_reason": reason}
    prof = None
    if reference_profile is None and want_profile:
        prof = profile_from_summaries(result.reference_summaries, kinds, len(reference)).to_dict()
        prof["source"] = {"path": ref_info["path"], "sha256": ref_info["sha256"]}
    if progress:
        progress(1.0)
    return DriftRun(result=out, settings=settings.to_dict(), inputs=inputs, profile=prof, started_utc=started,
                    finished_utc=utc_now())


def _columns_of(path, overrides: dict) -> list[str]:
    """The file's column names, read from its first rows - only needed to route kind overrides."""
    return [str(c) for c in preview(path, n=5).df.columns] if overrides else []


def _check_override_names(overrides: dict, ref_cols, cur_cols) -> None:
    from core.drift.columns import unknown_columns_message

    present = set(ref_cols) | set(cur_cols)
    unknown = [c for c in overrides if c not in present]
    if unknown:
        raise PreflightError(unknown_columns_message(unknown, ref_cols, cur_cols, what="kind override"))


def _present(overrides: dict, columns) -> dict | None:
    names = set(columns)  # once, not per override: wide tables have many of both
    return {k: v for k, v in overrides.items() if k in names} or None


def record_drift(store, run: DriftRun, *, profile_name: str | None = None) -> int:
    """Store the run and the reference profile it built, with their audit events, in one transaction.

    Either both are in the assessment afterwards or neither is (the store's nested writes become
    savepoints of this transaction).  Returns the run id.
    """
    with store.transaction():
        run_id = store.record_run("drift", run)
        if run.profile is not None:
            name = profile_name or run.result["reference"]["path"].replace("\\", "/").rsplit("/", 1)[-1]
            store.save_profile(name, run.profile, run_id=run_id, source=run.profile.get("source"))
    return run_id
