"""Merging reference profiles of partitions into the profile of their union.

Exact: row counts, per-column ``count``, ``missing``, ``infinite``, ``bin_counts`` and category counts
(integer sums), ``min`` and ``max``, and - when every part keeps all its values and the union has at most
5,000 - the ``"values"`` sketch and ``unique``.  The mean and the sum of squared deviations ``m2`` combine
with Chan's parallel formula (equal to the whole table's to rounding, about 1e-12 relative); ``std`` is
``sqrt(m2 / count)``.  Approximate: the quantile sketch of a union too big for a ``"values"`` sketch
(rebuilt from the parts' sketches; its ``rank_error`` adds up the parts' worst error and its own grid
step) and ``unique`` (then the largest part's count, a lower bound, flagged ``unique_exact: false``).

The parts must share columns, kinds and, for numeric columns, the exact decile edges (build them with
``profile DATA --edges-from WHOLE``): anything else is an error naming the file and the column.
"""

from __future__ import annotations

import math

import numpy as np

from core.drift.profile import CATEGORY_KINDS, NUMERIC_KINDS, SKETCH_VALUES_MAX, sketch_probs
from core.errors import InputFileError


def merge_profiles(docs: list[tuple[dict, str]]) -> dict:
    """Merge ``[(profile file dict, its path), ...]``; returns the merged profile data (rows, columns)."""
    if not docs:
        raise InputFileError("(no files)", "profile merge needs at least one profile")
    first, first_path = docs[0]
    edges: dict[str, tuple] = {}  # column -> (edges, file) of the first part with values in it
    for doc, path in docs:
        if set(doc["columns"]) != set(first["columns"]):
            extra = sorted(set(doc["columns"]) ^ set(first["columns"]))[0]
            raise InputFileError(path, f"column '{extra}' is in only one of this profile and {first_path}")
        for name, col in doc["columns"].items():
            ref = first["columns"][name]
            if col["kind"] != ref["kind"]:
                raise InputFileError(path, f"column '{name}' is {col['kind']} here but {ref['kind']} in "
                                           f"{first_path}")
            if col["kind"] not in NUMERIC_KINDS or not col["count"]:
                continue
            seen = edges.setdefault(name, (col["deciles"], path))
            if col["deciles"] != seen[0]:
                raise InputFileError(path, f"column '{name}' has other bin edges than in {seen[1]}; build "
                                           f"the parts with the same edges (profile DATA --edges-from)")
    columns = {}
    for name in first["columns"]:
        parts = [doc["columns"][name] for doc, _ in docs]
        kind = parts[0]["kind"]
        if kind in NUMERIC_KINDS:
            columns[name] = {"kind": kind, **_merge_numeric(parts)}
        elif kind in CATEGORY_KINDS:
            columns[name] = {"kind": kind, **_merge_categories(parts)}
        else:
            columns[name] = {"kind": kind, "count": sum(p["count"] for p in parts),
                             "missing": sum(p["missing"] for p in parts)}
    return {"rows": sum(int(doc["rows"]) for doc, _ in docs), "columns": columns}


def chan_combine(n_a: int, mean_a: float, m2_a: float, n_b: int, mean_b: float, m2_b: float):
    """Count, mean and m2 of the union of two groups (Chan, Golub and LeVeque's parallel update)."""
    n = n_a + n_b
    if n_a == 0:
        return n_b, mean_b, m2_b
    if n_b == 0:
        return n_a, mean_a, m2_a
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b / n)
    m2 = m2_a + m2_b + delta * delta * (n_a * n_b / n)
    return n, mean, m2


def _m2_of(part: dict) -> float:
    if "m2" in part:
        return float(part["m2"])
    return float(part.get("std") or 0.0) ** 2 * part["count"]  # stored profiles without m2


def _merge_numeric(parts: list[dict]) -> dict:
    nonempty = [p for p in parts if p["count"]]
    out = {"count": sum(p["count"] for p in parts), "missing": sum(p["missing"] for p in parts),
           "infinite": sum(int(p.get("infinite", 0)) for p in parts),
           "sum": math.fsum(float(p.get("sum", 0.0)) for p in parts)}
    if not nonempty:
        out.update(mean=None, std=None, min=None, max=None, unique=0, deciles=None, bin_counts=None,
                   sketch=None, m2=0.0)
        return out
    n, mean, m2 = 0, 0.0, 0.0
    for p in nonempty:
        n, mean, m2 = chan_combine(n, mean, m2, p["count"], float(p["mean"]), _m2_of(p))
    out.update(mean=mean, m2=m2, std=math.sqrt(max(m2, 0.0) / n),
               min=min(p["min"] for p in nonempty), max=max(p["max"] for p in nonempty),
               deciles=list(nonempty[0]["deciles"]),
               bin_counts=[int(v) for v in np.sum([p["bin_counts"] for p in nonempty], axis=0)])
    if all(p["sketch"]["type"] == "values" for p in nonempty) and n <= SKETCH_VALUES_MAX:
        values = np.sort(np.concatenate([np.asarray(p["sketch"]["values"], dtype=float) for p in nonempty]))
        out["sketch"] = {"type": "values", "values": values.tolist(), "rank_error": 0.0}
        out["unique"] = int(np.unique(values).size)
    else:
        out["sketch"] = _merge_sketches(nonempty, n)
        out["unique"] = max(int(p.get("unique", 0)) for p in nonempty)
        out["unique_exact"] = False
    return out


def _cdf_points(part: dict) -> tuple[np.ndarray, np.ndarray]:
    """(values, cumulative probabilities) of one part's sketch."""
    sk = part["sketch"]
    values = np.asarray(sk["values"], dtype=float)
    if sk["type"] == "values":
        probs = np.linspace(0.0, 1.0, values.size) if values.size > 1 else np.array([1.0])
    else:
        probs = np.asarray(sk["probs"], dtype=float)
    return values, probs


def _merge_sketches(parts: list[dict], n: int) -> dict:
    """A quantile sketch of the union: the count-weighted mixture of the parts' CDFs, inverted on the grid."""
    grid = np.unique(np.concatenate([np.asarray(p["sketch"]["values"], dtype=float) for p in parts]))
    cdf = np.zeros(grid.size)
    worst = 0.0
    for p in parts:
        values, probs = _cdf_points(p)
        cdf += p["count"] * np.interp(grid, values, probs, left=0.0, right=1.0)
        sk = p["sketch"]
        worst = max(worst, float(sk.get("rank_error", 0.0)) if sk["type"] == "quantiles"
                    else (1.0 / max(values.size - 1, 1)))
    cdf /= n
    cdf = np.maximum.accumulate(cdf)
    probs = sketch_probs(n)
    values = np.interp(probs, cdf, grid)
    values[0], values[-1] = grid[0], grid[-1]
    step = float(np.max(np.diff(probs))) if probs.size > 1 else 1.0
    return {"type": "quantiles", "probs": probs.tolist(), "values": values.tolist(),
            "rank_error": min(1.0, worst + step)}


def _merge_categories(parts: list[dict]) -> dict:
    counts: dict[str, int] = {}
    for p in parts:
        for label, c in p["categories"].items():
            counts[label] = counts.get(label, 0) + int(c)
    return {"count": sum(p["count"] for p in parts), "missing": sum(p["missing"] for p in parts),
            "categories": counts, "other_count": sum(int(p.get("other_count", 0)) for p in parts),
            "truncated": any(p.get("truncated") for p in parts)}
