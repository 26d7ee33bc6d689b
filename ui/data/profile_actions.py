"""The Data tab's "Profile files" menu: build a reference profile file from the reference table, export a
profile stored in the assessment as a file, and import a profile file into the assessment.

Building and writing run in the tab's task queue (with progress and Cancel); storing an imported profile
is one quick transaction on the UI thread.  The outcome is said in one line under the file boxes: the
file, its rows and columns, the engine and the SHA-256.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QToolButton

from core.drift.profile_build import build_profile_file
from core.drift.profile_io import export_stored, import_into, read_checked
from ui.common.dialogs import message_label

NOTE_STYLE = "color:#1a7f37"
PROFILE_FILTER = "Reference profiles (*.profile.json *.json);;All files (*)"


class ProfileActions:
    """Mixed into DataTab: ``profile_button`` (a menu) and ``profile_note`` (the outcome line)."""

    def setup_profile_actions(self) -> None:
        self.profile_note = message_label("profileNote", NOTE_STYLE)
        self.profile_button = QToolButton()
        self.profile_button.setText("Profile files")
        self.profile_button.setToolTip("Reference profiles: the portable summary of a reference table "
                                       "(bins, category counts, moments) that drift can compare with")
        self.profile_button.setPopupMode(QToolButton.InstantPopup)
        menu = QMenu(self.profile_button)
        self.build_profile_action = menu.addAction("Save the reference table as a profile file...",
                                                   self.ask_build_profile)
        self.export_profile_action = menu.addAction("Export a profile stored in the assessment...",
                                                    self.ask_export_profile)
        self.import_profile_action = menu.addAction("Import a profile file into the assessment...",
                                                    self.ask_import_profile)
        menu.aboutToShow.connect(self.update_profile_actions)
        self.profile_button.setMenu(menu)
        self.ref_box.add_widget(self.profile_button)

    def update_profile_actions(self) -> None:
        table = bool(self.reference_path) and self.ref_profile is None and not self.unreadable["reference"]
        self.build_profile_action.setEnabled(table and not self.busy)
        stored = self.context.store is not None and bool(self.context.store.profiles())
        self.export_profile_action.setEnabled(stored and not self.busy)
        self.import_profile_action.setEnabled(self.context.store is not None and not self.busy)

    def _say(self, text: str) -> None:
        self.error_label.setVisible(False)
        self.profile_note.setText(text)
        self.profile_note.setVisible(True)
        self.context.status_message.emit(text)

    # ------------------------------------------------------------ build
    def ask_build_profile(self) -> None:
        suggested = str(Path(self.reference_path).with_suffix("")) + ".profile.json"
        out, _ = QFileDialog.getSaveFileName(self, "Save the reference profile", suggested, PROFILE_FILTER)
        if out:
            self.build_profile(out)

    def build_profile(self, out: str) -> None:
        """Profile the reference table into the file ``out`` (engine chosen by size, as drift does)."""
        self.profile_note.setVisible(False)
        overrides = self.inputs.overrides()
        self.run_task("Building the reference profile", build_profile_file, self.reference_path, out,
                      overrides=overrides or None, on_result=self._profile_built,
                      error_title="Cannot build the profile")

    def _profile_built(self, summary: dict) -> None:
        engine = {"duckdb": "out of core (DuckDB)", "memory": "in memory"}.get(summary["engine"], summary["engine"])
        self._say(f"Profile written: {Path(summary['out']).name} · {summary['rows']:,} rows · "
                  f"{summary['columns']} columns · {engine} · SHA-256 {summary['sha256'][:16]}...")

    # ------------------------------------------------------------ export
    def ask_export_profile(self) -> None:
        profiles = self.context.store.profiles()
        if not profiles:
            return
        labels = [f"#{p['id']} {p['name']} ({(p.get('created_utc') or '')[:10]})" for p in reversed(profiles)]
        chosen = labels[0]
        if len(labels) > 1:
            chosen, ok = QInputDialog.getItem(self, "Export a reference profile", "Profile:", labels, 0, False)
            if not ok:
                return
        pid = list(reversed(profiles))[labels.index(chosen)]["id"]
        folder = Path(self.context.store.path).parent  # beside the assessment, not the working directory
        out, _ = QFileDialog.getSaveFileName(self, "Export the reference profile",
                                             str(folder / f"profile-{pid}.profile.json"), PROFILE_FILTER)
        if out:
            self.export_profile(pid, out)

    def export_profile(self, profile_id: int, out: str) -> None:
        self.profile_note.setVisible(False)
        stored = self.context.store.profile(profile_id)  # one row, read on the UI thread
        self.run_task("Exporting the reference profile", export_stored, stored, out, self.context.store.path,
                      on_result=lambda s: self._say(f"Profile exported: {Path(s['out']).name} · {s['rows']:,} "
                                                    f"rows · {s['columns']} columns · SHA-256 {s['sha256'][:16]}..."),
                      error_title="Cannot export the profile")

    # ------------------------------------------------------------ import
    def ask_import_profile(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a reference profile", "", PROFILE_FILTER)
        if path:
            self.import_profile(path)

    def import_profile(self, path: str) -> None:
        self.profile_note.setVisible(False)
        self.run_task(f"Reading {Path(path).name}", read_checked, path,
                      on_result=lambda r: self._profile_read_for_import(path, *r),
                      error_title="Cannot import the profile")

    def _profile_read_for_import(self, path: str, doc: dict, sha: str) -> None:
        out = import_into(self.context.store, doc, path, sha)
        self._say(f"Profile imported as #{out['id']} {out['name']} · {out['rows']:,} rows · "
                  f"built by {doc['provenance'].get('engine', '?')} · SHA-256 {sha[:16]}...")
