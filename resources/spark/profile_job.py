#!/usr/bin/env python3
"""Build a Preflight reference profile file where the data lives, with Spark.

    spark-submit profile_job.py --input s3://bucket/reference/ --out ref.profile.json
    python profile_job.py --master 'local[2]' --input data.parquet --out ref.profile.json

The file is the one ``python main.py profile DATA --out P.json`` writes (format
"preflight-reference-profile", version 1); Preflight reads it with
``drift CUR --reference-profile-file ref.profile.json``.  This script needs only pyspark and the Python
standard library, so it can be shipped to a cluster on its own.

Column kinds follow Preflight's reader for typed data: float/double columns and integers are numeric,
except whole numbers with at most 10 distinct values (categorical) and all-distinct whole numbers in a
column named like an identifier (text); booleans; timestamps and dates are datetimes (epoch seconds, UTC,
computed from whole microseconds or nanoseconds exactly as pandas does); strings are booleans, numbers or
dates when their values are, else text (more than 1,000 distinct, or more than half distinct with at least
20 values) or categorical.  Infinite numbers are missing, as in Preflight's reader.

Exact: counts, missing, min, max, unique (count distinct), category counts, bin counts, the nine deciles
(bit for bit ``numpy.quantile``) and the sketch (all sorted values up to 5,000 values, else Preflight's
quantile sketch).  Order statistics come from Spark's exact ``percentile``: when its position
``(frequency * count - 1) * p`` has no fraction it returns an order statistic itself, so a suitable ``p``
(and, for the one statistic in nine that no ``p`` reaches, the frequency 3, 5 or 7) fetches it exactly;
anything left is settled by counting values around a pivot.  The interpolation between order statistics is
numpy's, done here.  Above 200,001 values the sketch's log-spaced tail probabilities are powers of ten that
numpy computes with its own CPU-dependent routine; here they can differ by one unit in the last place.
Sums (``sum``, ``mean``, ``m2``, ``std``) depend on the order of additions and agree with Preflight's to
about 1e-13 relative on ordinary data (two-pass: deviations from a first-pass mean).

Cost: one aggregation for the kinds (plus one when text columns hold numbers or dates), one for the numeric
columns (exact ``percentile`` holds each numeric column's distinct values and their counts in memory), one
for the bin counts, one grouped aggregation for all categorical columns together.  ``--approx-deciles``
uses ``percentile_approx`` instead for columns of more than 5,000 values (rank error at most 1/accuracy),
and the file's provenance says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
from datetime import datetime, timezone

FORMAT = "preflight-reference-profile"
FORMAT_VERSION = 1
HEADER_ORDER = ("format", "version", "provenance", "edges", "rows", "content_sha256")
KINDS = ("numeric", "categorical", "boolean", "datetime", "text")
NUMERIC_KINDS = ("numeric", "datetime")
CATEGORY_KINDS = ("categorical", "boolean")
DECILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SKETCH_VALUES_MAX = 5_000
SKETCH_GRID = 1_001
SKETCH_TAIL_VALUES = 200
SKETCH_TAIL_QUANTILES = 100
MAX_PROFILE_CATEGORIES = 10_000
MAX_INT_CATEGORIES = 10
MAX_CATEGORIES = 1000
MIN_ROWS_FOR_SHARE = 20
MOSTLY = 0.95
MAX_PIVOT_ROUNDS = 64
FREQUENCIES = (1, 3, 5, 7)  # percentile's frequency argument: new chances of an exact position (see below)
TRUE_WORDS, FALSE_WORDS = ("true", "yes"), ("false", "no")
TRUE_LOOSE = TRUE_WORDS + ("y", "t", "1", "1.0", "on")
FALSE_LOOSE = FALSE_WORDS + ("n", "f", "0", "0.0", "off")
NULL_TOKENS = ("", "NA", "N/A", "n/a", "null", "None", "-", "NaN", "nan", "NULL", "#N/A")
ISO_DATE = (r"^\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
            r"\s*(?:Z|[+-]\d{2}:?\d{2})?)?\s*$")


class JobError(Exception):
    """A problem with the input or the options, reported as one ``error:`` line (exit code 2)."""


# ---------------------------------------------------------------- numpy's arithmetic, in plain Python

def linspace(start: float, stop: float, num: int) -> list[float]:
    """``numpy.linspace(start, stop, num)`` bit for bit (its ``i * step + start``, last value ``stop``)."""
    step = (stop - start) / (num - 1)
    out = [i * step + start for i in range(num)]
    out[-1] = stop
    return out


def geomspace(start: float, stop: float, num: int) -> list[float]:
    """``numpy.geomspace`` for positive ``start`` < ``stop`` (powers of ten of a linspace of logs)."""
    out = [10.0 ** v for v in linspace(math.log10(start), math.log10(stop), num)]
    out[0], out[-1] = start, stop
    return out


def sketch_probs(n: int) -> list[float]:
    """Probabilities of Preflight's quantile sketch of ``n`` values (``core.drift.profile.sketch_probs``)."""
    k = min(SKETCH_TAIL_VALUES, n)
    probs = set(linspace(0.0, 1.0, SKETCH_GRID))
    probs.update(i / (n - 1) for i in list(range(k)) + list(range(n - k, n)))
    inner = k / (n - 1)
    if inner < 1.0 / (SKETCH_GRID - 1):
        tail = geomspace(inner, 1.0 / (SKETCH_GRID - 1), SKETCH_TAIL_QUANTILES)
        probs.update(tail)
        probs.update(1.0 - t for t in tail)
    return sorted(probs)


def quantile_positions(n: int, p: float) -> tuple[int, int, float]:
    """numpy's linear-method lower and upper order statistic and weight for probability ``p``."""
    pos = (n - 1) * p
    lo_f = math.floor(pos)
    gamma = pos - lo_f
    lo = min(max(int(lo_f), 0), n - 1)
    hi = min(lo + 1, n - 1)
    if pos >= n - 1:
        lo = hi = n - 1
    return lo, hi, gamma


def lerp(a_lo: float, a_hi: float, gamma: float) -> float:
    """numpy's interpolation: ``a + (b - a) * t`` below ``t = 0.5``, ``b - (b - a) * (1 - t)`` from there."""
    diff = a_hi - a_lo
    if gamma >= 0.5:
        return a_hi - diff * (1 - gamma)
    return a_lo + diff * gamma


def quantiles_from(order_stat, n: int, probs) -> list[float]:
    """``np.quantile(a, probs)`` for sorted ``a`` of size ``n``, given ``order_stat(k) == a[k]``."""
    out = []
    for p in probs:
        lo, hi, gamma = quantile_positions(n, p)
        out.append(lerp(order_stat(lo), order_stat(hi), gamma))
    return out


def bin_counts_sorted(values: list[float], edges) -> list[int]:
    """Counts in ``(-inf, e0), [e0, e1), ..., [e8, inf)``: a value equal to an edge lands in the upper bin."""
    import bisect
    cuts = [bisect.bisect_left(values, e) for e in edges]
    bounds = [0] + cuts + [len(values)]
    return [bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)]


def rank_error(probs) -> float:
    return max(b - a for a, b in zip(probs, probs[1:])) if len(probs) > 1 else 1.0


def label(value) -> str:
    """A category's label as Preflight writes it (``core.drift.profile._label``)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def exact_probability(k: int, n: int, frequency: int = 1, tries: int = 8):
    """A probability that makes Spark's exact ``percentile(x, p, frequency)`` return ``a[k]`` itself, or None.

    Spark's ``percentile`` counts every value ``frequency`` times and computes the position
    ``(frequency * n - 1) * p``; when that has no fraction it returns the value at that position of the
    repeated, sorted values (no interpolation).  Positions ``frequency * k`` to ``frequency * k +
    frequency - 1`` all hold ``a[k]``, so each frequency gives new chances of an exact product.
    """
    m = frequency * n - 1
    if m <= 0:
        return 0.0
    for j in range(frequency * k, frequency * k + frequency):
        p0 = j / m
        if m * p0 == j:
            return p0
        for direction in (math.inf, -math.inf):
            p = p0
            for _ in range(tries):
                p = math.nextafter(p, direction)
                if 0.0 <= p <= 1.0 and m * p == j:
                    return p
    return None


# ---------------------------------------------------------------- kinds

def looks_like_id(name: str) -> bool:
    low = name.strip().lower()
    return (low in {"id", "uuid", "guid", "key", "index"}
            or re.search(r"[_\s.-](id|uuid|guid|key)$", low) is not None
            or re.search(r"[a-z0-9]I[dD]$", name.strip()) is not None)


def whole_number_kind(name: str, distinct: int, count: int) -> str:
    if distinct <= MAX_INT_CATEGORIES:
        return "categorical"
    if distinct == count >= MIN_ROWS_FOR_SHARE and looks_like_id(name):
        return "text"
    return "numeric"


def number_kind(name: str, st: dict) -> str:
    """Preflight's rule for a column of numbers (finite count, distinct count, any fraction)."""
    if st["n"] == 0 or st["fraction"]:
        return "numeric"
    return whole_number_kind(name, st["distinct"], st["n"])


def string_kind(name: str, st: dict) -> str | None:
    """Preflight's string rules; None when the strings are numbers (decided on their parsed values)."""
    n = st["nonnull"]
    if n == 0:
        return "numeric"
    if st["distinct"] <= 4 and st["bool_words"] == n:
        return "boolean"
    if st["numbers"] >= MOSTLY * n:
        return None
    if st["iso_dates"] >= MOSTLY * n:
        return "datetime"
    d = st["distinct"]
    if d > MAX_CATEGORIES or (n >= MIN_ROWS_FOR_SHARE and d > n / 2):
        return "text"
    return "categorical"


# ---------------------------------------------------------------- the Spark side

class Columns:
    """Spark expressions for each column: its source type and the value seen by each kind."""

    def __init__(self, F, types, df, resolution: str, null_words: bool = False):
        self.F, self.T, self.df, self.resolution, self.null_words = F, types, df, resolution, null_words
        self.dtypes = {f.name: f.dataType for f in df.schema.fields}
        self.rows = 0

    def source(self, name: str) -> str:
        T, t = self.T, self.dtypes[name]
        if isinstance(t, T.BooleanType):
            return "boolean"
        if isinstance(t, (T.FloatType, T.DoubleType, T.DecimalType)):
            return "float"
        if isinstance(t, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
            return "integer"
        if isinstance(t, (T.TimestampType, T.DateType)) or type(t).__name__ == "TimestampNTZType":
            return "datetime"
        if isinstance(t, T.StringType):
            return "string"
        raise JobError(f"column '{name}' has the Spark type {t.simpleString()}, which a reference profile "
                       "cannot hold (select or cast the columns first)")

    def col(self, name: str):
        return self.F.col("`" + name.replace("`", "``") + "`")

    def string(self, name: str):
        """The column as text; in CSV input Preflight's missing-value words (NA, null, ...) are missing."""
        F = self.F
        s = self.col(name)
        if not self.null_words:
            return s
        return F.when(s.isin(*NULL_TOKENS), F.lit(None).cast("string")).otherwise(s)

    def _finite(self, x):
        F = self.F
        return F.when(F.isnan(x) | (F.abs(x) == F.lit(math.inf)), F.lit(None).cast("double")).otherwise(x)

    def number(self, name: str, kind: str = "numeric"):
        """Finite values as doubles (missing: null, NaN, +-inf, text that is not a number).

        Datetimes are seconds since 1970-01-01 UTC, computed as pandas does from whole microseconds
        (``us``) or nanoseconds (``ns``) so that every value is the same double."""
        F, src = self.F, self.source(name)
        if kind == "datetime" or src == "datetime":
            if src == "datetime":
                ts = self.col(name).cast("timestamp")
            elif src == "string":
                ts = F.expr(f"try_cast(trim({self._sql(name)}) as timestamp)")
                ts = F.when(self.string(name).isNull(), F.lit(None).cast("timestamp")).otherwise(ts)
            else:
                raise JobError(f"column '{name}' holds numbers, not dates, and cannot be read as datetime")
            micros = F.unix_micros(ts)
            if self.resolution == "ns":
                return (micros * F.lit(1000)).cast("double") / F.lit(1e9)
            return micros.cast("double") / F.lit(1e6)
        if src == "string":
            x = F.expr(f"try_cast(trim({self._sql(name)}) as double)")
            return self._finite(F.when(self.string(name).isNull(), F.lit(None).cast("double")).otherwise(x))
        return self._finite(self.col(name).cast("double"))

    def _sql(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def present(self, name: str):
        """Whether a value of a text column is there (not null, not NaN, not a missing-value word)."""
        src = self.source(name)
        if src == "string":
            return self.string(name).isNotNull()
        if src == "float":
            return self.col(name).isNotNull() & ~self.F.isnan(self.col(name).cast("double"))
        return self.col(name).isNotNull()

    def category_parts(self, name: str, kind: str):
        """(text, whole number, float) of a categorical/boolean value; exactly one is set, or none if missing."""
        F, src = self.F, self.source(name)
        s, l, d = F.lit(None).cast("string"), F.lit(None).cast("long"), F.lit(None).cast("double")
        c = self.col(name)
        if kind == "boolean":
            if src == "boolean":
                l = c.cast("long")
            elif src == "string":
                low = F.lower(F.trim(self.string(name)))
                l = F.when(low.isin(*TRUE_LOOSE), F.lit(1)).when(low.isin(*FALSE_LOOSE), F.lit(0)).cast("long")
            else:
                x = self.number(name)
                l = F.when(x == 1, F.lit(1)).when(x == 0, F.lit(0)).cast("long")
        elif src == "integer":
            l = c.cast("long")
        elif src == "float":
            d = self.number(name)
        elif src == "boolean":
            s = F.when(c, F.lit("True")).when(~c, F.lit("False"))
        elif src == "string":
            s = self.string(name)
        else:
            s = c.cast("string")
        return s, l, d


def kind_pass(cols: Columns, names, fixed: dict):
    """Pass 1: the row count and what kind inference needs, for all columns in one aggregation."""
    F = cols.F
    aggs, keys = [F.count(F.lit(1)).alias("rows")], []

    def add(key, expr):
        keys.append(key)
        aggs.append(expr.alias(f"a{len(keys)}"))

    for name in names:
        src = cols.source(name)
        add((name, "present"), F.count(F.when(cols.present(name), F.lit(1))))  # a text column's count
        if src in ("float", "integer", "datetime") and fixed.get(name) not in ("text",) + CATEGORY_KINDS:
            x = cols.number(name)
            add((name, "n"), F.count(x))
            add((name, "distinct"), F.countDistinct(x))
            if src == "float":
                add((name, "fraction"), F.count(F.when(x % F.lit(1.0) != 0, F.lit(1))))
        elif src == "string" and fixed.get(name) not in NUMERIC_KINDS + ("text",):
            s = cols.string(name)
            add((name, "nonnull"), F.count(s))
            add((name, "distinct"), F.countDistinct(s))
            add((name, "bool_words"), F.count(F.when(F.lower(F.trim(s)).isin(*(TRUE_WORDS + FALSE_WORDS)),
                                                     F.lit(1))))
            add((name, "numbers"), F.count(F.when(s.isNotNull(), F.expr(
                f"try_cast(trim({cols._sql(name)}) as double)"))))
            add((name, "iso_dates"), F.count(F.when(s.rlike(ISO_DATE), F.lit(1))))
    row = cols.df.agg(*aggs).collect()[0]
    stats: dict = {}
    for i, (name, key) in enumerate(keys):
        stats.setdefault(name, {})[key] = row[f"a{i + 1}"]
    for st in stats.values():
        st.setdefault("fraction", 0)
    return int(row["rows"]), stats


def number_stats_pass(cols: Columns, names, kinds: dict) -> dict:
    """Finite count, distinct count and any fraction of columns whose numbers are parsed from text."""
    F = cols.F
    if not names:
        return {}
    aggs = []
    for i, name in enumerate(names):
        x = cols.number(name, kinds.get(name, "numeric"))
        aggs += [F.count(x).alias(f"n{i}"), F.countDistinct(x).alias(f"d{i}"),
                 F.count(F.when(x % F.lit(1.0) != 0, F.lit(1))).alias(f"f{i}")]
    row = cols.df.agg(*aggs).collect()[0]
    return {name: {"n": row[f"n{i}"], "distinct": row[f"d{i}"], "fraction": row[f"f{i}"]}
            for i, name in enumerate(names)}


def decide_kinds(cols: Columns, names, fixed: dict, stats: dict) -> tuple[dict, dict]:
    """Kinds of ``names`` (``fixed`` wins), and the number statistics of columns parsed from text."""
    kinds, parse = {}, []
    for name in names:
        src = cols.source(name)
        if name in fixed:
            kinds[name] = fixed[name]
        elif src in ("boolean", "datetime"):
            kinds[name] = src
        elif src in ("float", "integer"):
            kinds[name] = number_kind(name, stats[name])
        else:
            k = string_kind(name, stats[name])
            if k is None:
                parse.append(name)
            else:
                kinds[name] = k
    parse += [n for n in names if n not in parse and kinds.get(n) in NUMERIC_KINDS
              and ("n" not in stats.get(n, {}) or (kinds[n] == "datetime") != (cols.source(n) == "datetime"))]
    parsed = number_stats_pass(cols, parse, kinds)
    for name in parse:
        kinds.setdefault(name, number_kind(name, parsed[name]))
    return kinds, parsed


class OrderStats:
    """Exact order statistics ``a[k]`` of the finite values of one numeric column, collected in passes."""

    def __init__(self, n: int):
        self.n, self.known, self.pending = n, {}, {}

    def wanted(self, ks, force_pivot=()) -> dict:
        """{frequency: {probability: (how, k)}} to ask Spark's percentile for: exact ones, and pivots
        (interpolations next to ``a[k]``, settled later by counting) for the few that no frequency hits."""
        asks: dict = {f: {} for f in FREQUENCIES}
        for k in sorted(ks):
            if k in self.known:
                continue
            for f in FREQUENCIES:
                p = None if k in force_pivot else exact_probability(k, self.n, f)
                if p is not None:
                    asks[f][p] = ("exact", k)
                    break
            else:  # a pivot between a[k] and a[k+1] (or a[k-1] and a[k] at the top)
                j = min(k, self.n - 2)
                asks[1][(j + 0.5) / (self.n - 1)] = ("pivot", k)
        return {f: a for f, a in asks.items() if a}

    def take(self, asks: dict, values) -> None:
        for (how, k), v in zip(asks.values(), values):
            if how == "exact":
                self.known[k] = float(v)
            else:
                self.pending[k] = float(v)

    def settle(self, k: int, v: float, lt: int, le: int, below, above) -> None:
        """One pivot count around ``v`` for target ``k``: record ``a[k]`` or move the pivot closer."""
        if lt <= k < le:
            self.known[k] = v
        elif k == lt - 1:
            self.known[k] = float(below)
        elif k == le:
            self.known[k] = float(above)
        elif k < lt - 1:
            self.pending[k] = float(below)
            return
        else:
            self.pending[k] = float(above)
            return
        self.pending.pop(k, None)


def pivot_rounds(cols: Columns, xs: dict, stats: dict) -> int:
    """Resolve pending order statistics by counting around pivots; one aggregation per round."""
    F = cols.F
    rounds = 0
    while any(st.pending for st in stats.values()):
        rounds += 1
        if rounds > MAX_PIVOT_ROUNDS:
            raise JobError("could not settle the exact deciles (pivot search did not converge)")
        aggs, keys = [], []
        for name, st in stats.items():
            x = xs[name]
            for k, v in st.pending.items():
                lv = F.lit(float(v))
                keys.append((name, k, v))
                i = len(keys)
                aggs += [F.count(F.when(x < lv, F.lit(1))).alias(f"lt{i}"),
                         F.count(F.when(x <= lv, F.lit(1))).alias(f"le{i}"),
                         F.max(F.when(x < lv, x)).alias(f"b{i}"), F.min(F.when(x > lv, x)).alias(f"a{i}")]
        row = cols.df.agg(*aggs).collect()[0]
        for i, (name, k, v) in enumerate(keys, start=1):
            stats[name].settle(k, v, row[f"lt{i}"], row[f"le{i}"], row[f"b{i}"], row[f"a{i}"])
    return rounds


def targets_of(n: int, probs) -> set:
    ks = set()
    for p in probs:
        lo, hi, _ = quantile_positions(n, p)
        ks.update((lo, hi))
    return ks


def numeric_columns(cols: Columns, kinds: dict, counts: dict, args, given: dict) -> tuple[dict, dict]:
    """Summaries of the numeric and datetime columns (passes 2 and 3, plus pivot rounds if needed)."""
    F = cols.F
    names = [n for n, k in kinds.items() if k in NUMERIC_KINDS]
    xs = {name: cols.number(name, kinds[name]) for name in names}
    out, info = {}, {"pivot_rounds": 0, "asked_by_frequency": {}}
    aggs, plans = [], {}
    for i, name in enumerate(names):
        n, x = counts[name], F.col(f"x{i}")
        aggs += [F.count(x).alias(f"n{i}"), F.min(x).alias(f"mn{i}"), F.max(x).alias(f"mx{i}"),
                 F.sum(x).alias(f"s{i}")]
        if 0 < n <= SKETCH_VALUES_MAX:
            aggs.append(F.sort_array(F.collect_list(x)).alias(f"v{i}"))
            plans[name] = ("values", None)
        elif n > SKETCH_VALUES_MAX:
            probs = sketch_probs(n)
            if args.approx_deciles:
                ps = list(DECILES) + probs
                arr = ", ".join(repr(float(p)) + "D" for p in ps)
                aggs.append(F.expr(f"percentile_approx(x{i}, array({arr}), {args.accuracy})")
                            .alias(f"q{i}"))
                plans[name] = ("approx", probs)
            else:
                st = OrderStats(n)
                dec_ks = targets_of(n, DECILES)
                force = dec_ks if args.force_pivot_deciles else ()
                asks = st.wanted(dec_ks | targets_of(n, probs), force_pivot=force)
                for f, ask in asks.items():
                    tally = info["asked_by_frequency"]
                    tally[str(f)] = tally.get(str(f), 0) + len(ask)
                    arr = ", ".join(repr(float(p)) + "D" for p in ask)
                    aggs.append(F.expr(f"percentile(x{i}, array({arr}), {f})").alias(f"q{i}_{f}"))
                plans[name] = ("exact", (probs, st, asks))
    frame = cols.df.select(*[xs[name].alias(f"x{i}") for i, name in enumerate(names)]) if names else None
    row = frame.agg(*aggs).collect()[0] if names else None
    second = []  # columns needing the bins/moments pass
    exact_stats = {}
    for i, name in enumerate(names):
        kind, n = kinds[name], row[f"n{i}"]
        entry = {"kind": kind, "count": n, "missing": cols.rows - n, "infinite": 0, "mean": None,
                 "std": None, "min": None, "max": None, "unique": 0, "deciles": None, "bin_counts": None,
                 "sketch": None, "sum": 0.0, "m2": 0.0}
        out[name] = entry
        edges = (given.get(name) or {}).get("deciles") if given is not None else None
        if n == 0:
            if edges is not None:
                entry["deciles"], entry["bin_counts"] = [float(e) for e in edges], [0] * (len(DECILES) + 1)
            continue
        entry["min"], entry["max"] = float(row[f"mn{i}"]), float(row[f"mx{i}"])
        entry["unique"] = counts[("unique", name)]
        how, plan = plans[name]
        if how == "values":
            values = [float(v) for v in row[f"v{i}"]]
            total = math.fsum(values)
            mean = total / n
            m2 = math.fsum((v - mean) ** 2 for v in values)
            entry.update(sum=total, mean=mean, m2=m2, std=math.sqrt(m2 / n))
            entry["deciles"] = quantiles_from(values.__getitem__, n, DECILES)
            entry["bin_counts"] = bin_counts_sorted(values, entry["deciles"])
            entry["sketch"] = {"type": "values", "values": values, "rank_error": 0.0}
            if edges is not None:
                entry["deciles"] = [float(e) for e in edges]
                entry["bin_counts"] = bin_counts_sorted(values, entry["deciles"])
            continue
        entry["_sum1"] = float(row[f"s{i}"])
        if how == "approx":
            qs = [float(v) for v in row[f"q{i}"]]
            entry["deciles"] = qs[:len(DECILES)]
            entry["sketch"] = {"type": "quantiles", "probs": plan, "values": qs[len(DECILES):],
                               "rank_error": rank_error(plan) + 1.0 / args.accuracy}
        else:
            probs, st, asks = plan
            for f, ask in asks.items():
                st.take(ask, row[f"q{i}_{f}"])
            exact_stats[name] = st
            entry["sketch"] = {"type": "quantiles", "probs": probs, "values": None, "rank_error": rank_error(probs)}
        second.append(name)
    if exact_stats:
        xs_frame = {name: F.col(f"x{names.index(name)}") for name in exact_stats}
        sub = Columns(F, cols.T, frame, cols.resolution, cols.null_words)
        info["pivot_rounds"] = pivot_rounds(sub, xs_frame, exact_stats)
    for name, st in exact_stats.items():
        entry, n = out[name], counts[name]
        probs = entry["sketch"]["probs"]
        entry["sketch"]["values"] = quantiles_from(st.known.__getitem__, n, probs)
        entry["deciles"] = quantiles_from(st.known.__getitem__, n, DECILES)
    if second:
        _bins_and_moments(F, frame, names, second, out, given)
    for name in second:
        out[name].pop("_sum1", None)
    return out, info


def _bins_and_moments(F, frame, names, second, out, given) -> None:
    """Pass 3: bin counts on the deciles (own or given) and the deviations from the first-pass mean."""
    aggs = []
    for name in second:
        i, entry = names.index(name), out[name]
        x = F.col(f"x{i}")
        edges = (given.get(name) or {}).get("deciles") if given is not None else None
        if edges is not None:
            entry["deciles"] = [float(e) for e in edges]
        mean1 = entry["_sum1"] / entry["count"]
        aggs += [F.count(F.when(x < F.lit(float(e)), F.lit(1))).alias(f"e{i}_{j}")
                 for j, e in enumerate(entry["deciles"])]
        d = x - F.lit(mean1)
        aggs += [F.sum(d).alias(f"d{i}"), F.sum(d * d).alias(f"dd{i}")]
    row = frame.agg(*aggs).collect()[0]
    for name in second:
        i, entry = names.index(name), out[name]
        n = entry["count"]
        cuts = [row[f"e{i}_{j}"] for j in range(len(entry["deciles"]))]
        bounds = [0] + cuts + [n]
        entry["bin_counts"] = [bounds[j + 1] - bounds[j] for j in range(len(bounds) - 1)]
        mean1 = entry["_sum1"] / n
        s1, s2 = float(row[f"d{i}"]), float(row[f"dd{i}"])
        mean = mean1 + s1 / n
        m2 = max(s2 - s1 * s1 / n, 0.0)
        entry.update(mean=mean, sum=mean1 * n + s1, m2=m2, std=math.sqrt(m2 / n))


def category_columns(cols: Columns, kinds: dict) -> dict:
    """Counts of every category of the categorical and boolean columns: one grouped aggregation."""
    F = cols.F
    names = [n for n, k in kinds.items() if k in CATEGORY_KINDS]
    if not names:
        return {}
    parts = []
    for i, name in enumerate(names):
        s, l, d = cols.category_parts(name, kinds[name])
        parts.append(F.struct(F.lit(i).alias("i"), s.alias("s"), l.alias("l"), d.alias("d")))
    stacked = cols.df.select(F.explode(F.array(*parts)).alias("c")).select("c.*")
    rows = stacked.groupBy("i", "s", "l", "d").count().collect()
    counts = {name: {} for name in names}
    missing = {name: 0 for name in names}
    for r in rows:
        name = names[r["i"]]
        if r["s"] is None and r["l"] is None and r["d"] is None:
            missing[name] += r["count"]
            continue
        if r["s"] is not None:
            key = r["s"]
        elif r["l"] is not None:
            key = label(bool(r["l"])) if kinds[name] == "boolean" else str(int(r["l"]))
        else:
            key = label(float(r["d"]))
        counts[name][key] = counts[name].get(key, 0) + int(r["count"])
    out = {}
    for name in names:
        c = counts[name]
        entry = {"kind": kinds[name], "count": sum(c.values()), "missing": missing[name]}
        if len(c) > MAX_PROFILE_CATEGORIES:
            kept = dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_PROFILE_CATEGORIES])
            entry.update(categories=kept, truncated=True, other_count=entry["count"] - sum(kept.values()))
        else:
            entry.update(categories=c, truncated=False, other_count=0)
        out[name] = entry
    return out


def text_columns(kinds: dict, stats: dict, rows: int) -> dict:
    """Count and missing of the text columns (counted in the first pass)."""
    return {n: {"kind": "text", "count": stats[n]["present"], "missing": rows - stats[n]["present"]}
            for n, k in kinds.items() if k == "text"}


# ---------------------------------------------------------------- the file

def _clean(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def canonical_json(obj) -> str:
    """Preflight's canonical JSON: sorted keys, no whitespace, UTF-8, NaN and infinities as null."""
    return json.dumps(_clean(json.loads(json.dumps(obj, allow_nan=True))), sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def make_document(columns: dict, rows: int, provenance: dict, edges: str) -> dict:
    body = {"format": FORMAT, "version": FORMAT_VERSION, "provenance": {**provenance, "rows": rows},
            "edges": edges, "rows": rows, "columns": columns}
    body = json.loads(canonical_json(body))
    body["content_sha256"] = hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()
    return body


def write_document(doc: dict, path: str) -> str:
    """Write atomically (temporary file in the same folder, then rename); returns the file's SHA-256."""
    head = [k for k in HEADER_ORDER if k in doc]
    ordered = {**{k: doc[k] for k in head}, **{k: doc[k] for k in sorted(doc) if k not in head}}
    text = json.dumps(ordered, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    folder = os.path.dirname(os.path.abspath(path))
    # a new file of a random name, created as open() does (so with the user's usual permissions)
    tmp = os.path.join(folder, f".profile-{os.urandom(8).hex()}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_profile(path: str, what: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise JobError(f"{what} {path}: cannot read it ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JobError(f"{what} {path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("columns"), dict):
        raise JobError(f"{what} {path}: not a Preflight reference profile file")
    if doc.get("content_sha256") != hashlib.sha256(canonical_json(
            {k: v for k, v in doc.items() if k != "content_sha256"}).encode("utf-8")).hexdigest():
        raise JobError(f"{what} {path}: the profile is damaged or was edited (content_sha256 does not match)")
    return doc


# ---------------------------------------------------------------- command line

def split_names(text) -> list[str]:
    return [s.strip() for s in (text or "").split(",") if s.strip()]


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="profile_job.py",
        description="Build a Preflight reference profile file (the same file as 'python main.py profile DATA "
                    "--out P.json') from a Spark table or a Parquet/CSV path, with Spark. Needs only pyspark.",
        epilog="Examples:\n  spark-submit profile_job.py --table sales.reference --out ref.profile.json\n"
               "  python profile_job.py --master 'local[4]' --input data/ --out ref.profile.json\n"
               "  spark-submit profile_job.py --input part=1/ --edges-from whole.json --out part1.json\n"
               "Then: python main.py drift current.csv --reference-profile-file ref.profile.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--table", help="a table known to the Spark catalog (e.g. db.reference)")
    src.add_argument("--input", help="a Parquet file or folder (or CSV with --format csv); any Spark path")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                   help="format of --input (default parquet; CSV: header row, types inferred)")
    p.add_argument("--out", required=True, help="the profile file to write (written atomically)")
    p.add_argument("--columns", help="only these columns (comma-separated)")
    for kind in ("categorical", "numeric", "text", "datetime"):
        p.add_argument(f"--{kind}", metavar="A,B", help=f"treat these columns as {kind}")
    p.add_argument("--kinds-from", metavar="P.json", help="take the column kinds from this profile file")
    p.add_argument("--edges-from", metavar="W.json",
                   help="count numeric columns into this profile's decile edges (so profiles of parts merge "
                        "exactly with 'python main.py profile merge')")
    p.add_argument("--approx-deciles", action="store_true",
                   help="use percentile_approx for columns of more than 5,000 values (cheaper, not exact)")
    p.add_argument("--accuracy", type=int, default=10000,
                   help="percentile_approx accuracy with --approx-deciles (rank error <= 1/accuracy; default "
                        "10000)")
    p.add_argument("--datetime-resolution", choices=("auto", "us", "ns"), default="auto",
                   help="compute epoch seconds from whole microseconds (us) or nanoseconds (ns), as pandas does "
                        "for the resolution Preflight's reader gets, so that the values match its profile bit "
                        "for bit: ns for CSV and for Parquet with INT96 (Spark's default) or nanosecond "
                        "timestamps, us for Parquet with microsecond timestamps. auto (default): ns for CSV, us "
                        "otherwise")
    p.add_argument("--cache", action="store_true", help="cache the selected columns between the passes")
    p.add_argument("--master", help="Spark master when run with plain python (e.g. local[2]); spark-submit "
                                    "sets it otherwise")
    p.add_argument("--force-pivot-deciles", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.datetime_resolution == "auto":
        args.datetime_resolution = "ns" if args.input and args.format == "csv" else "us"
    if args.accuracy < 1:
        p.error("--accuracy must be a positive integer")
    return args


def fixed_kinds(args) -> tuple[dict, dict]:
    """Kinds given on the command line, and kinds taken from ``--kinds-from``."""
    from_file = {}
    if args.kinds_from:
        doc = read_profile(args.kinds_from, "--kinds-from")
        for name, col in doc["columns"].items():
            kind = col.get("kind") if isinstance(col, dict) else None
            if kind not in KINDS:
                raise JobError(f"--kinds-from {args.kinds_from}: column '{name}' has an unknown kind {kind!r}")
            from_file[name] = kind
    given = {}
    for kind in ("categorical", "numeric", "text", "datetime"):
        for name in split_names(getattr(args, kind)):
            given[name] = kind
    return given, from_file


def check_local_paths(args) -> None:
    """Fail fast (before Spark starts) on a missing local input or output folder."""
    if args.input and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", args.input) and not os.path.exists(args.input):
        raise JobError(f"{args.input}: file or folder not found")
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):
        raise JobError(f"{args.out}: cannot write the profile: the folder does not exist")
    if os.path.isdir(args.out):
        raise JobError(f"{args.out}: is a folder; give a file name for the profile")
    for what in ("kinds_from", "edges_from"):
        path = getattr(args, what)
        if path and not os.path.isfile(path):
            raise JobError(f"--{what.replace('_', '-')} {path}: file not found")


def spark_session(args):
    from pyspark.sql import SparkSession
    builder = SparkSession.builder.appName("preflight-profile")
    if args.master:
        builder = builder.master(args.master).config("spark.ui.enabled", "false")
    spark = builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark


def load(spark, args):
    try:
        from pyspark.errors import AnalysisException
    except ImportError:  # pyspark before 3.4
        from pyspark.sql.utils import AnalysisException
    try:
        if args.table:
            return spark.table(args.table)
        if args.format == "csv":
            return spark.read.option("header", "true").option("inferSchema", "true").csv(args.input)
        return spark.read.parquet(args.input)
    except AnalysisException as exc:
        first = (str(exc).strip().splitlines() or ["?"])[0]
        raise JobError(f"{args.table or args.input}: cannot read it ({first})") from None


def build(spark, args, inputs: tuple) -> tuple[dict, dict]:
    """The profile document for ``args`` on ``spark``, and a few facts about the run.

    ``inputs`` is (kinds given on the command line, kinds from --kinds-from, --edges-from columns or None)."""
    from pyspark.sql import functions as F

    given_kinds, file_kinds, given = inputs
    df = load(spark, args)
    present = [f.name for f in df.schema.fields]
    if len(set(present)) != len(present):
        raise JobError(f"{args.table or args.input}: duplicate column names")
    names = split_names(args.columns) or (list(file_kinds) if file_kinds else present)
    where = args.table or args.input
    for name in names + list(given_kinds):
        if name not in present:
            raise JobError(f"{where}: no column '{name}'")
    fixed = {n: k for n, k in {**file_kinds, **given_kinds}.items() if n in names}
    df = df.select(*[F.col("`" + n.replace("`", "``") + "`") for n in names])
    if args.cache:
        df = df.cache()
    try:
        return _profile(spark, args, df, names, fixed, given)
    finally:
        if args.cache:
            df.unpersist()


def _profile(spark, args, df, names, fixed, given) -> tuple[dict, dict]:
    import pyspark
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    cols = Columns(F, T, df, args.datetime_resolution, null_words=bool(args.input) and args.format == "csv")
    for name in names:
        cols.source(name)
    rows, stats = kind_pass(cols, names, fixed)
    cols.rows = rows
    kinds, parsed = decide_kinds(cols, names, fixed, stats)
    counts = {}
    for name in names:
        if kinds[name] in NUMERIC_KINDS:
            st = parsed.get(name) or stats[name]
            counts[name], counts[("unique", name)] = st["n"], st["distinct"]
    if given is not None:
        for name in names:
            other = given.get(name)
            if kinds[name] in NUMERIC_KINDS and (other is None or other.get("kind") != kinds[name]):
                raise JobError(f"--edges-from profile has no {kinds[name]} column '{name}'")
    columns, info = numeric_columns(cols, kinds, counts, args, given)
    columns.update(category_columns(cols, kinds))
    columns.update(text_columns(kinds, stats, rows))
    columns = {name: columns[name] for name in names}
    provenance = {"engine": f"spark-{pyspark.__version__}", "source": args.table or args.input,
                  "created_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  "deciles": (f"approximate: percentile_approx accuracy {args.accuracy}, rank error <= "
                              f"1/{args.accuracy}" if args.approx_deciles else "exact"),
                  "datetime_resolution": args.datetime_resolution, **_cluster_facts(spark, df)}
    if args.approx_deciles:
        provenance["rank_error"] = 1.0 / args.accuracy
    if args.input:
        provenance["format"] = args.format
    doc = make_document(columns, rows, provenance, "given" if given is not None else "own")
    return doc, {"rows": rows, "columns": len(columns), **info}


def _cluster_facts(spark, df) -> dict:
    try:
        return {"master": spark.sparkContext.master, "partitions": df.rdd.getNumPartitions()}
    except Exception:  # e.g. Spark Connect has no SparkContext
        return {}


def run(args, spark=None) -> dict:
    """Build and write the profile; returns a short summary.  Raises JobError for bad input."""
    check_local_paths(args)
    inputs = (*fixed_kinds(args),  # the small files are checked before Spark starts
              read_profile(args.edges_from, "--edges-from")["columns"] if args.edges_from else None)
    own = spark is None
    spark = spark or spark_session(args)
    try:
        doc, info = build(spark, args, inputs)
    finally:
        if own:
            spark.stop()
    sha = write_document(doc, args.out)
    return {"out": args.out, "sha256": sha, **info}


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        out = run(args)
    except JobError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
