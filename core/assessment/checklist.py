"""Readiness checklist: items, the weighted score, and the ML Test Score view.

Scoring rules (a contract; ``python main.py score --json`` reports exactly these):

* Priority weights: critical 4, high 3, medium 2, low 1.
* Statuses: ``open``, ``done``, ``not_applicable``.  Not-applicable items leave
  both denominators.
* weighted score = weight of done items / weight of applicable items x 100.
* completion = done items / applicable items x 100.
* critical blockers = critical items that are applicable and not done.
* ready = no critical blockers and weighted score >= the readiness threshold.
* With no applicable item at all both scores are 0 and the checklist is not ready.

ML Test Score view (Breck et al., "The ML Test Score: A Rubric for ML Production
Readiness and Technical Debt Reduction", IEEE Big Data 2017 - the 2017 rubric,
not the 2016 workshop one): items may carry a maturity of 0 (not done), 0.5
(done manually, results documented) or 1 (automated and repeated).  The sections
are the categories of the items that carry a maturity; a section's score is the
sum of its maturities and the final score is the minimum over the sections.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterable

from core.errors import InputFileError, PreflightError

PRIORITY_WEIGHTS = {"critical": 4, "high": 3, "medium": 2, "low": 1}
PRIORITIES = tuple(PRIORITY_WEIGHTS)
STATUSES = ("open", "done", "not_applicable")
MATURITIES = (0.0, 0.5, 1.0)
RUBRIC = "ML Test Score, Breck et al. 2017 (IEEE Big Data)"

#: (upper bound inclusive, band name) for the ML Test Score final score.
ML_TEST_SCORE_BANDS = (
    (0.0, "A research project"),
    (1.0, "Serious holes"),
    (2.0, "First pass at productionization"),
    (3.0, "Reasonably tested"),
    (5.0, "Strong automated testing and monitoring"),
)
EXCEPTIONAL = "Exceptional"

EXPORT_FIELDS = ("category", "name", "requirement", "priority", "status", "notes", "maturity")


@dataclass(frozen=True)
class Item:
    """One checklist requirement."""

    category: str
    name: str
    requirement: str = ""
    priority: str = "medium"
    status: str = "open"
    notes: str = ""
    owner: str = ""
    due_date: str = ""
    maturity: float | None = None
    id: int | None = None
    position: int = 0

    @property
    def weight(self) -> int:
        return PRIORITY_WEIGHTS[self.priority]

    @property
    def applicable(self) -> bool:
        return self.status != "not_applicable"

    def to_dict(self) -> dict:
        return asdict(self)

    def export_dict(self) -> dict:
        out = {k: getattr(self, k) for k in EXPORT_FIELDS}
        if out["maturity"] is None:
            del out["maturity"]
        for extra in ("owner", "due_date"):
            if getattr(self, extra):
                out[extra] = getattr(self, extra)
        return out


def validate_fields(fields: dict, where: str = "item") -> dict:
    """Check and normalise item fields; raise PreflightError naming the bad field."""
    out = dict(fields)
    for key in ("category", "name"):
        if key in out:
            value = out[key]
            if not isinstance(value, str) or not value.strip():
                raise PreflightError(f"{where}: '{key}' must be a non-empty text")
            out[key] = value.strip()
    for key in ("requirement", "notes", "owner", "due_date"):
        if key in out:
            if out[key] is None:
                out[key] = ""
            elif not isinstance(out[key], str):
                raise PreflightError(f"{where}: '{key}' must be text, got {out[key]!r}")
    if "priority" in out:
        p = str(out["priority"]).strip().lower()
        if p not in PRIORITY_WEIGHTS:
            raise PreflightError(f"{where}: priority {out['priority']!r} is not one of {', '.join(PRIORITIES)}")
        out["priority"] = p
    if "status" in out:
        s = str(out["status"]).strip().lower().replace("-", "_").replace(" ", "_")
        if s in ("n/a", "na"):
            s = "not_applicable"
        if s not in STATUSES:
            raise PreflightError(f"{where}: status {out['status']!r} is not one of {', '.join(STATUSES)}")
        out["status"] = s
    if "maturity" in out and out["maturity"] is not None:
        m = out["maturity"]
        if isinstance(m, bool) or not isinstance(m, (int, float)) or float(m) not in MATURITIES:
            raise PreflightError(f"{where}: maturity {m!r} must be 0, 0.5 or 1")
        out["maturity"] = float(m)
    return out


def make_item(fields: dict, where: str = "item") -> Item:
    known = {f for f in Item.__dataclass_fields__}
    unknown = set(fields) - known
    if unknown:
        raise PreflightError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in ("category", "name"):
        if key not in fields:
            raise PreflightError(f"{where}: missing '{key}'")
    return Item(**validate_fields(fields, where))


@dataclass(frozen=True)
class MLTestScore:
    sections: dict
    final: float
    band: str
    rubric: str = RUBRIC

    def to_dict(self) -> dict:
        return {"sections": dict(self.sections), "final": self.final, "band": self.band, "rubric": self.rubric}


@dataclass(frozen=True)
class Score:
    weighted_score: float
    completion: float
    ready: bool
    readiness_threshold: float
    critical_blockers: tuple = ()
    by_category: dict = field(default_factory=dict)
    ml_test_score: MLTestScore | None = None
    done_weight: int = 0
    applicable_weight: int = 0

    def to_dict(self) -> dict:
        return {
            "weighted_score": self.weighted_score,
            "completion": self.completion,
            "ready": self.ready,
            "readiness_threshold": self.readiness_threshold,
            "critical_blockers": [dict(b) for b in self.critical_blockers],
            "by_category": {k: dict(v) for k, v in self.by_category.items()},
            "ml_test_score": self.ml_test_score.to_dict() if self.ml_test_score else None,
        }

    @property
    def reasons(self) -> list[str]:
        """Why the checklist is (not) ready, in plain words."""
        out = []
        if self.critical_blockers:
            out.append(f"{len(self.critical_blockers)} critical item(s) not done")
        if self.weighted_score < self.readiness_threshold:
            out.append(f"weighted score {self.weighted_score:.2f} is below the threshold {self.readiness_threshold:g}")
        return out or [f"no critical blockers and weighted score {self.weighted_score:.2f} >= {self.readiness_threshold:g}"]


def band_for(final: float) -> str:
    for upper, name in ML_TEST_SCORE_BANDS:
        if final <= upper:
            return name
    return EXCEPTIONAL


def ml_test_score(items: Iterable[Item]) -> MLTestScore | None:
    sections: dict[str, float] = {}
    for item in items:
        if item.maturity is None:
            continue
        value = item.maturity if item.applicable else 0.0
        sections[item.category] = sections.get(item.category, 0.0) + value
    if not sections:
        return None
    final = min(sections.values())
    return MLTestScore(sections=dict(sorted(sections.items())), final=final, band=band_for(final))


def score(items: Iterable[Item], readiness_threshold: float = 80.0) -> Score:
    items = list(items)
    applicable = [i for i in items if i.applicable]
    done = [i for i in applicable if i.status == "done"]
    weight_app = sum(i.weight for i in applicable)
    weight_done = sum(i.weight for i in done)
    weighted = round(100.0 * weight_done / weight_app, 2) if weight_app else 0.0
    completion = round(100.0 * len(done) / len(applicable), 2) if applicable else 0.0
    blockers = tuple(
        {"category": i.category, "name": i.name}
        for i in applicable
        if i.priority == "critical" and i.status != "done"
    )
    by_cat: dict[str, dict] = {}
    for i in items:
        c = by_cat.setdefault(i.category, {"done": 0, "applicable": 0, "total": 0})
        c["total"] += 1
        if i.applicable:
            c["applicable"] += 1
            if i.status == "done":
                c["done"] += 1
    ready = bool(applicable) and not blockers and weighted >= readiness_threshold
    return Score(weighted_score=weighted, completion=completion, ready=ready,
                 readiness_threshold=float(readiness_threshold), critical_blockers=blockers,
                 by_category=dict(sorted(by_cat.items())), ml_test_score=ml_test_score(items),
                 done_weight=weight_done, applicable_weight=weight_app)


# ---------------------------------------------------------------- import / export

def parse_checklist(data, source: str = "checklist") -> list[Item]:
    """Turn the checklist JSON document ``{"items": [...]}`` into items."""
    if isinstance(data, dict) and "items" in data:
        raw = data["items"]
    else:
        raise InputFileError(source, 'expected a JSON object with an "items" list')
    if not isinstance(raw, list):
        raise InputFileError(source, '"items" must be a list')
    items = []
    for n, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise InputFileError(source, f"item {n} is not an object")
        allowed = set(EXPORT_FIELDS) | {"owner", "due_date"}
        extra = set(entry) - allowed
        if extra:
            raise InputFileError(source, f"item {n}: unknown field(s) {', '.join(sorted(extra))}")
        try:
            items.append(replace(make_item(entry, where=f"item {n}"), position=n))
        except PreflightError as exc:
            raise InputFileError(source, str(exc)) from None
    return items


def load_checklist(path) -> list[Item]:
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such file")
    if path.is_dir():
        raise InputFileError(path, "is a directory, not a checklist JSON file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(path, "is not UTF-8 text (a checklist must be a JSON file)") from None
    if not text.strip():
        raise InputFileError(path, "is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"is not valid JSON ({exc.msg})", line=exc.lineno) from None
    return parse_checklist(data, source=str(path))


def export_document(items: Iterable[Item]) -> dict:
    return {"items": [i.export_dict() for i in items]}


def save_checklist(items: Iterable[Item], path) -> None:
    path = Path(path)
    if path.is_dir():
        raise PreflightError(f"{path}: is a folder; give a file name for the checklist")
    try:
        path.write_text(json.dumps(export_document(items), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except PermissionError:
        raise PreflightError(f"{path}: permission denied; choose a folder you can write to") from None
    except OSError as exc:
        raise PreflightError(f"{path}: cannot write the checklist ({exc.strerror or exc})") from None


def maturity_changes(item: Item, maturity: float | None) -> dict:
    """Field changes for setting an item's maturity, keeping the status consistent.

    A maturity of 0.5 or 1 means the test is done (manually or automated), so an
    open item becomes done; a maturity of 0 re-opens a done item.
    """
    changes: dict = {"maturity": maturity}
    if maturity is not None and maturity > 0 and item.status == "open":
        changes["status"] = "done"
    elif maturity == 0 and item.status == "done":
        changes["status"] = "open"
    return changes
