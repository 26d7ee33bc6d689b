"""Read Locust's ``--csv`` files (``_stats.csv``, ``_stats_history.csv``, ``_failures.csv``) into the
fields of a :class:`core.load.result.LoadResult`.

Locust's numbers are response times of a closed loop: each user waits for its reply before it sends again,
and each time is measured from the actual send.  Its percentiles come from response times rounded to about
two significant figures; the history file's percentiles cover a sliding window of about the last 10 s.
A locustfile exported by Preflight also leaves ``<prefix>_preflight.json`` (Locust version, target rate,
late and skipped sends, stop reason), read when present.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

from core.errors import InputFileError, check_cancel

STATS_SUFFIX = "_stats.csv"
HISTORY_SUFFIX = "_stats_history.csv"
FAILURES_SUFFIX = "_failures.csv"
EXCEPTIONS_SUFFIX = "_exceptions.csv"
META_SUFFIX = "_preflight.json"
STATS_HEADER = ("Type", "Name", "Request Count", "Failure Count")
HISTORY_HEADER = ("Timestamp", "User Count", "Type", "Name")
_NEEDED = ("Request Count", "Failure Count", "Average Response Time", "Max Response Time", "Requests/s",
           "50%", "90%", "95%", "99%")

MEANING = (
    "Locust (closed loop): each user waits for its reply before sending again, so when the server stalls "
    "fewer requests are sent and the stall is under-measured (coordinated omission). Response times are "
    "timed from the actual send, not from when a request was due, so the latency and service-time "
    "percentiles here are the same numbers. Locust rounds response times to about 2 significant figures "
    "before taking percentiles, so a percentile can differ from the true value by up to ~5% (and may exceed "
    "the maximum). The timeline's percentiles are Locust's sliding window of about the last 10 s. Status counts list only "
    "the status codes of failed requests (Locust does not count successful ones by status).")


def locust_prefix(path) -> str | None:
    """The ``--csv`` prefix a Locust file name belongs to (or the prefix itself), or None."""
    p = str(path)
    for suffix in (HISTORY_SUFFIX, STATS_SUFFIX, FAILURES_SUFFIX, EXCEPTIONS_SUFFIX, META_SUFFIX):
        if p.endswith(suffix):
            return p[: -len(suffix)]
    if not Path(p).exists() and Path(p + STATS_SUFFIX).is_file():
        return p
    return None


def looks_like_locust(path) -> bool:
    prefix = locust_prefix(path)
    if prefix is not None and Path(prefix + STATS_SUFFIX).is_file():
        return True
    head = _first_line(path)
    return head.startswith(",".join(STATS_HEADER)) or head.startswith(",".join(HISTORY_HEADER))


def _first_line(path) -> str:
    try:
        with open(path, "r", encoding="utf-8-sig", errors="replace") as fh:
            return fh.readline().strip()
    except OSError:
        return ""


def locust_files(path) -> dict:
    """{"stats", "history", "failures", "meta"} paths (the optional ones None when missing)."""
    prefix = locust_prefix(path)
    if prefix is None:
        head = _first_line(path)
        if head.startswith(",".join(HISTORY_HEADER)):
            raise InputFileError(path, "a Locust history file must be named PREFIX_stats_history.csv, next to "
                                       "PREFIX_stats.csv, so that the stats file can be found")
        return {"stats": str(path), "history": None, "failures": None, "meta": None}
    stats = prefix + STATS_SUFFIX
    if not Path(stats).is_file():
        raise InputFileError(stats, "Locust's stats file is missing (run locust with --csv PREFIX; it writes "
                                    "PREFIX_stats.csv)")
    opt = {k: prefix + s for k, s in (("history", HISTORY_SUFFIX), ("failures", FAILURES_SUFFIX),
                                      ("meta", META_SUFFIX))}
    return {"stats": stats, **{k: (v if Path(v).is_file() else None) for k, v in opt.items()}}


def _read_csv(path, required) -> tuple[list[str], list[tuple[int, dict]]]:
    try:
        with open(path, "r", encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header:
                raise InputFileError(path, "the file is empty")
            header = [h.strip() for h in header]
            missing = [c for c in required if c not in header]
            if missing:
                raise InputFileError(path, "not a Locust --csv file: no column " + ", ".join(repr(c) for c in missing),
                                     line=1)
            rows = []
            for line_no, cells in enumerate(reader, start=2):
                if not cells:
                    continue
                if len(cells) != len(header):
                    raise InputFileError(path, f"{len(cells)} cells where the header has {len(header)}", line=line_no)
                rows.append((line_no, dict(zip(header, cells))))
            return header, rows
    except UnicodeDecodeError:
        raise InputFileError(path, "not a text file (not UTF-8)") from None
    except csv.Error as exc:
        raise InputFileError(path, f"not a readable CSV file ({exc})") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read the file ({exc.strerror or exc})") from None


def _num(path, line: int, row: dict, column: str, *, integer: bool = False):
    text = (row.get(column) or "").strip()
    if text in ("", "N/A"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputFileError(path, f"column {column!r}: {text!r} is not a number", line=line) from None
    if not math.isfinite(value) or value < 0:
        raise InputFileError(path, f"column {column!r}: {text!r} is not a count or a time", line=line)
    return int(value) if integer else value


def _aggregated(path, rows) -> tuple[int, dict]:
    for line, row in rows:
        if row.get("Name") == "Aggregated":
            return line, row
    raise InputFileError(path, "no 'Aggregated' row: is this a Locust --csv stats file?")


def classify_failure(error: str) -> str:
    """An error type (the native run's names where they match) for a Locust failure message."""
    text = error.lower()
    code = re.search(r"code=(\d{3})|\b([45]\d\d)\b", error)
    if code:
        status = int(code.group(1) or code.group(2))
        return f"http_{status // 100}xx"
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if "refused" in text:
        return "connection_refused"
    if "reset" in text:
        return "connection_reset"
    name = re.match(r"\s*([A-Za-z_][\w.]*)", error)
    return name.group(1) if name else "other"


def _failures(path) -> tuple[dict, dict]:
    _, rows = _read_csv(path, ("Error", "Occurrences"))
    types: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for line, row in rows:
        n = _num(path, line, row, "Occurrences", integer=True) or 0
        kind = classify_failure(row.get("Error") or "")
        types[kind] = types.get(kind, 0) + n
        code = re.search(r"code=(\d{3})", row.get("Error") or "")
        if code:
            statuses[code.group(1)] = statuses.get(code.group(1), 0) + n
    return types, statuses


def _timeline(path, cancelled=None) -> tuple[list[dict], float | None]:
    _, rows = _read_csv(path, ("Timestamp", "Name", "Total Request Count", "Total Failure Count", "50%", "95%",
                               "99%"))
    agg = [(line, row) for line, row in rows if row.get("Name") == "Aggregated"]
    points: list[dict] = []
    t0 = prev_t = None
    prev_n = prev_f = 0
    for i, (line, row) in enumerate(agg):
        if i % 1000 == 0:
            check_cancel(cancelled)
        ts = _num(path, line, row, "Timestamp")
        n = _num(path, line, row, "Total Request Count", integer=True) or 0
        f = _num(path, line, row, "Total Failure Count", integer=True) or 0
        if ts is None:
            raise InputFileError(path, "the Timestamp is missing", line=line)
        if t0 is None:
            t0, prev_t = ts, ts
            prev_n, prev_f = n, f
            continue
        if n < prev_n or ts < prev_t:
            raise InputFileError(path, "the totals or timestamps go backwards: not one Locust run's history",
                                 line=line)
        dt = ts - prev_t
        done = n - prev_n
        points.append({"t": int(round(ts - t0)), "sent": None, "completed": done, "errors": f - prev_f,
                       "throughput": done / dt if dt > 0 else None,
                       "p50_ms": _num(path, line, row, "50%"), "p95_ms": _num(path, line, row, "95%"),
                       "p99_ms": _num(path, line, row, "99%")})
        prev_t, prev_n, prev_f = ts, n, f
    span = (prev_t - t0) if t0 is not None and prev_t is not None else None
    return points, span


def read_meta(path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(path, f"not a readable Preflight note of a Locust run ({exc})") from None
    if not isinstance(data, dict):
        raise InputFileError(path, "not a Preflight note of a Locust run (expected a JSON object)")
    return data


def read_locust(files: dict, *, cancelled=None) -> dict:
    """LoadResult fields (a dict) from Locust's files (see :func:`locust_files`)."""
    path = files["stats"]
    _, rows = _read_csv(path, _NEEDED)
    line, agg = _aggregated(path, rows)
    requests = _num(path, line, agg, "Request Count", integer=True) or 0
    errors = _num(path, line, agg, "Failure Count", integer=True) or 0
    if errors > requests:
        raise InputFileError(path, "more failures than requests in the 'Aggregated' row", line=line)
    rps = _num(path, line, agg, "Requests/s")
    get = {c: _num(path, line, agg, c) for c in ("50%", "90%", "95%", "99%", "99.9%", "100%", "Average Response Time",
                                                  "Max Response Time") if c in agg}
    check_cancel(cancelled)
    timeline, span = _timeline(files["history"], cancelled) if files.get("history") else ([], None)
    error_types, status_counts = _failures(files["failures"]) if files.get("failures") else ({}, {})
    meta = read_meta(files["meta"]) if files.get("meta") else {}

    notes = []
    late = None
    if meta:
        late = int(meta.get("late_sends") or 0) + int(meta.get("missed_sends") or 0)
        if late:
            notes.append(f"{meta.get('late_sends', 0)} sends left more than 1 ms late and "
                         f"{meta.get('missed_sends', 0)} were skipped because every user was waiting for a reply "
                         "(closed loop): the plan's arrival rate was not held")
    else:
        notes.append("no Preflight note next to the stats file (the locustfile was not exported by Preflight): "
                     "the target rate and late sends are unknown")
    target = meta.get("target_rate")
    if target and rps is not None and rps < 0.95 * float(target):
        notes.append(f"Locust achieved {rps:.1f} req/s of the {float(target):.1f} req/s target")
    stop_reason = str(meta.get("stop_reason") or "")
    p50, p90, p95, p99 = get.get("50%"), get.get("90%"), get.get("95%"), get.get("99%")
    return {
        "requests": requests, "errors": errors,
        "success_rate": (1.0 - errors / requests) if requests else None,
        "target_rate": float(target) if target is not None else None,
        "achieved_rate": rps, "late_sends": late,
        "p50_ms": p50, "p90_ms": p90, "p95_ms": p95, "p99_ms": p99, "p999_ms": get.get("99.9%"),
        "max_ms": get.get("Max Response Time", get.get("100%")), "mean_ms": get.get("Average Response Time"),
        "service_p50_ms": p50, "service_p95_ms": p95, "service_p99_ms": p99,
        "service_max_ms": get.get("Max Response Time", get.get("100%")),
        "timeline": timeline, "status_counts": status_counts, "error_types": error_types,
        "generator_limited": False, "generator_notes": notes, "in_flight_cap_hits": 0,
        "stopped_early": bool(meta.get("stopped_early")), "stop_reason": stop_reason,
        "version": meta.get("locust_version") or "",
        "meta": meta,
        "duration_s": (requests / rps) if rps else span,
    }
