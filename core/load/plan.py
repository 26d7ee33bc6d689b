"""A load-test plan: where to send, what, and at which rate over time.

A plan is a list of :class:`Stage` s (duration, rate, optional linear ramp) run one after the other by
an open-loop generator: the arrival times come from the plan's clock, never from the replies.  Every
plan is bounded twice: by its total duration and by ``max_requests``.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from core.errors import InputFileError, PreflightError

DEMO_PORT = 8765
DEMO_URL = f"http://127.0.0.1:{DEMO_PORT}/predict"
ARRIVALS = ("constant", "poisson")
#: the hard ceilings a plan may not exceed, whatever the user asks for
MAX_DURATION_S = 24 * 3600.0
MAX_REQUESTS = 50_000_000
MAX_PROCESSES = 64
#: the body sent to the demo model when the plan gives none (missing features take the training mean)
DEFAULT_BODY = json.dumps({"mean radius": 14.1, "mean texture": 19.3, "mean perimeter": 92.0,
                           "mean area": 655.0, "worst radius": 16.3, "worst concave points": 0.11})


@dataclass(frozen=True)
class Stage:
    duration_s: float
    rate: float                    # requests per second at the start of the stage
    ramp_to: float | None = None   # linear ramp to this rate by the end of the stage; None = constant

    @property
    def end_rate(self) -> float:
        return self.rate if self.ramp_to is None else self.ramp_to

    @property
    def expected_requests(self) -> float:
        return self.duration_s * (self.rate + self.end_rate) / 2.0

    def to_dict(self) -> dict:
        return asdict(self)


def _check_stage(stage: Stage, where: str) -> Stage:
    for name, value in (("duration_s", stage.duration_s), ("rate", stage.rate), ("ramp_to", stage.ramp_to)):
        if value is None and name == "ramp_to":
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise PreflightError(f"{where}: {name} must be a finite number (got {value!r})")
        if value < 0:
            raise PreflightError(f"{where}: {name} cannot be negative (got {value:g})")
    if stage.duration_s <= 0:
        raise PreflightError(f"{where}: a stage needs a positive duration (got {stage.duration_s:g} s)")
    return Stage(float(stage.duration_s), float(stage.rate), None if stage.ramp_to is None else float(stage.ramp_to))


@dataclass(frozen=True)
class LoadPlan:
    url: str
    stages: tuple[Stage, ...]
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    body: str | None = None        # fixed body text (JSON); None + rows_csv None = the demo model's default body;
                                   # with rows_csv, a template with {{row}} / {{column}} placeholders
    rows_csv: str | None = None    # path: one JSON object body per CSV row (or the template filled), cycling
    arrival: str = "constant"      # "constant" | "poisson"
    timeout_ms: float = 5000.0
    max_in_flight: int = 2000
    max_requests: int = 2_000_000  # hard bound; plans are always bounded in duration AND count
    stop_p95_ms: float | None = None
    stop_error_pct: float | None = None
    stop_window_s: float = 5.0
    slo_p95_ms: float = 200.0
    slo_success_rate: float = 0.99
    processes: int = 1
    seed: int = 0
    extra: dict = field(default_factory=dict, compare=False)  # free-form notes (e.g. {"preset": "10x_peak"})

    @property
    def total_duration_s(self) -> float:
        return float(sum(s.duration_s for s in self.stages))

    @property
    def expected_requests(self) -> int:
        """Requests the stages ask for, capped by ``max_requests``."""
        return int(min(self.max_requests, round(sum(s.expected_requests for s in self.stages))))

    @property
    def peak_rate(self) -> float:
        return max((max(s.rate, s.end_rate) for s in self.stages), default=0.0)

    @property
    def mean_rate(self) -> float:
        d = self.total_duration_s
        return sum(s.expected_requests for s in self.stages) / d if d > 0 else 0.0

    def validate(self) -> "LoadPlan":
        """Check every field; raise :class:`PreflightError` naming the bad one. Returns the plan."""
        parts = urlsplit(self.url)
        if parts.scheme != "http":
            raise PreflightError(f"the target URL must start with http:// (got {self.url!r}; https is not supported)")
        if not parts.hostname:
            raise PreflightError(f"the target URL has no host: {self.url!r}")
        try:
            parts.port
        except ValueError:
            raise PreflightError(f"the target URL has a bad port: {self.url!r}") from None
        if not self.stages:
            raise PreflightError("a load-test plan needs at least one stage")
        for i, s in enumerate(self.stages):
            _check_stage(s, f"stage {i + 1}")
        if self.total_duration_s > MAX_DURATION_S:
            raise PreflightError(f"the plan lasts {self.total_duration_s:g} s; the limit is {MAX_DURATION_S:g} s")
        if self.arrival not in ARRIVALS:
            raise PreflightError(f"unknown arrival process {self.arrival!r}; use constant or poisson")
        if not self.method or not self.method.isalpha():
            raise PreflightError(f"bad HTTP method {self.method!r}")
        if not (self.timeout_ms > 0):
            raise PreflightError(f"the timeout must be positive (got {self.timeout_ms:g} ms)")
        if not 1 <= self.max_in_flight <= 100_000:
            raise PreflightError(f"max_in_flight must be between 1 and 100000 (got {self.max_in_flight})")
        if not 1 <= self.max_requests <= MAX_REQUESTS:
            raise PreflightError(f"max_requests must be between 1 and {MAX_REQUESTS:,} (got {self.max_requests})")
        if not 1 <= self.processes <= MAX_PROCESSES:
            raise PreflightError(f"processes must be between 1 and {MAX_PROCESSES} (got {self.processes})")
        if self.stop_p95_ms is not None and not self.stop_p95_ms > 0:
            raise PreflightError("the p95 stop rule needs a positive number of milliseconds")
        if self.stop_error_pct is not None and not 0 <= self.stop_error_pct <= 100:
            raise PreflightError("the error stop rule needs a percentage between 0 and 100")
        if not self.stop_window_s >= 1:
            raise PreflightError("the stop rules' sliding window must be at least 1 s")
        if not self.slo_p95_ms > 0:
            raise PreflightError("the SLO's p95 must be a positive number of milliseconds")
        if not 0 < self.slo_success_rate <= 1:
            raise PreflightError("the SLO's success rate must be in (0, 1]")
        if self.body is not None and self.rows_csv is not None and "{{" not in self.body:
            raise PreflightError("with a rows CSV the body is a template: put {{row}} or {{column}} placeholders "
                                 "in it (or give only one of them)")
        for name, value in self.headers:
            if not name or any(c in name + value for c in "\r\n") or ":" in name:
                raise PreflightError(f"bad header {name!r}")
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["stages"] = [s.to_dict() for s in self.stages]
        d["headers"] = [list(h) for h in self.headers]
        d["total_duration_s"] = self.total_duration_s
        d["expected_requests"] = self.expected_requests
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "LoadPlan":
        known = {f for f in cls.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in known}
        kw["stages"] = tuple(Stage(**{k: v for k, v in s.items() if k in ("duration_s", "rate", "ramp_to")})
                             for s in d.get("stages", ()))
        if "headers" in kw:
            kw["headers"] = tuple((str(a), str(b)) for a, b in kw["headers"])
        kw["extra"] = dict(kw.get("extra") or {})
        return cls(**kw)

    def with_(self, **kw) -> "LoadPlan":
        return replace(self, **kw)


def constant_plan(url: str, rate: float, duration_s: float, **kw) -> LoadPlan:
    """One stage at a fixed rate."""
    return LoadPlan(url=url, stages=(Stage(float(duration_s), float(rate)),), **kw)


def ten_x_peak_plan(url: str, expected_qps: float, duration_s: float, **kw) -> LoadPlan:
    """The readiness bar: hold ten times the expected peak rate (a short ramp first, a tenth of the time)."""
    if not expected_qps or expected_qps <= 0:
        raise PreflightError("the 10x-peak preset needs a positive expected QPS")
    target = 10.0 * float(expected_qps)
    ramp = min(30.0, max(1.0, duration_s / 10.0)) if duration_s > 5 else 0.0
    stages = ((Stage(ramp, expected_qps, target),) if ramp else ()) + (Stage(duration_s - ramp, target),)
    extra = dict(kw.pop("extra", {}) or {})
    extra.update({"preset": "10x_peak", "expected_qps": float(expected_qps)})
    return LoadPlan(url=url, stages=stages, extra=extra, **kw)


def _stage_from(obj, where: str) -> Stage:
    if not isinstance(obj, dict):
        raise PreflightError(f"{where}: a stage is an object with duration_s and rate")
    missing = [k for k in ("duration_s", "rate") if k not in obj]
    if missing:
        raise PreflightError(f"{where}: missing {', '.join(missing)}")
    ramp = obj.get("ramp_to")
    try:
        stage = Stage(float(obj["duration_s"]), float(obj["rate"]), None if ramp in (None, "") else float(ramp))
    except (TypeError, ValueError):
        raise PreflightError(f"{where}: duration_s, rate and ramp_to must be numbers") from None
    return _check_stage(stage, where)


def parse_stages(text_or_path) -> tuple[Stage, ...]:
    """Stages from JSON (a list of {"duration_s", "rate", "ramp_to"} objects) or CSV with those columns,
    given as text or as a path to a file holding it."""
    path = None
    text = str(text_or_path)
    if not text.lstrip().startswith(("[", "{")) and "\n" not in text and Path(text).exists():
        path = Path(text)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFileError(path, f"cannot read the stages file ({exc})") from None
    where = str(path) if path else "stages"
    stripped = text.strip()
    if not stripped:
        raise PreflightError(f"{where}: no stage given")
    if stripped[0] in "[{":
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise PreflightError(f"{where}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if isinstance(data, dict):
            data = data.get("stages")
        if not isinstance(data, list) or not data:
            raise PreflightError(f"{where}: expected a non-empty list of stages")
        return tuple(_stage_from(s, f"{where}, stage {i + 1}") for i, s in enumerate(data))
    rows = list(csv.DictReader(io.StringIO(stripped)))
    if not rows:
        raise PreflightError(f"{where}: no stage rows under the header")
    return tuple(_stage_from({k.strip(): (v or "").strip() for k, v in r.items() if k}, f"{where}, row {i + 2}")
                 for i, r in enumerate(rows))


def is_loopback(url: str) -> bool:
    """True when the URL's host is this machine (127.0.0.0/8, ::1 or ``localhost``)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
