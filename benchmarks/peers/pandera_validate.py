"""Peer: pandera validation equivalent to a Preflight schema file.

:func:`pandera_schema` turns the Preflight schema dict used by the validation benchmark
into a ``pandera.pandas.DataFrameSchema`` with the same rules:

=====================================  ===================================================
Preflight column key                   pandera
=====================================  ===================================================
``type`` numeric / integer             ``Column("float64")`` / ``Column("int64")``
``type`` category / string             ``Column(str)``
``range`` (+ ``max_out_of_range_pct``  ``Check.in_range(lo, hi)`` (any value outside fails)
= 0)
``max_missing_pct`` = 0                ``nullable=False``
``max_missing_pct`` = x > 0            ``nullable=True`` + ``Check(lambda s: s.isna().mean()
                                       <= x, ignore_na=False)``
``unique: true``                       ``unique=True`` (pandera fails on any duplicate;
                                       Preflight when fewer than 95% are distinct)
``allowed``                            ``Check.isin(allowed)``
``pattern``                            ``Check.str_matches("^(?:pattern)$")``
=====================================  ===================================================

Run as a process it reads the Parquet file with pandas and validates it with
``lazy=True`` (every failure collected), then prints a summary:

    python benchmarks/peers/pandera_validate.py DATA.parquet SCHEMA.json
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd
import pandera.pandas as pa

DTYPES = {"numeric": "float64", "integer": "int64", "category": str, "string": str}


def _missing_check(limit: float) -> pa.Check:
    return pa.Check(lambda s: bool(s.isna().mean() <= limit), ignore_na=False,
                    name=f"max_missing_{limit}", error=f"missing share above {limit}")


def pandera_schema(spec: dict) -> pa.DataFrameSchema:
    """The pandera schema equivalent to the Preflight ``{"columns": {...}}`` schema ``spec``."""
    columns = {}
    for name, rules in spec["columns"].items():
        checks = []
        if rules.get("range") is not None:
            lo, hi = rules["range"]
            if rules.get("max_out_of_range_pct", 0.01) != 0:
                raise ValueError(f"{name}: only max_out_of_range_pct = 0 has a pandera equivalent")
            checks.append(pa.Check.in_range(lo, hi))
        limit = rules.get("max_missing_pct")
        if limit is not None and limit > 0:
            checks.append(_missing_check(limit))
        if rules.get("allowed") is not None:
            checks.append(pa.Check.isin(rules["allowed"]))
        if rules.get("pattern") is not None:
            checks.append(pa.Check.str_matches(f"^(?:{rules['pattern']})$"))
        columns[name] = pa.Column(DTYPES.get(rules.get("type")), checks=checks,
                                  nullable=limit != 0, unique=bool(rules.get("unique")))
    return pa.DataFrameSchema(columns)


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame | None:
    """pandera's failure-case table (None when everything passes), collected lazily."""
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases
    return None


def summarise(failures: pd.DataFrame | None) -> dict:
    """Failure counts per (column, check), as plain JSON."""
    if failures is None:
        return {"passed": True, "failure_cases": 0, "by_check": {}}
    grouped = failures.groupby(["column", "check"], dropna=False).size()
    return {"passed": False, "failure_cases": int(len(failures)),
            "by_check": {f"{c} | {k}": int(n) for (c, k), n in grouped.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="pandera validation peer")
    ap.add_argument("data")
    ap.add_argument("schema")
    args = ap.parse_args(argv)
    with open(args.schema) as fh:
        spec = json.load(fh)
    df = pd.read_parquet(args.data)
    summary = summarise(validate(df, pandera_schema(spec)))
    sys.stdout.write(json.dumps(summary, indent=1) + "\n")
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
