"""Build a reference profile file from a table with the engine that suits its size.

``build_profile_file(path, out, engine=...)`` is what ``python main.py profile DATA --out P.json`` and the
Data tab's "Build a profile file" run:

* ``memory`` reads the table with Preflight's reader and summarises every column
  (:func:`core.drift.profile_file.build_profile_data`);
* ``duckdb`` leaves the table on disk: an embedded DuckDB connection (bounded by the memory limit) hands
  over one column at a time, coerced exactly as the reader would, and the same per-column code
  (:func:`core.drift.profile_file.column_entry`) summarises it - so both engines write the same profile;
* ``dask`` builds it on a Dask cluster (a local one by default, or ``scheduler``), see
  :mod:`core.drift.dask_profile`;
* ``auto`` picks ``duckdb`` for a folder of Parquet files or when the table would not fit in the memory
  limit (the rule of the drift engines, :func:`core.data.footprint.engine_by_size`), else ``memory``.

The file is written atomically: a failure leaves no file behind.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import InputFileError, PreflightError, check_cancel
from core.progress import scaled

ENGINES = ("auto", "memory", "duckdb", "dask")


def choose(engine: str, path, memory_limit: int | None) -> tuple[str, str]:
    """(engine that runs, the reason in one sentence)."""
    from core.data import duckdb_source as dsrc
    from core.data.footprint import engine_by_size
    from core.drift.ooc_engine import FOOTPRINT_FACTOR

    if engine not in ENGINES:
        raise PreflightError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine != "auto":
        return engine, f"the {engine} engine was asked for (--engine {engine})"
    if Path(path).is_dir():
        return "duckdb", "the table is a folder of Parquet files, which only the out-of-core engine reads"
    return engine_by_size([path], FOOTPRINT_FACTOR, memory_limit or dsrc.default_memory_limit())


def build_profile_file(path, out, *, engine: str = "auto", overrides: dict | None = None,
                       columns: list[str] | None = None, edges_from=None, memory_limit: int | None = None,
                       scheduler: str | None = None, progress=None, cancelled=None) -> dict:
    """Profile the table at ``path`` and write the profile file ``out``; returns a summary
    (``out``, ``rows``, ``columns``, ``sha256`` of the written file, ``engine``, ``engine_reason``).

    ``edges_from`` is the path of a profile file whose numeric decile edges the bins use (so that profiles
    of partitions merge exactly).
    """
    from core.drift import profile_file as pf

    if scheduler and engine not in ("dask", "auto"):
        raise PreflightError("--scheduler is for the dask engine (--engine dask)")
    chosen, reason = ("dask", "a Dask scheduler was given") if scheduler and engine == "auto" else \
        choose(engine, path, memory_limit)
    edges = pf.read_profile_file(edges_from)[0] if edges_from else None
    check_cancel(cancelled)
    if chosen == "memory":
        data, prov = _build_memory(path, overrides, columns, edges, progress, cancelled)
    elif chosen == "duckdb":
        data, prov = _build_duckdb(path, overrides, columns, edges, memory_limit, progress, cancelled)
    else:
        _need_dask()
        from core.drift.dask_profile import build_dask_profile

        data, prov = build_dask_profile(path, overrides=overrides or None, columns=columns or None,
                                        edges_from=edges, scheduler=scheduler,
                                        progress=scaled(progress, 0.0, 0.95), cancelled=cancelled)
    prov.setdefault("engine_reason", reason)
    engine_name = prov.pop("engine", None) or pf.ENGINE
    check_cancel(cancelled)
    doc = pf.make_profile_file(data, engine=engine_name, source=str(path), edges="given" if edges else "own",
                               extra=prov)
    sha = pf.write_profile_file(doc, out)
    if progress is not None:
        progress(1.0)
    return {"out": str(out), "rows": data["rows"], "columns": len(data["columns"]), "sha256": sha,
            "engine": chosen, "engine_reason": reason}


def _need_dask() -> None:
    import importlib.util

    for name in ("dask", "distributed"):
        try:
            found = importlib.util.find_spec(name) is not None
        except (ValueError, ImportError):
            found = False
        if not found:
            raise PreflightError(f"the dask engine needs Dask, and {name} is not installed: "
                                 "pip install 'preflight[dask]'")


def _selected(kinds: dict, columns, path) -> dict:
    names = list(columns) if columns else list(kinds)
    unknown = [n for n in names if n not in kinds]
    if unknown:
        raise InputFileError(path, f"has no column '{unknown[0]}'")
    return {n: kinds[n] for n in names}


def _build_memory(path, overrides, columns, edges, progress, cancelled):
    from core.data.tables import read_table
    from core.drift import profile_file as pf

    table = read_table(path, kind_overrides=overrides or None, cancelled=cancelled)
    if progress is not None:
        progress(0.3)
    kinds = _selected(table.kinds, columns, path)
    data = pf.build_profile_data(table.df, kinds, edges_from=edges, progress=scaled(progress, 0.3, 0.95),
                                 cancelled=cancelled)
    return data, {"source_sha256": table.sha256}


def _build_duckdb(path, overrides, columns, edges, memory_limit, progress, cancelled):
    from core.data import duckdb_source as dsrc
    from core.drift import profile_file as pf
    from core.drift.ooc_read import fetch_column, sha256_path

    conn = dsrc.connect(memory_limit)
    try:
        view = dsrc.register(conn, path, "data", cancelled, dict(overrides or {}) or None)
        kinds = _selected(view.kinds, columns, path)
        given = (edges or {}).get("columns", {}) if edges is not None else None
        out: dict[str, dict] = {}
        notes: list[str] = []
        with dsrc.Interruptible(conn, cancelled, scaled(progress, 0.05, 0.85), passes=len(kinds)) as q:
            for name, kind in kinds.items():
                series = fetch_column(q, view, name, kind, notes)
                try:
                    out[name] = pf.column_entry(series, kind, name, given)
                except PreflightError as exc:
                    raise InputFileError(path, str(exc)) from None
                del series
                q.pass_done()
        rows = view.rows
    finally:
        conn.close()
    sha = sha256_path(path, cancelled)
    return {"rows": int(rows), "columns": out}, {"engine": "preflight-duckdb", "source_sha256": sha}
