"""The report's readiness verdict: one line per gate, and the overall status.

Gates (each ``pass``, ``fail``, ``warn`` or ``none`` when there is nothing to judge):

* **checklist** - the checklist is ready (no critical blocker, weighted score at or above the threshold);
* **handoff** - every handoff rule passes;
* **drift** - the latest drift run found no dataset drift (``none`` without a drift run; ``warn``
  when only the multivariate domain classifier detects drift);
* **validation** - the latest validation run passed (``none`` without a validation run);
* **evidence** - every attached evidence file still has the hash it was attached with;
* **audit** - the audit chain verifies;
* **signoff** - the sign-off stage is ``approved`` (``warn`` otherwise); invalid signatures and
  approvals given despite critical blockers are named.

Status: ``not_ready`` when any gate fails; otherwise ``ready`` when the stage is
approved, else ``pending_signoff``.
"""

from __future__ import annotations

from core.handoff import latest_run

STATUS_TEXT = {"ready": "READY FOR PRODUCTION", "pending_signoff": "READY, AWAITING SIGN-OFF",
               "not_ready": "NOT READY"}
TECHNICAL_GATES = ("checklist", "handoff", "drift", "validation", "evidence", "audit")


def _check(key: str, label: str, state: str, detail: str, reasons: list[str] | None = None,
           why: str | None = None) -> dict:
    """One gate; ``why`` is the short sentence the verdict summary quotes (default: ``detail``)."""
    return {"key": key, "label": label, "state": state, "detail": detail, "reasons": list(reasons or []),
            "why": why or detail}


def _latest(runs: list[dict], kind: str) -> dict | None:
    found = latest_run(runs, kind)
    if found is not None:
        return found[0]
    same = [r for r in runs if r.get("kind") == kind]
    return same[-1] if same else None


def _result(run: dict) -> dict:
    return run.get("result") if isinstance(run.get("result"), dict) else {}


def checklist_check(data: dict) -> dict:
    s = data["score"]
    blockers = [f"critical item not done: {b.get('category')} / {b.get('name')}" for b in s["critical_blockers"]]
    threshold = s["readiness_threshold"]
    head = f"weighted score {s['weighted_score']:.2f}% (threshold {threshold:g}%), completion {s['completion']:.2f}%"
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


def drift_check(data: dict) -> dict:
    run = _latest(data["runs"], "drift")
    if run is None:
        return _check("drift", "Data drift", "none", "no drift analysis recorded")
    res = _result(run)
    drift = res.get("dataset_drift")
    cols = [c for c in res.get("columns") or [] if isinstance(c, dict)]
    drifted = [str(c.get("name")) for c in cols if c.get("drifted")]
    share = res.get("drifted_share")
    share_text = f"{100 * share:.1f}% of columns drifted" if isinstance(share, (int, float)) and \
        not isinstance(share, bool) else f"{len(drifted)} column(s) drifted"
    where = f"run #{run.get('id')}"
    if drift is None:
        return _check("drift", "Data drift", "warn", f"{where}: no dataset-level verdict ({share_text})")
    if drift:
        listed = ", ".join(drifted[:8]) + (", ..." if len(drifted) > 8 else "")
        return _check("drift", "Data drift", "fail", f"{where}: dataset drift detected, {share_text}",
                      [f"drifted columns: {listed}"] if drifted else [])
    reasons = [f"column drift below the dataset threshold: {', '.join(drifted[:8])}"] if drifted else []
    mv = res.get("multivariate") if isinstance(res.get("multivariate"), dict) else {}
    if mv.get("drifted"):
        auc = mv.get("auc")
        auc_text = f" (AUC {auc:.3f})" if isinstance(auc, (int, float)) and not isinstance(auc, bool) else ""
        reasons.append(f"the multivariate domain classifier tells the tables apart{auc_text}")
        return _check("drift", "Data drift", "warn", f"{where}: no dataset drift, {share_text}", reasons)
    return _check("drift", "Data drift", "pass", f"{where}: no dataset drift, {share_text}", reasons)


def validation_check(data: dict) -> dict:
    run = _latest(data["runs"], "validation")
    if run is None:
        return _check("validation", "Data validation", "none", "no validation run recorded")
    res = _result(run)
    violations = [v for v in res.get("violations") or [] if isinstance(v, dict)]
    passed = res.get("passed")
    where = f"run #{run.get('id')}"
    if passed is None:
        return _check("validation", "Data validation", "warn", f"{where}: no verdict recorded")
    if passed:
        return _check("validation", "Data validation", "pass", f"{where}: every check passed")
    by_sev: dict[str, int] = {}
    for v in violations:
        by_sev[str(v.get("severity"))] = by_sev.get(str(v.get("severity")), 0) + 1
    counts = ", ".join(f"{n} {s}" for s, n in by_sev.items())
    reasons = [f"{v.get('severity')}: {v.get('column') or '(table)'} {v.get('check')} "
               f"({v.get('count')} row(s))" for v in violations[:8]]
    return _check("validation", "Data validation", "fail", f"{where}: {len(violations)} violation(s) ({counts})",
                  reasons)


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
    reasons += [f"approved despite critical blockers by {s.get('user_name')}: {s.get('override_reason')}"
                for s in sigs if s.get("valid") and s.get("override_reason")]
    nxt = {"unsigned": "needs authorship, review and approval signatures", "prepared": "needs review and approval",
           "reviewed": "needs approval"}.get(stage, "")
    detail = f"stage: {stage}" + (f" ({nxt})" if nxt else "")
    return _check("signoff", "Sign-off", "pass" if stage == "approved" else "warn", detail, reasons)


def verdict(data: dict) -> dict:
    """The overall status with every gate's state and reasons (see the module docstring)."""
    checks = [checklist_check(data), handoff_check(data), drift_check(data), validation_check(data),
              evidence_check(data), audit_check(data), signoff_check(data)]
    technical_ready = not any(c["state"] == "fail" for c in checks if c["key"] in TECHNICAL_GATES)
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
