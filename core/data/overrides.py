"""Kind overrides given on the command line (``--categorical a,b --numeric c --text d``)."""

from __future__ import annotations

from core.errors import PreflightError


def parse_kind_overrides(categorical: str | None = None, numeric: str | None = None,
                         text: str | None = None) -> dict[str, str]:
    """``--categorical a,b --numeric c`` as a {column: kind} mapping; a column named twice is an error."""
    out: dict[str, str] = {}
    for kind, spec in (("categorical", categorical), ("numeric", numeric), ("text", text)):
        for name in split_names(spec):
            if name in out and out[name] != kind:
                raise PreflightError(f"column {name!r} is given as both {out[name]} and {kind}")
            out[name] = kind
    return out


def split_names(spec: str | None) -> list[str]:
    """``"a, b,c"`` as ``["a", "b", "c"]`` (empty for None or blank)."""
    return [c.strip() for c in (spec or "").split(",") if c.strip()]
