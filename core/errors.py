"""One exception hierarchy for the engine.

Every message says what was expected and what was found, names the file (by its
path, never by patient data) and is safe to show to a user or to write to a log.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"b?'[^'\n]*'|b?\"[^\"\n]*\"")


def redact_values(text: str) -> str:
    """``text`` on one line with every quoted value replaced by ``'…'``."""
    return _QUOTED.sub("'…'", " ".join(text.split()))


def library_reason(error: BaseException, limit: int = 160) -> str:
    """A library exception as one safe line: its type and first line, quoted values removed.

    pydicom and the decoders quote what they read ("received b'Smith^J'"); a value
    read from a file may be patient data and never enters our messages or logs.
    """
    text = redact_values(str(error))[:limit]
    kind = type(error).__name__
    return f"{kind}: {text}" if text else kind


class RadAssistError(Exception):
    """Base class of every error the engine raises on purpose."""


class UsageError(RadAssistError, ValueError):
    """A caller asked for something that cannot be done (bad argument, unknown series)."""


class CancelledError(RadAssistError):
    """A job stopped because its cancel token was set."""


class SourcedError(RadAssistError):
    """A problem with one named thing: a file, a folder, a model package.

    Parameters
    ----------
    source : str
        The file or folder the problem is in (a path, never patient data).
    reason : str
        What was expected and what was found, without patient data.
    """

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason

    def __reduce__(self) -> tuple[type[SourcedError], tuple[str, str]]:
        # Errors travel back from worker processes; rebuild them from both fields.
        return (type(self), (self.source, self.reason))


class DicomError(SourcedError):
    """A DICOM object could not be used.

    Parameters
    ----------
    source : str
        The file (or ``archive.zip!member``) the problem is in.
    reason : str
        What was expected and what was found, without patient data.
    """


class NotDicomError(DicomError):
    """The file is not DICOM at all (no preamble/DICM and no parseable header)."""


class DicomReadError(DicomError):
    """The file looks like DICOM but its header cannot be read."""


class PixelDataError(DicomError):
    """The header was read but the pixel data is missing, short, or will not decode."""


class UnsupportedTransferSyntaxError(PixelDataError):
    """No installed decoder handles the file's transfer syntax."""


def root_os_error(error: OSError) -> OSError:
    """The OSError that says what the system refused (pydicom re-raises a wrapped copy)."""
    seen: OSError = error
    while seen.strerror is None:
        cause = seen.__cause__ or seen.__context__
        if not isinstance(cause, OSError):
            break
        seen = cause
    return seen


def describe_error(error: BaseException) -> str:
    """One line for the user: our errors say it all, others name their type.

    The one owner of how an error is shown in a status line, banner or dialog (the
    window, the AI and report panels, the report workflow).
    """
    if isinstance(error, RadAssistError):
        return str(error)
    return f"{type(error).__name__}: {error}"
