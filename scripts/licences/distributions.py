"""What an installed PyPI distribution says about its licence: metadata, licence files, SBOMs."""

from __future__ import annotations

import importlib.metadata as md
import json
import re
from collections import defaultdict
from pathlib import Path

from .component import Component
from .spdx import (
    REFUSED,
    canonical_name,
    classify_licence,
    guess_licence_from_text,
    licence_from_classifiers,
    normalise_expression,
)
from .tables import KNOWN_LICENCES


def distribution_licence(dist: md.Distribution) -> tuple[str | None, str]:
    """(licence expression or None, where it was read) for an installed distribution."""
    name = canonical_name(dist.metadata["Name"] or "")
    if name in KNOWN_LICENCES:
        licence, note = KNOWN_LICENCES[name]
        return licence, f"table in scripts/licences/tables.py ({note})"
    meta = dist.metadata
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return normalise_expression(expression)[0], "License-Expression metadata"
    field_text = (meta.get("License") or "").strip()
    raw_field = field_text if field_text.upper() not in ("", "UNKNOWN", "NONE") else ""
    if raw_field:
        normalised, known = normalise_expression(raw_field)
        if known:
            return normalised, "License metadata"
        guessed = guess_licence_from_text(raw_field)
        if guessed:
            return guessed, "License metadata (free text)"
    from_classifiers = licence_from_classifiers(meta.get_all("Classifier") or [])
    if from_classifiers:
        return normalise_expression(from_classifiers)[0], "trove classifiers"
    if raw_field:
        return " ".join(raw_field.split())[:200], "License metadata (not understood)"
    return None, "no licence in its metadata"


_LICENCE_FILE = re.compile(r"^(licen[cs]e|copying|notice)", re.IGNORECASE)


def dist_licence_files(dist: md.Distribution) -> list[Path]:
    files = dist.files or []
    found: list[Path] = []
    for f in files:
        parts = f.parts
        if not parts or not parts[0].endswith(".dist-info"):
            continue
        in_licenses_dir = len(parts) > 2 and parts[1] == "licenses"
        if in_licenses_dir or (len(parts) == 2 and _LICENCE_FILE.match(parts[1])):
            found.append(Path(str(dist.locate_file(f))))
    if not found:  # some wheels keep theirs beside the code
        for f in files:
            if len(f.parts) <= 2 and _LICENCE_FILE.match(f.name) and f.suffix != ".py":
                found.append(Path(str(dist.locate_file(f))))
    return sorted({p for p in found if p.is_file()})


def _sbom_entries(path: Path) -> list[tuple[str, str, str | None, str]]:
    """(name, version, licence expression or None, description) of a CycloneDX SBOM's parts."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("bomFormat") != "CycloneDX":
        return []
    entries = []
    for comp in data.get("components") or []:
        names = []
        for entry in comp.get("licenses") or []:
            if entry.get("expression"):
                names.append(str(entry["expression"]))
            elif isinstance(entry.get("license"), dict):
                lic = entry["license"]
                if lic.get("id") or lic.get("name"):
                    names.append(str(lic.get("id") or lic.get("name")))
        licence = " AND ".join(f"({n})" if " " in n else n for n in names) if names else None
        entries.append(
            (
                str(comp.get("name") or "?"),
                str(comp.get("version") or ""),
                normalise_expression(licence)[0] if licence else None,
                str(comp.get("description") or ""),
            )
        )
    return entries


def apply_sboms(comp: Component, dist: md.Distribution) -> None:
    """Check what a distribution's SBOMs say it embeds; summarise it for the output."""
    files = dist.files or []
    record = [str(f).lower() for f in files]
    for f in files:
        parts = f.parts
        if len(parts) < 3 or not parts[0].endswith(".dist-info") or parts[1] != "sboms":
            continue
        entries = _sbom_entries(Path(str(dist.locate_file(f))))
        licensed = [e for e in entries if e[2]]
        if not licensed:
            continue
        counts: dict[str, int] = defaultdict(int)
        for _, _, licence, _ in licensed:
            counts[licence or ""] += 1
        summary = ", ".join(
            f"{lic} ({n})" for lic, n in sorted(counts.items(), key=lambda kv: -kv[1])
        )
        comp.sbom_summary.append(f"{'/'.join(parts[1:])}: {len(licensed)} parts: {summary}")
        for name, version, licence, description in licensed:
            if classify_licence(licence) != REFUSED:
                continue
            token = name.lower().removeprefix("lib").split()[0]
            shipped = any(token in path for path in record)
            if shipped or "optional" not in description.lower():
                comp.embedded_refused.append(f"{name} {version} ({licence})")
            else:
                comp.notes.append(
                    f"Its SBOM lists {name} {version} ({licence}) as optional; no file of it is "
                    "in the installed wheel, so it is not shipped."
                )
