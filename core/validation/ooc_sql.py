"""SQL expressions for one column of the out-of-core validation engine (:mod:`core.validation.ooc`).

Each declared type gives three expressions over the column ``c`` of the working table: ``missing``,
``bad`` (a present value that is not of the declared type) and ``value`` (the typed value, NULL when
missing or bad).  They follow :mod:`core.validation.column_values`: a missing value is NULL, NaN,
an infinity (the table reader reads ``inf`` as missing) or an empty text; text is parsed as a number
only when it looks like one; booleans accept the same true/false words.
"""

from __future__ import annotations

from core.validation.column_values import FALSE_TOKENS, TRUE_TOKENS, _NUMBER_RE

NUMBER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE")
FLOAT_TYPES = ("FLOAT", "DOUBLE")
TIME_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP WITH TIME ZONE")


def quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def family(dtype: str) -> str:
    """number, boolean, time, text or other for a DuckDB column type."""
    t = dtype.upper()
    if t in NUMBER_TYPES or t.startswith("DECIMAL"):
        return "number"
    if t == "BOOLEAN":
        return "boolean"
    if t in TIME_TYPES:
        return "time"
    if t == "VARCHAR":
        return "text"
    return "other"


def missing_expr(c: str, fam: str, dtype: str) -> str:
    if fam == "text":
        return f"({c} IS NULL OR {c} = '')"
    if dtype.upper() in FLOAT_TYPES:
        return f"({c} IS NULL OR isnan({c}) OR isinf({c}))"
    return f"({c} IS NULL)"


def _tokens(tokens) -> str:
    return ", ".join(literal(t) for t in sorted(tokens))


OFFSET_RE = r"(Z|z|[+-]\d{2}:?\d{2})\s*$"  # a date/time text ending in a UTC offset


def _cast_time(c: str, tz: bool) -> str:
    """Text as a timestamp; with ``tz`` (the texts carry UTC offsets) an instant shown in UTC."""
    return f"TRY_CAST({c} AS TIMESTAMPTZ)" if tz else f"TRY_CAST({c} AS TIMESTAMP)"


def _parse_time(c: str, tz: bool, formats) -> str:
    """Text as a timestamp by the first of ``formats`` that reads it ("ISO8601": DuckDB's cast)."""
    parts = [f"CAST({_cast_time(c, tz)} AS TIMESTAMP)" if f == "ISO8601" else
             f"try_strptime({c}, {literal(f)})" for f in (formats or ["ISO8601"])]
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def typed(c: str, fam: str, ctype: str | None, m: str, tz: bool = False,
          formats=None) -> tuple[str | None, str]:
    """(value expression or None, mismatch expression) for the declared type ``ctype``; ``tz``: text
    dates carry UTC offsets; ``formats``: date formats of text dates, best first."""
    if ctype in ("numeric", "integer"):
        if fam == "number":
            value, bad = f"CAST({c} AS DOUBLE)", "false"
        elif fam == "text":
            parsed = (f"(CASE WHEN regexp_full_match({c}, {literal(_NUMBER_RE)}, 'i') "
                      f"THEN TRY_CAST(trim({c}) AS DOUBLE) END)")
            value = f"(CASE WHEN {m} THEN NULL ELSE {parsed} END)"
            bad = f"(NOT {m} AND ({parsed} IS NULL OR isnan({parsed})))"
        else:
            return "CAST(NULL AS DOUBLE)", f"(NOT {m})"
        if ctype == "integer":
            frac = f"({value} IS NOT NULL AND NOT isnan({value}) AND NOT (isfinite({value}) AND floor({value}) = {value}))"
            return f"(CASE WHEN {frac} THEN NULL ELSE {value} END)", f"({bad} OR {frac})"
        return value, bad
    if ctype == "boolean":
        if fam == "boolean":
            return f"CAST({c} AS DOUBLE)", "false"
        if fam == "number":
            bad = f"(NOT {m} AND CAST({c} AS DOUBLE) NOT IN (0.0, 1.0))"
            return f"(CASE WHEN {bad} THEN NULL ELSE CAST({c} AS DOUBLE) END)", bad
        if fam == "text":
            key = f"lower(trim({c}))"
            value = (f"(CASE WHEN {m} THEN NULL WHEN {key} IN ({_tokens(TRUE_TOKENS)}) THEN 1.0 "
                     f"WHEN {key} IN ({_tokens(FALSE_TOKENS)}) THEN 0.0 END)")
            return value, f"(NOT {m} AND {value} IS NULL)"
        return "CAST(NULL AS DOUBLE)", f"(NOT {m})"
    if ctype == "datetime":
        if fam == "time":
            return f"CAST({c} AS TIMESTAMP)", "false"
        if fam == "text":
            value = f"(CASE WHEN {m} THEN NULL ELSE {_parse_time(c, tz, formats)} END)"
            return value, f"(NOT {m} AND {value} IS NULL)"
        return "CAST(NULL AS TIMESTAMP)", f"(NOT {m})"
    return None, "false"


def text_expr(c: str, fam: str) -> str:
    """A value's text as :func:`core.validation.column_values.as_text` writes it."""
    if fam == "number":
        d = f"CAST({c} AS DOUBLE)"
        return (f"(CASE WHEN isfinite({d}) AND floor({d}) = {d} AND abs({d}) < 9007199254740992.0 "
                f"THEN CAST(CAST({d} AS BIGINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END)")
    if fam == "boolean":
        return f"(CASE WHEN {c} THEN 'True' WHEN NOT {c} THEN 'False' END)"
    return f"CAST({c} AS VARCHAR)"


def coerced(c: str, dtype: str, kind: str | None, whole: bool = False, tz: bool = False) -> str:
    """The column as the table reader hands it to validation once it has its kind
    (:func:`core.data.kinds.coerce_column`): text of a numeric column parsed (what does not parse is
    missing), infinities of numeric and categorical columns missing, true/false words of a boolean
    column, dates as timestamps, whole-number categories as integers (``whole``: every finite value
    of the column is a whole number of at most 2**53; ``tz``: its date texts carry UTC offsets, read
    as instants in UTC as the reader does)."""
    from core.data.kinds import _FALSE_LOOSE, _TRUE_LOOSE

    fam = family(dtype)
    t = dtype.upper()
    if fam == "time":  # instants (WITH TIME ZONE) stay instants, shown in UTC
        return c if "ZONE" in t else f"CAST({c} AS TIMESTAMP)"
    if kind == "numeric" and fam == "text":
        parsed = f"TRY_CAST(trim({c}) AS DOUBLE)"
        return f"(CASE WHEN isinf({parsed}) THEN NULL ELSE {parsed} END)"
    if kind in ("numeric", "categorical") and t in FLOAT_TYPES:
        clean = f"(CASE WHEN isinf({c}) OR isnan({c}) THEN NULL ELSE {c} END)"
        return f"CAST({clean} AS BIGINT)" if kind == "categorical" and whole else clean
    if kind == "boolean" and fam in ("text", "number"):
        key = f"lower(trim({c}))" if fam == "text" else f"CAST(CAST({c} AS DOUBLE) AS VARCHAR)"
        return (f"(CASE WHEN {key} IN ({_tokens(_TRUE_LOOSE)}) THEN true "
                f"WHEN {key} IN ({_tokens(_FALSE_LOOSE)}) THEN false END)")
    if kind == "datetime" and fam == "text":
        return _cast_time(c, tz)
    if kind == "text" and fam == "number":
        return f"CAST({c} AS VARCHAR)"
    return c


_SPACE = r"\t\n\v\f\r\x1c-\x1f\x85\p{Z}"  # what str.isspace() accepts
_OUTSIDE = {"d": r"\p{Nd}", "D": r"\P{Nd}", "w": r"[\p{L}\p{N}_]", "W": r"[^\p{L}\p{N}_]",
            "s": f"[{_SPACE}]", "S": f"[^{_SPACE}]"}
_INSIDE = {"d": r"\p{Nd}", "w": r"\p{L}\p{N}_", "s": _SPACE}


def re2_pattern(pattern: str) -> str:
    """A Python ``re`` pattern for DuckDB's RE2, with ``\\d``, ``\\w`` and ``\\s`` matching Unicode
    digits, word characters and white space as Python's do (RE2's match ASCII only).  Negated
    classes inside brackets (``[\\D]``) and ``\\b`` keep RE2's ASCII meaning."""
    out, i, in_class, n = [], 0, False, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            table = _INSIDE if in_class else _OUTSIDE
            out.append(table.get(nxt, ch + nxt))
            i += 2
            continue
        if not in_class and ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a leading ] is a literal
                out.append("\\]")
                i += 1
            continue
        if in_class and ch == "]":
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)
