"""Preflight's headless command line: ``python main.py <command> ... [--json]``.

Conventions every command follows:

* ``--json`` prints exactly one JSON object on stdout; otherwise a readable table.
* Exit 0: ran and passed.  Exit 1: ran and found a problem.  Exit 2: unusable
  input or usage, with one ``error: ...`` line on stderr and no traceback.
* Analysis commands accept ``--assessment FILE`` to record their run (with an
  audit event) in that assessment.

Each feature's commands live in its ``cli.py`` (``register(subparsers)``), found
through the feature registry (:mod:`core.features`).  This package holds only the
driver and the shared output helpers (:mod:`core.cli.output`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import threading

from core.errors import Cancelled, PreflightError

#: Optional writers injected by the composition root (e.g. PDF through Qt), keyed by file suffix.
EXTRA_WRITERS: dict = {}


class UsageError(PreflightError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="preflight", description="Preflight: is this ML system ready for production?")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    from core.features import feature_modules

    for module in feature_modules("cli"):
        module.register(sub)
    return parser


def preload(args) -> threading.Thread | None:
    """Import the libraries the command will need in a background thread, so that their load
    time overlaps the command's own start (reading its input files).

    A feature's ``cli.py`` may offer ``preload(args) -> module names``; the command imports
    them itself when it needs them, and simply finds them loaded (or waits for the import in
    progress).  A failed import here is ignored: the command's own import reports it.

    Name third-party libraries only, never Preflight's own modules: a library never imports
    Preflight, so this thread cannot hold a module lock that the command's own imports wait
    for while it waits for one of theirs (Python reports such a cycle as a deadlock error).
    """
    module = sys.modules.get(getattr(args.handler, "__module__", ""))
    names = tuple(module.preload(args)) if module is not None and hasattr(module, "preload") else ()
    if not names:
        return None

    def load():
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - reported by the command's own import
                return

    thread = threading.Thread(target=load, name="preflight-preload", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    loading = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 2
        loading = preload(args)
        return int(args.handler(args))
    except PreflightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Cancelled:
        print("error: cancelled", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except MemoryError:
        print("error: not enough memory for this input", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line, never a traceback
        print(f"error: internal error ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 2
    finally:
        if loading is not None:
            loading.join()  # never leave an import running while the interpreter shuts down
