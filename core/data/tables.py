"""Reading reference and production data tables for Preflight, with clear errors.

Formats, chosen by file extension and confirmed by the file's first bytes ("magic"):
CSV / TSV (delimiter sniffed among ``, ; TAB |``), the same gzip-compressed (``.csv.gz``,
``.tsv.gz``), Parquet, Excel ``.xlsx`` (first sheet), JSON Lines (``.jsonl``/``.ndjson``) and
a JSON array of records (``.json``).  A file with another extension is recognised from its
content.  An image, archive, HTML page or random bytes under a table's name is refused with
a message that says what the file really is.

Text files may be UTF-8 (with or without a BOM) or UTF-16/32 with a BOM.  Anything else is
read as Windows-1252 (or Latin-1 when cp1252 cannot decode it) and a warning says so.
In CSV/TSV the values ``""``, ``NA``, ``N/A``, ``n/a``, ``null``, ``None``, ``-``, ``NaN``,
``NULL`` and ``#N/A`` are missing (also in Excel and JSON string cells).

Column kinds and coercion follow :mod:`core.data.kinds` (see its docstring for the rules):
a column in which at least 95 % of the values are numbers is numeric and its few other
values become missing with a warning; ``inf``/``-inf`` become missing with a warning;
empty and constant columns are reported as warnings.

:func:`preview` (and ``nrows``) read only as much of a file as the first rows need (a JSON
array, which has to be parsed whole, is the exception).

Limits: ``max_bytes`` (default 2 GiB) caps the *decompressed* size of the data, checked
while streaming (a gzip bomb stops after ``max_bytes``), from the Parquet metadata and from
the sizes stored in an ``.xlsx`` archive.  In CSV/TSV/JSON Lines a line may hold at most 64 MB and
a field 16 MB (:mod:`core.data.limits`, which also warns about a quote that is never closed).
Integers past the int64 range follow :mod:`core.data.big_numbers`; tables of 1,000 columns or more
are read by :mod:`core.data.wide`.  Every problem with the input raises
:class:`~core.errors.InputFileError` naming the file (and the line, where there is one).

:func:`count_rows` gives a file's exact row count without loading it (:mod:`core.data.rowcount`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from core.canonical import sha256_file
from core.errors import InputFileError, PreflightError, check_cancel
from core.data.kinds import KINDS, apply_kinds, check_kinds, coerce_table, infer_column_kind, \
    infer_kinds, quality_warnings
from core.data.big_numbers import kind_hints
from core.data.bulk import surely_numeric
from core.data.readers import read_frame
from core.data.text import NULL_TOKENS, describe_binary  # noqa: F401  (NULL_TOKENS re-exported)

__all__ = ["KINDS", "DEFAULT_MAX_BYTES", "NULL_TOKENS", "LoadedTable", "read_table", "preview",
           "infer_kinds", "apply_kinds", "count_rows"]

DEFAULT_MAX_BYTES = 2 * 1024 ** 3

_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "csv", ".parquet": "parquet",
               ".pq": "parquet", ".xlsx": "xlsx", ".xlsm": "xlsx", ".jsonl": "jsonl",
               ".ndjson": "jsonl", ".json": "json"}
TEXT_FORMATS = ("csv", "tsv", "jsonl", "json")


@dataclass(frozen=True)
class LoadedTable:
    """A data table read from disk, with its column kinds and what was noticed on the way."""

    path: str
    format: str
    df: pd.DataFrame = field(repr=False, compare=False)
    kinds: dict
    sha256: str
    size: int
    warnings: tuple[str, ...] = ()
    complete: bool = True  # the whole file was read, so ``rows`` is the file's exact row count

    @property
    def rows(self) -> int:
        return int(len(self.df))

    def info(self) -> dict:
        """Plain description for reports: path, rows, columns (count), sha256, format, size, and
        ``rows_exact`` (true after a full read: ``rows`` is then the file's row count, not a preview's)."""
        return {"path": self.path, "rows": self.rows, "columns": int(self.df.shape[1]),
                "sha256": self.sha256, "format": self.format, "size": int(self.size),
                "rows_exact": bool(self.complete)}

    def input_record(self, role: str) -> dict:
        """How a run records this table among its inputs: role, path, SHA-256, size, rows, format."""
        return {"role": role, "path": self.path, "sha256": self.sha256, "size": self.size, "rows": self.rows,
                "format": self.format}


def _format_from_name(path: Path) -> str | None:
    name = path.name.lower()
    gz = name.endswith(".gz")
    base = name[:-3] if gz else name
    fmt = _EXTENSIONS.get(os.path.splitext(base)[1])
    if gz:
        if fmt not in TEXT_FORMATS + (None,):
            raise InputFileError(path, f"gzip-compressed {fmt} files are not supported; "
                                       "decompress it first")
        return (fmt or "csv") + ".gz"
    return fmt


def _format_from_content(path: Path, head: bytes) -> str:
    if head.startswith(b"\x1f\x8b"):
        return "csv.gz"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    what = describe_binary(head)
    if what:
        raise InputFileError(path, f"is {what}, not a data table")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json"
    return "jsonl" if text.startswith(b"{") else "csv"


def _check_magic(path: Path, fmt: str, head: bytes, tail: bytes) -> None:
    """Refuse content that does not match the format the name promises."""
    what = describe_binary(head)
    if fmt.endswith(".gz"):
        if not head.startswith(b"\x1f\x8b"):
            raise InputFileError(path, "is named like a gzip file but is not gzip-compressed"
                                       + (f" (it is {what})" if what else ""))
    elif fmt == "parquet":
        if not head.startswith(b"PAR1"):
            raise InputFileError(path, f"is not a Parquet file (it is {what or 'text'})")
        if not tail.endswith(b"PAR1"):
            raise InputFileError(path, "is a truncated or damaged Parquet file: its footer is "
                                       "missing (was the copy or download interrupted?)")
    elif fmt == "xlsx":
        if not head.startswith(b"PK\x03\x04"):
            hint = "; save it as .xlsx" if head.startswith(b"\xd0\xcf\x11\xe0") else ""
            raise InputFileError(path, "is not an Excel .xlsx workbook "
                                       f"(it is {what or 'text'}{hint})")
    elif what:
        hint = {"gzip-compressed data": "; name it .csv.gz", "a Parquet file": "; name it .parquet",
                "a ZIP archive (such as an .xlsx workbook)":
                    "; an Excel workbook must be named .xlsx"}
        raise InputFileError(path, f"is {what}, not a {fmt.upper()} text table{hint.get(what, '')}")


def _prepare(path) -> tuple[Path, int]:
    p = Path(path)
    if not p.exists():
        raise InputFileError(p, "file not found")
    if p.is_dir():
        raise InputFileError(p, "is a folder, not a data file")
    if not p.is_file():
        raise InputFileError(p, "is not a regular file")
    size = p.stat().st_size
    if size == 0:
        raise InputFileError(p, "is empty (0 bytes)")
    if not os.access(p, os.R_OK):
        raise InputFileError(p, "cannot be read (permission denied)")
    return p, size


def _head_tail(path: Path, size: int) -> tuple[bytes, bytes]:
    with open(path, "rb") as fh:
        head = fh.read(8192)
        fh.seek(max(0, size - 8))
        return head, fh.read(8)


def _load(path, kind_overrides, max_bytes, nrows, progress, cancelled) -> LoadedTable:
    report = progress or (lambda _f: None)
    report(0.0)
    if nrows is not None and nrows < 1:
        raise PreflightError(f"nrows must be at least 1 (got {nrows})")
    if max_bytes is None or max_bytes < 1:
        raise PreflightError(f"max_bytes must be a positive number of bytes (got {max_bytes})")
    overrides = dict(kind_overrides or {})
    for col, kind in overrides.items():
        if kind not in KINDS:
            raise PreflightError(f"column {str(col)!r}: unknown kind {kind!r}; choose one of "
                                 + ", ".join(KINDS))
    p, size = _prepare(path)
    head, tail = _head_tail(p, size)
    fmt = _format_from_name(p) or _format_from_content(p, head)
    _check_magic(p, fmt, head, tail)
    check_cancel(cancelled)
    try:
        df, warnings, digest = read_frame(p, fmt, size, max_bytes, nrows, report, cancelled)
    except MemoryError:
        raise InputFileError(p, "is too large to load into memory") from None
    except pa.ArrowException as exc:
        raise InputFileError(p, f"cannot be read ({exc})") from None
    except OSError as exc:
        raise InputFileError(p, f"cannot be read ({exc.strerror or exc})") from None
    check_cancel(cancelled)
    report(0.8)
    try:
        check_kinds(overrides, df.columns)
        hints = kind_hints(df)
        known = {**surely_numeric(df, skip=set(overrides) | set(hints)), **hints, **overrides}
        kinds = {c: known.get(c) or infer_column_kind(c, df[c]) for c in df.columns}
        check_cancel(cancelled)
        report(0.9)
        df, coerce_warnings = coerce_table(df, kinds, cancelled)
    except InputFileError:
        raise
    except PreflightError as exc:
        raise InputFileError(p, str(exc)) from None
    warnings = list(warnings) + coerce_warnings + quality_warnings(df, cancelled)
    digest = digest or sha256_file(p)
    report(1.0)
    pa.default_memory_pool().release_unused()  # give Arrow's freed conversion buffers back to the OS
    return LoadedTable(path=str(p), format=fmt, df=df, kinds=kinds, sha256=digest, size=size,
                       warnings=tuple(warnings), complete=nrows is None or len(df) < nrows)


def read_table(path, *, kind_overrides: dict[str, str] | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES, nrows: int | None = None, progress=None,
               cancelled=None) -> LoadedTable:
    """Read a data table, infer (or take from ``kind_overrides``) its column kinds.

    Raises InputFileError for anything wrong with the file, PreflightError for bad
    overrides or arguments, and core.errors.Cancelled when ``cancelled()`` turns true.
    """
    return _load(path, kind_overrides, max_bytes, nrows, progress, cancelled)


def count_rows(path, cancelled=None) -> int | None:
    """The exact number of data rows of a table file, without loading it (None when it cannot tell).

    Parquet: from the metadata.  CSV/TSV (and ``.gz``): records after the header, counting line feeds
    outside double quotes and skipping empty lines, as the reader does (rules and the one caveat, a
    stray quote mark in an unquoted field, in :mod:`core.data.rowcount`).  JSON Lines: non-empty
    lines.  Excel and JSON arrays give None: only a full read (``LoadedTable.rows``) knows.  Raises
    InputFileError for a missing or unreadable file, Cancelled when ``cancelled()`` turns true.
    """
    from core.data import rowcount

    p, size = _prepare(path)
    head, tail = _head_tail(p, size)
    fmt = _format_from_name(p) or _format_from_content(p, head)
    _check_magic(p, fmt, head, tail)
    base = fmt.removesuffix(".gz")
    if fmt == "parquet":
        return rowcount.parquet_rows(p)
    if base in ("csv", "tsv"):
        return max(0, rowcount.text_records(p, fmt.endswith(".gz"), True, cancelled) - 1)
    if base == "jsonl":
        return rowcount.text_records(p, fmt.endswith(".gz"), False, cancelled)
    return None


def preview(path, n: int = 50) -> LoadedTable:
    """The first ``n`` rows of a table, read without loading the whole file (same errors)."""
    return _load(path, None, DEFAULT_MAX_BYTES, n, None, None)
