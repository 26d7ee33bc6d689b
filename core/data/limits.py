"""Size limits and quoting checks for delimited text (CSV / TSV / JSON Lines).

Memory: parsing turns every byte of a field into several (the raw bytes, Arrow's parsed copy, the
Python/pandas string and the copies kind inference makes), so one enormous line costs many times
its size.  Preflight therefore refuses, with an :class:`~core.errors.InputFileError` naming the
file and the line:

* a line longer than :data:`MAX_LINE_BYTES` (64 MB), checked on the raw bytes *before* parsing,
  so such a file costs only its own size in memory;
* a field longer than :data:`MAX_FIELD_BYTES` (16 MB), checked right after parsing, before the
  conversion to pandas (a field may span several lines inside quotes).

A line here is what ends with a line feed (``\\n``); a quoted field may span several lines.

Quoting: a quote that is never closed makes the parser read the rest of the file as one field (a
file of a million rows becomes one row).  :func:`quote_warnings` warns when a quoted field spans
more than :data:`MAX_QUOTED_LINES` line breaks, or is still open at the end of the file, naming the
line where the quote opened.
"""

from __future__ import annotations

import csv
import io
import re

import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InputFileError

MAX_LINE_BYTES = 64 * 1024 * 1024
MAX_FIELD_BYTES = 16 * 1024 * 1024
MAX_QUOTED_LINES = 1000

# Python's csv module refuses fields over 128 KB by default; the limits above are the ones that apply
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))


def size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


def check_line_lengths(path, buf, max_line: int | None = None) -> None:
    """Raise InputFileError when a line of ``buf`` is longer than ``max_line`` bytes.

    A line longer than the limit must hold a whole aligned window of half the limit without a line
    feed, so only those windows are searched (``find`` stops at the first line feed): the check costs
    almost nothing on ordinary files.
    """
    limit = MAX_LINE_BYTES if max_line is None else max_line
    size = len(buf)
    if size <= limit:
        return
    window = max(1, limit // 2)
    for start in range(0, size, window):
        end = min(start + window, size)
        if end - start < window or buf.find(b"\n", start, end) != -1:
            continue
        line_start = buf.rfind(b"\n", 0, start) + 1
        line_end = buf.find(b"\n", start)
        line_end = size if line_end == -1 else line_end
        if line_end - line_start > limit:
            line = buf.count(b"\n", 0, line_start) + 1
            raise InputFileError(path, f"this line is {size_text(line_end - line_start)} long, over the limit of "
                                       f"{size_text(limit)} per line (is it really a table with one record per "
                                       "line?)", line=line)


def _line_of(buf, value: str) -> int | None:
    """The line on which the raw text of ``value`` starts in ``buf`` (searching for its first bytes)."""
    head = value[:1024].split('"', 1)[0].encode("utf-8", "replace")
    if not head:
        return None
    pos = buf.find(head)
    return None if pos == -1 else buf.count(b"\n", 0, pos) + 1


def check_field_lengths(path, buf, table: pa.Table, names, max_field: int | None = None) -> None:
    """Raise InputFileError when a text field of the parsed ``table`` is longer than ``max_field`` bytes."""
    limit = MAX_FIELD_BYTES if max_field is None else max_field
    if len(buf) <= limit:
        return
    for i, f in enumerate(table.schema):
        if not (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                or pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)):
            continue
        lengths = pc.binary_length(table.column(i))
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > limit:
            row = pc.index(lengths, longest).as_py()
            value = table.column(i)[row].as_py()
            value = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            raise InputFileError(path, f"column {str(names[i])!r}: a value is {size_text(longest)} long, over the "
                                       f"limit of {size_text(limit)} per field (data row {row + 1})",
                                 line=_line_of(buf, value))


def _longest_break_count(table: pa.Table) -> tuple[int, bool]:
    """(most line breaks in one text field, whether the last row has a field with a line break)."""
    most, last = 0, False
    for i, f in enumerate(table.schema):
        if not (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)):
            continue
        counts = pc.count_substring(table.column(i), "\n")
        most = max(most, pc.max(counts).as_py() or 0)
        if table.num_rows:
            last = last or bool(counts[table.num_rows - 1].as_py() or 0)
    return most, last


def _scan(text: str, delim: str, limit: int):
    """One pass of Python's CSV reader: ``(long field or None, (first line, offset) of the last record)``.

    The long field is ``(line where it opens, its line breaks, column number)``.
    """
    end = [0]

    def lines():
        for m in re.finditer(r"[^\n]*\n|[^\n]+\Z", text):
            end[0] = m.end()
            yield m.group()

    reader = csv.reader(lines(), delimiter=delim)
    long, line, offset, last = None, 1, 0, (1, 0)
    for row in reader:
        if long is None and row:
            breaks = [field.count("\n") for field in row]
            j = max(range(len(row)), key=breaks.__getitem__)
            if breaks[j] > limit:
                long = (line + sum(breaks[:j]), breaks[j], j + 1)
        last = (line, offset)
        line, offset = reader.line_num + 1, end[0]
    return long, last


def _ends_inside_quotes(text: str, delim: str) -> bool:
    """True when ``text`` (one or more CSV records) ends inside a quoted field."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def quote_warnings(path, buf, table: pa.Table | None, delim: str, max_lines: int | None = None, *,
                   breaks: tuple[int, bool] | None = None) -> list[str]:
    """Warnings for quoted fields that swallow many line breaks or never close (see the module doc).

    Cheap unless there is something to find: the parsed table says whether any field holds more than
    ``max_lines`` line breaks or the last row holds one (``breaks``, when the caller counted them:
    ``(most line breaks in a field, whether the last row has one)``), and the last line says whether
    a quote opened there stays open; only then is the text read again, record by record, to find the
    line.
    """
    limit = MAX_QUOTED_LINES if max_lines is None else max_lines
    if b'"' not in buf:
        return []
    most, last_has_break = breaks if breaks is not None else _longest_break_count(table)
    tail = bytes(buf[-65536:]).decode("utf-8", "replace").rstrip("\r\n")
    if most <= limit and not last_has_break and not _ends_inside_quotes(tail[tail.rfind("\n") + 1:], delim):
        return []
    text = bytes(buf).decode("utf-8", "replace")
    long, (last_line, last_offset) = _scan(text, delim, limit)
    out = []
    if long is not None:
        out.append(f"{path}, line {long[0]}: a quoted field opens here (column {long[2]}) and spans {long[1]} "
                   "line breaks; is a closing quote missing? The lines inside it were read as one value")
    if _ends_inside_quotes(text[last_offset:], delim):
        out.append(f"{path}, line {last_line}: a quoted field opens here and is never closed; everything "
                   "after it, up to the end of the file, was read as one value")
    return out
