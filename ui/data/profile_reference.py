"""The Data tab's reference as a profile file: a reference profile JSON chosen in the Reference box.

The profile is read and checked on the worker; drift then runs against it through the same task
queue as a drift between two tables (core.drift.cli_profile.drift_with_profile_file), and is stored
like any drift run.
"""

from __future__ import annotations

from pathlib import Path

from core.drift.cli_profile import drift_with_profile_file
from core.drift.profile_file import is_profile_file, read_profile_file
from core.errors import PreflightError


def read_profile(path, *, progress=None, cancelled=None):
    """(profile document or None, "" or why the file is not a usable profile, naming the file and column).
    An unusable file is a normal outcome here: the Data tab shows the reason under the file, once."""
    try:
        doc, _sha = read_profile_file(path)
    except PreflightError as exc:
        return None, str(exc)
    if progress:
        progress(1.0)
    return doc, ""


def describe_profile(doc: dict) -> str:
    prov = doc.get("provenance") or {}
    return (f"reference profile · {doc['rows']:,} rows · {len(doc['columns'])} columns · "
            f"built by {prov.get('engine', '?')} from {Path(str(prov.get('source', '?'))).name}")


class ProfileReference:
    """Mixed into DataTab: ``ref_profile`` is the chosen profile document, or None for a table."""

    ref_profile: dict | None = None

    def load_profile(self, path: str) -> bool:
        """Read ``path`` as the reference profile when it is one; False when it is a data table."""
        self.ref_profile = None
        if not is_profile_file(path):
            return False
        self.tables["reference"] = None
        self.unreadable["reference"] = "the profile is still being read"
        self.inputs.show_table("reference", None)
        self.ref_box.set_info("reading the profile...")
        self.run_task(f"Reading {Path(path).name}", read_profile, path,
                      on_result=lambda r: self._profile_read(path, *r), error_title="Cannot read the reference profile", replace="preview:reference")
        self._update_buttons()
        return True

    def _profile_read(self, path: str, doc: dict | None, problem: str) -> None:
        if self.ref_box.path != path:
            return
        if problem:
            self._preview_failed("reference", path, problem)
            return
        self.ref_profile = doc
        self.unreadable["reference"] = ""
        self.ref_box.set_info(describe_profile(doc))
        self._update_buttons()

    def run_drift_on_profile(self, settings) -> None:
        self.run_task("Computing drift against the profile", drift_with_profile_file, self.current_path,
                      self.reference_path, overrides=dict(settings.kind_overrides), columns=settings.columns,
                      method=settings.method, threshold=settings.threshold, drift_share=settings.drift_share,
                      multivariate=settings.multivariate, on_result=self._drift_done, error_title="Drift failed")
