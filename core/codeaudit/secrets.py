"""Secrets in literals: AWS keys, bearer tokens, JSON web tokens, private keys, password/token assignments and
high-entropy strings.

A literal bound to a name that ends in a secret word (``password = "..."``, ``f(token="...")``,
``{"api_key": "..."}``; not ``token_type``) counts when it is at least 4 characters, has no whitespace (prose is not a password) and is not a
placeholder or a template (``"changeme"``, ``"${TOKEN}"``).

A secret is high severity.  Its value never leaves this module: messages say what was found and
how long it is, never any of its characters, and each secret literal's position is returned as a
:class:`~core.codeaudit.model.Redaction` so that every view of the source can mask it.
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from collections import Counter

from core.codeaudit.model import Chunk, Finding, Redaction, string_constants

_AWS_KEY = re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")
_BEARER = re.compile(r"\bBearer\s+[A-Za-z0-9\-._~+/]{16,}=*", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "credential",
                           "credentials"})
_SECRET_PAIRS = frozenset({("api", "key"), ("access", "key"), ("secret", "key"), ("private", "key"), ("auth", "key"),
                           ("client", "secret"), ("auth", "token"), ("signing", "key"), ("encryption", "key")})
_NAME_PARTS = re.compile(r"[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])")
_RUN = re.compile(r"[A-Za-z0-9+/]+")
PLACEHOLDERS = frozenset({"", "none", "null", "changeme", "change-me", "password", "secret", "token", "xxx", "todo",
                          "<password>", "<token>", "your-token-here", "your_api_key", "..."})

#: strings at least this long with at least this much Shannon entropy (bits per character) count as secrets
ENTROPY_MIN_LENGTH = 24
ENTROPY_BITS = 4.5

SUGGESTION = ("remove it from the code and rotate it: it is in the file's history; read secrets from the "
              "environment or a secrets manager")


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _ascending_run(text: str, length: int = 5) -> bool:
    """Whether ``text`` holds ``length`` characters in a row that follow each other (``abcde``, ``01234``):
    an alphabet or character set, not a random key."""
    run = 1
    for a, b in zip(text, text[1:]):
        run = run + 1 if ord(b) - ord(a) == 1 else 1
        if run >= length:
            return True
    return False


def _high_entropy(text: str) -> bool:
    """A run of at least 24 base64 characters (letters, digits, ``+``, ``/``) with letters and digits and
    at least 4.5 bits of entropy a character; paths and character sets are left out."""
    for run in _RUN.findall(text):
        if len(run) < ENTROPY_MIN_LENGTH or _ascending_run(run) or run.count("/") > len(run) // 8:
            continue
        if any(c.isdigit() for c in run) and any(c.isalpha() for c in run) and entropy(run) >= ENTROPY_BITS:
            return True
    return False


def secret_name(name: str | None) -> bool:
    """Whether a variable, keyword or key name says it holds a secret: it ends in a secret word
    (``password``, ``db_token``, ``apiKey``, ``CLIENT_SECRET``), not merely contains one (``token_type``)."""
    parts = [p.lower() for p in _NAME_PARTS.split(name or "") if p]
    if not parts:
        return False
    return parts[-1] in _SECRET_WORDS or (len(parts) >= 2 and (parts[-2], parts[-1]) in _SECRET_PAIRS)


def _name_of(target) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        return str(target.slice.value)
    return None


def bound_names(chunk: Chunk) -> dict[int, str]:
    """``id(literal)`` -> the name it is bound to: ``x = '...'``, ``f(x='...')``, ``{'x': '...'}``."""
    out: dict[int, str] = {}
    for node in chunk.nodes:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            name = next((n for n in map(_name_of, targets) if n), None)
            if name:
                out[id(node.value)] = name
        elif isinstance(node, ast.keyword) and node.arg:
            out[id(node.value)] = node.arg
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    out[id(value)] = key.value
    return out


def classify(text: str, bound_to: str | None = None) -> str | None:
    """What kind of secret ``text`` is (a short description), or None."""
    if _PRIVATE_KEY.search(text):
        return "a private key block"
    if _AWS_KEY.search(text):
        return "an AWS access key"
    if _BEARER.search(text):
        return "a bearer token"
    if _JWT.search(text):
        return "a JSON web token"
    value = text.strip()
    if secret_name(bound_to) and value.lower() not in PLACEHOLDERS and len(value) >= 4 \
            and not any(c.isspace() for c in value) and not value.startswith(("$", "{", "<", "%")):
        return f"a literal assigned to {bound_to!r}"
    if _high_entropy(value):
        return "a high-entropy string (a key or token?)"
    return None


def check(chunk: Chunk, path: str) -> tuple[list[Finding], list[Redaction]]:
    findings, redactions = [], []
    names = None
    for node in string_constants(chunk):
        if names is None:
            names = bound_names(chunk)
        what = classify(node.value, names.get(id(node)))
        if what is None:
            continue
        findings.append(Finding(path, chunk.cell, node.lineno, "secret", "high",
                                f"secret in a string literal: {what} ({len(node.value)} characters, redacted)",
                                SUGGESTION))
        redactions.append(Redaction(path, chunk.cell, node.lineno, node.col_offset,
                                    node.end_lineno or node.lineno, node.end_col_offset or node.col_offset))
    return findings, redactions


def mask(lines: list[str], spans) -> list[str]:
    """``lines`` (1-based ``spans`` of ``(line, col, end_line, end_col)``) with every secret character replaced by •.

    Columns are UTF-8 byte offsets (as :mod:`ast` gives them); overlapping spans are merged first.  A span
    that does not fit the text masks its whole lines, so a secret is never shown because a file changed
    after the scan.
    """
    ranges: dict[int, list[tuple[int, int]]] = {}
    raws = [line.encode("utf-8") for line in lines]
    for line, col, end_line, end_col in spans:
        for n in range(max(1, line), min(len(raws), end_line) + 1):
            size = len(raws[n - 1])
            start = col if n == line else 0
            stop = end_col if n == end_line else size
            if not (0 <= start <= stop <= size):
                start, stop = 0, size
            ranges.setdefault(n, []).append((start, stop))
    out = list(lines)
    for n, parts in ranges.items():
        raw = raws[n - 1]
        pieces, pos = [], 0
        for start, stop in sorted(parts):
            start = max(start, pos)
            if stop <= start:
                continue
            pieces.append(raw[pos:start].decode("utf-8", "replace"))
            pieces.append("•" * len(raw[start:stop].decode("utf-8", "replace")))
            pos = stop
        pieces.append(raw[pos:].decode("utf-8", "replace"))
        out[n - 1] = "".join(pieces)
    return out


def token_spans(source: str) -> list[tuple[int, int, int, int, str]]:
    """Secret string tokens of source that may not parse (a syntax error, a magic line), found with
    :mod:`tokenize`: ``(line, col, end_line, end_col, what)`` with columns as UTF-8 byte offsets.

    Tokenizing stops at the first error it cannot pass; whatever it read up to there is checked.
    """
    lines = source.split("\n")

    def byte_col(line: int, col: int) -> int:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return len(text[:col].encode("utf-8"))

    out = []
    previous: list = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING:
                bound = None
                if len(previous) >= 2 and previous[-1].string in ("=", ":") and previous[-2].type in (
                        tokenize.NAME, tokenize.STRING):
                    bound = previous[-2].string.strip("'\"")
                try:
                    value = ast.literal_eval(tok.string)
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    value = tok.string
                what = classify(value if isinstance(value, str) else tok.string, bound)
                if what:
                    (l1, c1), (l2, c2) = tok.start, tok.end
                    out.append((l1, byte_col(l1, c1), l2, byte_col(l2, c2), what))
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                previous = (previous + [tok])[-2:]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def contains_secret(text: str) -> bool:
    """Whether a line of text (a magic or shell line) holds something :func:`classify` calls a secret."""
    if classify(text):
        return True
    return any(classify(word.strip("'\"")) for word in re.split(r"[\s=:,]+", text) if word)
