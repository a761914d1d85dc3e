"""De-identified export and media: PS3.15 Basic profile through dicognito, DICOMDIR media.

Modules
-------
options
    :class:`DeidOptions` and :class:`RetainOption`: the profile and retained options of
    one export, and their CID 7050 codes.
table
    PS3.15 Table E.1-1 (shipped as ``table_e1_1.csv``) and the action each export takes.
profile
    The table pass over a dataset: what dicognito does not cover.
deidentifier
    :class:`Deidentifier`: the table pass, then dicognito, consistently across an export.
burned_in
    :func:`burned_in_reason`: images that may show patient data in their pixels.
export
    :func:`export_job`, :func:`export_media`, :func:`deidentify_study`: writing the export
    folder (optionally a DICOMDIR File-set), atomically, read back by our own scanner.
results
    :class:`ExportResult` and the errors of an export.
commands
    ``radassist anonymize`` (light to import: core.cli loads it at every start).
"""

from __future__ import annotations

import importlib
from typing import Any, Final

#: Public name → the module that defines it. Loaded on first use (PEP 562): core.cli
#: imports core.deid.commands at every start, and with it this package, which must stay
#: light (no pydicom, no scanner) until an export runs.
_EXPORTS: Final = {
    "DeidOptions": "core.deid.options",
    "RetainOption": "core.deid.options",
    "Deidentifier": "core.deid.deidentifier",
    "burned_in_reason": "core.deid.burned_in",
    "deidentify_study": "core.deid.export",
    "export_job": "core.deid.export",
    "export_media": "core.deid.export",
    "ExportCheckError": "core.deid.results",
    "ExportResult": "core.deid.results",
    "ExportedFile": "core.deid.results",
    "FlaggedFile": "core.deid.results",
    "NothingToExportError": "core.deid.results",
    "SkippedFile": "core.deid.results",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'core.deid' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
