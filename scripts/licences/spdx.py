"""Licence names and expressions: SPDX-style normalisation, parsing, and the gate's verdict.

A component is refused when its licence is GPL or AGPL only -- no alternative that is allowed,
no runtime or linking exception -- and is "unknown" when its licence cannot be determined (so
that someone reads it and adds it to a table in :mod:`licences.tables`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

ALLOWED: Final = "allowed"
REFUSED: Final = "refused"  # GPL or AGPL only
UNKNOWN: Final = "unknown"

#: Licence ids a bundle may ship (permissive, and weak copyleft such as LGPL and MPL).
_ALLOWED_ID_LIST: Final = (
    "MIT MIT-0 MIT-CMU X11 ISC Zlib 0BSD BSD BSD-1-Clause BSD-2-Clause BSD-3-Clause "
    "BSD-4-Clause Apache Apache-1.1 Apache-2.0 MPL-1.1 MPL-2.0 PSF-2.0 Python-2.0 CNRI-Python "
    "CC0-1.0 BSL-1.0 HPND HPND-sell-variant Unicode-3.0 Unicode-DFS-2016 Unlicense FTL "
    "bzip2-1.0.6 Libpng libpng-2.0 libtiff IJG NCSA OpenSSL SSLeay curl AFL-2.0 AFL-2.1 "
    "AFL-3.0 Artistic-2.0 W3C PostgreSQL ICU Beerware NTP public-domain LGPL FSFAP FSFUL "
    "FSFULLR"
)
_ALLOWED_IDS: Final = tuple(_ALLOWED_ID_LIST.split())
_CANONICAL: Final = {name.lower(): name for name in _ALLOWED_IDS}

#: Free-text spellings (after :func:`_squash`) of licence names.
_ALIASES: Final = {
    "mit": "MIT",
    "expat": "MIT",
    "mit/x11": "X11",
    "mit/x": "X11",
    "mit/x consortium": "X11",
    "x11": "X11",
    "bsd": "BSD",
    "new bsd": "BSD-3-Clause",
    "modified bsd": "BSD-3-Clause",
    "3-clause bsd": "BSD-3-Clause",
    "bsd 3-clause": "BSD-3-Clause",
    "bsd-3": "BSD-3-Clause",
    "simplified bsd": "BSD-2-Clause",
    "2-clause bsd": "BSD-2-Clause",
    "bsd 2-clause": "BSD-2-Clause",
    "bsd-variant": "bzip2-1.0.6",  # Debian's name for bzip2's licence
    "apache": "Apache",
    "apache 2": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "asl 2.0": "Apache-2.0",
    "psf": "PSF-2.0",
    "psfl": "PSF-2.0",
    "python foundation": "PSF-2.0",
    "isc": "ISC",
    "isc iscl": "ISC",
    "mpl 2.0": "MPL-2.0",
    "mozilla public 2.0 mpl 2.0": "MPL-2.0",
    "mozilla public 2.0": "MPL-2.0",
    "public domain": "public-domain",
    "pd": "public-domain",
    "zlib/libpng": "Zlib",
    "historical permission notice and disclaimer hpnd": "HPND",
    "boost 1.0 bsl-1.0": "BSL-1.0",
    "unlicense unlicense": "Unlicense",
    "mit no attribution mit-0": "MIT-0",
    "dfsg approved": "",  # says nothing about which licence
    "osi approved": "",
}

#: Trove classifiers (the part after "License :: OSI Approved :: " or "License :: ").
_CLASSIFIERS: Final = {
    "GNU General Public License (GPL)": "GPL",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "GNU Library or Lesser General Public License (LGPL)": "LGPL",
    "Apache Software License": "Apache",
    "BSD License": "BSD",
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "Python Software Foundation License": "PSF-2.0",
    "zlib/libpng License": "Zlib",
    "Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "The Unlicense (Unlicense)": "Unlicense",
    "Public Domain": "public-domain",
    "Other/Proprietary License": "LicenseRef-Proprietary",
}

#: Exceptions that let GPL code be linked into, or shipped with, a program of any licence
#: (the autoconf, libtool and bison ones cover generated build scripts and parsers).
_ALLOWED_EXCEPTIONS: Final = re.compile(
    r"gcc-exception|gcc runtime|classpath-exception|llvm-exception|bootloader-exception"
    r"|linking-exception|linking exception|runtime library exception|autoconf-exception"
    r"|libtool-exception|bison-exception",
    re.IGNORECASE,
)

_GNU = re.compile(
    r"^(?P<kind>A?GPL|LGPL)[-\s]?v?(?P<version>\d(?:\.\d)?)?"
    r"(?P<suffix>\+|-or-later|-only|\s+or\s+later)?$",
    re.IGNORECASE,
)


def _squash(text: str) -> str:
    text = text.lower().replace("licence", "license")
    text = re.sub(r"[(),;:\"']", " ", text)
    text = re.sub(r"\b(the|license|licensed|under|version|software)\b", " ", text)
    return " ".join(text.split())


def normalise_licence_id(raw: str) -> str | None:
    """One licence name (no AND/OR) as an SPDX-style id, or None when it is not recognised."""
    text = raw.strip().strip(",;")
    if not text:
        return None
    if text.lower() in _CANONICAL:
        return _CANONICAL[text.lower()]
    gnu = _GNU.match(text)
    if gnu:
        kind = gnu["kind"].upper()
        version = gnu["version"]
        if version is None:
            return kind
        if "." not in version:
            version += ".0"
        later = gnu["suffix"] and gnu["suffix"].strip().lower() not in ("-only",)
        return f"{kind}-{version}-{'or-later' if later else 'only'}"
    squashed = _squash(text)
    if squashed in _ALIASES:
        return _ALIASES[squashed] or None
    if squashed in _CANONICAL:  # "MIT-CMU License"
        return _CANONICAL[squashed]
    if re.match(r"(?i)^bsd-", text):  # Debian's many BSD variants keep their own names
        return text
    if re.match(r"(?i)^public[- ]domain", text):
        return "public-domain"
    if text.startswith("LicenseRef-"):
        return text
    return None


@dataclass(frozen=True)
class _Atom:
    licence: str
    exception: str | None = None


@dataclass(frozen=True)
class _Op:
    op: str  # "AND" | "OR"
    args: tuple[_Node, ...]


_Node = _Atom | _Op


_OPS: Final = ("AND", "OR", "WITH")


def _tokenise(text: str) -> list[str]:
    # Debian spells some exceptions into the name: "GPL-2+-autoconf-exception".
    text = re.sub(
        r"(?i)\b((?:A|L)?GPL-[\d.]+\+?)-(?:with-)?([\w-]*exception)\b", r"\1 WITH \2", text
    )
    # Debian: "A or B, and C" means "(A or B) and C".
    pieces = re.split(r",\s*(and|or)\b", text, flags=re.IGNORECASE)
    if len(pieces) > 1:
        text = "(" + pieces[0] + ")"
        for op, rest in zip(pieces[1::2], pieces[2::2], strict=True):
            text = f"({text} {op} ({rest}))"
    return re.findall(r"\(|\)|[^\s()]+", text)


def _parse(tokens: list[str]) -> tuple[_Node, list[str]]:
    def words_until_operator(pos: int) -> tuple[str, int]:
        words = []
        while pos < len(tokens) and tokens[pos] not in "()" and tokens[pos].upper() not in _OPS:
            words.append(tokens[pos])
            pos += 1
        return " ".join(words), pos

    pos = 0

    def factor() -> _Node:
        nonlocal pos
        if pos < len(tokens) and tokens[pos] == "(":
            pos += 1
            node = expression()
            if pos < len(tokens) and tokens[pos] == ")":
                pos += 1
            return node
        name, pos = words_until_operator(pos)
        if not name:
            raise ValueError("expected a licence name")
        exception = None
        if pos < len(tokens) and tokens[pos].upper() == "WITH":
            exception, pos = words_until_operator(pos + 1)
        return _Atom(name, exception)

    def chain(op: str, sub: Any) -> _Node:
        nonlocal pos
        args = [sub()]
        while pos < len(tokens) and tokens[pos].upper() == op:
            pos += 1
            args.append(sub())
        return args[0] if len(args) == 1 else _Op(op, tuple(args))

    def term() -> _Node:
        return chain("AND", factor)

    def expression() -> _Node:
        return chain("OR", term)

    node = expression()
    return node, tokens[pos:]


def _normalise_node(node: _Node) -> tuple[_Node, bool]:
    if isinstance(node, _Atom):
        name = normalise_licence_id(node.licence)
        return _Atom(name or node.licence, node.exception), name is not None
    parts = [_normalise_node(arg) for arg in node.args]
    return _Op(node.op, tuple(p for p, _ in parts)), all(ok for _, ok in parts)


def _render(node: _Node, parent: str | None = None) -> str:
    if isinstance(node, _Atom):
        return node.licence + (f" WITH {node.exception}" if node.exception else "")
    text = f" {node.op} ".join(_render(arg, node.op) for arg in node.args)
    return f"({text})" if parent is not None and parent != node.op else text


def normalise_expression(text: str) -> tuple[str, bool]:
    """``text`` as an SPDX-style expression, and whether every licence name in it is known.

    Unknown names are kept as written, so that the gate names them.
    """
    try:
        node, rest = _parse(_tokenise(text))
    except ValueError:
        return " ".join(text.split()), False
    if rest:
        return " ".join(text.split()), False
    normalised, known = _normalise_node(node)
    return _render(normalised), known


def _classify_atom(atom: _Atom) -> str:
    name = atom.licence
    if re.match(r"(?i)^a?gpl\b|^a?gpl-", name):
        if atom.exception and _ALLOWED_EXCEPTIONS.search(atom.exception):
            return ALLOWED
        return REFUSED
    if name in _CANONICAL.values() or re.match(r"(?i)^lgpl-", name):
        return ALLOWED
    if re.match(r"(?i)^bsd-|^unicode-|^hpnd|^apache-|^mpl-|^public-domain|^permissive", name):
        return ALLOWED
    return UNKNOWN


def _classify_node(node: _Node) -> str:
    if isinstance(node, _Atom):
        return _classify_atom(node)
    verdicts = [_classify_node(arg) for arg in node.args]
    if node.op == "OR":
        for verdict in (ALLOWED, UNKNOWN):
            if verdict in verdicts:
                return verdict
        return REFUSED
    for verdict in (REFUSED, UNKNOWN):
        if verdict in verdicts:
            return verdict
    return ALLOWED


def classify_licence(expression: str | None) -> str:
    """``"allowed"``, ``"refused"`` (GPL/AGPL only) or ``"unknown"`` for a licence expression.

    Examples
    --------
    >>> classify_licence("Apache-2.0 OR GPL-3.0-only")
    'allowed'
    >>> classify_licence("GPL-3.0-or-later WITH GCC-exception-3.1")
    'allowed'
    >>> classify_licence("MIT AND GPL-2.0-only")
    'refused'
    """
    if expression is None or not expression.strip():
        return UNKNOWN
    try:
        node, rest = _parse(_tokenise(expression))
    except ValueError:
        return UNKNOWN
    if rest:
        return UNKNOWN
    normalised, _ = _normalise_node(node)
    return _classify_node(normalised)


def elected_licences(expression: str) -> list[str]:
    """The licence ids of the first allowed alternative (what the bundle is shipped under)."""
    try:
        node, _ = _parse(_tokenise(expression))
    except ValueError:
        return []
    node, _ = _normalise_node(node)

    def pick(n: _Node) -> list[str]:
        if isinstance(n, _Atom):
            return [n.licence]
        if n.op == "OR":
            for arg in n.args:
                if _classify_node(arg) == ALLOWED:
                    return pick(arg)
            return pick(n.args[0])
        return [name for arg in n.args for name in pick(arg)]

    return pick(node)


_TEXT_FAMILIES: Final = (
    ("AGPL-3.0-only", re.compile(r"affero", re.I)),
    ("LGPL", re.compile(r"lesser general public|library general public|\blgpl", re.I)),
    ("GPL", re.compile(r"(?<!lesser )(?<!library )general public licen[cs]e|\bgpl", re.I)),
    ("Apache-2.0", re.compile(r"\bapache\b", re.I)),
    ("MPL-2.0", re.compile(r"mozilla public", re.I)),
    ("MIT", re.compile(r"\bmit\b|permission is hereby granted, free of charge", re.I)),
    ("BSD", re.compile(r"\bbsd\b|redistribution and use in source and binary forms", re.I)),
    ("PSF-2.0", re.compile(r"python software foundation", re.I)),
    ("ISC", re.compile(r"\bisc\b", re.I)),
)


def guess_licence_from_text(text: str) -> str | None:
    """A licence family named in free text, when exactly one is (None when ambiguous)."""
    found = [name for name, pattern in _TEXT_FAMILIES if pattern.search(text)]
    if "AGPL-3.0-only" in found:
        found = [name for name in found if name != "GPL"]
    if len(found) != 1:
        return None
    if found[0] == "GPL" and re.search(r"exception", text, re.I):
        return None  # an exception we cannot name: a person decides (KNOWN_LICENCES)
    return found[0]


def licence_from_classifiers(classifiers: Iterable[str]) -> str | None:
    """The licences named by trove classifiers, joined with AND (two may not mean a choice)."""
    names: list[str] = []
    for classifier in classifiers:
        parts = [p.strip() for p in classifier.split("::")]
        if parts[0] != "License" or len(parts) < 2:
            continue
        leaf = parts[-1]
        if leaf in ("OSI Approved", "DFSG approved"):
            continue
        name = _CLASSIFIERS.get(leaf) or normalise_licence_id(leaf) or leaf
        if name not in names:
            names.append(name)
    if not names:
        return None
    return " AND ".join(f"({n})" if " " in n else n for n in names)


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
