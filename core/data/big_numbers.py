"""Whole numbers that a 64-bit float cannot hold exactly, in CSV/TSV columns.

The CSV parser reads an all-integer column as int64; a column mixing integers with decimals, or
holding an integer past the int64 range (beyond 9,223,372,036,854,775,807), arrives as float64,
which holds whole numbers exactly only up to 2**53 (about 9.007e15).  Past that, distinct values
can become the same float (``99999999999999999999`` and ``99999999999999999998`` both read as
``1e20``).  The rule, applied to every float column holding a whole value beyond 2**53:

* **identifiers**: when every value of the column is written as a plain integer (digits with an
  optional sign, no decimal point or exponent), the column holds integers past the int64 range,
  which are identifiers in practice (account numbers, hashes, card numbers), not quantities.  It is
  read as **text**, keeping every digit, and a warning says so (an explicit ``numeric`` kind
  override still reads it as floating point numbers);
* **numbers**: otherwise (integers mixed with decimals or exponents) it stays numeric, and a
  warning counts the integers written past 2**53 that kept only about 16 significant digits.

Values written with an exponent or a decimal point (``1e20``, ``3.0``) were floats in the file and
are never warned about.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

EXACT_LIMIT = 2.0 ** 53  # float64 holds every whole number up to here exactly
_INTEGER = r"^\s*[+-]?\d+\s*$"
#: reader hint stored in ``DataFrame.attrs``: column -> kind the reader decided (see :func:`kind_hints`)
HINTS = "preflight_kind_hints"


def _suspects(table: pa.Table) -> list[int]:
    """Positions of float columns holding a whole value beyond 2**53 (finite)."""
    out = []
    for i, f in enumerate(table.schema):
        if not pa.types.is_floating(f.type):
            continue
        col = table.column(i)
        mm = pc.min_max(col).as_py() if len(col) else {"min": None, "max": None}
        lo, hi = mm["min"], mm["max"]
        if lo is None or (-EXACT_LIMIT <= lo and hi <= EXACT_LIMIT):
            continue
        big = pc.and_(pc.greater(pc.abs(col), EXACT_LIMIT), pc.is_finite(col))
        whole = pc.equal(col, pc.floor(col))
        if pc.any(pc.and_(big, whole)).as_py():
            out.append(i)
    return out


def resolve_big_integers(buf, table: pa.Table, read_options, parse_options, convert_options,
                         names: list[str]) -> tuple[pa.Table, dict, list[str]]:
    """Apply the module's rule to ``table`` (just parsed from ``buf`` with the given options).

    Returns ``(table, kind hints {column: "text"}, warnings)``; ``names`` are the final column names
    used in the messages.  The file is parsed a second time, as text and only for the suspect
    columns, so tables without such values cost one scan of their float columns' minimum and maximum.
    """
    suspects = _suspects(table)
    if not suspects:
        return table, {}, []
    raw_names = [table.column_names[i] for i in suspects]
    text_opts = pv.ConvertOptions(
        null_values=convert_options.null_values, strings_can_be_null=True, quoted_strings_can_be_null=True,
        include_columns=raw_names, column_types={n: pa.string() for n in raw_names})
    as_text = pv.read_csv(pa.py_buffer(buf), read_options=read_options, parse_options=parse_options,
                          convert_options=text_opts)
    hints, warnings = {}, []
    for i, raw in zip(suspects, raw_names):
        text = as_text.column(raw)
        name = names[i]
        is_int = pc.match_substring_regex(text, _INTEGER)  # null where missing
        written_big = pc.and_(is_int, pc.greater(pc.abs(table.column(i)), EXACT_LIMIT))
        example = text.filter(written_big)
        if not len(example):
            continue
        shown = str(example[0].as_py()).strip()
        if pc.all(is_int).as_py():
            table = table.set_column(i, table.field(i).with_type(pa.string()), text)
            hints[name] = "text"
            warnings.append(identifier_warning(name, shown))
        else:
            warnings.append(precision_warning(name, int(pc.sum(pc.cast(written_big, pa.int64())).as_py() or 0),
                                              shown))
    return table, hints, warnings


def identifier_warning(name: str, shown: str) -> str:
    return (f"column {name!r} holds whole numbers too large for a 64-bit integer (e.g. {shown!r}); it is read "
            "as text (identifiers), keeping every digit")


def precision_warning(name: str, n: int, shown: str) -> str:
    what = "1 whole number beyond 2^53 is" if n == 1 else f"{n} whole numbers beyond 2^53 are"
    return (f"column {name!r}: {what} read as floating point numbers and keep only about 16 significant "
            f"digits (e.g. {shown!r})")


def kind_hints(df) -> dict:
    """The kinds the reader decided for some columns (removed from ``df.attrs``)."""
    return dict(df.attrs.pop(HINTS, None) or {})
