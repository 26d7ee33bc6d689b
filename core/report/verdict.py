"""The report's readiness verdict: one line per gate, and the overall status.

Gates (each ``pass``, ``fail``, ``warn`` or ``none`` when there is nothing to judge):

* **checklist** - the checklist is ready (no critical blocker, weighted score at or above the threshold);
* **handoff** - every handoff rule passes;
* one gate per registered run kind (:func:`core.render.registry.gate`), given the run of that kind
  that counts for the verdict (:mod:`core.assessment.counted`: the run chosen explicitly, else the newest
  linked as evidence, else the newest; runs left out of the report never count; the gate names it in
  ``run_id`` and ``counted``, e.g. "run #7 (chosen explicitly)"): **drift** (no dataset drift; ``warn`` when only the multivariate
  domain classifier tells the tables apart), **validation** (every check passed), and so on;
* **evidence** - every attached evidence file still has the hash it was attached with;
* **audit** - the audit chain verifies;
* **signoff** - the sign-off stage is ``approved`` (``warn`` otherwise); invalid signatures and
  approvals given despite critical blockers are named.

Status: ``not_ready`` when any gate fails; otherwise ``ready`` when the stage is
approved, else ``pending_signoff``.
"""

from __future__ import annotations

from core.assessment.counted import BASIS_TEXT, counted_run
from core.render.registry import gate_result, gates

STATUS_TEXT = {"ready": "READY FOR PRODUCTION", "pending_signoff": "READY, AWAITING SIGN-OFF",
               "not_ready": "NOT READY"}


_check = gate_result


def _counted(data: dict, kind: str) -> tuple[dict | None, dict | None]:
    """The run of ``kind`` that counts for the verdict (see :mod:`core.assessment.counted`) and how it was chosen."""
    info = (data.get("counted_runs") or {}).get(kind)
    if info is None:
        if "counted_runs" in data:
            return None, None
        run, basis = counted_run(data["runs"], data.get("links") or [], kind)
        if run is None:
            return None, None
        info = {"run_id": run.get("id"), "basis": basis, "text": f"run #{run.get('id')} ({BASIS_TEXT[basis]})"}
    run = next((r for r in data["runs"] if r.get("id") == info.get("run_id")), None)
    return run, (info if run is not None else None)


def _run_gate(data: dict, kind: str, check) -> dict:
    run, info = _counted(data, kind)
    result = dict(check(run))
    result["run_id"] = None if info is None else info.get("run_id")
    result["counted"] = None if info is None else info.get("text")
    return result


def checklist_check(data: dict) -> dict:
    s = data["score"]
    blockers = [f"critical item not done: {b.get('category')} / {b.get('name')}" for b in s["critical_blockers"]]
    threshold = s["readiness_threshold"]
    head = (f"weighted score {s['weighted_score']:.2f} / 100 (threshold {threshold:g}), "
            f"completion {s['completion']:.2f}% of applicable items done")
    if s["ready"]:
        return _check("checklist", "Checklist", "pass", head)
    reasons = list(s.get("reasons") or [])
    if not any(i.get("status") != "not_applicable" for i in data["items"]):
        reasons = ["the checklist has no applicable item"]
    return _check("checklist", "Checklist", "fail", head, reasons + blockers, why="; ".join(reasons))


def handoff_check(data: dict) -> dict:
    if data.get("handoff_error"):
        return _check("handoff", "Production handoff", "fail", data["handoff_error"])
    v = data["handoff_validation"]
    results = v.get("results") or []
    failed = [r["message"] for r in results if not r.get("passed")]
    detail = f"{len(results) - len(failed)} of {len(results)} handoff rules pass"
    return _check("handoff", "Production handoff", "fail" if failed else "pass", detail, failed,
                  why="; ".join(failed) if failed else None)


def evidence_check(data: dict) -> dict:
    checks = data["reverification"]
    if not checks:
        return _check("evidence", "Evidence files", "none", "no evidence files attached")
    bad = [r for r in checks if r.get("status") != "ok"]
    if bad:
        return _check("evidence", "Evidence files", "fail",
                      f"{len(bad)} of {len(checks)} evidence file(s) changed or missing",
                      [f"{r.get('label')}: {r.get('status')} ({r.get('message')})" for r in bad])
    return _check("evidence", "Evidence files", "pass", f"all {len(checks)} evidence file(s) unchanged")


def audit_check(data: dict) -> dict:
    a = data["audit"]
    if a.get("ok"):
        return _check("audit", "Audit trail", "pass", f"hash chain intact, {a.get('count')} events")
    return _check("audit", "Audit trail", "fail", "hash chain BROKEN: the records cannot be trusted",
                  [str(a.get("problem") or "verification failed")])


def signoff_check(data: dict) -> dict:
    stage = data["stage"]
    sigs = data["signatures"]
    reasons = [f"invalid signature: {s.get('user_name')} ({s.get('meaning')}) - the content changed after signing"
               for s in sigs if not s.get("valid")]
    reasons += [f"approved despite blockers (critical items or failing handoff rules) by {s.get('user_name')}: "
                f"{s.get('override_reason')}"
                for s in sigs if s.get("valid") and s.get("override_reason")]
    nxt = {"unsigned": "needs authorship, review and approval signatures", "prepared": "needs review and approval",
           "reviewed": "needs approval"}.get(stage, "")
    detail = f"stage: {stage}" + (f" ({nxt})" if nxt else "")
    return _check("signoff", "Sign-off", "pass" if stage == "approved" else "warn", detail, reasons)


def verdict(data: dict) -> dict:
    """The overall status with every gate's state and reasons (see the module docstring)."""
    run_checks = [_run_gate(data, kind, check) for kind, _label, check in gates()]
    checks = [checklist_check(data), handoff_check(data), *run_checks, evidence_check(data), audit_check(data),
              signoff_check(data)]
    technical_ready = not any(c["state"] == "fail" for c in checks if c["key"] != "signoff")
    if not technical_ready:
        status = "not_ready"
    elif data["stage"] == "approved":
        status = "ready"
    else:
        status = "pending_signoff"
    reasons = [f"{c['label']}: {c['why']}" for c in checks if c["state"] == "fail"]
    signoff = checks[-1]
    if signoff["state"] != "pass" or signoff["reasons"]:
        reasons.append(f"{signoff['label']}: {'; '.join([signoff['detail']] + signoff['reasons'])}")
    return {"status": status, "ready": status == "ready", "technical_ready": technical_ready,
            "headline": STATUS_TEXT[status], "stage": data["stage"], "reasons": reasons, "checks": checks}
