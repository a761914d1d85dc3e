"""The local study archive: received, retrieved and imported studies, by UID, with an index.

Public API
----------
Archive
    One archive folder: ``accept``/``accept_encoded``/``accept_file`` (store),
    ``index_file`` (reference), ``batch`` (fewer commits), ``search`` (the study list),
    ``study_index`` (open a study without reading headers), ``mark_opened``,
    ``delete_study``, ``enforce_limit``, the jobs ``import_folder`` and ``rebuild``,
    and ``check``.
default_archive_dir
    ``<user data dir>/archive``.
has_unsigned_draft
    The retention guard the app passes to ``Archive.enforce_limit``.

The names are loaded on first use (PEP 562), so that ``core.archive.commands``, which
``core.cli`` imports at every start, stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.archive.archive import Archive, default_archive_dir
    from core.archive.errors import ArchiveError, StudyNotFoundError
    from core.archive.maintenance import has_unsigned_draft
    from core.archive.rows import CheckResult, ImportResult, RetentionResult, StudyRow

_WHERE = {
    "Archive": "core.archive.archive",
    "default_archive_dir": "core.archive.archive",
    "ArchiveError": "core.archive.errors",
    "StudyNotFoundError": "core.archive.errors",
    "has_unsigned_draft": "core.archive.maintenance",
    "CheckResult": "core.archive.rows",
    "ImportResult": "core.archive.rows",
    "RetentionResult": "core.archive.rows",
    "StudyRow": "core.archive.rows",
}

__all__ = [
    "Archive",
    "ArchiveError",
    "CheckResult",
    "ImportResult",
    "RetentionResult",
    "StudyNotFoundError",
    "StudyRow",
    "default_archive_dir",
    "has_unsigned_draft",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'core.archive' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
