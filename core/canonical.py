"""Canonical JSON and hashing helpers used for audit chains and signatures."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def _default(obj: Any):
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def clean_floats(obj: Any) -> Any:
    """Replace NaN and infinities (not valid JSON) by None, recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: clean_floats(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_floats(v) for v in obj]
    return obj


def canonical_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8, no NaN."""
    return json.dumps(clean_floats(json.loads(json.dumps(obj, default=_default, allow_nan=True))),
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def plain(obj: Any) -> Any:
    """``obj`` as plain JSON data in one pass: numpy scalars and arrays, tuples, sets, paths and dates
    converted as :func:`json.dumps` would with this module's ``default``, dict keys as JSON writes them,
    and NaN / infinities as None."""
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {_key(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return plain(_default(obj))


def _key(key) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return next(iter(json.loads(json.dumps({key: 0}))))  # exactly as json writes the key
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def dumps(obj: Any, **kw) -> str:
    """Readable JSON for storage and CLI output (NaN becomes null)."""
    return json.dumps(plain(obj), allow_nan=False, ensure_ascii=False, **kw)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path, chunk: int = 1 << 20) -> str:
    return hash_stream(path, chunk=chunk)[0]


def hash_stream(path, progress=None, cancelled=None, *, base: int = 0, total: int = 0,
                chunk: int = 1 << 20) -> tuple[str, int]:
    """SHA-256 and size of a file read in chunks.

    ``progress`` gets ``(base + bytes read) / total`` when ``total`` is given (so several files can share one
    progress bar); ``cancelled()`` is checked between chunks.
    """
    from core.errors import check_cancel

    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while True:
            check_cancel(cancelled)
            block = fh.read(chunk)
            if not block:
                break
            digest.update(block)
            size += len(block)
            if progress is not None and total:
                progress(min(1.0, (base + size) / total))
    return digest.hexdigest(), size


def utc_now() -> str:
    """The current UTC time, ISO 8601 with microseconds and a ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now_seconds() -> str:
    """The current UTC time, ISO 8601 to the second with a ``Z`` (for times shown to people)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
