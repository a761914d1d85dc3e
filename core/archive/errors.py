"""The archive's errors (plain words: what happened, what to do)."""

from __future__ import annotations

from core.errors import RadAssistError


class ArchiveError(RadAssistError):
    """An object could not be stored, or the archive could not do what was asked."""


class StudyNotFoundError(ArchiveError):
    """No study with that Study Instance UID is in the archive."""
