"""Two programs writing one assessment at once: every write lands, none fails on the lock, the chain holds."""

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.assessment import templates
from core.assessment.checklist import save_checklist
from core.assessment.store import create_assessment, open_assessment
from core.assessment.store.base import StoreBase, StoreBusyError
from core.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent

# Each worker waits for the start file, then runs the real CLI entry point N times in one process
# (the same code path as `python main.py ...`, without paying the interpreter start-up per call).
WORKER = textwrap.dedent("""
    import io, json, os, sys, time
    from contextlib import redirect_stdout
    sys.path.insert(0, {root!r})
    from core.cli import main
    start, argv, n = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    while not os.path.exists(start):
        time.sleep(0.005)
    codes = []
    for _ in range(n):
        with redirect_stdout(io.StringIO()):
            codes.append(main(argv))
    print(json.dumps(codes))
""")


def _tables(tmp_path):
    rng = np.random.default_rng(7)
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    pd.DataFrame({"a": rng.normal(size=150), "b": rng.integers(0, 3, 150)}).to_csv(ref, index=False)
    pd.DataFrame({"a": rng.normal(0.4, 1, 150), "b": rng.integers(0, 3, 150)}).to_csv(cur, index=False)
    return ref, cur


def _spawn(tmp_path, start, argv, n):
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(root=str(ROOT)))
    return subprocess.Popen([sys.executable, str(script), str(start), json.dumps(argv), str(n)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_drift_loop_and_checklist_import_loop_lose_no_write(tmp_path):
    path = tmp_path / "a.preflight"
    seed = templates.load("seed").items
    create_assessment(path, name="A", items=seed, template="seed").close()
    ref, cur = _tables(tmp_path)
    checklist_json = tmp_path / "checklist.json"
    save_checklist(seed, checklist_json)
    start = tmp_path / "go"
    n_drift, n_import = 30, 90
    drift = _spawn(tmp_path, start, ["drift", str(ref), str(cur), "--no-multivariate", "--assessment", str(path)],
                   n_drift)
    imports = _spawn(tmp_path, start, ["checklist", "import", str(path), str(checklist_json)], n_import)
    start.touch()
    outs = [p.communicate(timeout=240) for p in (drift, imports)]
    for (out, err), p in zip(outs, (drift, imports)):
        assert p.returncode == 0, err
        assert "locked" not in err and "busy" not in err and "internal error" not in err, err
    drift_codes = json.loads(outs[0][0])
    assert len(drift_codes) == n_drift and set(drift_codes) <= {0, 1}  # 1 = drift found; 2 would be an error
    assert json.loads(outs[1][0]) == [0] * n_import

    with open_assessment(path) as store:
        events = store.audit_events()
        assert len(store.runs("drift")) == n_drift
        assert sum(1 for e in events if e["action"] == "replace" and e["entity"] == "checklist") == n_import + 1
        assert sum(1 for e in events if e["entity"].startswith("run:")) == n_drift
        assert len(store.items()) == len(seed)
        assert store.verify_audit().ok


def test_a_lock_held_past_the_timeout_is_a_clear_error(tmp_path, monkeypatch, capsys):
    path = tmp_path / "a.preflight"
    create_assessment(path, name="A", items=templates.load("seed").items).close()
    checklist_json = tmp_path / "c.json"
    save_checklist(templates.load("seed").items, checklist_json)
    monkeypatch.setattr(StoreBase, "busy_timeout", 0.2)
    store = open_assessment(path)
    n = len(store.audit_events())
    holder = sqlite3.connect(str(path))
    holder.execute("BEGIN IMMEDIATE")  # another program is in the middle of a write
    try:
        with pytest.raises(StoreBusyError, match="the assessment is busy: another program is writing"):
            store.update_item(store.items()[0].id, status="done")
        code = cli_main(["checklist", "import", str(path), str(checklist_json)])
    finally:
        holder.rollback()
        holder.close()
        store.close()
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "the assessment is busy" in err and "internal error" not in err
    with open_assessment(path) as store:
        assert len(store.audit_events()) == n
        assert store.items()[0].status == "open"
