"""One generator process: send a share of the plan's arrivals open-loop and time every reply.

The dispatcher walks the arrival times (from :mod:`core.load.engine_schedule`) against the event
loop's clock and hands each due request to an idle keep-alive connection, opening a new one when none
is idle (up to ``max_in_flight`` connections).  When the cap is reached the request waits for a
connection; its latency still runs from its intended time.  Each reply is recorded as

* latency = reply time - intended send time (coordinated-omission corrected);
* service time = reply time - actual send time.

Once a second a :class:`Tick` with that second's counts and latency histogram goes to ``emit``; the
caller merges ticks (from one or many processes), draws live charts and applies the stop rules.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from core.load import engine_http as http
from core.load.engine_schedule import iter_arrivals, share_count
from core.load.histogram import Histogram

LATE_S = 0.001          # a send more than 1 ms after its intended time is late
BEHIND_S = 0.010        # a dispatch more than 10 ms late means the scheduler itself fell behind
SPIN_S = 0.0011         # below this, wait by yielding to the loop instead of a (1 ms-granular) timer
STOP_GRACE_S = 1.0      # after a stop, in-flight requests get this long before they are abandoned


@dataclass
class Tick:
    """What one process saw in one second of the run (by completion time; ``sent`` by send time)."""
    t: int
    sent: int = 0
    completed: int = 0
    errors: int = 0
    latency: tuple = ()   # Histogram.state()
    waiting: int = 0      # requests still unanswered at the end of the second, already older than stop_p95_ms
    seconds: float = 1.0  # how much of the second the run covered (less for the run's last, partial second)


@dataclass
class Totals:
    """A process's whole-run figures, merged by the caller."""
    latency: tuple = ()
    service: tuple = ()
    sent: int = 0          # requests dispatched on schedule (some may wait for a connection)
    written: int = 0       # requests actually written to a connection
    finished: int = 0
    errors: int = 0
    late_sends: int = 0
    late_dispatches: int = 0
    behind_dispatches: int = 0
    max_dispatch_lag_ms: float = 0.0
    cap_hits: int = 0
    retries: int = 0
    abandoned: int = 0
    connections_opened: int = 0
    status_counts: dict = field(default_factory=dict)
    error_types: dict = field(default_factory=dict)
    send_span_s: float = 0.0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0
    stop_reason: str = ""


class Generator:
    """The open-loop sender of one process. ``emit(tick)`` is called once a second in the loop's thread;
    ``should_stop()`` (checked ten times a second) returns a reason to stop, or ""."""

    def __init__(self, plan, requests: list[bytes], *, share=(0, 1), emit=None, should_stop=None):
        self.plan = plan
        self.requests = requests
        self.share = share
        self.emit = emit
        self.should_stop = should_stop
        self.host, self.port, _, _ = http.target_of(plan.url)
        self.head_only = plan.method.upper() == "HEAD"
        self.timeout = plan.timeout_ms / 1000.0
        self.cap = int(plan.max_in_flight)
        self.idle: list = []
        self.conns: set = set()
        self.opening = 0
        self.backlog: deque = deque()
        self.t0 = 0.0
        self.loop = None
        self.stop_reason = ""
        self.stopped = False
        self.sending_done = False
        self.n = 0
        self.tot = Totals()
        self.cur_t = 0
        self.cur = Tick(0)
        self.cur_lat: list = []
        self.cur_svc: list = []
        self.svc_all = Histogram()
        self.lat_all = Histogram()
        self.status_counts: dict = {}
        self.error_types: dict = {}
        self.in_flight = 0
        self.last_send = 0.0

    # ------------------------------------------------------------------ recording
    def _second(self, now: float) -> Tick:
        t = int(now - self.t0) if now > self.t0 else 0
        if t != self.cur_t:
            self._flush(t)
        return self.cur

    def _flush(self, new_t: int) -> None:
        """Close the current second (and any empty ones up to ``new_t``), handing each to ``emit``."""
        while self.cur_t < new_t:
            tick = self.cur
            h = Histogram()
            if self.cur_lat:
                h.record_many(self.cur_lat)
                self.lat_all.merge(h)
                self.svc_all.record_many(self.cur_svc)
            tick.latency = h.state()
            tick.waiting = self._waiting()
            self.cur_lat, self.cur_svc = [], []
            self.cur_t += 1
            self.cur = Tick(self.cur_t)
            if self.emit is not None:
                self.emit(tick)

    def _waiting(self) -> int:
        """Requests sent or queued but unanswered that are already older than the p95 stop rule's limit
        (they count as slower than it, so that a server that stops answering still trips the rule)."""
        if self.plan.stop_p95_ms is None:
            return 0
        oldest = self.loop.time() - self.plan.stop_p95_ms / 1000.0
        n = sum(1 for c in self.conns if c.busy and c.intended < oldest)
        for intended, _, _ in self.backlog:
            if intended >= oldest:
                break
            n += 1
        return n

    def done(self, conn, status: int, keep: bool) -> None:
        now = self.loop.time()
        tick = self._second(now)
        self.in_flight -= 1
        tick.completed += 1
        self.tot.finished += 1
        self.cur_lat.append((now - conn.intended) * 1000.0)
        self.cur_svc.append((now - conn.sent) * 1000.0)
        self.status_counts[status] = self.status_counts.get(status, 0) + 1
        if not 200 <= status < 300:
            tick.errors += 1
            self.tot.errors += 1
            kind = f"http_{status // 100}xx"
            self.error_types[kind] = self.error_types.get(kind, 0) + 1
        if keep:
            self._release(conn, now)
        else:
            self.conns.discard(conn)
            self._maybe_open()

    def _fail(self, kind: str, now: float) -> None:
        tick = self._second(now)
        tick.completed += 1
        tick.errors += 1
        self.tot.finished += 1
        self.tot.errors += 1
        self.error_types[kind] = self.error_types.get(kind, 0) + 1

    def failed(self, conn, kind: str) -> None:
        now = self.loop.time()
        self.in_flight -= 1
        self.conns.discard(conn)
        if (kind in (http.CLOSED, http.RESET) and conn.served and not conn.retried and not conn.buf
                and conn.state == 0 and not self.stopped):
            # a kept-alive connection the server had already closed when the request went out: send it
            # again once on a fresh connection (its latency still runs from the first intended time)
            self.tot.retries += 1
            self.backlog.appendleft((conn.intended, conn.idx, True))
            self._maybe_open()
            return
        self._fail(kind, now)
        self._maybe_open()

    def dropped(self, conn) -> None:
        self.conns.discard(conn)

    # ------------------------------------------------------------------ sending
    def _release(self, conn, now: float) -> None:
        if self.backlog and not self.stopped:
            intended, idx, retry = self.backlog.popleft()
            self._send(conn, intended, idx, now, retry)
        else:
            self.idle.append(conn)

    def _send(self, conn, intended: float, idx: int, now: float, retry: bool = False) -> None:
        if now - intended > LATE_S and not retry:
            self.tot.late_sends += 1
        self.in_flight += 1
        self.tot.written += 1
        self.last_send = now
        conn.send(self.requests[idx], intended, now, idx, retry)

    def _submit(self, intended: float, now: float) -> None:
        idx = self.n % len(self.requests)
        self.n += 1
        self.tot.sent += 1
        self._second(now).sent += 1
        lag = now - intended
        if lag > LATE_S:
            self.tot.late_dispatches += 1
            if lag > BEHIND_S:
                self.tot.behind_dispatches += 1
            if lag * 1000.0 > self.tot.max_dispatch_lag_ms:
                self.tot.max_dispatch_lag_ms = lag * 1000.0
        idle = self.idle
        while idle:
            conn = idle.pop()
            if not conn.closed:
                self._send(conn, intended, idx, now)
                return
        self.backlog.append((intended, idx, False))
        if len(self.conns) + self.opening < self.cap:
            self._open()
        else:
            self.tot.cap_hits += 1

    def _maybe_open(self) -> None:
        if self.backlog and not self.stopped and len(self.conns) + self.opening < self.cap:
            self._open()

    def _open(self) -> None:
        self.opening += 1
        self.tot.connections_opened += 1
        self.loop.create_task(self._connect())

    async def _connect(self) -> None:
        try:
            _, conn = await asyncio.wait_for(
                self.loop.create_connection(lambda: http.Conn(self), self.host, self.port), self.timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            self.opening -= 1
            if self.backlog:
                self.backlog.popleft()
                kind = http.TIMEOUT if isinstance(exc, asyncio.TimeoutError) else http.classify_exception(exc)
                self._fail(kind, self.loop.time())
                self._maybe_open()
            return
        self.opening -= 1
        conn.head_only = self.head_only
        self.conns.add(conn)
        self._release(conn, self.loop.time())

    # ------------------------------------------------------------------ the loops
    async def _dispatch(self) -> None:
        loop = self.loop
        plan = self.plan
        t0 = self.t0
        for chunk in iter_arrivals(plan.stages, plan.arrival, seed=plan.seed, share=self.share,
                                   max_requests=plan.max_requests):
            times = (chunk + t0).tolist()
            i, n = 0, len(times)
            while i < n:
                if self.stopped:
                    return
                now = loop.time()
                while i < n and times[i] <= now:
                    self._submit(times[i], now)
                    i += 1
                if i < n:
                    delay = times[i] - loop.time()
                    # sleep by timer (capped, so a stop is seen) until about a millisecond before the
                    # next send, then yield to the loop until it is due: timers are only 1 ms-granular
                    await asyncio.sleep(min(delay - SPIN_S, 0.1) if delay > 2 * SPIN_S else 0)

    async def _watch(self) -> None:
        """Every 10-50 ms: time out slow requests; ten times a second: ask whether to stop; once a second:
        close the finished second."""
        loop = self.loop
        step = min(0.05, max(0.01, self.timeout / 20))
        next_check = loop.time()
        while True:
            await asyncio.sleep(step)
            now = loop.time()
            limit = now - self.timeout
            for conn in [c for c in self.conns if c.busy and c.sent < limit]:
                conn.abort()
                self.conns.discard(conn)
                self.in_flight -= 1
                self._fail(http.TIMEOUT, now)
                self._maybe_open()
            self._second(now)
            if now >= next_check:
                next_check = now + 0.1
                if self.should_stop is not None and not self.stopped:
                    reason = self.should_stop()
                    if reason:
                        self.stop_reason = reason
                        self.stopped = True
            if self.sending_done and self.in_flight <= 0 and not self.backlog:
                return

    async def run(self, start_at: float | None = None) -> Totals:
        """Run the plan's share; ``start_at`` is the loop time to start at (all processes agree on it)."""
        self.loop = asyncio.get_running_loop()
        cpu0 = time.process_time()
        now = self.loop.time()
        self.t0 = start_at if start_at is not None and start_at > now else now
        if self.t0 > now:
            await asyncio.sleep(self.t0 - now)
        watch = self.loop.create_task(self._watch())
        try:
            await self._dispatch()
        finally:
            self.stopped = self.stopped or bool(self.stop_reason)
            self.sending_done = True
        send_end = self.loop.time()
        stopped = self.stopped or bool(self.stop_reason)
        # wait for the replies: up to the timeout (every request times out by then), or a short grace after a stop
        grace = (0.2 if self.stop_reason == "cancelled" else STOP_GRACE_S) if stopped else self.timeout + 0.5
        try:
            await asyncio.wait_for(asyncio.shield(watch), grace)
        except asyncio.TimeoutError:
            pass
        watch.cancel()
        end = self.loop.time()
        # after a stop, what is still queued or in flight is abandoned (not counted); after a normal end,
        # a request still queued never got a connection in time (an error), one still in flight timed out
        for _ in range(len(self.backlog)):
            if stopped:
                self.tot.abandoned += 1
            else:
                self._fail(http.NOT_SENT, end)
        self.backlog.clear()
        for conn in list(self.conns):
            if conn.busy:
                self.in_flight -= 1
                if stopped:
                    self.tot.abandoned += 1
                else:
                    self._fail(http.TIMEOUT, end)
            conn.abort()
        self._flush(int(end - self.t0))  # the whole seconds, then the run's last, partial one
        self.cur.seconds = min(1.0, max(0.0, end - self.t0 - self.cur_t))
        self._flush(self.cur_t + 1)
        t = self.tot
        t.latency = self.lat_all.state()
        t.service = self.svc_all.state()
        t.status_counts = {str(k): v for k, v in sorted(self.status_counts.items())}
        t.error_types = dict(sorted(self.error_types.items()))
        duration = sum(s.duration_s for s in self.plan.stages)
        capped = self.tot.sent >= share_count(self.plan.max_requests, self.share)
        covered = (send_end - self.t0) if stopped or capped else duration
        t.send_span_s = max(min(covered, duration), (self.last_send - self.t0) if t.written else 0.0, 1e-9)
        t.elapsed_s = end - self.t0
        t.cpu_s = time.process_time() - cpu0
        t.stop_reason = self.stop_reason
        return t


def run_generator(plan, requests, *, share=(0, 1), emit=None, should_stop=None,
                  start_wall: float | None = None) -> Totals:
    """Run one generator in a fresh event loop (this thread); ``start_wall`` is a ``time.time()`` to start at."""
    async def main():
        gen = Generator(plan, requests, share=share, emit=emit, should_stop=should_stop)
        loop = asyncio.get_running_loop()
        start = None if start_wall is None else loop.time() + (start_wall - time.time())
        return await gen.run(start)
    return asyncio.run(main())
