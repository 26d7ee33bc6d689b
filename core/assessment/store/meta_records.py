"""The assessment record: its name, system, owner, template and thresholds (the ``assessment`` table)."""

from __future__ import annotations

import json

from core import __version__
from core.errors import AssessmentFileError, PreflightError


class MetaMixin:
    """Reading and updating the assessment record; every change is audited in its transaction."""

    # -------------------------------------------------------------------- meta
    META_FIELDS = ("name", "system", "owner", "template", "readiness_threshold", "drift_share_threshold", "settings")

    def meta(self) -> dict:
        row = self.conn.execute("SELECT name, system, owner, created_utc, template, readiness_threshold, "
                                "drift_share_threshold, settings FROM assessment WHERE id=1").fetchone()
        if row is None:
            raise AssessmentFileError(f"{self.path}: the assessment record is missing")
        keys = ("name", "system", "owner", "created_utc", "template", "readiness_threshold",
                "drift_share_threshold", "settings")
        out = dict(zip(keys, row))
        out["settings"] = json.loads(out["settings"] or "{}")
        out["schema_version"] = self.schema_version
        out["preflight_version"] = __version__
        return out

    def update_meta(self, **changes) -> dict:
        unknown = set(changes) - set(self.META_FIELDS)
        if unknown:
            raise ValueError(f"unknown assessment field(s): {', '.join(sorted(unknown))}")
        for key in ("readiness_threshold", "drift_share_threshold"):
            if key in changes:
                value = float(changes[key])
                upper = 100 if key == "readiness_threshold" else 1
                if not 0 <= value <= upper:
                    raise PreflightError(f"{key} must be between 0 and {upper}, got {value:g}")
                changes[key] = value
        with self.transaction():
            before = self.meta()
            for k, v in changes.items():
                stored = json.dumps(v) if k == "settings" else v
                self.conn.execute(f"UPDATE assessment SET {k}=? WHERE id=1", (stored,))
            after = self.meta()
            diff_before = {k: before[k] for k in changes}
            diff_after = {k: after[k] for k in changes}
            if diff_before != diff_after:
                self.audit("update", "assessment", diff_before, diff_after)
        return after
