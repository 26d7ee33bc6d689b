"""Which stored run counts for the verdict, per run kind.

An assessment often holds exploratory runs next to the one that matters.  The
run of a kind that counts (for the report's gates, its run sections and the
model card) is, in this order:

1. the run chosen explicitly for that kind (``Assessment.set_counted_run``), if
   it still exists, is of that kind and is not left out of the report;
2. else the newest run of that kind linked as evidence to a checklist item;
3. else the newest run of that kind.

Runs left out of the report (``excluded_from_report``) never count.  "Newest"
is the latest ``finished_utc``, ties broken by the larger run id.
"""

from __future__ import annotations

from datetime import datetime, timezone

CHOSEN, LINKED, NEWEST = "chosen", "linked", "newest"
BASIS_TEXT = {CHOSEN: "chosen explicitly", LINKED: "newest linked as evidence", NEWEST: "newest"}
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def _finished(run: dict) -> datetime:
    text = str(run.get("finished_utc") or "")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return _EARLIEST
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _order(run: dict) -> tuple:
    rid = run.get("id")
    return _finished(run), rid if isinstance(rid, int) else -1


def excluded(run: dict) -> bool:
    return bool(run.get("excluded_from_report"))


def counted_run(runs: list[dict], links: list[dict], kind: str, choice: int | None = None
                ) -> tuple[dict | None, str | None]:
    """``(run, basis)`` of the run of ``kind`` that counts, or ``(None, None)``; basis is a key of BASIS_TEXT."""
    candidates = [r for r in runs if isinstance(r, dict) and r.get("kind") == kind and not excluded(r)]
    if not candidates:
        return None, None
    if choice is not None:
        chosen = next((r for r in candidates if r.get("id") == choice), None)
        if chosen is not None:
            return chosen, CHOSEN
    linked_ids = {link.get("run_id") for link in links or () if link.get("run_id") is not None}
    linked = [r for r in candidates if r.get("id") in linked_ids]
    if linked:
        return max(linked, key=_order), LINKED
    return max(candidates, key=_order), NEWEST


def counted_runs(runs: list[dict], links: list[dict], choices: dict | None, kinds) -> dict[str, dict]:
    """Per kind in ``kinds`` that has a run that counts: ``{run_id, basis, text}`` (text: "run #7 (chosen explicitly)")."""
    choices = choices or {}
    out = {}
    for kind in kinds:
        run, basis = counted_run(runs, links, kind, choices.get(kind))
        if run is not None:
            out[kind] = {"run_id": run.get("id"), "basis": basis,
                         "text": f"run #{run.get('id')} ({BASIS_TEXT[basis]})"}
    return out


def runs_that_count(runs: list[dict], links: list[dict], choices: dict | None, kinds=None) -> list[dict]:
    """``runs`` with, for each kind in ``kinds`` (default: every kind present), only the run that counts.

    Runs of other kinds pass unchanged, except that runs left out of the report are always dropped.  Code that
    takes "the newest run of a kind" (the model card) gives the counted run when handed this list.
    """
    present = {r.get("kind") for r in runs if isinstance(r, dict)}
    kinds = present if kinds is None else set(kinds)
    keep = {info["run_id"] for info in counted_runs(runs, links, choices, sorted(k for k in kinds if k)).values()}
    return [r for r in runs if isinstance(r, dict) and not excluded(r)
            and (r.get("kind") not in kinds or r.get("id") in keep)]
