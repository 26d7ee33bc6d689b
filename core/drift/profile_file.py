"""The reference profile as a portable, versioned JSON file.

A profile file is the reference profile of :mod:`core.drift.profile` (``rows`` and ``columns``) with a header
and provenance::

    {"format": "preflight-reference-profile", "version": 1,
     "provenance": {"engine": ..., "source": ..., "rows": ..., "created_utc": ...},
     "edges": "own" | "given" | "merged",
     "rows": N, "columns": {...},
     "content_sha256": "<SHA-256 of the canonical JSON of everything else>"}

Numeric and datetime columns carry, besides the drift summary (deciles, bin counts, sketch, ...), the exact
moments ``sum`` and ``m2`` (sum of squared deviations from the mean), so that profiles of partitions merge
into the profile of the union exactly for counts and closely (Chan's parallel formula) for the mean and
variance; see :mod:`core.drift.profile_merge`.  Every sketch states its ``rank_error``: the largest share
of the rows by which a quantile read from the sketch can be off (0 for an all-values sketch).

Reading checks the header, the format version, the content hash and every column, and names the file and
the column in its one error.  Writing goes to a temporary file renamed into place, so an interrupted or
failed write leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import numpy as np

from core.canonical import canonical_json, sha256_text, utc_now
from core.drift.profile import (CATEGORY_KINDS, DECILES, KINDS, NUMERIC_KINDS, ReferenceProfile, bin_counts,
                                summarise_column, summary_entry)
from core.errors import InputFileError, PreflightError, check_cancel

FORMAT = "preflight-reference-profile"
FORMAT_VERSION = 1
ENGINE = "preflight-pandas"
HEADER_ORDER = ("format", "version", "provenance", "edges", "rows", "content_sha256")


# ---------------------------------------------------------------- building

def numeric_moments(sorted_values: np.ndarray) -> dict:
    """``sum`` and ``m2`` (sum of squared deviations from the mean) of the finite values."""
    if sorted_values.size == 0:
        return {"sum": 0.0, "m2": 0.0}
    mean = float(np.mean(sorted_values))
    dev = sorted_values - mean
    return {"sum": float(np.sum(sorted_values)), "m2": float(np.dot(dev, dev))}


def sketch_rank_error(sketch: dict | None) -> float:
    """Largest share of rows a quantile read from ``sketch`` can be off by (its largest probability gap)."""
    if not sketch or sketch.get("type") == "values":
        return 0.0
    probs = np.asarray(sketch.get("probs") or [], dtype=float)
    return float(np.max(np.diff(probs))) if probs.size > 1 else 1.0


def build_profile_data(df, kinds: dict[str, str], *, edges_from: dict | None = None, progress=None,
                       cancelled=None) -> dict:
    """Profile columns and row count of a table (plain dict).

    With ``edges_from`` (a profile file's dict) every numeric column takes that profile's decile edges and
    counts its values into those bins, so that profiles of partitions can be merged exactly.
    """
    missing_cols = [c for c in kinds if c not in df.columns]
    if missing_cols:
        raise PreflightError(f"the table has no column(s) {', '.join(map(repr, missing_cols))}")
    given = (edges_from or {}).get("columns", {})
    columns: dict[str, dict] = {}
    total = max(len(kinds), 1)
    for i, (name, kind) in enumerate(kinds.items()):
        check_cancel(cancelled)
        columns[name] = column_entry(df[name], kind, name, given if edges_from is not None else None)
        if progress is not None:
            progress((i + 1) / total)
    return {"rows": int(len(df)), "columns": columns}


def column_entry(series, kind: str, name: str, given: dict | None = None) -> dict:
    """The profile entry of one column (already coerced to ``kind``).

    With ``given`` (the ``columns`` of an ``--edges-from`` profile) a numeric column takes that profile's
    decile edges and counts its values into those bins.
    """
    if kind not in KINDS:
        raise PreflightError(f"column '{name}': unknown kind {kind!r}")
    if given is not None and kind in NUMERIC_KINDS:
        other = given.get(name)
        if other is None or other.get("kind") != kind:
            raise PreflightError(f"--edges-from profile has no {kind} column '{name}'")
    if kind in NUMERIC_KINDS:
        ref = summarise_column(series, kind, name)
        entry = summary_entry(kind, ref)
        entry.update(numeric_moments(ref.sample))
        if given is not None and given[name].get("deciles") is not None:
            edges = np.asarray(given[name]["deciles"], dtype=float)
            entry["deciles"] = [float(v) for v in edges]
            entry["bin_counts"] = [int(v) for v in bin_counts(ref.sample, edges)]
        if entry.get("sketch") is not None:
            entry["sketch"]["rank_error"] = sketch_rank_error(entry["sketch"])
    elif kind in CATEGORY_KINDS:
        entry = summary_entry(kind, summarise_column(series, kind, name))
    else:
        entry = {"count": int(series.notna().sum()), "missing": int(series.isna().sum())}
    return {"kind": kind, **entry}


def make_profile_file(data: dict, *, engine: str, source: str, edges: str, created_utc: str | None = None,
                      extra: dict | None = None) -> dict:
    """The full file content (header, provenance, data, content hash) for profile ``data``."""
    body = {"format": FORMAT, "version": FORMAT_VERSION,
            "provenance": {"engine": engine, "source": str(source), "rows": int(data["rows"]),
                           "created_utc": created_utc or utc_now(), **(extra or {})},
            "edges": edges, "rows": int(data["rows"]), "columns": data["columns"]}
    body = json.loads(canonical_json(body))
    body["content_sha256"] = content_sha256(body)
    return body


def content_sha256(doc: dict) -> str:
    return sha256_text(canonical_json({k: v for k, v in doc.items() if k != "content_sha256"}))


def write_profile_file(doc: dict, path) -> str:
    """Write ``doc`` atomically (temporary file, then rename); returns the file's SHA-256."""
    path = Path(path)
    head = [k for k in HEADER_ORDER if k in doc]  # the header first, so that a reader can tell it at a glance
    ordered = {**{k: doc[k] for k in head}, **{k: doc[k] for k in sorted(doc) if k not in head}}
    text = json.dumps(ordered, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputFileError(path, "cannot write the profile: the folder does not exist")
    # a new file of a random name (created as open() does, so with the user's usual permissions), renamed
    # over ``path`` once complete
    tmp = folder / f".profile-{secrets.token_hex(8)}.tmp"
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return sha256_text(text)


# ---------------------------------------------------------------- reading

def is_profile_file(path) -> bool:
    """Whether ``path`` starts like a profile file (its header is written first)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and f'"format": "{FORMAT}"'.encode() in head


def read_profile_file(path) -> tuple[dict, str]:
    """Read and check a profile file; returns (document, SHA-256 of the file's bytes).

    Raises :class:`InputFileError` naming the file (and the column) for anything wrong.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot read the profile file ({exc.strerror or exc})") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(path, f"not a reference profile: the file is not valid JSON ({exc})") from None
    import hashlib

    check_profile_doc(doc, path)
    return doc, hashlib.sha256(raw).hexdigest()


def check_profile_doc(doc, path) -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputFileError(path, f"not a reference profile (no \"format\": \"{FORMAT}\" header)")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputFileError(path, f"the profile's format version {version!r} is not a positive integer")
    if version > FORMAT_VERSION:
        raise InputFileError(path, f"the profile uses format version {version}, newer than this Preflight "
                                   f"reads (up to {FORMAT_VERSION}); please update Preflight")
    if doc.get("content_sha256") != content_sha256(doc):
        raise InputFileError(path, "the profile is damaged or was edited: its content does not match its "
                                   "content_sha256")
    cols = doc.get("columns")
    if not isinstance(cols, dict) or not isinstance(doc.get("rows"), int):
        raise InputFileError(path, "the profile has no \"rows\" count or no \"columns\" object")
    for name, col in cols.items():
        problem = column_problem(col)
        if problem:
            raise InputFileError(path, f"column '{name}': {problem}")
    try:
        ReferenceProfile.from_dict(doc)
    except PreflightError as exc:
        raise InputFileError(path, str(exc)) from None


def _is_count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def column_problem(col) -> str | None:
    """What is wrong with one stored column, or None."""
    if not isinstance(col, dict):
        return "not an object"
    kind = col.get("kind")
    if kind not in KINDS:
        return f"unknown kind {kind!r}"
    if not _is_count(col.get("count")) or not _is_count(col.get("missing")):
        return "\"count\" and \"missing\" must be non-negative integers"
    if kind in NUMERIC_KINDS and col["count"]:
        deciles, bins = col.get("deciles"), col.get("bin_counts")
        if not isinstance(deciles, list) or len(deciles) != len(DECILES) or \
                not all(isinstance(v, (int, float)) for v in deciles) or deciles != sorted(deciles):
            return f"\"deciles\" must be {len(DECILES)} ascending numbers"
        if not isinstance(bins, list) or len(bins) != len(DECILES) + 1 or not all(map(_is_count, bins)):
            return f"\"bin_counts\" must be {len(DECILES) + 1} non-negative integers"
        if sum(bins) != col["count"]:
            return f"the bin counts add up to {sum(bins)}, not to the column's count {col['count']}"
        sketch = col.get("sketch")
        if not isinstance(sketch, dict) or sketch.get("type") not in ("values", "quantiles") or \
                not isinstance(sketch.get("values"), list):
            return "\"sketch\" must be an object of type \"values\" or \"quantiles\" with \"values\""
        if sketch["type"] == "quantiles" and len(sketch.get("probs") or []) != len(sketch["values"]):
            return "the quantile sketch has a different number of probabilities and values"
    if kind in CATEGORY_KINDS:
        cats = col.get("categories")
        if not isinstance(cats, dict) or not all(map(_is_count, cats.values())):
            return "\"categories\" must map labels to non-negative integer counts"
        if sum(cats.values()) + int(col.get("other_count", 0)) != col["count"]:
            return "the category counts do not add up to the column's count"
    return None


def check_against_table(doc: dict, path, kinds: dict[str, str], columns=None) -> None:
    """The profile's columns (or ``columns``) must be in the current table with the same kinds."""
    names = list(columns) if columns else [n for n, c in doc["columns"].items() if c["kind"] != "text"]
    for name in names:
        col = doc["columns"].get(name)
        if col is None:
            raise InputFileError(path, f"the profile has no column '{name}'")
        if name not in kinds:
            raise InputFileError(path, f"column '{name}' of the profile is not in the current table")
        if kinds[name] != col["kind"]:
            raise InputFileError(path, f"column '{name}' is {col['kind']} in the profile but {kinds[name]} in "
                                       f"the current table (use --{col['kind']} {name} if that is right)")
