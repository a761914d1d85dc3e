"""The THIRD_PARTY_LICENSES text (the table, then each licence text) and the gate."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from .component import Component
from .spdx import ALLOWED, REFUSED, classify_licence, elected_licences
from .tables import COMMON_LICENSES_DIR, STANDARD_TEXTS


def _sorted_components(components: Iterable[Component]) -> list[Component]:
    return sorted(components, key=lambda c: (c.name.lower(), c.source))


def format_table(components: Sequence[Component]) -> str:
    rows = [("Component", "Version", "Source", "Licence")]
    rows += [
        (c.name, c.version, c.source, c.licence or "UNKNOWN")
        for c in _sorted_components(components)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for i, row in enumerate(rows):
        cells = [row[j].ljust(widths[j]) for j in range(3)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in [*widths, 7]))
    return "\n".join(lines)


def _read_text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:4096]:
        return None
    return data.decode("utf-8", errors="replace")


def _standard_texts(licence: str) -> list[Path]:
    paths: list[Path] = []
    for name in elected_licences(licence):
        for prefix, files in STANDARD_TEXTS.items():
            if name.startswith(prefix):
                paths += [COMMON_LICENSES_DIR / f for f in files]
    return [p for p in dict.fromkeys(paths) if p.is_file()]


def render_licences(components: Sequence[Component], title: str) -> str:
    """The whole THIRD_PARTY_LICENSES text: the table, then each component's licence texts."""
    out = [
        title,
        "=" * len(title),
        "",
        "RadAssist includes the third-party components listed below, each under its own",
        "licence. Where a component offers a choice of licences, RadAssist uses it under the",
        "first allowed one (LGPL rather than GPL for Qt/PySide6). The full licence texts follow",
        "the table.",
        "",
        format_table(components),
        "",
    ]
    seen: dict[str, str] = {}  # text digest -> where it was first printed
    for comp in _sorted_components(components):
        header = f"{comp.name} {comp.version} ({comp.source})"
        out += ["", "-" * 79, header, "-" * 79, f"Licence: {comp.licence or 'UNKNOWN'}"]
        out.append(f"Licence read from: {comp.licence_origin}")
        out += [f"Embedded, per {line}" for line in comp.sbom_summary]
        out += comp.notes
        texts = list(comp.texts)
        if not texts and comp.licence:
            texts = _standard_texts(comp.licence)
            if texts:
                out.append("It ships no licence file; the standard text of its licence follows.")
        if not texts:
            out.append("It ships no licence file.")
        for path in texts:
            text = _read_text(path)
            if text is None:
                continue
            label = str(path)
            if comp.text_root is not None and path.is_relative_to(comp.text_root):
                label = str(path.relative_to(comp.text_root))
            digest = hashlib.sha256(text.encode()).hexdigest()
            out += ["", f"=== {label} ==="]
            if digest in seen:
                out.append(f"(identical to {seen[digest]} above)")
                continue
            seen[digest] = f"{label} of {comp.name}"
            out.append(text.rstrip())
    return "\n".join(out) + "\n"


class LicenceError(SystemExit):
    """A bundled component may not be shipped (GPL-only) or its licence is not known."""

    def __init__(self, message: str, components: Sequence[Component]) -> None:
        super().__init__(message)
        self.components = list(components)

    def __str__(self) -> str:
        return str(self.code)


def check_components(components: Sequence[Component]) -> None:
    """Raise :class:`LicenceError` naming every refused or unknown component."""
    bad = [c for c in _sorted_components(components) if c.verdict != ALLOWED]
    if not bad:
        return
    lines = [f"Licence check failed: {len(bad)} component(s) may not be shipped as they are."]
    for comp in bad:
        if (
            comp.verdict == REFUSED
            and comp.embedded_refused
            and classify_licence(comp.licence) == ALLOWED
        ):
            why = "it embeds GPL/AGPL-only code (its SBOM in dist-info/sboms says so)"
        elif comp.verdict == REFUSED:
            why = "GPL/AGPL only (no allowed alternative, no linking exception)"
        elif comp.licence is None:
            why = (
                "licence unknown: add it to KNOWN_LICENCES / SYSTEM_LICENCES in "
                "scripts/licences/tables.py after reading it, or keep it out of the bundle"
            )
        else:
            why = (
                "licence not recognised as allowed: read it and add it to the tables in "
                "scripts/licences/tables.py, or keep it out of the bundle"
            )
        version = f" {comp.version}" if comp.source != "unresolved" else ""
        lines.append(f"  {comp.name}{version} ({comp.source}): {comp.licence or 'UNKNOWN'}")
        lines.append(f"      {why}")
        lines.append(f"      licence read from: {comp.licence_origin}")
        lines.append(f"      brought in by {comp.evidence()}")
    raise LicenceError("\n".join(lines), bad)
