"""Exact row counts without loading a table (behind :func:`core.data.tables.count_rows`).

* Parquet: the row count stored in the file's metadata (free).
* CSV / TSV (also gzip-compressed): the number of records after the header, where a record ends at
  a line feed that is outside double quotes (a quoted field may hold line breaks), and empty lines
  (nothing, or only a carriage return) are not records, as the reader skips them.  Quotes are
  tracked by parity, which is exact for files that quote the way CSV does (a quote opens a field,
  ``""`` inside a quoted field is a quote); a stray quote mark inside an unquoted field, such as
  ``5" screen``, can make the count wrong, and then the full read's count is the one to trust.
* JSON Lines: the number of non-empty lines.

The file is streamed in 4 MB chunks (memory stays flat), at roughly the speed of the disk.
UTF-16/32 text (with a byte-order mark) is decoded first; every other encoding Preflight reads
shares the bytes of ``"`` and line feed with ASCII.
"""

from __future__ import annotations

import codecs
import gzip
import zlib

import numpy as np

from core.errors import InputFileError, check_cancel

CHUNK = 4 << 20
_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
              (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def parquet_rows(path) -> int:
    import pyarrow.parquet as pq
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise InputFileError(path, f"is a damaged or truncated Parquet file ({exc})") from None


def _raw_chunks(path, compressed: bool, cancelled):
    try:
        with (gzip.open(path, "rb") if compressed else open(path, "rb")) as fh:
            while True:
                check_cancel(cancelled)
                block = fh.read(CHUNK)
                if not block:
                    return
                yield block
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(path, f"cannot be read to count its rows ({exc})") from None


def _utf8_chunks(chunks):
    """The chunks as ASCII-compatible bytes (UTF-16/32 with a byte-order mark decoded)."""
    first = next(chunks, b"")
    codec = next((c for bom, c in _WIDE_BOMS if first.startswith(bom)), None)
    if codec is None:
        if first:
            yield first
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder(codec)("replace")
    yield decoder.decode(first).encode("utf-8")
    for block in chunks:
        yield decoder.decode(block).encode("utf-8")
    yield decoder.decode(b"", True).encode("utf-8")


class _Counter:
    """Counts non-empty records over a stream of chunks (see the module docstring)."""

    def __init__(self, quotes: bool):
        self.quotes, self.parity = quotes, 0
        self.records, self.offset, self.last_end, self.last_byte = 0, 0, -1, 0

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        arr = np.frombuffer(chunk, dtype=np.uint8)
        newline = arr == 10
        if self.quotes and (self.parity or b'"' in chunk):
            odd = (np.cumsum(arr == 34, dtype=np.int32) + self.parity) & 1
            self.parity = int(odd[-1])
            newline &= odd == 0
            del odd
        pos = np.flatnonzero(newline)
        if pos.size:
            ends = pos + self.offset
            lengths = np.diff(ends, prepend=self.last_end) - 1
            before = np.where(pos > 0, arr[np.maximum(pos - 1, 0)], self.last_byte)
            blank = (lengths == 0) | ((lengths == 1) & (before == 13))
            self.records += int(pos.size - np.count_nonzero(blank))
            self.last_end = int(ends[-1])
        self.offset += len(chunk)
        self.last_byte = int(arr[-1])

    def finish(self) -> int:
        tail = self.offset - 1 - self.last_end
        if tail > 1 or (tail == 1 and self.last_byte != 13):
            self.records += 1
        return self.records


def text_records(path, compressed: bool, quotes: bool, cancelled=None) -> int:
    """Non-empty records of a text file (quote-aware when ``quotes``), header included."""
    counter = _Counter(quotes)
    for chunk in _utf8_chunks(_raw_chunks(path, compressed, cancelled)):
        counter.feed(chunk)
    return counter.finish()
