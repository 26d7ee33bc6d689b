"""Format readers behind :func:`core.data.tables.read_table`: bytes in, a raw pandas DataFrame out.

Each reader returns ``(df, warnings, sha256 or None)``; column kinds are decided afterwards
by :mod:`core.data.kinds`.  JSON, Parquet and Excel are read here; byte streaming, text
decoding, delimiter sniffing and CSV parsing live in :mod:`core.data.text`.
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa

from core.data import limits
from core.errors import InputFileError, check_cancel
from core.data.text import NULL_TOKENS, arrow_to_pandas, check_text, csv_frame, cut_records, \
    decode_text, describe_binary, duplicate_check, human_size, lists_as_json, read_bytes, \
    sniff_delimiter, utf8_buffer


def _blank_tokens(df: pd.DataFrame) -> pd.DataFrame:
    """Treat the missing-value words (NA, null, -, ...) in string cells as missing."""
    for col in df.columns:
        s = df[col]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            df[col] = s.mask(s.isin(NULL_TOKENS))
    return df


def _check_decompressed(path, fmt: str, raw) -> None:
    if fmt.endswith(".gz"):
        if not raw:
            raise InputFileError(path, "is empty after decompression")
        what = describe_binary(bytes(raw[:8192]))
        if what:
            raise InputFileError(path, f"decompresses to {what}, not a text table")


# ----------------------------------------------------------------------------- JSON

def _records_from_lines(path, text: str, nrows: int | None) -> list:
    records = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(path, f"is not valid JSON Lines: {exc.msg} (column {exc.colno})",
                                 line=number) from None
        if not isinstance(obj, dict):
            raise InputFileError(path, "each line of a JSON Lines file must be an object "
                                       f"{{...}}, found {type(obj).__name__}", line=number)
        records.append(obj)
        if nrows is not None and len(records) >= nrows:
            break
    return records


def _records_from_json(path, text: str) -> list | pd.DataFrame:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # several top-level values: JSON Lines under a .json name
            return _records_from_lines(path, text, None)
        raise InputFileError(path, f"is not valid JSON: {exc.msg} (column {exc.colno})",
                             line=exc.lineno) from None
    if isinstance(data, list):
        for i, item in enumerate(data):
            if not isinstance(item, dict):
                raise InputFileError(path, f"item {i + 1} of the JSON array is "
                                           f"{type(item).__name__}, not an object (a record)")
        return data
    if isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):
        lengths = {len(v) for v in data.values()}
        if len(lengths) == 1:
            return pd.DataFrame(data)
        raise InputFileError(path, "holds column arrays of different lengths: "
                                   + ", ".join(f"{k!r} has {len(v)}" for k, v in data.items()))
    raise InputFileError(path, "must hold a JSON array of records ([{...}, ...]) or an object "
                               "of equal-length column arrays")


def _json_frame(path, raw, text: str, base: str, nrows: int | None) -> pd.DataFrame:
    check_text(path, text[:65536], text)
    if base == "jsonl":
        limits.check_line_lengths(path, raw)
    df = None
    if base == "jsonl" and nrows is None:
        import pyarrow.json as pj
        try:
            df = arrow_to_pandas(pj.read_json(pa.BufferReader(bytes(raw)),
                                              read_options=pj.ReadOptions(block_size=16 << 20)))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            df = None  # mixed types or a bad line: the line-by-line reader says which
    if df is None:
        records = (_records_from_lines(path, text, nrows) if base == "jsonl"
                   else _records_from_json(path, text))
        if isinstance(records, pd.DataFrame):
            df = records
        else:
            nested = any(isinstance(v, dict) for r in records[:1000] for v in r.values())
            df = pd.json_normalize(records) if nested else pd.DataFrame(records)
        df = lists_as_json(df)
    if nrows is not None:
        df = df.iloc[:nrows]
    if df.shape[1] == 0 or len(df) == 0:
        raise InputFileError(path, "contains no records (no data rows)")
    df.columns = [str(c) for c in df.columns]
    return _blank_tokens(df.reset_index(drop=True))


# ----------------------------------------------------------------------------- text tables

def _read_text(path, fmt, size, max_bytes, nrows, report, cancelled):
    base = fmt.removesuffix(".gz")
    if nrows is None:
        raw, _, digest = read_bytes(path, fmt, size, max_bytes, None, report, cancelled)
        _check_decompressed(path, fmt, raw)
        check_cancel(cancelled)
        if base in ("json", "jsonl"):
            text, warnings = decode_text(path, raw, True)
            return _json_frame(path, raw, text, base, None), warnings, digest
        buf, warnings, verified = utf8_buffer(path, raw)
        report(0.55)
        return csv_frame(path, buf, base, None if verified else raw, warnings), warnings, digest
    limit = max(1 << 16, nrows * 512)
    while True:  # read a growing prefix until it holds nrows complete records
        raw, eof, _ = read_bytes(path, fmt, size, max_bytes, limit, None, cancelled)
        _check_decompressed(path, fmt, raw)
        text, warnings = decode_text(path, raw, eof)
        if not eof:
            text = text[: text.rfind("\n") + 1]
            if not text:  # not one whole line yet (a wide header): read more, within the line limit
                limits.check_line_lengths(path, raw)
                check_cancel(cancelled)
                limit *= 4
                continue
        if base == "json":
            if eof:
                return _json_frame(path, raw, text, base, nrows), warnings, None
        elif base == "jsonl":
            if eof or sum(1 for ln in text.split("\n") if ln.strip()) >= nrows:
                return _json_frame(path, raw, text, base, nrows), warnings, None
        else:
            check_text(path, text[:65536], text)
            delim = sniff_delimiter(text[:65536], base, eof or len(text) <= 65536)
            cut = cut_records(text, delim, nrows + 1)
            if cut is not None or eof:
                buf = bytearray((cut or text).encode("utf-8"))
                return csv_frame(path, buf, base, None, warnings, delim), warnings, None
        check_cancel(cancelled)
        limit *= 4


# ----------------------------------------------------------------------------- Parquet

#: a text column stored in at most this many bytes per value is dictionary-encoded in the file (its
#: values are small indices into a dictionary); larger means the writer fell back to plain strings
DICTIONARY_BYTES_PER_VALUE = 3.0


def _low_cardinality_strings(pf) -> list[str]:
    """Text columns that the file stores dictionary-encoded, judged from the column-chunk sizes."""
    meta = pf.metadata
    rows = max(meta.num_rows, 1)
    sizes: dict[str, int] = {}
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            chunk = group.column(c)
            sizes[chunk.path_in_schema] = sizes.get(chunk.path_in_schema, 0) + chunk.total_uncompressed_size
    return [f.name for f in pf.schema_arrow
            if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
            and sizes.get(f.name, rows * 100) / rows <= DICTIONARY_BYTES_PER_VALUE]


def _read_parquet(path, size, max_bytes, nrows, report, cancelled):
    import pyarrow.parquet as pq
    try:
        pf = pq.ParquetFile(path)
        strings = _low_cardinality_strings(pf)
        if strings:  # read dictionary-encoded: they become categoricals without a copy of every string
            pf = pq.ParquetFile(path, read_dictionary=strings)
        meta = pf.metadata
        names = pf.schema_arrow.names
    except (pa.ArrowException, OSError) as exc:
        raise InputFileError(path, f"is a damaged or truncated Parquet file ({exc})") from None
    groups = meta.num_row_groups
    total = sum(meta.row_group(i).total_byte_size for i in range(groups))
    if total > max_bytes:
        raise InputFileError(path, f"holds {human_size(total)} of uncompressed data, over the "
                                   f"limit of {human_size(max_bytes)}")
    duplicate_check(path, names)
    parts, got = [], 0
    for i in range(groups):
        check_cancel(cancelled)
        try:
            part = pf.read_row_group(i)
        except (pa.ArrowException, OSError) as exc:
            raise InputFileError(path, f"is damaged: row group {i + 1} of {groups} cannot be "
                                       f"read ({exc})") from None
        parts.append(part)
        got += part.num_rows
        report(0.1 + 0.5 * (i + 1) / groups)
        if nrows is not None and got >= nrows:
            break
    table = pa.concat_tables(parts) if parts else pf.schema_arrow.empty_table()
    if nrows is not None:
        table = table.slice(0, nrows)
    if table.num_rows == 0:
        raise InputFileError(path, "has columns but no data rows" if names else "has no columns")
    check_cancel(cancelled)
    return arrow_to_pandas(table), [], None


# ----------------------------------------------------------------------------- Excel

def _cell_name(value, i: int, warnings: list) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    name = "" if value is None else str(value).strip()
    if not name:
        name = f"column_{i + 1}"
        warnings.append(f"column {i + 1} has no name in the header; it is called {name!r}")
    return name


def _read_xlsx(path, size, max_bytes, nrows, report, cancelled):
    import zipfile

    import openpyxl
    from openpyxl.utils import get_column_letter
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(path, f"is a damaged .xlsx workbook ({exc})") from None
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise InputFileError(path, "is a ZIP archive but not an Excel workbook")
    total = sum(m.file_size for m in members)
    if total > max_bytes:
        raise InputFileError(path, f"unpacks to {human_size(total)}, over the limit of "
                                   f"{human_size(max_bytes)}")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise InputFileError(path, f"is a damaged .xlsx workbook ({type(exc).__name__}: {exc})") \
            from None
    warnings: list[str] = []
    try:
        ws = wb.worksheets[0]
        if len(wb.worksheets) > 1:
            warnings.append(f"workbook has {len(wb.worksheets)} sheets; read the first, "
                            f"{ws.title!r}")
        rows = ws.iter_rows(values_only=True)
        header, line = None, 0
        for line, row in enumerate(rows, 1):
            if any(v is not None and str(v).strip() for v in row):
                header = row
                break
        if header is None:
            raise InputFileError(path, f"sheet {ws.title!r} is empty")
        width = max(i for i, v in enumerate(header) if v is not None and str(v).strip()) + 1
        names = [_cell_name(v, i, warnings) for i, v in enumerate(header[:width])]
        duplicate_check(path, names)
        data, expected = [], max((ws.max_row or 0) - line, 1)
        for line, row in enumerate(rows, line + 1):
            if all(v is None for v in row):
                continue
            extra = [i for i, v in enumerate(row[width:], width) if v is not None]
            if extra:
                raise InputFileError(path, f"sheet row {line} has a value in column "
                                           f"{get_column_letter(extra[0] + 1)} but the header has "
                                           f"only {width} columns", line=line)
            data.append(tuple(row[:width]) + (None,) * (width - len(row)))
            if len(data) % 10000 == 0:
                check_cancel(cancelled)
                report(min(0.6, 0.6 * len(data) / expected))
            if nrows is not None and len(data) >= nrows:
                break
    finally:
        wb.close()
    if not data:
        raise InputFileError(path, "has a header but no data rows")
    df = pd.DataFrame.from_records(data, columns=names)
    return _blank_tokens(df), warnings, None


def read_frame(path, fmt: str, size: int, max_bytes: int, nrows, report, cancelled):
    """Dispatch to the reader for ``fmt``; returns ``(df, warnings, sha256 or None)``."""
    if fmt == "parquet":
        return _read_parquet(path, size, max_bytes, nrows, report, cancelled)
    if fmt == "xlsx":
        return _read_xlsx(path, size, max_bytes, nrows, report, cancelled)
    return _read_text(path, fmt, size, max_bytes, nrows, report, cancelled)
