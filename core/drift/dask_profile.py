"""Building a reference profile file with Dask: ``profile DATA --engine dask [--scheduler ADDRESS]``.

The table (a Parquet file, a folder of Parquet files with one schema, or CSV file(s) / a glob) is read by
``dask.dataframe`` on a Dask cluster - a local one started for the run (127.0.0.1, no dashboard) or the
one at ``scheduler`` - and never pulled into the client: the client only receives counts, samples and
the few values the profile stores.  The result equals :func:`core.drift.profile_file.build_profile_data`
on the same table read by :func:`core.data.tables.read_table`:

* kinds follow the reader's rules (:mod:`core.data.kinds`), decided from per-partition aggregates
  (:func:`core.drift.dask_parts.decide_kind`); every column is then coerced on the workers by the reader's
  own :func:`core.data.kinds.coerce_column`, so missing values, ``inf``/``-inf`` (read as missing, as the
  reader does), category labels and datetimes (epoch seconds) are the reader's;
* numeric columns are range-partitioned on the workers: each partition sorts its finite values, a weighted
  sample of them chooses cut values, and each value range gathers and sorts its pieces.  The ranges are
  value-disjoint and globally ordered, so every order statistic is fetched exactly and the deciles and the
  quantile sketch are numpy's linear quantiles bit for bit; ``unique``, ``min``, ``max``, the bin counts
  and the counts are exact; ``sum``, ``mean``, ``m2`` and ``std`` combine per-range moments (Chan's
  formula) and agree with the in-memory builder to rounding (about 1e-12 relative);
* category counts are added up on a worker, which also keeps the top 10,000 categories.

Known differences from the in-memory reader: with several Parquet files, a text column counts as read
dictionary-encoded (the reader's rule for categoricals) when the files together store it in at most 3
bytes per value; the reader's 2,000-row sample pre-checks are skipped (they only shortcut the full 95 %
tests); a string datetime column's time-zone handling and non-ISO fallback are decided per partition; CSV
files are read by pandas (all columns as text, then coerced) rather than by Arrow's CSV reader.

Workers must be able to import Preflight (``core``): a local cluster always can; for a remote cluster
install Preflight on the workers.
"""

from __future__ import annotations

import glob
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core.drift import dask_parts as dp
from core.drift.profile import (CATEGORY_KINDS, DECILES, KINDS, NUMERIC_KINDS, SKETCH_VALUES_MAX, interpolate,
                                quantile_plan, sketch_probs)
from core.drift.profile_file import sketch_rank_error
from core.errors import Cancelled, InputFileError, PreflightError, check_cancel

LOCAL_WORKERS = 2
PASSES = 5
POLL = 0.02
RANGE_ROWS = 4_000_000  # values per sorted range (32 MB); at least one range per worker, at most one per partition
# no dashboard; the scheduler's health endpoint on a free loopback port (not 8787 on every interface)
LOOPBACK_HTTP = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}


# ---------------------------------------------------------------- reading

def _files(path) -> tuple[str, list[Path]]:
    """The table's format (``parquet`` or ``csv``) and its files; bad paths raise InputFileError."""
    text = str(path)
    if any(ch in text for ch in "*?["):
        files = sorted(Path(f) for f in glob.glob(text))
        if not files:
            raise InputFileError(path, "no file matches this pattern")
    else:
        p = Path(path)
        if not p.exists():
            raise InputFileError(p, "file not found")
        files = sorted(p.rglob("*.parquet")) if p.is_dir() else [p]
        if not files:
            raise InputFileError(p, "is a folder without .parquet files")
    kinds = {_format(f) for f in files}
    if len(kinds) > 1:
        raise InputFileError(path, "mixes Parquet and CSV files; give one format")
    for f in files:
        if f.stat().st_size == 0:
            raise InputFileError(f, "is empty (0 bytes)")
    fmt = kinds.pop()
    if fmt == "parquet":
        dp.one_schema(files)
    return fmt, files


def _format(f: Path) -> str:
    name = f.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")):
        return "csv"
    raise InputFileError(f, "the Dask engine reads Parquet or CSV files (or a folder of Parquet files)")


def _read(fmt: str, files: list[Path], path):
    import dask.dataframe as dd

    from core.data.text import NULL_TOKENS, sniff_delimiter

    try:
        if fmt == "parquet":
            return dd.read_parquet([str(f) for f in files])
        gz = files[0].name.lower().endswith(".gz")
        opener = __import__("gzip").open if gz else open
        with opener(files[0], "rb") as fh:
            head = fh.read(65536)
        base = "tsv" if ".tsv" in files[0].name.lower() else "csv"
        sep = sniff_delimiter(head.decode("utf-8", "replace").lstrip("\ufeff"), base, len(head) < 65536)
        return dd.read_csv([str(f) for f in files], sep=sep, dtype=str, keep_default_na=False,
                           na_values=list(NULL_TOKENS), blocksize=None if gz else "64MB", encoding="utf-8-sig")
    except (OSError, ValueError, TypeError) as exc:
        raise InputFileError(path, f"cannot be read ({str(exc).splitlines()[0] if str(exc) else exc})") from None


# ---------------------------------------------------------------- the cluster

class _Session:
    """A Dask client (on a cluster of its own, or on ``scheduler``) that waits cancellably."""

    def __init__(self, scheduler, cancelled, path):
        from distributed import Client, LocalCluster

        self.cancelled, self.path, self.cluster = cancelled, path, None
        if scheduler:
            try:
                self.client = Client(scheduler, set_as_default=False, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise PreflightError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
            self.where = str(scheduler)
        else:
            n = max(1, min(LOCAL_WORKERS, os.cpu_count() or 1))
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, host="127.0.0.1", processes=True,
                                        dashboard_address=None, scheduler_kwargs=LOOPBACK_HTTP)
            self.client = Client(self.cluster, set_as_default=False)
            self.where = f"local cluster, {n} workers"
        self.workers = len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def close(self):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def gather(self, futures):
        """Results of ``futures`` (a list), cancelling them when ``cancelled()`` turns true meanwhile."""
        pending = list(futures)
        while pending:
            if self.cancelled is not None and self.cancelled():
                self.client.cancel(futures)
                raise Cancelled()
            pending = [f for f in pending if not f.done()]
            if pending:
                time.sleep(POLL)
        try:
            return self.client.gather(futures)
        except InputFileError:
            raise
        except PreflightError as exc:
            raise InputFileError(self.path, str(exc)) from None
        except (OSError, ValueError, KeyError) as exc:
            raise InputFileError(self.path, f"cannot be read ({exc})") from None


# ---------------------------------------------------------------- the profile

def build_dask_profile(path, *, overrides: dict | None = None, columns: list[str] | None = None,
                       edges_from: dict | None = None, scheduler: str | None = None,
                       progress=None, cancelled=None) -> tuple[dict, dict]:
    """Profile the table at ``path`` on a Dask cluster.

    Returns ``(data, provenance_extra)``: ``data = {"rows": N, "columns": {...}}`` as
    :func:`core.drift.profile_file.build_profile_data` returns it for the same table, and
    ``provenance_extra = {"engine": "dask-<version>", "scheduler": ..., "partitions": P, "workers": W}``.
    ``overrides`` maps columns to kinds, ``columns`` restricts the profile, ``edges_from`` (a profile
    file's dict) gives the numeric bin edges.  Raises InputFileError naming the file and the column for
    bad input and :class:`core.errors.Cancelled` when ``cancelled()`` turns true.
    """
    import dask

    report = progress or (lambda _f: None)
    check_cancel(cancelled)
    fmt, files = _files(path)
    ddf = _read(fmt, files, path)
    names = [str(c) for c in ddf.columns]
    if len(set(names)) != len(names):
        raise InputFileError(path, f"has two columns named {next(c for c in names if names.count(c) > 1)!r}")
    overrides = dict(overrides or {})
    for name, kind in overrides.items():
        if name not in names:
            raise InputFileError(path, f"has no column '{name}' (given a kind); the columns are {', '.join(names)}")
        if kind not in KINDS:
            raise PreflightError(f"column {name!r}: unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    wanted = list(columns) if columns else names
    for name in wanted:
        if name not in names:
            raise InputFileError(path, f"has no column '{name}'")
    ddf = ddf[wanted]
    dictionary = dp.dictionary_columns(files) if fmt == "parquet" and len(files) else set()
    session = _Session(scheduler, cancelled, path)
    try:
        parts = ddf.to_delayed()
        kinds = _infer(session, parts, ddf.dtypes, wanted, overrides, dictionary)
        report(1 / PASSES)
        data = _profile(session, parts, kinds, edges_from, path, report)
        extra = {"engine": f"dask-{dask.__version__}", "scheduler": session.where,
                 "partitions": len(parts), "workers": session.workers}
    finally:
        session.close()
    report(1.0)
    return data, extra


def _infer(session, parts, dtypes, wanted, overrides, dictionary) -> dict:
    import dask

    classes = {n: dp.raw_class(dtypes[n]) for n in wanted}
    need = [n for n in wanted if n not in overrides and classes[n] in ("number", "string")]
    stats = {}
    if need:
        per_part = session.gather(session.client.compute([dask.delayed(dp.kind_stats)(p, need) for p in parts]))
        stats = {n: dp.merge_kind_stats([s[n] for s in per_part]) for n in need}
    return {n: overrides.get(n) or dp.decide_kind(n, classes[n], stats.get(n), n in dictionary or
                                                  isinstance(dtypes[n], pd.CategoricalDtype)) for n in wanted}


def _profile(session, parts, kinds, edges_from, path, report) -> dict:
    import dask

    given = (edges_from or {}).get("columns", {})
    def no_edges(name, kind):
        other = given.get(name)
        return edges_from is not None and (other is None or other.get("kind") != kind)

    for name, kind in kinds.items():  # an identifier-like column may turn out text: checked below
        if kind in NUMERIC_KINDS and no_edges(name, kind):
            raise PreflightError(f"--edges-from profile has no {kind} column '{name}'")
    prepared = session.client.compute([dask.delayed(dp.prepare)(p, kinds) for p in parts])
    light = session.gather([session.submit(dp.light, f) for f in prepared])
    report(2 / PASSES)
    rows = sum(next(iter(lp.values()))["rows"] for lp in light) if light and light[0] else 0
    if rows == 0:
        raise InputFileError(path, "has columns but no data rows")
    for name, kind in kinds.items():
        raws = [lp[name] for lp in light if lp[name]["raw"]]
        if raws and all(e["none_fit"] for e in raws):
            raise InputFileError(path, f"column {name!r} cannot be read as {kind}: none of its values fit")
    cats = {n: session.submit(dp.category_entry, k, *[session.submit(dp.pick, f, n) for f in prepared])
            for n, k in kinds.items() if k in CATEGORY_KINDS}
    numeric = [n for n, k in kinds.items() if k in NUMERIC_KINDS or k == "numeric?"]
    values = {n: [session.submit(dp.pick, f, n, "values") for f in prepared] for n in numeric}
    del prepared
    edges = {n: np.asarray(given[n]["deciles"], dtype=float) for n in numeric
             if not no_edges(n, "numeric" if kinds[n] == "numeric?" else kinds[n])
             and given.get(n, {}).get("deciles") is not None}
    stats = _numeric(session, values, edges, report)
    cat_entries = dict(zip(cats, session.gather(list(cats.values()))))
    columns = {}
    for name, kind in kinds.items():
        base = [lp[name] for lp in light]
        if kind in CATEGORY_KINDS:
            entry = cat_entries[name]
        elif kind in NUMERIC_KINDS or (kind == "numeric?" and not _all_distinct(stats[name])):
            if kind == "numeric?" and no_edges(name, "numeric"):
                raise PreflightError(f"--edges-from profile has no numeric column '{name}'")
            kind = "numeric" if kind == "numeric?" else kind
            entry = _numeric_entry(stats[name], base)
        else:
            kind = "text"
            raw = sum(e["raw"] for e in base) if kinds[name] == "numeric?" else sum(e["count"] for e in base)
            entry = {"count": raw, "missing": sum(e["rows"] for e in base) - raw}
        columns[name] = {"kind": kind, **entry}
    return {"rows": int(rows), "columns": columns}


def _all_distinct(s: dict) -> bool:
    return s["count"] >= dp.K.MIN_ROWS_FOR_SHARE and s["unique"] == s["count"]


def _numeric(session, values: dict, edges: dict, report) -> dict:
    """Per numeric column: count, unique, moments, ends, deciles, sketch values and bin counts (exact)."""
    if not values:
        return {}
    names = list(values)
    workers = max(session.workers, 1)
    infos = session.gather([session.submit(dp.run_info, f) for n in names for f in values[n]])
    ranges = {}
    for n in names:
        mine, infos = infos[:len(values[n])], infos[len(values[n]):]
        count = sum(i["n"] for i in mine)
        cuts = dp.splitters(mine, min(len(values[n]), max(workers, -(-count // RANGE_ROWS))))
        splits = [session.submit(dp.split_sorted, f, cuts) for f in values[n]]
        ranges[n] = [session.submit(dp.merge_runs, *[session.submit(dp.piece, s, j) for s in splits])
                     for j in range(cuts.size + 1)]
    values.clear()
    flat = [(n, f) for n in names for f in ranges[n]]
    rinfo = session.gather([session.submit(dp.range_info, f, edges.get(n)) for n, f in flat])
    report(3 / PASSES)
    out, fetch = {}, []
    for n in names:
        mine, rinfo = rinfo[:len(ranges[n])], rinfo[len(ranges[n]):]
        count = sum(i["n"] for i in mine)
        total, mean, m2 = dp.combine_moments(mine)
        nonempty = [i for i in mine if i["n"]]
        out[n] = {"count": count, "unique": sum(i["unique"] for i in mine), "sum": total, "mean": mean,
                  "m2": m2, "min": nonempty[0]["min"] if nonempty else None,
                  "max": nonempty[-1]["max"] if nonempty else None,
                  "given_bins": np.sum([i["bins"] for i in mine], axis=0) if n in edges else None}
        if count:
            probs = np.concatenate([np.asarray(DECILES), sketch_probs(count) if count > SKETCH_VALUES_MAX else []])
            lo, hi, gamma = quantile_plan(count, probs)
            idx = np.arange(count) if count <= SKETCH_VALUES_MAX else np.unique(np.concatenate([lo, hi]))
            out[n].update(plan=(lo, hi, gamma), idx=idx)
            fetch.extend(_takes(session, ranges[n], [i["n"] for i in mine], idx, n))
    got = session.gather([f for _, _, f in fetch])
    report(4 / PASSES)
    for n in names:
        if out[n]["count"]:
            out[n]["fetched"] = np.concatenate([g for (m, _, _), g in zip(fetch, got) if m == n])
            out[n]["quantiles"] = _quantiles(out[n])
    bins = [(n, session.submit(dp.bin_counts, f, out[n]["quantiles"][:len(DECILES)]))
            for n in names if out[n]["count"] and n not in edges for f in ranges[n]]
    counted = session.gather([f for _, f in bins])
    for n in names:
        mine = [c for (m, _), c in zip(bins, counted) if m == n]
        out[n]["bins"] = out[n]["given_bins"] if n in edges else (np.sum(mine, axis=0) if mine else None)
        out[n]["edges"] = edges[n] if n in edges else (out[n]["quantiles"][:len(DECILES)] if out[n]["count"]
                                                       else None)
    return out


def _takes(session, ranges, lengths, idx, name):
    """Futures fetching the values at global ranks ``idx`` from the ordered ranges."""
    ends = np.cumsum(lengths)
    which = np.searchsorted(ends, idx, side="right")
    out = []
    for j in np.unique(which):
        local = idx[which == j] - (ends[j] - lengths[j])
        out.append((name, j, session.submit(dp.take, ranges[j], local)))
    return out


def _quantiles(s: dict) -> np.ndarray:
    """The deciles, then the sketch quantiles, interpolated from the fetched neighbours."""
    lo, hi, gamma = s["plan"]
    idx, got = s["idx"], s["fetched"]
    return interpolate(got[np.searchsorted(idx, lo)], got[np.searchsorted(idx, hi)], gamma)


def _numeric_entry(s: dict, base: list) -> dict:
    missing = sum(e["missing"] for e in base)
    infinite = sum(e["infinite"] for e in base)
    count = s["count"]
    entry = {"count": count, "missing": missing, "infinite": infinite, "mean": None, "std": None, "min": None,
             "max": None, "unique": 0, "deciles": None, "bin_counts": None, "sketch": None,
             "sum": s["sum"] if count else 0.0, "m2": s["m2"] if count else 0.0}
    if not count:
        return entry
    q = s["quantiles"]
    entry.update(mean=s["mean"], std=float(np.sqrt(max(s["m2"], 0.0) / count)), min=s["min"], max=s["max"],
                 unique=s["unique"], deciles=[float(v) for v in s["edges"]],
                 bin_counts=[int(v) for v in s["bins"]])
    if count <= SKETCH_VALUES_MAX:
        entry["sketch"] = {"type": "values", "values": s["fetched"].tolist()}
    else:
        entry["sketch"] = {"type": "quantiles", "probs": sketch_probs(count).tolist(),
                           "values": q[len(DECILES):].tolist()}
    entry["sketch"]["rank_error"] = sketch_rank_error(entry["sketch"])
    return entry
