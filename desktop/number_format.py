"""Numbers shown to the person, written as the interface's locale writes them.

One owner for how the window writes a decimal: :func:`decimal` rounds as Python does
(so the English text is the one ``f"{x:.2f}"`` gives) and writes the result with the
default :class:`~PySide6.QtCore.QLocale` (set to the interface language at start-up),
without group separators (``1500``, never ``1,500``: W/L values, sizes and timings read
like codes). Counts and amounts a person reads as quantities (studies, files, gigabytes)
are grouped: :func:`format_count`, :func:`format_number`.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale

__all__ = ["decimal", "format_count", "format_number"]


def decimal(value: float, places: int) -> str:
    """``value`` with ``places`` decimals in the interface locale ("0.12", "1500.0").

    Parameters
    ----------
    value : float
    places : int
        Decimals shown (0 or more).
    """
    if places < 0:
        raise ValueError(f"places must be 0 or more, found {places}")
    locale = QLocale()
    locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator)
    return locale.toString(round(float(value), places), "f", places)


def _grouping_locale() -> QLocale:
    """The interface's locale, grouping digits even where it is C (which omits grouping)."""
    locale = QLocale()
    locale.setNumberOptions(QLocale.NumberOption.DefaultNumberOptions)
    return locale


def format_count(count: int) -> str:
    """A count in the interface's locale, digits grouped (``"1,234"`` in English)."""
    return _grouping_locale().toString(int(count))


def format_number(value: float, decimals: int | None = None) -> str:
    """A number in the interface's locale: ``decimals`` places, or as short as exact
    (``50``, ``2.5``) when None."""
    if decimals is None:
        return _grouping_locale().toString(float(value), "g", 12)
    return _grouping_locale().toString(float(value), "f", decimals)
