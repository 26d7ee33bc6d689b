"""How much memory tables would take once loaded, for choosing between the in-memory and the
out-of-core engine (no DuckDB needed to decide), and the ``--memory-limit`` sizes."""

from __future__ import annotations

import re
from pathlib import Path

from core.errors import PreflightError


def data_bytes(path) -> int | None:
    """Uncompressed data size of a CSV/Parquet file or Parquet folder: a Parquet file's column-chunk
    sizes from its metadata, a CSV file's size (four times it when gzipped); None for other formats."""
    p = Path(path)
    try:
        if p.is_dir():
            return sum(data_bytes(f) or 0 for f in p.rglob("*.parquet"))
        name = p.name.lower()
        if name.endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq
            meta = pq.ParquetFile(p).metadata
            return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if name.endswith((".csv", ".tsv", ".txt")):
            return p.stat().st_size
        if name.endswith((".csv.gz", ".tsv.gz")):
            return 4 * p.stat().st_size
    except Exception:  # noqa: BLE001 - unreadable here: the engine that reads it says why
        return None
    return None


def human_bytes(n: float) -> str:
    if n >= 1 << 30:
        return f"{n / (1 << 30):.2f} GB"
    return f"{n / (1 << 20):.0f} MB" if n >= 10 << 20 else f"{n / (1 << 20):.1f} MB"


def engine_by_size(paths, factor: float, limit: int) -> tuple[str, str]:
    """``auto``'s choice for single files: (``memory`` or ``duckdb``, the reason), from the tables'
    estimated footprint (``factor`` times their uncompressed size) against the memory ``limit``."""
    sizes = [data_bytes(p) for p in paths]
    if None in sizes:
        return "memory", "auto: a table is not CSV or Parquet, which the out-of-core engine needs"
    need = factor * sum(sizes)
    what, take, would = ("the tables", "take", "would take") if len(sizes) > 1 else ("the table", "takes",
                                                                                    "would take")
    if need > limit:
        return "duckdb", (f"auto: {what} {would} about {human_bytes(need)} in memory, over the "
                          f"memory limit of {human_bytes(limit)}")
    return "memory", (f"auto: {what} {take} about {human_bytes(need)} in memory, within the memory "
                      f"limit of {human_bytes(limit)}")


def parse_memory(text) -> int | None:
    """Bytes from ``"2GB"``, ``"512MB"``, ``"1.5 GiB"`` or a plain number of bytes (None for None: the
    default limit, see :func:`core.data.duckdb_source.default_memory_limit`)."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return int(text)
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)i?b?\s*", str(text).lower())
    if not m:
        raise PreflightError(f"memory limit {text!r}: write a size such as 2GB or 512MB")
    scale = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2)]
    value = int(float(m.group(1)) * scale)
    if value < 64 << 20:
        raise PreflightError(f"memory limit {text!r} is below the 64 MB DuckDB needs to work")
    return value
