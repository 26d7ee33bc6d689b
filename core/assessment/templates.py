"""Checklist templates shipped in ``resources/templates``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.assessment.checklist import Item, parse_checklist
from core.errors import PreflightError

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "resources" / "templates"
DEFAULT_TEMPLATE = "seed"


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    citation: str
    items: tuple[Item, ...]


def names() -> list[str]:
    return sorted(p.stem for p in TEMPLATE_DIR.glob("*.json"))


def load(name: str) -> Template:
    path = TEMPLATE_DIR / f"{name}.json"
    if not path.is_file():
        raise PreflightError(f"unknown template {name!r}; choose one of: {', '.join(names())}")
    data = json.loads(path.read_text(encoding="utf-8"))
    return Template(name=name, title=data.get("title", name), description=data.get("description", ""),
                    citation=data.get("citation", ""), items=tuple(parse_checklist(data, source=str(path))))
