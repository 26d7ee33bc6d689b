"""Dependencies: imports that no requirement provides, and requirements without an exact version.

Requirements come from a ``requirements.txt`` (one requirement a line; ``-r``/``-e``/options and
comments ignored) or a ``pyproject.toml`` (``[project] dependencies`` and ``optional-dependencies``,
or ``[tool.poetry]`` dependencies), read with :mod:`tomllib`.  Names compare in PEP 503 form
(lowercase, runs of ``-_.`` as one ``-``).  An import is matched to the distributions that provide
it through :data:`IMPORT_TO_DIST` (``sklearn`` -> ``scikit-learn``), else by its own name.
Standard-library modules (:data:`sys.stdlib_module_names`), relative imports and the scanned
folder's own modules need no requirement.  A requirement is pinned when it fixes one version
(``==``/``===``, or a direct ``@`` reference); anything else can change under the code.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass

from core.codeaudit.model import Finding, printable

IMPORT_TO_DIST = {
    "sklearn": ("scikit-learn",), "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python",
                                          "opencv-contrib-python-headless"),
    "yaml": ("PyYAML",), "PIL": ("Pillow",), "bs4": ("beautifulsoup4",), "skimage": ("scikit-image",),
    "dateutil": ("python-dateutil",), "dotenv": ("python-dotenv",), "jwt": ("PyJWT",),
    "Crypto": ("pycryptodome", "pycryptodomex"), "serial": ("pyserial",), "docx": ("python-docx",),
    "pptx": ("python-pptx",), "OpenSSL": ("pyOpenSSL",), "umap": ("umap-learn",), "fitz": ("PyMuPDF",),
    "MySQLdb": ("mysqlclient",), "psycopg2": ("psycopg2", "psycopg2-binary"), "pkg_resources": ("setuptools",),
    "google": ("protobuf", "google-cloud-storage", "google-api-python-client", "google-auth"),
    "attr": ("attrs",), "magic": ("python-magic",), "Levenshtein": ("python-Levenshtein", "Levenshtein"),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos"),
    "torch": ("torch",), "lightgbm": ("lightgbm",), "xgboost": ("xgboost",), "catboost": ("catboost",),
    "git": ("GitPython",), "zmq": ("pyzmq",), "win32api": ("pywin32",), "win32com": ("pywin32",),
    "ruamel": ("ruamel.yaml",), "sentencepiece": ("sentencepiece",), "tables": ("tables",),
    "gi": ("PyGObject",), "usb": ("pyusb",), "Bio": ("biopython",), "multipart": ("python-multipart",),
    "jose": ("python-jose",), "slugify": ("python-slugify",), "kafka": ("kafka-python",),
}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    name: str          # as written
    spec: str          # the whole requirement text
    line: int | None
    pinned: bool


@dataclass(frozen=True)
class Requirements:
    path: str
    entries: tuple[Requirement, ...]
    project: str | None = None   # the project's own name (pyproject.toml)

    @property
    def names(self) -> set[str]:
        return {canonical_name(r.name) for r in self.entries}


def _pinned(spec: str) -> bool:
    """One exact version (``==1.2.3``, ``===1.2.3``) or a direct reference (``name @ url``)."""
    body = spec.split(";", 1)[0]
    if re.search(r"\s@\s*\S", body):
        return True
    clauses = re.findall(r"(===|==|~=|!=|<=|>=|<|>)\s*([^,\s]+)", body)
    return len(clauses) == 1 and clauses[0][0] in ("==", "===") and "*" not in clauses[0][1]


_OP = r"(?:===|==|~=|!=|<=|>=|<|>)\s*[^,;\s()]+"
_PEP508 = re.compile(r"^\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[\w\s,.-]*\])?\s*"
                     r"(?:@\s*\S+\s*|\(?\s*(?:%s(?:\s*,\s*%s)*)?\s*\)?)\s*(?:;.*)?$" % (_OP, _OP))
_URL_CREDENTIALS = re.compile(r"(://)[^/@\s]+@")


class NotARequirement(ValueError):
    """A line of a requirements file that is not a requirement (the caller names the file)."""


def _requirement(spec: str, line: int | None) -> Requirement:
    if not _PEP508.match(spec):
        raise NotARequirement(f"line {line} is not a requirement (a name, optional [extras], version "
                              "specifiers and ; markers)" if line else "an entry is not a requirement")
    shown = printable(_URL_CREDENTIALS.sub(r"\1***@", spec.strip()), 80)
    return Requirement(_NAME.match(spec).group(1), shown, line, _pinned(spec))


def parse_requirements_txt(text: str, path: str) -> Requirements:
    """Raises :class:`NotARequirement` on a line that is not one (for example a Python file given by mistake)."""
    entries = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http:", "https:", "file:", ".", "/")):
            continue
        entries.append(_requirement(line, n))
    return Requirements(path, tuple(entries))


def _line_of(text: str, needle: str) -> int | None:
    pos = text.find(needle)
    return text.count("\n", 0, pos) + 1 if pos >= 0 else None


def parse_pyproject(text: str, path: str) -> Requirements:
    """Raises ``tomllib.TOMLDecodeError`` on malformed TOML, :class:`NotARequirement` on a bad entry."""
    data = tomllib.loads(text)
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    specs = [s for s in project.get("dependencies") or [] if isinstance(s, str)]
    for group in (project.get("optional-dependencies") or {}).values():
        specs += [s for s in group or [] if isinstance(s, str)]
    entries = [_requirement(s, _line_of(text, f'"{s}"') or _line_of(text, s)) for s in specs]
    poetry = ((data.get("tool") or {}).get("poetry") or {}) if isinstance(data.get("tool"), dict) else {}
    groups = [poetry.get("dependencies") or {}, poetry.get("dev-dependencies") or {}]
    groups += [(g or {}).get("dependencies") or {} for g in (poetry.get("group") or {}).values()]
    for deps in groups:
        for name, value in deps.items():
            if name.lower() == "python":
                continue
            version = value.get("version", "") if isinstance(value, dict) else str(value)
            exact = bool(re.fullmatch(r"=?=?\s*\d[\w.]*", version.strip())) or (
                isinstance(value, dict) and bool(value.get("rev") or value.get("tag")))
            entries.append(Requirement(name, f"{name} {version}".strip(), _line_of(text, f"{name} ="), exact))
    own = project.get("name") or poetry.get("name")
    return Requirements(path, tuple(entries), str(own) if own else None)


def parse(text: str, path: str) -> Requirements:
    """A requirements file of either kind (``*.toml`` is read as pyproject.toml)."""
    if str(path).lower().endswith(".toml"):
        return parse_pyproject(text, path)
    return parse_requirements_txt(text, path)


def is_stdlib(module: str) -> bool:
    return module in sys.stdlib_module_names or module == "__future__"


def providers(module: str) -> tuple[str, ...]:
    return IMPORT_TO_DIST.get(module, (module,))


def check(imports: list[tuple[str, int | None, int, str]], reqs: Requirements | None, local: set[str]) -> list[Finding]:
    """``imports`` are ``(path, cell, line, top-level module)``; one finding per unlisted module, at its first use."""
    if reqs is None:
        return []
    listed = reqs.names
    own = {canonical_name(reqs.project)} if reqs.project else set()
    first: dict[str, tuple] = {}
    files: dict[str, set] = {}
    for path, cell, line, module in imports:
        if is_stdlib(module) or module in local or canonical_name(module) in own:
            continue
        if any(canonical_name(d) in listed for d in providers(module)):
            continue
        first.setdefault(module, (path, cell, line))
        files.setdefault(module, set()).add(path)
    out = []
    for module, (path, cell, line) in sorted(first.items(), key=lambda kv: kv[0].lower()):
        dists = providers(module)
        name = dists[0] if len(dists) == 1 else " or ".join(dists[:2])
        n = len(files[module])
        out.append(Finding(path, cell, line, "undeclared_import", "medium",
                           f"imports {module!r} ({'distribution ' + name if name != module else 'a package'}), "
                           f"which {reqs.path} does not list (imported in {n} file{'s' if n != 1 else ''})",
                           f"add {dists[0]}==<the version you tested with> to {reqs.path}"))
    for req in reqs.entries:
        if not req.pinned:
            out.append(Finding(reqs.path, None, req.line, "unpinned_requirement", "low",
                               f"requirement {req.spec!r} does not fix a version: a new release can change results",
                               f"pin the version you tested with ({req.name}==X.Y.Z), or use a lock file"))
    return out
