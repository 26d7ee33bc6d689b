"""Bytes, encodings and delimited text for Preflight's table reader.

Reading is streamed in chunks (so cancellation, progress and the decompressed-size cap are
checked as data arrives); CSV/TSV are parsed by pyarrow, with Python's csv module used only
to sniff the delimiter, cut a preview after N records, and find the line of a ragged row.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import itertools
import json
import re
import zlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pv

from core.data import limits, wide
from core.data.big_numbers import HINTS, resolve_big_integers
from core.errors import InputFileError, check_cancel

NULL_TOKENS = ("", "NA", "N/A", "n/a", "null", "None", "-", "NaN", "nan", "NULL", "#N/A")
_CHUNK = 16 << 20
_SAMPLE = 1 << 16
_BLOCK = 1 << 20
_MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (such as an .xlsx workbook)"),
          (b"PK\x05\x06", "an empty ZIP archive"), (b"\x1f\x8b", "gzip-compressed data"),
          (b"PAR1", "a Parquet file"), (b"BZh", "bzip2-compressed data"),
          (b"\xfd7zXZ", "xz-compressed data"), (b"7z\xbc\xaf", "a 7-Zip archive"),
          (b"\xd0\xcf\x11\xe0", "an old Excel .xls or password-protected Office file"),
          (b"SQLite format 3", "an SQLite database"), (b"ARROW1", "an Arrow/Feather file"),
          (b"\x7fELF", "a program (ELF executable)"))
_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
              (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_UTF8_BOM = b"\xef\xbb\xbf"
_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 12, 13))


def human_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def describe_binary(head: bytes) -> str | None:
    """What a non-text file is (from its first bytes), or None when it looks like text."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head.startswith(_UTF8_BOM) or any(head.startswith(b) for b, _ in _WIDE_BOMS):
        return None
    if b"\x00" in head:
        odd, even = head[1::2], head[0::2]
        if odd.count(0) > 0.4 * len(odd) or even.count(0) > 0.4 * len(even):
            return "UTF-16 text without a byte-order mark (save it as UTF-8)"
        return "random or binary data"
    if head and len(head) - len(head.translate(None, _CONTROL)) > 0.02 * len(head):
        return "random or binary data"
    return None


def _read_plain(path, size, max_bytes, limit, progress, cancelled):
    if size > max_bytes:
        raise InputFileError(path, f"is {human_size(size)}, over the limit of "
                                   f"{human_size(max_bytes)}")
    want = size if limit is None else min(limit, size)
    digest = hashlib.sha256() if limit is None else None
    buf = bytearray(want)
    view, got = memoryview(buf), 0
    with open(path, "rb") as fh:
        while got < want:
            check_cancel(cancelled)
            n = fh.readinto(view[got:got + _CHUNK])
            if not n:
                break
            if digest:
                digest.update(view[got:got + n])
            got += n
            if progress:
                progress(0.5 * got / max(size, 1))
    view.release()
    del buf[got:]
    return buf, got >= size, digest.hexdigest() if digest else None


def read_bytes(path, fmt: str, size: int, max_bytes: int, limit: int | None = None,
               progress=None, cancelled=None) -> tuple[bytearray, bool, str | None]:
    """The (decompressed) bytes of a text table: ``(data, reached_end, sha256 or None)``.

    Reads at most ``limit`` bytes when given.  Decompression is streamed in chunks and
    stops as soon as more than ``max_bytes`` come out, so a gzip bomb cannot fill memory.
    The sha256 of the file on disk is returned when a whole plain file was read.
    """
    if not fmt.endswith(".gz"):
        return _read_plain(path, size, max_bytes, limit, progress, cancelled)
    want = max_bytes if limit is None else min(limit, max_bytes)
    buf = bytearray()
    try:
        with open(path, "rb") as raw, gzip.GzipFile(fileobj=raw) as gz:
            while True:
                check_cancel(cancelled)
                block = gz.read(min(_CHUNK, want + 1 - len(buf)))
                if not block:
                    return buf, True, None
                buf += block
                if len(buf) > max_bytes:
                    raise InputFileError(path, "decompresses to more than the limit of "
                                               f"{human_size(max_bytes)} (stopped reading)")
                if limit is not None and len(buf) >= limit:
                    return buf[:limit], False, None
                if progress:
                    progress(0.5 * raw.tell() / max(size, 1))
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(path, f"is not a valid gzip file or is truncated ({exc})") from None


def duplicate_check(path, names) -> None:
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names, 1):
        seen.setdefault(name, []).append(i)
    dups = {n: pos for n, pos in seen.items() if len(pos) > 1}
    if dups:
        listed = "; ".join(f"{n!r} (columns {', '.join(map(str, pos))})" for n, pos in dups.items())
        raise InputFileError(path, f"has duplicate column names: {listed}")


def _flatten(table: pa.Table) -> pa.Table:
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table


def lists_as_json(df: pd.DataFrame) -> pd.DataFrame:
    """Cells holding lists/arrays (JSON arrays, Parquet list columns) become JSON text."""
    def as_json(v):
        if isinstance(v, np.ndarray):
            v = v.tolist()
        return json.dumps(list(v), default=str) if isinstance(v, (list, tuple)) else v

    for col in df.columns:
        if df[col].dtype == object:
            present = df[col].dropna()
            if len(present) and isinstance(present.iloc[0], (list, tuple, np.ndarray)):
                df[col] = df[col].map(as_json)
    return df


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas keeping types: timestamps as datetime64, nullable booleans, categoricals."""
    df = _flatten(table).to_pandas(date_as_object=False, split_blocks=True, self_destruct=True,
                                   types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
    del table
    df.columns = [str(c) for c in df.columns]
    df = lists_as_json(df)
    if isinstance(df.index, pd.RangeIndex) or not any(df.index.names):
        return df.reset_index(drop=True)
    return df.reset_index()


# ----------------------------------------------------------------------------- encodings

def _fallback(path, raw, pos: int, final: bool) -> tuple[str, str]:
    """Decode non-UTF-8 bytes as cp1252 (else Latin-1) and word the warning."""
    line = raw.count(b"\n", 0, pos) + 1
    data = bytes(raw)
    try:
        text, label = codecs.getincrementaldecoder("cp1252")().decode(data, final), \
            "Windows-1252 (cp1252)"
    except UnicodeDecodeError:
        text, label = data.decode("latin-1"), "Latin-1"
    return text, (f"the file is not valid UTF-8 (first invalid byte on line {line}); it was read "
                  f"as {label}: check accented and special characters")


def decode_text(path, raw, final: bool = True) -> tuple[str, list[str]]:
    """All of ``raw`` as text (BOM-aware, with the cp1252 fallback and its warning)."""
    for bom, codec in _WIDE_BOMS:
        if raw.startswith(bom):
            try:
                return codecs.getincrementaldecoder(codec)().decode(bytes(raw), final), []
            except UnicodeDecodeError as exc:
                raise InputFileError(path, f"is not valid {codec.upper()} text (byte "
                                           f"{exc.start}): {exc.reason}") from None
    start = 3 if raw.startswith(_UTF8_BOM) else 0
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(bytes(raw[start:]), final), []
    except UnicodeDecodeError as exc:
        text, warning = _fallback(path, raw[start:], exc.start, final)
        return text, [warning]


def utf8_buffer(path, raw) -> tuple[bytearray, list[str], bool]:
    """UTF-8 bytes for pyarrow: ``(buffer, warnings, verified)``.

    Plain UTF-8 is passed through untouched after checking its first 64 KB; ``verified``
    is False then, and the CSV reader re-reads with the fallback encoding if pyarrow finds
    invalid UTF-8 further on.
    """
    if any(raw.startswith(bom) for bom, _ in _WIDE_BOMS):
        text, warnings = decode_text(path, raw)
        return bytearray(text.encode("utf-8")), warnings, True
    if raw.startswith(_UTF8_BOM):
        del raw[:3]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(bytes(raw[:_SAMPLE]), len(raw) <= _SAMPLE)
    except UnicodeDecodeError as exc:
        text, warning = _fallback(path, raw, exc.start, True)
        return bytearray(text.encode("utf-8")), [warning], True
    return raw, [], len(raw) <= _SAMPLE


def check_text(path, sample: str, whole) -> None:
    """Refuse blank files and web pages."""
    if not whole or whole.isspace():
        raise InputFileError(path, "is empty (it holds only blank lines or spaces)")
    low = sample.lstrip("\ufeff \t\r\n").lower()
    if low.startswith(("<!doctype html", "<html", "<head", "<body", "<?xml", "<!--")) \
            or (low.startswith("<") and "<html" in low[:4096]):
        raise InputFileError(path, "is an HTML/XML web page, not a data table (was a web or "
                                   "login page saved instead of the data?)")


# ----------------------------------------------------------------------------- CSV

def sniff_delimiter(sample: str, base: str, complete: bool) -> str:
    """The delimiter among , ; TAB | that splits the first rows most consistently."""
    if not complete and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]
    order = ("\t", ",", ";", "|") if base == "tsv" else (",", ";", "\t", "|")
    best, best_score = order[0], None
    for delim in order:
        try:
            rows = [r for r in itertools.islice(
                csv.reader(io.StringIO(sample, newline=""), delimiter=delim), 200) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (round(sum(len(r) == width for r in rows) / len(rows), 2), width)
        if best_score is None or score > best_score:
            best, best_score = delim, score
    return best


def cut_records(text: str, delim: str, count: int) -> str | None:
    """``text`` up to the end of its ``count``-th CSV record, or None if it holds fewer."""
    end = [0]

    def lines():
        for m in re.finditer(r"[^\n]*\n|[^\n]+\Z", text):
            end[0] = m.end()
            yield m.group()

    seen = 0
    try:
        for row in csv.reader(lines(), delimiter=delim):
            seen += bool(row)
            if seen == count:
                return text[: end[0]]
    except csv.Error:
        return None
    return None


def _first_ragged(buf, delim: str, width: int):
    """``(line, fields, row text)`` of the first record whose width differs from the header."""
    reader = csv.reader(io.StringIO(bytes(buf).decode("utf-8", "replace"), newline=""),
                        delimiter=delim)
    prev, header = 0, True
    try:
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if not row:
                continue
            if header:
                header = False
            elif len(row) != width:
                return start, len(row), delim.join(row)
    except csv.Error:
        return None
    return None


#: below this size a CSV is parsed on the calling thread: threads gain nothing there, and a process that
#: exits right after starting Arrow's thread pool can abort in the C++ runtime ("terminate called without an
#: active exception"), which a one-line error on a tiny bad file would otherwise hit now and then
THREADED_CSV_BYTES = 4 << 20


def _csv_options(buf, delim: str, block: int, on_bad_row):
    return (pv.ReadOptions(use_threads=len(buf) >= THREADED_CSV_BYTES, block_size=block),
            pv.ParseOptions(delimiter=delim, newlines_in_values=b'"' in buf, invalid_row_handler=on_bad_row),
            pv.ConvertOptions(null_values=list(NULL_TOKENS), strings_can_be_null=True,
                              quoted_strings_can_be_null=True, true_values=["true", "True", "TRUE"],
                              false_values=["false", "False", "FALSE"]))


def _arrow_csv(path, buf, delim: str, block: int = _BLOCK):
    """``(table, bad rows, options used)``."""
    bad = []

    def on_bad_row(row):
        bad.append(row)
        return "skip"

    options = _csv_options(buf, delim, block, on_bad_row)
    try:
        table = pv.read_csv(pa.py_buffer(buf), read_options=options[0], parse_options=options[1],
                            convert_options=options[2])
    except pa.ArrowInvalid as exc:
        if "straddling" in str(exc) and block < len(buf):
            return _arrow_csv(path, buf, delim, len(buf) + 1)
        if "Empty CSV file" in str(exc):  # a header line without a line break
            raise InputFileError(path, "has a header but no data rows") from None
        raise InputFileError(path, f"cannot be read as {_DELIM_NAMES[delim]}-separated text "
                                   f"({exc})") from None
    return table, bad, options


def _column_names(path, names, warnings: list) -> list[str]:
    out = []
    for i, name in enumerate(names):
        name = name.strip()
        if not name:
            name = f"column_{i + 1}"
            warnings.append(f"column {i + 1} has no name in the header; it is called {name!r}")
        out.append(name)
    duplicate_check(path, out)
    return out


def _wide(path, buf, unverified, delim: str, warnings: list):
    """A wide table through :mod:`core.data.wide` (decoded here, with the cp1252 fallback)."""
    try:
        text = bytes(buf).decode("utf-8")
    except UnicodeDecodeError as exc:
        text, warning = _fallback(path, unverified if unverified is not None else buf, exc.start, True)
        warnings.append(warning)
        buf = bytearray(text.encode("utf-8"))
    return wide.wide_frame(path, buf, text, delim, _DELIM_NAMES[delim], NULL_TOKENS,
                           lambda header: _column_names(path, header, warnings), warnings)


def csv_frame(path, buf, base: str, unverified, warnings: list, delim: str | None = None):
    """Parse delimited UTF-8 ``buf`` into a DataFrame (``unverified``: raw bytes to re-decode
    if invalid UTF-8 turns up past the checked sample)."""
    sample = bytes(buf[:_SAMPLE]).decode("utf-8", "replace")
    check_text(path, sample, buf)
    delim = delim or sniff_delimiter(sample, base, len(buf) <= _SAMPLE)
    limits.check_line_lengths(path, buf)
    if wide.is_wide(buf, delim):
        return _wide(path, buf, unverified, delim, warnings)
    table, bad, options = _arrow_csv(path, buf, delim)
    try:
        names = table.column_names
        binary = any(pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)
                     for f in table.schema)
    except UnicodeDecodeError:
        names, binary = None, True
    if binary and unverified is not None:
        del table
        try:
            pos = len(bytes(unverified).decode("utf-8"))
        except UnicodeDecodeError as exc:
            pos = exc.start
        text, warning = _fallback(path, unverified, pos, True)
        warnings.append(warning)
        return csv_frame(path, bytearray(text.encode("utf-8")), base, None, warnings, delim)
    if names is None:
        raise InputFileError(path, "has a header that is not valid UTF-8 text")
    names = _column_names(path, names, warnings)
    if bad:
        found = _first_ragged(buf, delim, len(names))
        if found:
            line, fields, text = found
            raise InputFileError(path, f"this row has {fields} fields but the header has "
                                       f"{len(names)} ({_DELIM_NAMES[delim]}-separated): "
                                       f"{text[:80]!r}", line=line)
        row = bad[0]
        raise InputFileError(path, f"a row has {row.actual_columns} fields but the header has "
                                   f"{row.expected_columns}: {str(row.text)[:80]!r}")
    if table.num_rows == 0:
        raise InputFileError(path, "has a header but no data rows")
    limits.check_field_lengths(path, buf, table, names)
    warnings.extend(limits.quote_warnings(path, buf, table, delim))
    table, hints, big = resolve_big_integers(buf, table, *options, names)
    warnings.extend(big)
    df = arrow_to_pandas(table.rename_columns(names))
    if hints:
        df.attrs[HINTS] = hints
    return df
