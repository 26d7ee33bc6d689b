"""Preflight: composition root.

* no arguments: open the GUI on the demo assessment;
* a ``.preflight`` path: open that file in the GUI;
* a subcommand: run headless (see ``python main.py --help``).
"""

from __future__ import annotations

import os
import sys


def _gui_requested(argv: list[str]) -> bool:
    return not argv or (len(argv) == 1 and argv[0].endswith(".preflight") and not argv[0].startswith("-"))


def _display_available() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _gui_requested(argv):
        if not _display_available():
            print("error: no display found; use the headless CLI (python main.py --help) or set "
                  "QT_QPA_PLATFORM=offscreen", file=sys.stderr)
            return 2
        from ui.app import run
        return run(argv[0] if argv else None)
    from core import cli
    from ui.report.pdf import register_cli_writers
    register_cli_writers(cli.EXTRA_WRITERS)
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
