"""Where Preflight keeps its own files: the demo assessment and the recent-files list.

``PREFLIGHT_HOME`` overrides the platform's user data directory (tests use it so
they never touch the real one).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import platformdirs

MAX_RECENT = 10


def data_dir() -> Path:
    override = os.environ.get("PREFLIGHT_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir("Preflight", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_path() -> Path:
    return data_dir() / "demo.preflight"


def _recent_file() -> Path:
    return data_dir() / "recent.json"


def recent_files() -> list[str]:
    try:
        data = json.loads(_recent_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [p for p in data if isinstance(p, str)][:MAX_RECENT] if isinstance(data, list) else []


def remember(path) -> list[str]:
    path = str(Path(path).resolve())
    items = [path] + [p for p in recent_files() if p != path]
    items = items[:MAX_RECENT]
    tmp = _recent_file().with_suffix(".tmp")
    tmp.write_text(json.dumps(items, indent=1), encoding="utf-8")
    tmp.replace(_recent_file())
    return items
