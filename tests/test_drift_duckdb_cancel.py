"""Out-of-core engine: Cancel interrupts a running DuckDB query; the shared DuckDB source reads
CSV/Parquet with the reader's column kinds and names the file and column in its errors."""

import threading

import duckdb
import numpy as np
import pandas as pd
import pytest

from core.data import duckdb_source as dsrc
from core.data.tables import read_table
from core.drift.run import DriftSettings, run_drift
from core.errors import Cancelled, InputFileError, PreflightError


def test_cancel_interrupts_a_running_query():
    conn = dsrc.connect(256 << 20, threads=1)
    started, stop = threading.Event(), threading.Event()

    def cancelled():
        started.set()
        return stop.is_set()

    timer = threading.Timer(0.3, stop.set)
    timer.start()
    with dsrc.Interruptible(conn, cancelled) as q:
        with pytest.raises(Cancelled):  # this query would run for many minutes
            q.sql("SELECT sum(hash(i)) FROM range(1000000000000) t(i)")
        assert q._fired  # stopped by conn.interrupt(), not after the query ended
    timer.cancel()
    assert conn.execute("SELECT 41 + 1").fetchone()[0] == 42  # the connection is still usable


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    d = tmp_path_factory.mktemp("big")
    con = duckdb.connect()
    for name, shift in (("ref", 0.0), ("cur", 0.1)):
        con.execute(f"COPY (SELECT random() + {shift} AS a, random() AS b, (i % 7)::VARCHAR AS c "
                    f"FROM range(3000000) t(i)) TO '{d / name}.parquet' (FORMAT parquet)")
    return d


def test_cancel_after_the_first_progress_call_stops_the_drift_run(big):
    calls = []
    with pytest.raises(Cancelled):
        run_drift(big / "ref.parquet", big / "cur.parquet", DriftSettings(), engine="duckdb",
                  progress=calls.append, cancelled=lambda: bool(calls))
    assert calls and max(calls) < 0.5


def test_kinds_match_the_in_memory_reader(tmp_path):
    rng = np.random.default_rng(3)
    n = 500
    df = pd.DataFrame({"x": rng.normal(size=n), "grade": rng.choice([1, 2, 3], n),
                       "user_id": np.arange(n), "city": rng.choice(["a", "b", "NA"], n),
                       "ok": rng.choice(["yes", "no"], n),
                       "day": pd.date_range("2024-01-01", periods=n).astype(str),
                       "note": [f"free text {i}" for i in range(n)]})
    df.to_csv(tmp_path / "t.csv", index=False)
    df.to_parquet(tmp_path / "t.parquet")
    conn = dsrc.connect()
    for f in ("t.csv", "t.parquet"):
        view = dsrc.register(conn, tmp_path / f, "t")
        assert view.columns == list(df.columns) and view.rows == n
        assert view.kinds == read_table(tmp_path / f).kinds


def test_a_dataset_folder_with_mixed_schemas_names_file_and_column(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}).to_parquet(folder / "part-0.parquet")
    pd.DataFrame({"a": ["1", "2"], "b": ["x", "y"]}).to_parquet(folder / "part-1.parquet")
    with pytest.raises(InputFileError, match=r"part-1\.parquet.*column 'a'"):
        dsrc.register(dsrc.connect(), folder, "t")


def test_memory_limit_parsing():
    assert dsrc.parse_memory("2GB") == 2 << 30 and dsrc.parse_memory("512mb") == 512 << 20
    with pytest.raises(PreflightError):
        dsrc.parse_memory("lots")
    with pytest.raises(PreflightError):
        dsrc.parse_memory("1MB")
    assert 0 < dsrc.default_memory_limit() <= dsrc.MAX_DEFAULT_MEMORY
