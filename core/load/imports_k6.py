"""Read k6's results into the fields of a :class:`core.load.result.LoadResult`: the ``--summary-export``
JSON (or the same shape given to ``handleSummary``), and the ``--out json=FILE`` stream (one JSON object per
line: ``Metric`` declarations and ``Point`` samples; ``.gz`` accepted).

k6 times ``http_req_duration`` from the actual send.  Its arrival-rate executors are open-loop: when no VU
is free at an iteration's start time the iteration is not started, and k6 counts it in
``dropped_iterations``; those are reported here as late (dropped) sends.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from datetime import datetime
from pathlib import Path

import numpy as np

from core.errors import InputFileError, check_cancel

MEANING_SUMMARY = (
    "k6 end-of-test summary: http_req_duration is timed from the actual send of each request that was made. "
    "With k6's arrival-rate executors (open loop) iterations start on schedule; an iteration that found no "
    "free VU was not started and is counted in dropped_iterations, reported here as late (dropped) sends, and "
    "its latency is missing from the percentiles. Percentiles are k6's own (exact, from every sample); only "
    "those the script asked for (summaryTrendStats) are present. The summary has no timeline or status codes.")
MEANING_STREAM = (
    "k6 JSON output (every sample): http_req_duration is timed from the actual send of each request that was "
    "made, so latency and service-time percentiles are the same numbers, computed here exactly (nearest rank) "
    "from all samples. dropped_iterations (iterations an arrival-rate executor could not start because no VU "
    "was free) are reported as late (dropped) sends; their latency is missing from the percentiles.")

_P95 = re.compile(r"^\s*p\(95\)\s*<=?\s*([0-9.]+)\s*$")
_RATE = re.compile(r"^\s*rate\s*<=?\s*([0-9.]+)\s*$")


def _threshold_exprs(spec) -> list[str]:
    out = []
    for item in spec or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("threshold"), str):
            out.append(item["threshold"])
    return out


def slo_from_thresholds(duration_exprs, failed_exprs) -> dict:
    """The SLO a script's thresholds state: the first ``p(95)<X`` on http_req_duration and the first
    ``rate<Y`` on http_req_failed (success rate 1 - Y); missing parts are left out."""
    slo = {}
    for e in duration_exprs:
        m = _P95.match(e)
        if m:
            slo["p95_ms"] = float(m.group(1))
            break
    for e in failed_exprs:
        m = _RATE.match(e)
        if m:
            slo["success_rate"] = 1.0 - float(m.group(1))
            break
    return slo


# -------------------------------------------------------------------------------------- summary export
def looks_like_summary(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("metrics"), dict)


def _values(metric) -> dict:
    if not isinstance(metric, dict):
        return {}
    inner = metric.get("values")
    return inner if isinstance(inner, dict) else metric


def _number(path, where: str, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputFileError(path, f"{where} is not a number ({value!r})")
    return float(value)


def read_summary(path, data: dict) -> dict:
    """LoadResult fields (a dict) from a parsed k6 summary."""
    metrics = data["metrics"]
    reqs = _values(metrics.get("http_reqs"))
    if "count" not in reqs:
        raise InputFileError(path, "no http_reqs count: is this a k6 --summary-export file of an HTTP test?")
    requests = int(_number(path, "metrics.http_reqs.count", reqs.get("count")))
    rate = _number(path, "metrics.http_reqs.rate", reqs.get("rate"))
    failed = _values(metrics.get("http_req_failed"))
    errors = None
    if "passes" in failed:  # a Rate metric's "passes" are its true samples: the failed requests
        errors = int(_number(path, "metrics.http_req_failed.passes", failed.get("passes")))
    elif failed.get("rate", failed.get("value")) is not None:
        errors = int(round(_number(path, "metrics.http_req_failed.rate",
                                   failed.get("rate", failed.get("value"))) * requests))
    if errors is not None and not 0 <= errors <= requests:
        raise InputFileError(path, f"http_req_failed counts {errors} failures of {requests} requests")
    dur = _values(metrics.get("http_req_duration"))
    g = {k: _number(path, f"metrics.http_req_duration.{k}", dur.get(k))
         for k in ("avg", "med", "max", "p(90)", "p(95)", "p(99)", "p(99.9)")}
    dropped = _values(metrics.get("dropped_iterations"))
    dropped_n = int(_number(path, "metrics.dropped_iterations.count", dropped.get("count")) or 0)
    iters = _values(metrics.get("iterations"))
    iter_n = _number(path, "metrics.iterations.count", iters.get("count"))
    state = data.get("state") if isinstance(data.get("state"), dict) else {}
    duration_s = None
    if isinstance(state.get("testRunDurationMs"), (int, float)) and state["testRunDurationMs"] > 0:
        duration_s = state["testRunDurationMs"] / 1000.0
    elif rate:
        duration_s = requests / rate
    target = (iter_n + dropped_n) / duration_s if (iter_n is not None and duration_s) else None

    thresholds, crossed = [], []
    for name, metric in metrics.items():
        for expr, status in ((metric or {}).get("thresholds") or {}).items():
            # --summary-export writes true for a threshold that FAILED; handleSummary data writes {"ok": bool}
            ok = bool(status.get("ok")) if isinstance(status, dict) else not bool(status)
            thresholds.append({"metric": name, "threshold": expr, "ok": ok})
            if not ok:
                crossed.append(f"{name}: {expr}")
    slo = slo_from_thresholds([t["threshold"] for t in thresholds if t["metric"] == "http_req_duration"],
                              [t["threshold"] for t in thresholds if t["metric"] == "http_req_failed"])
    notes = []
    if dropped_n:
        notes.append(f"k6 dropped {dropped_n} iterations (no free VU at their start time): raise preAllocatedVUs/"
                     "maxVUs or add generators")
    if "dropped_iterations" not in metrics:
        notes.append("no dropped_iterations metric in the summary: none were dropped, or the test did not use an "
                     "arrival-rate executor")
    if crossed:
        notes.append("k6 thresholds crossed: " + "; ".join(crossed))
    return {
        "requests": requests, "errors": errors,
        "success_rate": (1.0 - errors / requests) if (requests and errors is not None) else None,
        "target_rate": target, "achieved_rate": rate, "late_sends": dropped_n,
        "p50_ms": g["med"], "p90_ms": g["p(90)"], "p95_ms": g["p(95)"], "p99_ms": g["p(99)"],
        "p999_ms": g["p(99.9)"], "max_ms": g["max"], "mean_ms": g["avg"],
        "service_p50_ms": g["med"], "service_p95_ms": g["p(95)"], "service_p99_ms": g["p(99)"],
        "service_max_ms": g["max"],
        "timeline": [], "status_counts": {}, "error_types": {},
        "generator_limited": False, "generator_notes": notes, "in_flight_cap_hits": 0,
        "stopped_early": False, "stop_reason": "",
        "thresholds": thresholds, "slo_from_file": slo, "duration_s": duration_s, "version": "",
    }


# -------------------------------------------------------------------------------------- JSON stream
def open_text(path):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, "r", encoding="utf-8")


def looks_like_stream_line(obj) -> bool:
    return isinstance(obj, dict) and obj.get("type") in ("Metric", "Point") and "metric" in obj


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(text) -> float:
    """Seconds since the epoch from k6's RFC 3339 time (nanoseconds allowed)."""
    s = _FRACTION.sub(r"\1", str(text))
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return datetime.fromisoformat(s).timestamp()


def error_type(status: str | None, code: str | None) -> str | None:
    """The error type of one k6 request from its ``status`` and ``error_code`` tags (None = success)."""
    try:
        c = int(code) if code not in (None, "") else None
    except ValueError:
        c = None
    try:
        st = int(status) if status not in (None, "") else 0
    except ValueError:
        st = 0
    if 200 <= st < 400 and c is None:
        return None
    if 400 <= st < 600:
        return f"http_{st // 100}xx"
    if c == 1050:
        return "timeout"
    if c is not None and 1100 <= c < 1200:
        return "dns_error"
    if c is not None and 1200 <= c < 1300:
        return "connection_error"
    if c is not None and 1300 <= c < 1400:
        return "tls_error"
    return f"k6_error_{c}" if c is not None else "no_response"


_WANTED = ('"http_req_duration"', '"http_req_failed"', '"dropped_iterations"', '"iterations"')


def read_stream(path, *, progress=None, cancelled=None) -> dict:
    """LoadResult fields (a dict) from a k6 JSON output stream."""
    from core.load.histogram import Histogram

    size = max(1, Path(path).stat().st_size)
    times, durations, failed_flags = [], [], []
    statuses: dict[str, int] = {}
    types: dict[str, int] = {}
    failed_total = failed_points = dropped = iterations = 0
    duration_thresholds: list[str] = []
    failed_thresholds: list[str] = []
    url = method = None
    seen_any = False
    try:
        with open_text(path) as fh:
            for line_no, line in enumerate(fh, start=1):
                if line_no % 20000 == 0:
                    check_cancel(cancelled)
                    if progress is not None:
                        try:
                            progress(min(0.9, fh.buffer.tell() / size if hasattr(fh, "buffer") else 0.5))
                        except (OSError, ValueError, AttributeError):
                            pass
                if not line.strip():
                    continue
                if seen_any and not any(w in line for w in _WANTED):
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputFileError(path, f"not a k6 JSON output line ({exc.msg})", line=line_no) from None
                if not looks_like_stream_line(obj) or not isinstance(obj.get("data"), dict):
                    raise InputFileError(path, "not a k6 JSON output line (expected type Metric or Point, data "
                                               "and metric)", line=line_no)
                seen_any = True
                name, data = obj["metric"], obj["data"]
                if obj["type"] == "Metric":
                    if name == "http_req_duration":
                        duration_thresholds = _threshold_exprs(data.get("thresholds"))
                    elif name == "http_req_failed":
                        failed_thresholds = _threshold_exprs(data.get("thresholds"))
                    continue
                value = data.get("value")
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise InputFileError(path, f"{name}: the value {value!r} is not a number", line=line_no)
                if name == "http_req_duration":
                    tags = data.get("tags") or {}
                    try:
                        times.append(parse_time(data.get("time")))
                    except (TypeError, ValueError):
                        raise InputFileError(path, f"bad time {data.get('time')!r}", line=line_no) from None
                    durations.append(float(value))
                    status = str(tags.get("status", ""))
                    statuses[status] = statuses.get(status, 0) + 1
                    kind = error_type(status, tags.get("error_code"))
                    expected = tags.get("expected_response")
                    bad = (expected == "false") if expected in ("true", "false") else kind is not None
                    failed_flags.append(bad)
                    if bad:
                        types[kind or "unexpected_status"] = types.get(kind or "unexpected_status", 0) + 1
                    if url is None:
                        url, method = tags.get("url") or tags.get("name"), tags.get("method")
                elif name == "http_req_failed":
                    failed_points += 1
                    failed_total += 1 if value else 0
                elif name == "dropped_iterations":
                    dropped += int(value)
                elif name == "iterations":
                    iterations += int(value)
    except UnicodeDecodeError:
        raise InputFileError(path, "not a text file (not UTF-8)") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputFileError(path, f"cannot read the file ({exc})") from None
    if not durations:
        raise InputFileError(path, "no http_req_duration samples: is this k6's JSON output of an HTTP test?")

    t = np.asarray(times)
    d = np.asarray(durations)
    bad = np.asarray(failed_flags, dtype=bool)
    requests = int(d.size)
    errors = failed_total if failed_points == requests else int(bad.sum())
    # a sample's time is when its request finished; it started value ms earlier
    start = float((t - d / 1000.0).min())
    end = float(t.max())
    span = max(end - start, 1e-9)
    hist = Histogram()
    hist.record_many(d)
    pct = {q: float(np.percentile(d, q * 100, method="inverted_cdf")) for q in (0.5, 0.9, 0.95, 0.99, 0.999)}
    timeline = _stream_timeline(t - start, d, bad)
    notes = []
    if dropped:
        notes.append(f"k6 dropped {dropped} iterations (no free VU at their start time): raise preAllocatedVUs/"
                     "maxVUs or add generators")
    slo = slo_from_thresholds(duration_thresholds, failed_thresholds)
    return {
        "requests": requests, "errors": errors, "success_rate": 1.0 - errors / requests,
        "target_rate": (iterations + dropped) / span if iterations else None,
        "achieved_rate": requests / span, "late_sends": dropped,
        "p50_ms": pct[0.5], "p90_ms": pct[0.9], "p95_ms": pct[0.95], "p99_ms": pct[0.99], "p999_ms": pct[0.999],
        "max_ms": float(d.max()), "mean_ms": float(d.mean()),
        "service_p50_ms": pct[0.5], "service_p95_ms": pct[0.95], "service_p99_ms": pct[0.99],
        "service_max_ms": float(d.max()),
        "timeline": timeline, "status_counts": statuses, "error_types": types,
        "generator_limited": False, "generator_notes": notes, "in_flight_cap_hits": 0,
        "stopped_early": False, "stop_reason": "",
        "histogram": hist.to_dict(), "service_histogram": hist.to_dict(),
        "slo_from_file": slo, "duration_s": span, "version": "", "url": url, "method": method,
    }


def _stream_timeline(t_rel, d, bad) -> list[dict]:
    sec = np.floor(t_rel).astype(np.int64)
    order = np.argsort(sec, kind="stable")
    sec, d, bad = sec[order], d[order], bad[order]
    out = []
    bounds = np.flatnonzero(np.diff(sec)) + 1
    for chunk_d, chunk_bad, s in zip(np.split(d, bounds), np.split(bad, bounds), sec[np.r_[0, bounds]]):
        out.append({"t": int(s), "sent": None, "completed": int(chunk_d.size), "errors": int(chunk_bad.sum()),
                    "throughput": float(chunk_d.size),
                    "p50_ms": float(np.percentile(chunk_d, 50, method="inverted_cdf")),
                    "p95_ms": float(np.percentile(chunk_d, 95, method="inverted_cdf")),
                    "p99_ms": float(np.percentile(chunk_d, 99, method="inverted_cdf"))})
    return out
