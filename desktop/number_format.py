"""Numbers shown to the person, written as the interface's locale writes them.

One owner for how the window writes a decimal: :func:`decimal` rounds as Python does
(so the English text is the one ``f"{x:.2f}"`` gives) and writes the result with the
default :class:`~PySide6.QtCore.QLocale` (set to the interface language at start-up),
without group separators (``1500``, never ``1,500``: W/L values, sizes and timings read
like codes).
"""

from __future__ import annotations

from PySide6.QtCore import QLocale

__all__ = ["decimal"]


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
