"""Data schemas: what a table must look like before a model may see it.

A schema file is JSON or YAML.  Two layouts are accepted:

* flat, one entry per column: ``{"age": {"type": "integer", "range": [0, 120]}, ...}``
* extended: ``{"columns": {"age": {...}}, "dataset": {"row_count": [1000, null]}}``

Column keys (all optional):

=======================  ==================================================================
``type``                 numeric, integer, string, category, boolean or datetime
                         (aliases: float/number, int, str/text, categorical, bool, date)
``range``                ``[min, max]``, either may be null; numbers, or dates for datetime
``max_out_of_range_fraction``  fraction of rows allowed outside ``range`` (default 0.01 = 1%)
``max_missing_fraction``  fraction of rows allowed to be missing (0.05 = 5%); unset = no limit
``unique``               true: at least 95% of rows carry a distinct value
``allowed``              list of permitted values
``pattern``              regular expression each value must match in full
``min_length``,          bounds on the length of each value's text
``max_length``
``monotonic``            "increasing", "decreasing" (or true = increasing); not strict
``required``             default true: a missing column is a critical problem
``description``          free text, kept for people
=======================  ==================================================================

Dataset keys: ``required_columns`` (list), ``allow_unexpected_columns`` (default true; when
false, a column the schema does not name is reported as ``unexpected_column``, severity low),
``max_duplicate_rows_fraction`` or ``no_duplicate_rows: true`` (= 0), ``row_count``
(``[min, max]``).

Deprecated names, still read: ``max_missing_pct``, ``max_out_of_range_pct`` and
``max_duplicate_rows_pct`` are the old names of the three ``..._fraction`` keys (they always held a
fraction, not a percentage).  Schemas are written with the new names; giving both names of a key
with different values is an error.  Unknown keys and bad values raise :class:`PreflightError`
naming the column and the key (the value checks are in :mod:`core.validation.schema_rules`).  Inferring a schema from a table, and comparing two tables' schemas, is
``core.validation.infer``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from core.canonical import dumps
from core.errors import InputFileError, PreflightError
from core.validation.schema_rules import DEPRECATED_KEYS, ORDERED_TYPES, _allowed, _bool, _check_keys, \
    _column_range, _count, _fraction, _pair, _Where

TYPES = ("numeric", "integer", "string", "category", "boolean", "datetime")
TYPE_ALIASES = {
    "float": "numeric", "number": "numeric", "double": "numeric", "int": "integer",
    "str": "string", "text": "string", "categorical": "category", "bool": "boolean",
    "date": "datetime", "timestamp": "datetime",
}
SCHEMA_VERSION = 1
COLUMN_KEYS = ("type", "range", "max_out_of_range_fraction", "max_missing_fraction", "unique", "allowed",
               "pattern", "min_length", "max_length", "monotonic", "required", "description")
DATASET_KEYS = ("required_columns", "allow_unexpected_columns", "max_duplicate_rows_fraction",
                "no_duplicate_rows", "row_count")



def _non_defaults(spec) -> dict:
    return {f.name: list(v) if isinstance(v, tuple) else v
            for f in fields(spec) if (v := getattr(spec, f.name)) != f.default}


@dataclass(frozen=True)
class ColumnSpec:
    """The rules for one column; ``None`` means "not checked"."""

    type: str | None = None
    range: tuple | None = None
    max_out_of_range_fraction: float = 0.01
    max_missing_fraction: float | None = None
    unique: bool = False
    allowed: tuple | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    monotonic: str | None = None
    required: bool = True
    description: str | None = None

    def to_dict(self) -> dict:
        """Only the keys that differ from the defaults, in schema-file form."""
        return _non_defaults(self)

    @property
    def max_missing_pct(self) -> float | None:
        """Deprecated name of :attr:`max_missing_fraction` (it holds a fraction)."""
        return self.max_missing_fraction

    @property
    def max_out_of_range_pct(self) -> float:
        """Deprecated name of :attr:`max_out_of_range_fraction` (it holds a fraction)."""
        return self.max_out_of_range_fraction

    @classmethod
    def from_dict(cls, name: str, d, source: str = "schema") -> "ColumnSpec":
        where = _Where(source, name)
        if d is None:
            d = {}
        if isinstance(d, str):  # shorthand: {"age": "integer"}
            d = {"type": d}
        if not isinstance(d, dict):
            raise where.error(None, f"the rules must be a mapping of keys, got {d!r}")
        d, written = _check_keys(where, d, COLUMN_KEYS)
        kw: dict[str, Any] = {}
        ctype = d.get("type")
        if ctype is not None:
            if not isinstance(ctype, str) or TYPE_ALIASES.get(ctype.lower(), ctype.lower()) not in TYPES:
                raise where.error("type", f"unknown type {ctype!r} (use one of: {', '.join(TYPES)})")
            ctype = TYPE_ALIASES.get(ctype.lower(), ctype.lower())
            kw["type"] = ctype
        for key in ("max_out_of_range_fraction", "max_missing_fraction"):
            if d.get(key) is not None:
                kw[key] = _fraction(where, written[key], d[key])
        for key in ("unique", "required"):
            if d.get(key) is not None:
                kw[key] = _bool(where, key, d[key])
        if d.get("range") is not None:
            kw["range"] = _column_range(where, ctype, d["range"])
        if d.get("allowed") is not None:
            kw["allowed"] = _allowed(where, ctype, d["allowed"])
        if d.get("pattern") is not None:
            pattern = d["pattern"]
            if not isinstance(pattern, str):
                raise where.error("pattern", f"must be a regular expression in quotes, got {pattern!r}")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise where.error("pattern", f"not a valid regular expression: {exc}") from None
            kw["pattern"] = pattern
        for key in ("min_length", "max_length"):
            if d.get(key) is not None:
                kw[key] = _count(where, key, d[key])
        if kw.get("min_length") is not None and kw.get("max_length") is not None \
                and kw["min_length"] > kw["max_length"]:
            raise where.error("min_length", "is larger than max_length")
        monotonic = d.get("monotonic")
        if monotonic is not None and monotonic is not False:
            if monotonic is True:
                monotonic = "increasing"
            if monotonic not in ("increasing", "decreasing"):
                raise where.error("monotonic", f"must be \"increasing\", \"decreasing\" or true, got {monotonic!r}")
            if ctype not in ORDERED_TYPES:
                raise where.error("monotonic", "needs type numeric, integer or datetime")
            kw["monotonic"] = monotonic
        if d.get("description") is not None:
            if not isinstance(d["description"], str):
                raise where.error("description", "must be text")
            kw["description"] = d["description"]
        return cls(**kw)


@dataclass(frozen=True)
class DatasetSpec:
    """Rules about the table as a whole."""

    required_columns: tuple = ()
    allow_unexpected_columns: bool = True
    max_duplicate_rows_fraction: float | None = None
    row_count: tuple | None = None

    def to_dict(self) -> dict:
        return _non_defaults(self)

    @property
    def max_duplicate_rows_pct(self) -> float | None:
        """Deprecated name of :attr:`max_duplicate_rows_fraction` (it holds a fraction)."""
        return self.max_duplicate_rows_fraction

    @classmethod
    def from_dict(cls, d, source: str = "schema") -> "DatasetSpec":
        where = _Where(source + ": dataset")
        if d is None:
            return cls()
        if not isinstance(d, dict):
            raise where.error(None, f"must be a mapping of keys, got {d!r}")
        d, written = _check_keys(where, d, DATASET_KEYS)
        kw: dict[str, Any] = {}
        req = d.get("required_columns")
        if req is not None:
            if not isinstance(req, (list, tuple)) or not all(isinstance(c, str) for c in req):
                raise where.error("required_columns", f"must be a list of column names, got {req!r}")
            kw["required_columns"] = tuple(req)
        if d.get("allow_unexpected_columns") is not None:
            kw["allow_unexpected_columns"] = _bool(where, "allow_unexpected_columns",
                                                   d["allow_unexpected_columns"])
        if d.get("max_duplicate_rows_fraction") is not None:
            kw["max_duplicate_rows_fraction"] = _fraction(where, written["max_duplicate_rows_fraction"],
                                                          d["max_duplicate_rows_fraction"])
        if d.get("no_duplicate_rows") is not None:
            if _bool(where, "no_duplicate_rows", d["no_duplicate_rows"]):
                if kw.get("max_duplicate_rows_fraction", 0.0) != 0.0:
                    raise where.error("no_duplicate_rows", "contradicts max_duplicate_rows_fraction")
                kw["max_duplicate_rows_fraction"] = 0.0
        if d.get("row_count") is not None:
            lo, hi = _pair(where, "row_count", d["row_count"])
            lo = None if lo is None else _count(where, "row_count", lo)
            hi = None if hi is None else _count(where, "row_count", hi)
            if lo is not None and hi is not None and lo > hi:
                raise where.error("row_count", f"minimum {lo} is larger than maximum {hi}")
            kw["row_count"] = (lo, hi)
        return cls(**kw)


def _is_extended(d: dict) -> bool:
    """Extended layout ``{"columns": {...}, "dataset": {...}}`` rather than flat ``{col: spec}``."""
    cols = d.get("columns")
    if isinstance(cols, dict) and all(isinstance(v, dict) or v is None for v in cols.values()):
        return True
    ds = d.get("dataset")
    return "columns" not in d and isinstance(ds, dict) and bool(ds) \
        and {DEPRECATED_KEYS.get(k, k) for k in ds} <= set(DATASET_KEYS)


@dataclass(frozen=True)
class Schema:
    """Column rules (in file order) plus dataset rules."""

    columns: dict = field(default_factory=dict)
    dataset: DatasetSpec = field(default_factory=DatasetSpec)

    def to_dict(self) -> dict:
        """The extended layout, with defaults left out; ``from_dict(to_dict())`` gives it back."""
        return {"version": SCHEMA_VERSION,
                "columns": {name: spec.to_dict() for name, spec in self.columns.items()},
                "dataset": self.dataset.to_dict()}

    @classmethod
    def from_dict(cls, d, source: str = "schema") -> "Schema":
        if not isinstance(d, dict):
            raise PreflightError(f"{source}: a schema must be a mapping of column names to rules, "
                                 f"got {type(d).__name__}")
        if _is_extended(d):
            for key in d:
                if key not in ("version", "columns", "dataset"):
                    raise PreflightError(f"{source}: unknown top-level key '{key}' "
                                         "(known keys: version, columns, dataset)")
            if d.get("version", SCHEMA_VERSION) != SCHEMA_VERSION:
                raise PreflightError(f"{source}: schema version {d['version']!r} is not supported "
                                     f"(this Preflight reads version {SCHEMA_VERSION})")
            col_dicts, dataset = d.get("columns") or {}, DatasetSpec.from_dict(d.get("dataset"), source)
        else:
            col_dicts, dataset = d, DatasetSpec()
        columns = {}
        for name, spec in col_dicts.items():
            if not isinstance(name, str):
                raise PreflightError(f"{source}: column name {name!r} must be text (quote it)")
            columns[name] = ColumnSpec.from_dict(name, spec, source)
        return cls(columns=columns, dataset=dataset)


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _yaml_loader():
    """PyYAML's safe loader with YAML 1.2 booleans: only true/false, so ``allowed: [yes, no]``
    stays text."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    Loader.add_implicit_resolver(bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    return Loader


def load_schema(path) -> Schema:
    """Read a schema from ``.json``, ``.yaml`` or ``.yml`` (other names: JSON, then YAML)."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read the schema: {exc}") from None
    suffix = _suffix(path)
    data = None
    if suffix != ".yaml" and suffix != ".yml":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if suffix == ".json":
                raise InputFileError(path, f"not valid JSON: {exc.msg} (column {exc.colno})",
                                     line=exc.lineno) from None
    if data is None:
        try:
            data = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            raise InputFileError(path, f"not valid YAML: {problem}",
                                 line=None if mark is None else mark.line + 1) from None
    if data is None:
        raise InputFileError(path, "the schema file is empty")
    return Schema.from_dict(data, source=str(path))


def save_schema(schema: Schema, path) -> None:
    """Write the extended layout as YAML (``.yaml``/``.yml``) or JSON (anything else)."""
    import yaml

    path = Path(path)
    data = schema.to_dict()
    if _suffix(path) in (".yaml", ".yml"):
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    else:
        text = dumps(data, indent=2) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputFileError(path, f"cannot write the schema: {exc}") from None
