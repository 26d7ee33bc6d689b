"""A minimal feature package that follows core/README.md's plug-in contract (used by test_feature_registry.py).

It counts the rows of a CSV: a pure computation, ``run_rowcount`` with progress/cancel, ``record_rowcount`` in one
transaction, a report kind with a gate (``report.py``) and a CLI command (``cli.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.canonical import utc_now
from core.data.tables import read_table
from core.errors import check_cancel

KIND = "rowcount"


def count(n_rows: int, minimum: int) -> dict:
    return {"rows": n_rows, "minimum": minimum, "passed": n_rows >= minimum}


@dataclass(frozen=True)
class RowCountRun:
    result: dict
    settings: dict
    inputs: tuple
    started_utc: str
    finished_utc: str

    @property
    def summary(self) -> dict:
        return {"passed": self.result["passed"]}


def run_rowcount(path, minimum: int = 1, *, progress=None, cancelled=None) -> RowCountRun:
    started = utc_now()
    table = read_table(path, progress=progress, cancelled=cancelled)
    check_cancel(cancelled)
    return RowCountRun(count(table.rows, minimum), {"minimum": minimum}, (table.input_record("data"),), started,
                       utc_now())


def record_rowcount(store, run: RowCountRun) -> int:
    return store.record_run(KIND, run)
