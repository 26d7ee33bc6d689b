"""Load-generator benchmarks: how fast Preflight's open-loop generator can send, and how truthfully it
measures a stalling server, next to Locust (FastHttpUser) and a batch-and-gather asyncio loop.

    python benchmarks/bench_load.py [ceiling|truth|all] [--seconds S]

* ``ceiling``: the demo endpoint (POST /predict, cached reply) runs in its own process; Preflight's
  generator is asked for more than the machine sustains (25,000/s), with 1 and 2 processes; Locust's
  FastHttpUser runs with no wait time (as fast as it can), 64 users, with 1 and 2 processes
  (``--processes``).  Printed: the send rate, the successful replies per second (``ok_per_s``, the figure
  compared) and their ratio.  Both generators share the two cores with the server.
* ``truth``: the demo endpoint answers in 5 ms but stalls 500 ms every 2 s.  At 200 requests/s a quarter of
  the arrivals fall in a stall and wait for its end (plus 5 ms).  The slowest 1% of all requests are the
  first 4% of each stall's arrivals, which wait at least 0.505 s - 0.04 x 0.5 s: the true p99 latency is
  about 485 ms.  Printed: Preflight's p99 (from the intended send time), Locust's p99 with the locustfile
  Preflight exports for the same plan (80 paced users) and with the usual 20 users x
  ``constant_throughput(10)``, and a batch-and-gather loop's p99 (each second, 200 requests sent together with aiohttp and awaited with ``asyncio.gather``).

Locust and aiohttp run from ``benchmarks/.venv-locust`` when it exists (``python -m venv
benchmarks/.venv-locust && benchmarks/.venv-locust/bin/pip install locust aiohttp``), else from this
environment.  Only 127.0.0.1 is ever loaded.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV_PY = ROOT / "benchmarks" / ".venv-locust" / "bin" / "python"


def tool_python() -> str:
    return str(VENV_PY) if VENV_PY.exists() else sys.executable


# ------------------------------------------------------------------------------------------ the server
def serve(args) -> None:
    """Child mode: run the demo endpoint until stdin closes; print its port first."""
    from core.load.demo_server import DemoServer

    server = DemoServer(latency_ms=args.latency_ms, stall_every_s=args.stall_every_s, stall_ms=args.stall_ms)
    port = server.start()
    print(port, flush=True)
    sys.stdin.read()
    server.stop()


class Server:
    def __init__(self, **kw):
        cmd = [sys.executable, __file__, "serve"] + [f"--{k.replace('_', '-')}={v}" for k, v in kw.items()]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/predict"

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# ------------------------------------------------------------------------------------------ generators
def preflight(url: str, rate: float, seconds: float, processes: int = 1) -> dict:
    from core.load.engine import run_load
    from core.load.plan import constant_plan

    plan = constant_plan(url, rate, seconds, processes=processes, max_in_flight=2000, timeout_ms=5000,
                         max_requests=50_000_000)
    r = run_load(plan).to_dict()
    out = {k: r.get(k) for k in ("requests", "errors", "achieved_rate", "late_sends", "p50_ms", "p95_ms", "p99_ms",
                                 "service_p99_ms", "max_ms", "generator_limited")}
    if r.get("duration_s"):
        out["ok_per_s"] = (r["requests"] - r["errors"]) / r["duration_s"]
    return out


FAST_LOCUSTFILE = textwrap.dedent('''
    import json
    from locust import FastHttpUser, constant, task

    BODY = json.dumps({"mean radius": 14.1, "mean texture": 19.3})

    class Fast(FastHttpUser):
        wait_time = constant(0)

        @task
        def predict(self):
            self.client.post("/predict", data=BODY, headers={"Content-Type": "application/json"})
''')


def locust_run(locustfile: Path, host: str, out: Path, *extra: str, timeout: float = 300) -> dict:
    cmd = [tool_python(), "-m", "locust", "-f", str(locustfile), "--headless", "--only-summary", "--host", host,
           "--csv", str(out), "--loglevel", "ERROR", *extra]
    subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=out.parent)
    with open(str(out) + "_stats.csv", newline="") as fh:
        agg = {row["Name"]: row for row in csv.DictReader(fh)}["Aggregated"]
    meta = Path(str(out) + "_preflight.json")
    note = json.loads(meta.read_text()) if meta.exists() else {}
    n, rps = int(agg["Request Count"]), float(agg["Requests/s"])
    return {"requests": n, "errors": int(agg["Failure Count"]),
            "ok_per_s": (n - int(agg["Failure Count"])) * rps / n if n else 0.0,
            "achieved_rate": float(agg["Requests/s"]), "p50_ms": float(agg["50%"]), "p95_ms": float(agg["95%"]),
            "p99_ms": float(agg["99%"]), "max_ms": float(agg["Max Response Time"]),
            "late_sends": note.get("late_sends"), "missed_sends": note.get("missed_sends")}


CLASSIC_LOCUSTFILE = textwrap.dedent('''
    # The usual way to ask Locust for a rate: USERS users, each at constant_throughput(RATE / USERS).
    import json
    from locust import FastHttpUser, constant_throughput, task

    BODY = json.dumps({{"mean radius": 14.1, "mean texture": 19.3}})

    class Paced(FastHttpUser):
        wait_time = constant_throughput({per_user})

        @task
        def predict(self):
            self.client.post("/predict", data=BODY, headers={{"Content-Type": "application/json"}})
''')


BATCH_LOOP = textwrap.dedent('''
    # A closed-loop tester of the kind many readiness scripts use: each second, send a batch of RATE requests
    # together and wait for all of them (asyncio.gather); each time is measured from its own send.
    import asyncio, json, sys, time
    import aiohttp

    URL, RATE, SECONDS = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    BODY = json.dumps({"mean radius": 14.1, "mean texture": 19.3})

    async def one(session, times):
        t0 = time.perf_counter()
        async with session.post(URL, data=BODY, headers={"Content-Type": "application/json"}) as resp:
            await resp.read()
        times.append((time.perf_counter() - t0) * 1000)

    async def main():
        times = []
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            start = time.perf_counter()
            while time.perf_counter() - start < SECONDS:
                batch_start = time.perf_counter()
                await asyncio.gather(*(one(session, times) for _ in range(RATE)))
                spent = time.perf_counter() - batch_start
                if spent < 1.0:
                    await asyncio.sleep(1.0 - spent)
            elapsed = time.perf_counter() - start
        times.sort()
        p = lambda q: times[max(0, int(-(-q * len(times) // 1)) - 1)]
        print(json.dumps({"requests": len(times), "achieved_rate": len(times) / elapsed, "p50_ms": p(0.5),
                          "p95_ms": p(0.95), "p99_ms": p(0.99), "max_ms": times[-1]}))

    asyncio.run(main())
''')


def batch_loop(url: str, rate: int, seconds: float, tmp: Path) -> dict | None:
    script = tmp / "batch_loop.py"
    script.write_text(BATCH_LOOP)
    proc = subprocess.run([tool_python(), str(script), url, str(rate), str(seconds)], capture_output=True, text=True,
                          timeout=seconds * 10 + 60)
    if proc.returncode != 0:
        print("  batch loop failed (is aiohttp installed in benchmarks/.venv-locust?):", proc.stderr.strip()[-300:])
        return None
    return json.loads(proc.stdout)


# ------------------------------------------------------------------------------------------ benchmarks
def fmt(d: dict | None) -> str:
    if d is None:
        return "n/a"
    keys = ("requests", "errors", "achieved_rate", "ok_per_s", "late_sends", "missed_sends", "p50_ms", "p95_ms", "p99_ms",
            "service_p99_ms", "max_ms", "generator_limited")
    return ", ".join(f"{k}={d[k]:.1f}" if isinstance(d.get(k), float) else f"{k}={d[k]}" for k in keys if k in d)


#: the rate Preflight is asked for in the ceiling run: more than this machine sustains (server included)
ASK = 25_000


def ceiling(seconds: float) -> None:
    print(f"== generator ceiling: demo endpoint (own process), POST /predict, {os.cpu_count()} cores, {seconds:g} s")
    server = Server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            results = {}
            for procs in (1, 2):
                results[f"preflight x{procs}"] = preflight(server.url, ASK, seconds, procs)
                print(f"  Preflight, {procs} process(es), asked {ASK:,}/s: {fmt(results[f'preflight x{procs}'])}")
            lf = tmp / "fast_locustfile.py"
            lf.write_text(FAST_LOCUSTFILE)
            for procs in (1, 2):
                extra = ["-u", "64", "-r", "64", "-t", f"{int(seconds) + 1}s"]
                if procs > 1:
                    extra += ["--processes", str(procs)]
                results[f"locust x{procs}"] = locust_run(lf, f"http://127.0.0.1:{server.port}", tmp / f"fast{procs}",
                                                         *extra)
                print(f"  Locust FastHttpUser, {procs} process(es), 64 users, no wait: "
                      f"{fmt(results[f'locust x{procs}'])}")
            best_p = max(v.get("ok_per_s") or 0 for k, v in results.items() if k.startswith("preflight"))
            best_l = max(v["ok_per_s"] for k, v in results.items() if k.startswith("locust"))
            print(f"  best successful replies per second: Preflight {best_p:,.0f}/s, Locust {best_l:,.0f}/s, "
                  f"ratio {best_p / best_l:.2f}")
    finally:
        server.close()


def truth(seconds: float) -> None:
    from core.load import plans
    from core.load.plan import constant_plan

    print(f"== truthfulness: 5 ms replies, a 500 ms stall every 2 s, 200 requests/s for {seconds:g} s; "
          "true p99 about 485 ms")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        server = Server(latency_ms=5, stall_every_s=2, stall_ms=500)
        try:
            print(f"  Preflight (open loop, from the intended send): {fmt(preflight(server.url, 200, seconds))}")
        finally:
            server.close()
        server = Server(latency_ms=5, stall_every_s=2, stall_ms=500)
        try:
            lf = tmp / "exported_locustfile.py"
            lf.write_text(plans.locust_file(constant_plan(server.url, 200, seconds)))
            print(f"  Locust (exported locustfile, closed loop): "
                  f"{fmt(locust_run(lf, f'http://127.0.0.1:{server.port}', tmp / 'truth'))}")
        finally:
            server.close()
        users = 20
        server = Server(latency_ms=5, stall_every_s=2, stall_ms=500)
        try:
            lf = tmp / "classic_locustfile.py"
            lf.write_text(CLASSIC_LOCUSTFILE.format(per_user=200 / users))
            result = locust_run(lf, f"http://127.0.0.1:{server.port}", tmp / "classic", "-u", str(users), "-r",
                                str(users), "-t", f"{int(seconds)}s")
            print(f"  Locust ({users} users x constant_throughput({200 / users:g}), closed loop): {fmt(result)}")
        finally:
            server.close()
        server = Server(latency_ms=5, stall_every_s=2, stall_ms=500)
        try:
            print(f"  batch-and-gather loop (closed loop): {fmt(batch_loop(server.url, 200, seconds, tmp))}")
        finally:
            server.close()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        p = argparse.ArgumentParser()
        p.add_argument("serve")
        p.add_argument("--latency-ms", type=float, default=0)
        p.add_argument("--stall-every-s", type=float, default=0)
        p.add_argument("--stall-ms", type=float, default=0)
        serve(p.parse_args())
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("which", nargs="?", default="all", choices=("ceiling", "truth", "all"))
    p.add_argument("--seconds", type=float, default=None)
    args = p.parse_args()
    print(f"Locust/aiohttp from {tool_python()}")
    if args.which in ("ceiling", "all"):
        ceiling(args.seconds or 8)
    if args.which in ("truth", "all"):
        truth(args.seconds or 20)


if __name__ == "__main__":
    main()
