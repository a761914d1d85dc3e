"""Dates and names as the interface shows them, in its language and locale.

One owner for how the study browser, the study list, the PACS dialogs and the priors
banner write a study date or a patient's name (counts and sizes:
:mod:`desktop.number_format`): through :class:`QLocale`
(the interface's, set at start-up), the date pattern a translation ("yyyy-MM-dd" in
English and Chinese alike: the form PACS workstations use).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QDate, QLocale

from core.dicom.person_name import format_person_name as core_format_person_name

__all__ = ["format_date", "format_person_name"]


def format_person_name(name: str) -> str:
    """A PN as core shows it (``"王小东 (Wang, XiaoDong)"``), or ``"(no name)"``."""
    return core_format_person_name(name) or QCoreApplication.translate(
        "LocaleFormatting", "(no name)"
    )


def format_date(value: str) -> str:
    """DICOM DA ``YYYYMMDD`` in the interface's date format (``YYYY-MM-DD`` in English).

    The format is a translation ("yyyy-MM-dd"), applied by :class:`QLocale`; a value
    that is not a valid date is shown hyphenated as it stands, anything else unchanged.
    """
    value = value.strip()
    if len(value) == 8 and value.isdigit():
        date = QDate(int(value[:4]), int(value[4:6]), int(value[6:]))
        if date.isValid():
            return QLocale().toString(
                date,
                QCoreApplication.translate(
                    "LocaleFormatting", "yyyy-MM-dd", "date format of study dates"
                ),
            )
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value
