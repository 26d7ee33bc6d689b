"""A load-test run: run the plan against its target, keep the result with its inputs' SHA-256.

The CLI (``loadtest``) and the Load tab call :func:`run_loadtest`, then :func:`record_loadtest` to store
the run (settings = the plan, inputs = the rows CSV or body file with their SHA-256, result =
:meth:`LoadResult.to_dict`) in one transaction with its audit event.  Imported Locust/k6 results go
through :func:`loadtest_run_from_result` and become runs of the same kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.canonical import sha256_file, utc_now
from core.errors import InputFileError, PreflightError
from core.load.engine_bodies import read_row_bodies
from core.load.plan import DEFAULT_BODY, LoadPlan
from core.load.result import LoadResult
from core.progress import scaled

KIND = "loadtest"


@dataclass(frozen=True)
class LoadTestRun:
    result: LoadResult
    settings: dict
    inputs: tuple
    started_utc: str
    finished_utc: str

    @property
    def summary(self) -> dict:
        r = self.result
        return {"requests": r.requests, "errors": r.errors, "success_rate": r.success_rate,
                "target_rate": r.target_rate, "achieved_rate": r.achieved_rate, "p95_ms": r.p95_ms,
                "p99_ms": r.p99_ms, "production_ready": r.production_ready, "stopped_early": r.stopped_early,
                "generator_limited": r.generator_limited, "tool": (r.source or {}).get("tool", "preflight")}


def file_record(path, role: str) -> dict:
    """An input record for a file that is not a table (a body file): role, path, SHA-256, size."""
    p = Path(path)
    if not p.is_file():
        raise InputFileError(p, "file not found")
    return {"role": role, "path": str(p), "sha256": sha256_file(p), "size": p.stat().st_size}


def read_body_file(path) -> tuple[str, dict]:
    """The text of a body file (UTF-8) and its input record."""
    p = Path(path)
    record = file_record(p, "body_file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputFileError(p, "the body file is not UTF-8 text") from None
    except OSError as exc:
        raise InputFileError(p, f"cannot read the body file ({exc.strerror or exc})") from None
    return text, record


def loadtest_run_from_result(result: LoadResult | dict, settings: dict, inputs, *, started_utc: str | None = None,
                             finished_utc: str | None = None) -> LoadTestRun:
    """A run of kind ``loadtest`` around a result computed elsewhere (an imported Locust or k6 run)."""
    if isinstance(result, dict):
        result = LoadResult.from_dict(result)
    now = utc_now()
    return LoadTestRun(result=result, settings=dict(settings), inputs=tuple(inputs),
                       started_utc=started_utc or now, finished_utc=finished_utc or now)


def run_loadtest(plan: LoadPlan, *, progress=None, cancelled=None, on_tick=None,
                 body_file: str | None = None) -> LoadTestRun:
    """Run ``plan`` (open loop) and return the run; ``body_file`` (optional) is the file the plan's body
    was read from, recorded among the inputs with its SHA-256. Cancel raises :class:`core.errors.Cancelled`."""
    from core.load.engine import run_load

    started = utc_now()
    plan.validate()
    inputs: list[dict] = []
    bodies = None
    if body_file:
        text, record = read_body_file(body_file)
        if plan.body is None:
            plan = plan.with_(body=text)
        elif plan.body != text:
            raise PreflightError(f"{body_file}: the plan's body differs from the body file's text")
        inputs.append(record)
        plan.validate()
    if plan.rows_csv:
        bodies, record = read_row_bodies(plan.rows_csv, template=plan.body, progress=scaled(progress, 0.0, 0.02),
                                         cancelled=cancelled)
        inputs.append(record)
    result = run_load(plan, progress=scaled(progress, 0.02, 1.0), cancelled=cancelled, on_tick=on_tick,
                      bodies=bodies)
    if progress is not None:
        progress(1.0)
    settings = plan.to_dict()
    if body_file:
        settings["body_file"] = str(body_file)
    if plan.body is None and not plan.rows_csv:
        settings["default_body"] = DEFAULT_BODY
    return LoadTestRun(result=result, settings=settings, inputs=tuple(inputs), started_utc=started,
                       finished_utc=utc_now())


def record_loadtest(store, run: LoadTestRun) -> int:
    """Store the run in the assessment (one transaction with its audit event); returns the run id."""
    return store.record_run(KIND, run, result=run.result.to_dict())
