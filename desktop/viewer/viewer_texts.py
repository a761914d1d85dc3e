"""The viewport's keys: one table that the viewport's key handling and the shortcuts
dialog both read.

Each row of :data:`VIEWPORT_KEYS` says, in the list's words, which keys (and mouse
gestures) do what, and carries the presses that do it (the key, the modifiers it needs,
the :class:`~desktop.viewer.viewport.Viewport` method it calls), so the dialog can never
list a key the viewport does not answer, nor the viewport answer one it does not list.
:data:`VIEWPORT_SHORTCUTS` is the dialog's list (English sources) and
:func:`viewport_shortcuts` the same translated. What a viewport writes over the picture
(corner texts, measurement labels, the scale bar) is made by core in the current
language (:func:`core.dicom.overlays.compose_overlay`, :mod:`core.dicom.measure`, with
core's catalogue): the desktop shows it as core wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt

__all__ = [
    "VIEWPORT_KEYS",
    "VIEWPORT_SHORTCUTS",
    "ZOOM_STEP",
    "KeyRow",
    "Press",
    "press_for",
    "viewport_shortcuts",
]

_K = Qt.Key
#: Images a Page Up / Page Down moves.
PAGE_STEP: Final = 10
#: The cine's speed changes by this factor per [ or ].
CINE_STEP: Final = 1.25
#: The zoom changes by this factor per + or -.
ZOOM_STEP: Final = 1.25


@dataclass(frozen=True)
class Press:
    """A key that calls ``Viewport.<call>(*args)``.

    ``ctrl`` and ``shift``: True when the modifier must be held, False when it must not
    be, None when either will do.
    """

    key: Qt.Key
    call: str
    args: tuple[object, ...] = ()
    ctrl: bool | None = False
    shift: bool | None = None

    def matches(self, key: int, ctrl: bool, shift: bool) -> bool:
        return (
            key == self.key
            and (self.ctrl is None or self.ctrl == ctrl)
            and (self.shift is None or self.shift == shift)
        )


@dataclass(frozen=True)
class KeyRow:
    """One line of the shortcuts list (``keys``: how the list names them, mouse gestures
    too; ``what``: what they do; both English sources in the ``Viewport`` context) and
    the presses that do it."""

    keys: str
    what: str
    presses: tuple[Press, ...] = ()


def _row(keys: object, what: object, presses: tuple[Press, ...] = ()) -> KeyRow:
    """A row from two marked texts (QT_TRANSLATE_NOOP returns its text, typed as object)."""
    return KeyRow(str(keys), str(what), presses)


def _either(*presses: Press) -> tuple[Press, ...]:
    """The presses with Ctrl held or not (a key whose Ctrl form nothing else takes)."""
    return tuple(Press(p.key, p.call, p.args, ctrl=None, shift=p.shift) for p in presses)


VIEWPORT_KEYS: Final[tuple[KeyRow, ...]] = (
    _row(
        QT_TRANSLATE_NOOP("Viewport", "Wheel, Up / Down, Left / Right"),
        QT_TRANSLATE_NOOP("Viewport", "Previous / next image"),
        _either(
            Press(_K.Key_Up, "step_frames", (-1,)),
            Press(_K.Key_Down, "step_frames", (1,)),
            Press(_K.Key_Left, "step_frames", (-1,)),
            Press(_K.Key_Right, "step_frames", (1,)),
        ),
    ),
    _row(
        "Page Up / Page Down",
        QT_TRANSLATE_NOOP("Viewport", "Back / forward 10 images"),
        _either(
            Press(_K.Key_PageUp, "step_frames", (-PAGE_STEP,)),
            Press(_K.Key_PageDown, "step_frames", (PAGE_STEP,)),
        ),
    ),
    _row(
        "Home / End",
        QT_TRANSLATE_NOOP("Viewport", "First / last image (axial: head first)"),
        _either(Press(_K.Key_Home, "show_first"), Press(_K.Key_End, "show_last")),
    ),
    _row(
        QT_TRANSLATE_NOOP("Viewport", "Right-drag"),
        QT_TRANSLATE_NOOP("Viewport", "Window: left/right width, up/down level"),
    ),
    _row(
        QT_TRANSLATE_NOOP("Viewport", "Middle-drag, or left-drag with no tool"),
        QT_TRANSLATE_NOOP("Viewport", "Pan"),
    ),
    _row(
        QT_TRANSLATE_NOOP("Viewport", "Ctrl+Wheel, + / -"),
        QT_TRANSLATE_NOOP("Viewport", "Zoom in / out"),
        _either(
            Press(_K.Key_Plus, "zoom_by", (ZOOM_STEP,)),
            Press(_K.Key_Equal, "zoom_by", (ZOOM_STEP,)),  # + without Shift
            Press(_K.Key_Minus, "zoom_by", (1 / ZOOM_STEP,)),
        ),
    ),
    _row("F", QT_TRANSLATE_NOOP("Viewport", "Fit to window"), (Press(_K.Key_F, "fit"),)),
    _row(
        "1",
        QT_TRANSLATE_NOOP("Viewport", "Actual size (1:1)"),
        (Press(_K.Key_1, "actual_size"),),
    ),
    _row(
        "F2 … F9",
        QT_TRANSLATE_NOOP("Viewport", "Window presets, in the order listed"),
        _either(*(Press(_K(_K.Key_F2 + n), "apply_preset_number", (n,)) for n in range(8))),
    ),
    _row("A", QT_TRANSLATE_NOOP("Viewport", "Automatic window"), (Press(_K.Key_A, "auto_window"),)),
    _row("I", QT_TRANSLATE_NOOP("Viewport", "Invert greys"), (Press(_K.Key_I, "invert"),)),
    _row(
        "R / Shift+R",
        QT_TRANSLATE_NOOP("Viewport", "Rotate 90° clockwise / anticlockwise"),
        (
            Press(_K.Key_R, "rotate", (90,), shift=False),
            Press(_K.Key_R, "rotate", (-90,), shift=True),
        ),
    ),
    _row(
        "H / V",
        QT_TRANSLATE_NOOP("Viewport", "Flip horizontally / vertically"),
        (Press(_K.Key_H, "flip_horizontal"), Press(_K.Key_V, "flip_vertical")),
    ),
    _row(
        "0",
        QT_TRANSLATE_NOOP("Viewport", "Reset view (zoom, rotation, flips, window)"),
        (Press(_K.Key_0, "reset_view"),),
    ),
    _row(
        "O",
        QT_TRANSLATE_NOOP("Viewport", "Show / hide overlays"),
        (Press(_K.Key_O, "toggle_overlays"),),
    ),
    _row(
        "S / D / G / T / E",
        QT_TRANSLATE_NOOP("Viewport", "Tool: select, distance, angle, rectangle ROI, ellipse ROI"),
        (
            Press(_K.Key_S, "set_tool", ("none",)),
            Press(_K.Key_D, "set_tool", ("distance",)),
            Press(_K.Key_G, "set_tool", ("angle",)),
            Press(_K.Key_T, "set_tool", ("rectangle",)),
            Press(_K.Key_E, "set_tool", ("ellipse",)),
        ),
    ),
    _row(
        "Esc",
        QT_TRANSLATE_NOOP("Viewport", "Cancel the measurement being drawn, then select tool"),
        _either(Press(_K.Key_Escape, "escape")),
    ),
    _row(
        "Delete / Backspace",
        QT_TRANSLATE_NOOP("Viewport", "Delete the selected measurement"),
        _either(
            Press(_K.Key_Delete, "delete_selected"), Press(_K.Key_Backspace, "delete_selected")
        ),
    ),
    _row(
        "Ctrl+Z",
        QT_TRANSLATE_NOOP("Viewport", "Undo the last measurement change"),
        (Press(_K.Key_Z, "undo", ctrl=True),),
    ),
    _row(
        "Space",
        QT_TRANSLATE_NOOP("Viewport", "Play / pause cine"),
        _either(Press(_K.Key_Space, "toggle_cine")),
    ),
    _row(
        "[ / ]",
        QT_TRANSLATE_NOOP("Viewport", "Cine slower / faster"),
        _either(
            Press(_K.Key_BracketLeft, "change_cine_speed", (1 / CINE_STEP,)),
            Press(_K.Key_BracketRight, "change_cine_speed", (CINE_STEP,)),
        ),
    ),
)
"""The viewport's keys, in the order the shortcuts dialog lists them."""


def press_for(key: int, ctrl: bool, shift: bool) -> Press | None:
    """The press a key event (its key and whether Ctrl and Shift are held) makes, if any."""
    for row in VIEWPORT_KEYS:
        for press in row.presses:
            if press.matches(key, ctrl, shift):
                return press
    return None


VIEWPORT_SHORTCUTS: list[tuple[str, str]] = [(r.keys, r.what) for r in VIEWPORT_KEYS]
"""(keys, what they do) for the help dialog: English sources (``Viewport`` context)."""


def viewport_shortcuts() -> list[tuple[str, str]]:
    """:data:`VIEWPORT_SHORTCUTS` in the interface's language (key names stay as they are)."""
    return [
        (QCoreApplication.translate("Viewport", keys), QCoreApplication.translate("Viewport", what))
        for keys, what in VIEWPORT_SHORTCUTS
    ]
