"""How a validation run on DuckDB records the files it read (no table is loaded to hash them)."""

from __future__ import annotations

from pathlib import Path

from core.errors import InputFileError


def input_record(path, rows: int, role: str = "data", cancelled=None) -> dict:
    """How a run records a file (or Parquet folder) it read with DuckDB: role, path, SHA-256, size, rows,
    format.  A folder's SHA-256 is that of its files' relative names and SHA-256s, in name order."""
    import hashlib

    from core.errors import check_cancel

    p = Path(path)

    def digest(f: Path) -> str:
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                check_cancel(cancelled)
                h.update(chunk)
        return h.hexdigest()

    try:
        if p.is_dir():
            files = sorted(f for f in p.rglob("*.parquet") if f.is_file())
            h = hashlib.sha256()
            for f in files:
                h.update(f"{f.relative_to(p).as_posix()}\0{digest(f)}\n".encode())
            sha, size, fmt = h.hexdigest(), sum(f.stat().st_size for f in files), "parquet-folder"
        else:
            sha, size = digest(p), p.stat().st_size
            fmt = "parquet" if p.name.lower().endswith((".parquet", ".pq")) else "csv"
    except OSError as exc:
        raise InputFileError(p, f"cannot be read: {exc}") from None
    return {"role": role, "path": str(p), "sha256": sha, "size": size, "rows": int(rows), "format": fmt}
