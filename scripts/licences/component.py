"""A third-party component of the bundle: its licence, its texts, and what brought it in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .spdx import ALLOWED, REFUSED, classify_licence


@dataclass
class Component:
    """One third-party component of the bundle and what brought it in."""

    name: str
    version: str
    source: str  # "PyPI distribution" | "Debian package" | "Python" | "unresolved"
    licence: str | None
    licence_origin: str
    texts: list[Path] = field(default_factory=list)
    text_root: Path | None = None  # texts are shown relative to this
    modules: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    required_by: set[str] = field(default_factory=set)
    #: What the distribution's SBOMs (dist-info/sboms, PEP 770) say it embeds.
    sbom_summary: list[str] = field(default_factory=list)
    #: Embedded components (from an SBOM) whose licence is GPL/AGPL only.
    embedded_refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        verdict = classify_licence(self.licence)
        if verdict == ALLOWED and self.embedded_refused:
            return REFUSED
        return verdict

    def evidence(self, limit: int = 5) -> str:
        parts = []
        for label, items in (
            ("embedded (its SBOM)", set(self.embedded_refused)),
            ("modules", self.modules),
            ("files", self.files),
            ("required by", self.required_by),
        ):
            if items:
                shown = sorted(items)[:limit]
                more = f" (and {len(items) - limit} more)" if len(items) > limit else ""
                parts.append(f"{label}: {', '.join(shown)}{more}")
        return "; ".join(parts) or "no bundled file named"
