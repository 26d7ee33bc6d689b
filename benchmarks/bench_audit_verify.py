"""Cost of change capture and of a full audit verification (hash links + replay + witness).

Creates an assessment with the 'seed' checklist, makes N single-item edits (each folds its row image into
its event and appends to the witness log), records a drift-sized run, then times store.verify_audit().
Usage: python benchmarks/bench_audit_verify.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(n: int = 2000) -> None:
    home = tempfile.mkdtemp()
    os.environ["PREFLIGHT_HOME"] = home
    from core.assessment import templates
    from core.assessment.store import create_assessment

    path = Path(home) / "bench.preflight"
    store = create_assessment(path, name="bench", items=templates.load("seed").items)
    big = {f"col{i}": {"psi": i / 7, "p_value": 1 / (i + 1), "bins": list(range(20))} for i in range(5000)}
    store.add_run("drift", settings={}, inputs=[], result=big, started_utc="2026-01-01T00:00:00Z")
    ids = [i.id for i in store.items()]
    t0 = time.perf_counter()
    for k in range(n):
        store.update_item(ids[k % len(ids)], notes=f"edit {k}")
    t_edit = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    result = store.verify_audit()
    t_verify = time.perf_counter() - t0
    assert result.ok, result.problems
    size = path.stat().st_size + Path(str(path) + "-wal").stat().st_size
    print(f"{n} edits: {t_edit * 1000:.2f} ms per edit; verify (chain + replay + witness) of "
          f"{result.count} events: {t_verify:.2f} s; file {size / 1e6:.1f} MB")
    store.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
