"""The viewport's keys in the interface's language, for the shortcuts dialog.

:data:`VIEWPORT_SHORTCUTS` (the viewport's keys, English sources) and
:func:`viewport_shortcuts`, the same list translated. What a viewport writes over the
picture (corner texts, measurement labels, the scale bar) is made by core in the current
language (:func:`core.dicom.overlays.compose_overlay`, :mod:`core.dicom.measure`, with
core's catalogue): the desktop shows it as core wrote it.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

__all__ = [
    "VIEWPORT_SHORTCUTS",
    "viewport_shortcuts",
]

_SHORTCUTS: Final = (
    (
        QT_TRANSLATE_NOOP("Viewport", "Wheel, Up / Down, Left / Right"),
        QT_TRANSLATE_NOOP("Viewport", "Previous / next image"),
    ),
    ("Page Up / Page Down", QT_TRANSLATE_NOOP("Viewport", "Back / forward 10 images")),
    ("Home / End", QT_TRANSLATE_NOOP("Viewport", "First / last image (axial: head first)")),
    (
        QT_TRANSLATE_NOOP("Viewport", "Right-drag"),
        QT_TRANSLATE_NOOP("Viewport", "Window: left/right width, up/down level"),
    ),
    (
        QT_TRANSLATE_NOOP("Viewport", "Middle-drag, or left-drag with no tool"),
        QT_TRANSLATE_NOOP("Viewport", "Pan"),
    ),
    (
        QT_TRANSLATE_NOOP("Viewport", "Ctrl+Wheel, + / -"),
        QT_TRANSLATE_NOOP("Viewport", "Zoom in / out"),
    ),
    ("F", QT_TRANSLATE_NOOP("Viewport", "Fit to window")),
    ("1", QT_TRANSLATE_NOOP("Viewport", "Actual size (1:1)")),
    ("F2 … F9", QT_TRANSLATE_NOOP("Viewport", "Window presets, in the order listed")),
    ("A", QT_TRANSLATE_NOOP("Viewport", "Automatic window")),
    ("I", QT_TRANSLATE_NOOP("Viewport", "Invert greys")),
    ("R / Shift+R", QT_TRANSLATE_NOOP("Viewport", "Rotate 90° clockwise / anticlockwise")),
    ("H / V", QT_TRANSLATE_NOOP("Viewport", "Flip horizontally / vertically")),
    ("0", QT_TRANSLATE_NOOP("Viewport", "Reset view (zoom, rotation, flips, window)")),
    ("O", QT_TRANSLATE_NOOP("Viewport", "Show / hide overlays")),
    (
        "S / D / G / T / E",
        QT_TRANSLATE_NOOP("Viewport", "Tool: select, distance, angle, rectangle ROI, ellipse ROI"),
    ),
    ("Esc", QT_TRANSLATE_NOOP("Viewport", "Cancel the measurement being drawn, then select tool")),
    ("Delete / Backspace", QT_TRANSLATE_NOOP("Viewport", "Delete the selected measurement")),
    ("Ctrl+Z", QT_TRANSLATE_NOOP("Viewport", "Undo the last measurement change")),
    ("Space", QT_TRANSLATE_NOOP("Viewport", "Play / pause cine")),
    ("[ / ]", QT_TRANSLATE_NOOP("Viewport", "Cine slower / faster")),
)
VIEWPORT_SHORTCUTS: list[tuple[str, str]] = [(str(k), str(what)) for k, what in _SHORTCUTS]
"""(keys, what they do) for the help dialog: English sources (``Viewport`` context)."""


def viewport_shortcuts() -> list[tuple[str, str]]:
    """:data:`VIEWPORT_SHORTCUTS` in the interface's language (key names stay as they are)."""
    return [
        (QCoreApplication.translate("Viewport", keys), QCoreApplication.translate("Viewport", what))
        for keys, what in VIEWPORT_SHORTCUTS
    ]
