"""Which files the Data tab's schema was chosen for, and whether it may validate the current file.

A schema is never applied to a file the user did not choose it for:

* a schema inferred from a reference file applies while that reference file is chosen;
* a schema the user loaded (or that was stored in the assessment) applies to the current file
  it was loaded for, and to another current file only when that file has every column the
  schema names;
* the user can always say "use it for this file", which ties the schema to the current file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def same_file(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return str(a) == str(b)


def file_name(path: str | None) -> str:
    return str(path or "").replace("\\", "/").rsplit("/", 1)[-1]


@dataclass
class SchemaScope:
    origin: str = ""              # "inferred", "loaded" or "stored"; "" = no schema
    reference: str | None = None  # the reference file an inferred schema came from
    accepted_for: str | None = None  # the current file the user chose this schema for

    def verdict(self, columns, reference_path: str, current_path: str, current_columns) -> tuple[bool, str]:
        """(may validate the current file, why not / "" when it may)."""
        if not columns:
            return False, ""
        if not current_path:
            return False, ""
        if same_file(self.accepted_for, current_path):
            return True, ""
        if self.origin == "inferred":
            if same_file(self.reference, reference_path):
                return True, ""
            return False, (f"This schema was inferred from {file_name(self.reference)}, not from the reference now "
                           f"chosen. Infer it again, load a schema, or use it for {file_name(current_path)} anyway.")
        if current_columns is None:
            return False, f"Reading {file_name(current_path)} to check that the schema fits it..."
        missing = [c for c in columns if c not in set(current_columns)]
        if not missing:
            return True, ""
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        return False, (f"This schema was chosen for other files: {file_name(current_path)} lacks {len(missing)} of "
                       f"its columns ({shown}). Infer or load a schema for it, or use this one anyway.")
