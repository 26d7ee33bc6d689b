"""Hard-coded absolute paths in string literals: POSIX, Windows drive and UNC paths.

A POSIX string counts as a path when it starts at a well-known root (``/home/``, ``/Users/``,
``/mnt/`` ...) or has at least two segments and a file extension (``/srv/x/model.pkl``); so URL
routes such as ``/api/v1/predict`` and a lone ``/`` are not flagged.  Docstrings are not code
and are left alone.
"""

from __future__ import annotations

import re

from core.codeaudit.model import Chunk, Finding, printable, string_constants

ROOTS = ("home", "Users", "mnt", "media", "data", "tmp", "opt", "var", "srv", "etc", "usr", "root", "Volumes",
         "private", "workspace", "content", "kaggle", "dbfs", "gpfs", "scratch", "lustre", "net")
_POSIX_ROOT = re.compile(r"^/(?:%s)/[^\s:*?\"<>|]*$" % "|".join(ROOTS))
_POSIX_FILE = re.compile(r"^/[\w.\-~+@ ]+(?:/[\w.\-~+@ ]+)+\.[A-Za-z0-9]{1,8}$")
_WINDOWS = re.compile(r"^[A-Za-z]:[\\/][^\n\r*?\"<>|]*$")
_UNC = re.compile(r"^\\\\[^\\/\s]+[\\/][^\\/\s]+")

SUGGESTION = ("read the location from a setting, an environment variable or a command-line argument, and build "
              "paths with pathlib relative to it")


def path_style(text: str) -> str | None:
    """"POSIX", "Windows" or "UNC" when ``text`` is a hard-coded absolute path, else None."""
    text = text.strip()
    if len(text) < 3 or "\n" in text:
        return None
    if text.startswith("\\\\"):
        return "UNC" if _UNC.match(text) else None
    if _WINDOWS.match(text):
        return "Windows"
    if text.startswith("/") and (_POSIX_ROOT.match(text) or _POSIX_FILE.match(text)):
        return "POSIX"
    return None


def check(chunk: Chunk, path: str) -> list[Finding]:
    out = []
    for node in string_constants(chunk):
        style = path_style(node.value)
        if style:
            shown = printable(node.value)
            out.append(Finding(path, chunk.cell, node.lineno, "absolute_path", "medium",
                               f"hard-coded {style} path \"{shown}\": it exists only on one machine", SUGGESTION))
    return out
