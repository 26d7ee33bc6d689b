"""Preflight's load-generator ceiling against a minimal server and against the demo endpoint.

    python benchmarks/bench_load_raw.py [--seconds S] [--rates R1,R2,...] [--processes 1,2]

The server runs in its own process: either a minimal asyncio server that answers every request with a
fixed 2-byte reply (``raw``), or the demo endpoint (``demo``: POST /predict, cached reply).  For each
offered rate and generator process count, Preflight's open-loop generator runs for ``--seconds`` and
the script prints the offered rate, the achieved send rate, the successful replies per second, p50/p99
latency (from the intended send time), the generator's busiest process CPU share and whether it flagged
itself as the bottleneck.  Only 127.0.0.1 is loaded.  On a 2-core machine the generator and the server
share the cores, so the figures are a floor for what the generator alone could do.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RAW_SERVER = r'''
import asyncio, sys
REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
class P(asyncio.Protocol):
    def connection_made(self, t):
        self.t, self.b = t, b""
    def data_received(self, d):
        b = self.b + d
        while True:
            i = b.find(b"\r\n\r\n")
            if i < 0:
                break
            head, n = b[:i], 0
            j = head.lower().find(b"content-length:")
            if j >= 0:
                n = int(head[j + 15:].split(b"\r\n", 1)[0])
            if len(b) < i + 4 + n:
                break
            b = b[i + 4 + n:]
            self.t.write(REPLY)
        self.b = b
async def main():
    loop = asyncio.get_running_loop()
    s = await loop.create_server(P, "127.0.0.1", 0, backlog=4096)
    print(s.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
asyncio.run(main())
'''

DEMO_SERVER = r'''
import sys
sys.path.insert(0, sys.argv[1])
from core.load.demo_server import DemoServer
srv = DemoServer()
print(srv.start(), flush=True)
sys.stdin.read()
srv.stop()
'''


class Server:
    def __init__(self, kind: str):
        code = RAW_SERVER if kind == "raw" else DEMO_SERVER
        self.proc = subprocess.Popen([sys.executable, "-c", code, str(ROOT)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/predict"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rates", default="5000,10000,15000,20000,25000")
    ap.add_argument("--processes", default="1,2")
    ap.add_argument("--servers", default="raw,demo")
    args = ap.parse_args()
    from core.load.engine import run_load
    from core.load.plan import constant_plan

    print(f"{'server':6} {'procs':>5} {'offered':>8} {'sent/s':>8} {'ok/s':>8} {'p50 ms':>8} {'p99 ms':>9} "
          f"{'cpu':>5} limited")
    for kind in args.servers.split(","):
        server = Server(kind)
        try:
            for procs in [int(p) for p in args.processes.split(",")]:
                for rate in [float(r) for r in args.rates.split(",")]:
                    plan = constant_plan(server.url, rate, args.seconds, processes=procs, max_in_flight=2000)
                    r = run_load(plan)
                    ok_per_s = (r.requests - r.errors) / max(r.extra["duration_s"], 1e-9)
                    cpu = r.extra.get("generator_cpu_share") or 0.0
                    print(f"{kind:6} {procs:>5} {rate:>8,.0f} {r.achieved_rate:>8,.0f} {ok_per_s:>8,.0f} "
                          f"{r.p50_ms or 0:>8.1f} {r.p99_ms or 0:>9.1f} {cpu:>5.2f} {r.generator_limited}",
                          flush=True)
                    time.sleep(1.0)
        finally:
            server.close()


if __name__ == "__main__":
    main()
