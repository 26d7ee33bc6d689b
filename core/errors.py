"""Error types shared by the core engine, the CLI and the GUI.

A :class:`PreflightError` is a problem with the user's input (a file, a column,
a setting).  Its message is written for a person: it names the file, row or
column and says what is wrong.  The CLI prints it as one ``error: ...`` line and
exits 2; the GUI shows it in a dialog.  Anything else is a bug.
"""


class PreflightError(Exception):
    """Unusable input: the message is shown to the user as-is."""


class InputFileError(PreflightError):
    """A data or checklist file that cannot be read."""

    def __init__(self, path, problem: str, line: int | None = None):
        self.path = str(path)
        self.problem = problem
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


class AssessmentFileError(PreflightError):
    """A .preflight file that is missing, corrupt, or from a newer Preflight."""


class Cancelled(Exception):
    """Raised inside a long computation when its ``cancelled()`` callable says so."""


def check_cancel(cancelled) -> None:
    """Raise :class:`Cancelled` when the caller asked to stop."""
    if cancelled is not None and cancelled():
        raise Cancelled()
