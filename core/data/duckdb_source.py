"""Tables that do not fit in memory, read by an embedded DuckDB connection.

The out-of-core drift and validation engines share this helper:

* :func:`connect` opens an in-process DuckDB connection with a memory limit (by default half
  the machine's RAM, at most 4 GB), a thread count and a temporary directory DuckDB spills to
  when an operator outgrows the limit.
* :func:`register` exposes a CSV or Parquet file (or a folder of Parquet files) as a view with
  the column names of the file and, as far as a query can tell without loading the table, the
  column kinds Preflight's in-memory reader would infer (see :func:`_kind`).  Problems name the
  file and the column.
* :class:`Interruptible` runs queries so that the caller's ``cancelled()`` stops them: a
  watcher thread calls ``conn.interrupt()`` and the query raises :class:`core.errors.Cancelled`.

Nothing here holds a table in Python memory; results of queries are small (aggregates,
order statistics, samples).
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.data.kinds import FALSE_WORDS, MAX_CATEGORIES, MAX_INT_CATEGORIES, MIN_ROWS_FOR_SHARE, \
    MOSTLY, TRUE_WORDS, _looks_like_id
from core.data.text import NULL_TOKENS
from core.data.footprint import parse_memory  # noqa: F401  (re-exported)
from core.errors import Cancelled, InputFileError, PreflightError

MAX_DEFAULT_MEMORY = 4 << 30
_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                  "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "REAL")
_INTEGER_TYPES = _NUMERIC_TYPES[:9]
_ISO_DATE_SQL = (r"^\s*\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?"
                 r"\s*(Z|[+-]\d{2}:?\d{2})?)?\s*$")


def machine_memory() -> int | None:
    """Physical RAM in bytes, or None when the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def default_memory_limit() -> int:
    """Half the machine's RAM, at most 4 GB (1 GB when the RAM is unknown)."""
    ram = machine_memory()
    return min(ram // 2, MAX_DEFAULT_MEMORY) if ram else 1 << 30


def connect(memory_limit: int | None = None, threads: int | None = None,
            temp_directory: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database bounded by ``memory_limit`` bytes, spilling to disk."""
    limit = max(int(memory_limit or default_memory_limit()), 64 << 20)
    conn = duckdb.connect(":memory:")
    conn.execute(f"SET memory_limit = '{int(limit) // (1 << 20)}MB'")
    conn.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
    tmp = temp_directory or os.path.join(tempfile.gettempdir(), "preflight-duckdb")
    conn.execute(f"SET temp_directory = '{_quote(tmp)}'")
    conn.execute("SET preserve_insertion_order = false")
    conn.execute("SET enable_progress_bar = false")
    return conn


def _quote(text: str) -> str:
    return str(text).replace("'", "''")


def ident(name: str) -> str:
    """A column or view name quoted for SQL."""
    return '"' + str(name).replace('"', '""') + '"'


@dataclass
class SourceView:
    """A file registered as a view: its name, columns, DuckDB types and Preflight kinds."""
    path: str
    view: str
    rows: int
    columns: list[str]
    types: dict[str, str]
    kinds: dict[str, str]
    notes: list[str] = field(default_factory=list)


class Interruptible:
    """Runs queries on ``conn`` so that ``cancelled()`` interrupts them.

    Use as a context manager; a watcher thread polls ``cancelled`` every ``poll`` seconds
    and calls ``conn.interrupt()``.  :meth:`sql` turns DuckDB's interrupt into
    :class:`Cancelled`, and ``pass_done()`` reports progress per pass.
    """

    def __init__(self, conn, cancelled=None, progress=None, passes: int = 1, poll: float = 0.05):
        self.conn, self.cancelled, self.progress = conn, cancelled, progress
        self.passes, self.done, self.poll = max(1, passes), 0, poll
        self._stop = threading.Event()
        self._fired = False
        self._thread = None

    def __enter__(self):
        if self.cancelled is not None:
            self._thread = threading.Thread(target=self._watch, daemon=True,
                                            name="preflight-duckdb-cancel")
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return False

    def _watch(self):
        while not self._stop.wait(self.poll):
            if self.cancelled():
                self._fired = True
                self.conn.interrupt()
                return

    def check(self):
        if self._fired or (self.cancelled is not None and self.cancelled()):
            raise Cancelled()

    def sql(self, query: str, params=None):
        """Execute ``query`` and return the relation's rows (a list of tuples)."""
        self.check()
        try:
            return self.conn.execute(query, params or []).fetchall()
        except duckdb.InterruptException:
            raise Cancelled() from None
        except duckdb.OutOfMemoryException as exc:
            raise PreflightError(f"the out-of-core engine ran out of its memory limit: {exc}; "
                                 "raise --memory-limit or free disk for spilling") from None
        finally:
            self.check()

    def arrow(self, query: str, params=None):
        """Execute ``query`` and return a pyarrow table (for small results)."""
        self.check()
        try:
            return self.conn.execute(query, params or []).fetch_arrow_table()
        except duckdb.InterruptException:
            raise Cancelled() from None
        finally:
            self.check()

    def pass_done(self, note: str | None = None):
        self.done += 1
        if self.progress is not None:
            self.progress(min(1.0, self.done / self.passes))


def file_format(path: Path) -> str:
    """``parquet`` or ``csv`` from the name (a folder is a Parquet dataset)."""
    if path.is_dir():
        return "parquet-dir"
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")):
        return "csv"
    raise InputFileError(path, "the out-of-core engine reads CSV or Parquet files (or a folder "
                               "of Parquet files); convert this file or use --engine memory")


def _scan_sql(path: Path, fmt: str) -> str:
    p = _quote(str(path))
    if fmt == "parquet":
        return f"read_parquet('{p}')"
    if fmt == "parquet-dir":
        return f"read_parquet('{_quote(str(path / '**' / '*.parquet'))}')"
    nulls = ", ".join(f"'{_quote(t)}'" for t in NULL_TOKENS)
    return (f"read_csv('{p}', header = true, nullstr = [{nulls}], sample_size = -1, "
            f"all_varchar = false)")


def _check_dataset_schema(path: Path) -> None:
    """Every Parquet file of a dataset folder must have the same columns and types."""
    import pyarrow.parquet as pq
    files = sorted(path.rglob("*.parquet"))
    if not files:
        raise InputFileError(path, "is a folder without .parquet files")
    first = None
    for f in files:
        try:
            schema = pq.read_schema(f)
        except Exception as exc:  # noqa: BLE001 - damaged file: say which
            raise InputFileError(f, f"is a damaged Parquet file ({exc})") from None
        if first is None:
            first, first_file = schema, f
            continue
        a = {n: str(schema.field(n).type) for n in schema.names}
        b = {n: str(first.field(n).type) for n in first.names}
        for col in sorted(set(a) | set(b)):
            if a.get(col) != b.get(col):
                raise InputFileError(f, f"column {col!r} is {a.get(col, 'absent')} here but "
                                        f"{b.get(col, 'absent')} in {first_file.name}: a dataset "
                                        "folder needs one schema")


def register(conn, path, view: str, cancelled=None,
             kind_overrides: dict | None = None) -> SourceView:
    """Expose ``path`` as view ``view`` and work out its columns' kinds."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "does not exist")
    fmt = file_format(path)
    if fmt == "parquet-dir":
        _check_dataset_schema(path)
    try:
        conn.execute(f"CREATE OR REPLACE VIEW {ident(view)} AS SELECT * FROM {_scan_sql(path, fmt)}")
        described = conn.execute(f"DESCRIBE {ident(view)}").fetchall()
    except duckdb.Error as exc:
        raise InputFileError(path, f"cannot be read by the out-of-core engine: "
                                   f"{str(exc).splitlines()[0]}") from None
    columns = [r[0] for r in described]
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise InputFileError(path, f"has two columns named {dup!r}")
    types = {r[0]: str(r[1]).upper() for r in described}
    with Interruptible(conn, cancelled) as q:
        try:
            rows = q.sql(f"SELECT count(*) FROM {ident(view)}")[0][0]
        except duckdb.Error as exc:
            raise InputFileError(path, f"cannot be read: {str(exc).splitlines()[0]}") from None
        if rows == 0:
            raise InputFileError(path, "has columns but no data rows")
        kinds = {}
        for col in columns:
            kinds[col] = (kind_overrides or {}).get(col) or _kind(q, view, col, types[col], rows)
    return SourceView(str(path), view, int(rows), columns, types, kinds)


def _kind(q: Interruptible, view: str, col: str, dtype: str, rows: int) -> str:
    """The kind Preflight's reader would infer for one column, decided by small queries.

    Numbers: whole numbers with at most 10 distinct values are categorical, all-distinct
    identifiers are text, the rest numeric.  Strings: more than 1000 distinct labels (or,
    with at least 20 values, more than half of them distinct) is text; labels that are all
    booleans, all numbers or mostly ISO dates take that kind; the rest is categorical.
    """
    c, v = ident(col), ident(view)
    if dtype == "BOOLEAN":
        return "boolean"
    if dtype.startswith(("TIMESTAMP", "DATE")):
        return "datetime"
    if dtype in _NUMERIC_TYPES or dtype.startswith("DECIMAL"):
        whole = dtype in _INTEGER_TYPES or q.sql(
            f"SELECT bool_and(isinf({c}) OR {c} = trunc({c})) FROM {v} "
            f"WHERE {c} IS NOT NULL AND NOT isnan({c})")[0][0]
        if not whole:
            return "numeric"
        n, count = q.sql(f"SELECT count(DISTINCT {c}), count({c}) FROM {v}")[0]
        if n and n <= MAX_INT_CATEGORIES:
            return "categorical"
        if _looks_like_id(col) and count >= MIN_ROWS_FOR_SHARE and n == count:
            return "text"
        return "numeric"
    if not dtype.startswith("VARCHAR"):
        return "text"
    words = ", ".join(f"'{w}'" for w in sorted(TRUE_WORDS | FALSE_WORDS))
    count, numbers, dates, bools = q.sql(
        f"SELECT count({c}), count(TRY_CAST({c} AS DOUBLE)), "
        f"count(*) FILTER (WHERE regexp_matches({c}, '{_ISO_DATE_SQL}')), "
        f"count(*) FILTER (WHERE lower(trim({c})) IN ({words})) FROM {v}")[0]
    if count and bools == count:
        return "boolean"
    if count and numbers >= MOSTLY * count:
        return "numeric"
    if count and dates >= MOSTLY * count:
        return "datetime"
    n = q.sql(f"SELECT count(*) FROM (SELECT DISTINCT {c} FROM {v} WHERE {c} IS NOT NULL "
              f"LIMIT {MAX_CATEGORIES + 1})")[0][0]
    if n > MAX_CATEGORIES or (count >= MIN_ROWS_FOR_SHARE and n > count / 2):
        return "text"
    return "categorical"
