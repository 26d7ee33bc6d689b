"""Reading the columns ROI and cold start need from a prediction log (any format ``read_table`` takes)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.tables import read_table
from core.errors import InputFileError, PreflightError
from core.performance.business import DEFAULT_CONFIDENCE, DEFAULT_MIN_DATA_POINTS, coldstart, roi

NAMES = {
    "business_value": ("business_value", "value", "revenue"),
    "business_outcome": ("business_outcome", "outcome"),
    "confidence": ("confidence", "y_score", "score", "proba", "probability", "y_prob"),
    "timestamp": ("timestamp", "time", "ts", "datetime", "event_time"),
    "user_id": ("user_id", "user", "customer_id"),
    "global_score": ("global_score",),
    "personal_score": ("personal_score",),
    "history": ("history_count", "history", "n_interactions", "interactions"),
    "y_true": ("y_true", "label", "target", "actual", "truth"),
}


def find(df: pd.DataFrame, role: str) -> str | None:
    by_lower = {str(c).strip().lower(): c for c in df.columns}
    for name in NAMES[role]:
        if name in by_lower:
            return by_lower[name]
    return None


def numbers(table, column) -> np.ndarray:
    s = table.df[column]
    out = pd.to_numeric(s, errors="coerce").to_numpy(float)
    bad = np.isnan(out) & ~pd.isna(s).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputFileError(table.path, f"column {column!r}, row {row}: {s.iloc[row - 1]!r} is not a number")
    return out


def times(table, column) -> np.ndarray:
    s = table.df[column]
    ts = pd.to_datetime(s, errors="coerce", utc=True)
    bad = ts.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputFileError(table.path, f"column {column!r}, row {row}: {s.iloc[row - 1]!r} is not a timestamp")
    return ts.dt.tz_convert(None).to_numpy()  # naive UTC datetime64 (an aware Series gives slow objects)


def roi_of_table(table, confidence_threshold: float = DEFAULT_CONFIDENCE) -> dict | None:
    """The ROI of a loaded log, or None when it has no business_value column."""
    df = table.df
    col = find(df, "business_value")
    if col is None:
        return None
    values = numbers(table, col)
    missing = np.isnan(values)
    if missing.any():
        raise InputFileError(table.path, f"column {col!r}, row {int(np.flatnonzero(missing)[0]) + 1}: the value "
                                         "is missing")
    outcome, conf, ts = find(df, "business_outcome"), find(df, "confidence"), find(df, "timestamp")
    return roi(values, outcomes=df[outcome].to_numpy(dtype=object) if outcome else None,
               confidence=numbers(table, conf) if conf else None, timestamps=times(table, ts) if ts else None,
               confidence_threshold=confidence_threshold)


def run_roi(path, confidence_threshold: float = DEFAULT_CONFIDENCE) -> dict:
    table = read_table(path)
    out = roi_of_table(table, confidence_threshold)
    if out is None:
        raise InputFileError(table.path, "has no business_value column; columns: " + ", ".join(map(str, table.df.columns)))
    return out


def coldstart_of_table(table, min_data_points: int = DEFAULT_MIN_DATA_POINTS, *, required: bool = False) -> dict | None:
    df = table.df
    cols = {r: find(df, r) for r in ("user_id", "global_score", "personal_score")}
    missing = [r for r, c in cols.items() if c is None]
    if missing:
        if required:
            raise InputFileError(table.path, f"has no {', '.join(missing)} column; cold start needs user_id, "
                                             "global_score and personal_score")
        return None
    hist, ts, yt = find(df, "history"), find(df, "timestamp"), find(df, "y_true")
    try:
        return coldstart(df[cols["user_id"]].to_numpy(dtype=object), numbers(table, cols["global_score"]),
                         numbers(table, cols["personal_score"]), history=numbers(table, hist) if hist else None,
                         y_true=df[yt].to_numpy(dtype=object) if yt else None,
                         timestamps=times(table, ts) if ts else None, min_data_points=min_data_points)
    except PreflightError as exc:
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(table.path, str(exc)) from None


def run_coldstart(path, min_data_points: int = DEFAULT_MIN_DATA_POINTS) -> dict:
    return coldstart_of_table(read_table(path), min_data_points, required=True)
