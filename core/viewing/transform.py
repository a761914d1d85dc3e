"""The view transform of an image viewport: zoom, pan, rotation and flips, and its inverse.

An image point ``(x, y)`` (pixels, as in :mod:`core.dicom.measure`) reaches the
screen (y down) in four steps: centred on the image (``x - columns / 2``,
``y - rows / 2``); rows stretched by the pixel aspect ratio (row spacing / column
spacing) so that a millimetre is as long down as across; turned and mirrored by the
orientation matrix ``(a, b, c, d)`` (``(a x + b y, c x + d y)``: right angles and flips
only) and scaled by the zoom; then placed at the centre of the view plus the pan.

:class:`ViewTransform` is a frozen value: every change returns a new one, so a
viewport keeps one and replaces it, and a test compares them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from numbers import Real
from typing import Final

from core.dicom.overlays import OrientationLabels, compute_orientation_labels

logger = logging.getLogger(__name__)

__all__ = ["IDENTITY", "MAX_ZOOM", "MIN_ZOOM", "Affine", "Point", "ViewTransform"]

Point = tuple[float, float]
#: ``((xx, xy, tx), (yx, yy, ty))``: screen x = xx x + xy y + tx, screen y = yx x + yy y + ty.
Affine = tuple[tuple[float, float, float], tuple[float, float, float]]
Orientation = tuple[int, int, int, int]

#: The zoom is kept within these (screen pixels per image pixel along a row).
MIN_ZOOM: Final = 0.02
MAX_ZOOM: Final = 64.0
#: No rotation, no flip.
IDENTITY: Final[Orientation] = (1, 0, 0, 1)


def _clamp_zoom(factor: float) -> float:
    return max(MIN_ZOOM, min(MAX_ZOOM, factor))


def _check_number(name: str, value: object) -> float:
    # numbers.Real: numpy's scalars too.
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, found {type(value).__name__}")
    return float(value)


def _check_positive(name: str, value: object) -> float:
    number = _check_number(name, value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be > 0, found {value}")
    return number


@dataclass(frozen=True)
class ViewTransform:
    """Where an image is on the screen of a viewport (see the module notes).

    Attributes
    ----------
    image_size : (int, int)
        Columns and rows of the image.
    view_size : (float, float)
        Width and height of the view (screen pixels).
    aspect : float
        Row spacing / column spacing (1 for square pixels or unknown spacing).
    zoom : float
        Screen pixels per image pixel along a row, within :data:`MIN_ZOOM` to
        :data:`MAX_ZOOM`.
    pan : (float, float)
        Screen offset of the image centre from the view centre.
    orientation : (int, int, int, int)
        ``(a, b, c, d)``: an image step ``(x, y)`` shows as ``(a x + b y, c x + d y)``.
    fit_mode : bool
        Whether the image is kept fitted to the view when the view is resized.
    """

    image_size: tuple[int, int] = (1, 1)
    view_size: tuple[float, float] = (1.0, 1.0)
    aspect: float = 1.0
    zoom: float = 1.0
    pan: Point = (0.0, 0.0)
    orientation: Orientation = IDENTITY
    fit_mode: bool = True

    def __post_init__(self) -> None:
        columns, rows = self.image_size
        if columns < 1 or rows < 1:
            raise ValueError(f"image_size must be at least (1, 1), found {self.image_size}")
        width, height = self.view_size
        object.__setattr__(self, "view_size", (max(float(width), 1.0), max(float(height), 1.0)))
        _check_positive("aspect", self.aspect)
        _check_positive("zoom", self.zoom)
        a, b, c, d = self.orientation
        if sorted((abs(a), abs(b), abs(c), abs(d))) != [0, 0, 1, 1] or a * d - b * c == 0:
            raise ValueError(
                f"orientation must be a rotation by right angles and/or a flip, "
                f"found {self.orientation}"
            )

    # ------------------------------------------------------------------ mapping

    @property
    def affine(self) -> Affine:
        """Image → screen as ``((xx, xy, tx), (yx, yy, ty))``."""
        columns, rows = self.image_size
        a, b, c, d = self.orientation
        z, k = self.zoom, self.aspect
        width, height = self.view_size
        cx, cy = width / 2 + self.pan[0], height / 2 + self.pan[1]
        # Centre, stretch rows by the aspect, orient and zoom, place.
        xx, xy = a * z, b * z * k
        yx, yy = c * z, d * z * k
        tx = cx - xx * columns / 2 - xy * rows / 2
        ty = cy - yx * columns / 2 - yy * rows / 2
        return ((xx, xy, tx), (yx, yy, ty))

    def image_to_screen(self, x: float, y: float) -> Point:
        """Where image point ``(x, y)`` is on the screen."""
        (xx, xy, tx), (yx, yy, ty) = self.affine
        return (xx * x + xy * y + tx, yx * x + yy * y + ty)

    def screen_to_image(self, x: float, y: float) -> Point:
        """The image point under screen point ``(x, y)``."""
        columns, rows = self.image_size
        a, b, c, d = self.orientation
        width, height = self.view_size
        u = (x - width / 2 - self.pan[0]) / self.zoom
        v = (y - height / 2 - self.pan[1]) / self.zoom
        # The orientation is orthogonal: its inverse is its transpose.
        ix, iy = a * u + c * v, b * u + d * v
        return (ix + columns / 2, iy / self.aspect + rows / 2)

    def orientation_labels(
        self,
        image_orientation: Sequence[float] | None,
        patient_orientation: tuple[str, str] | None = None,
    ) -> OrientationLabels:
        """The patient directions at the edges of the view, rotation and flips included.

        Parameters
        ----------
        image_orientation : sequence of 6 floats or None
            Image Orientation (Patient) (0020,0037).
        patient_orientation : (str, str), optional
            Patient Orientation (0020,0020), for images without the former.
        """
        a, b, c, d = self.orientation
        return compute_orientation_labels(
            image_orientation,
            (float(a), float(b), float(c), float(d)),
            patient_orientation=patient_orientation,
        )

    # ------------------------------------------------------------------ changes

    def with_image(self, columns: int, rows: int, aspect: float = 1.0) -> ViewTransform:
        """A new image: no rotation or flip, fitted."""
        view = replace(
            self, image_size=(int(columns), int(rows)), aspect=aspect, orientation=IDENTITY
        )
        return view.fitted()

    def with_view_size(self, width: float, height: float) -> ViewTransform:
        """The view resized (refit it in fit mode: :meth:`fitted`)."""
        return replace(self, view_size=(float(width), float(height)))

    def fitted(self) -> ViewTransform:
        """The whole image in the view, centred; kept so when the view is resized."""
        columns, rows = self.image_size
        a, b, c, d = self.orientation
        extent_x = abs(a) * columns + abs(b) * rows * self.aspect
        extent_y = abs(c) * columns + abs(d) * rows * self.aspect
        width, height = self.view_size
        zoom = _clamp_zoom(min(width / extent_x, height / extent_y))
        return replace(self, zoom=zoom, pan=(0.0, 0.0), fit_mode=True)

    def zoomed_about(self, factor: float, anchor: Point) -> ViewTransform:
        """Zoom ``factor`` (clamped) with the image point under ``anchor`` (screen) kept there."""
        point = self.screen_to_image(*anchor)
        view = replace(self, zoom=_clamp_zoom(_check_positive("zoom", factor)), fit_mode=False)
        moved = view.image_to_screen(*point)
        return view.panned_by(anchor[0] - moved[0], anchor[1] - moved[1])

    def zoomed(self, factor: float) -> ViewTransform:
        """Zoom ``factor`` about the centre of the view."""
        width, height = self.view_size
        return self.zoomed_about(factor, (width / 2, height / 2))

    def panned_to(self, x: float, y: float) -> ViewTransform:
        """The image centre ``(x, y)`` screen pixels from the view centre."""
        return replace(self, pan=(float(x), float(y)), fit_mode=False)

    def panned_by(self, dx: float, dy: float) -> ViewTransform:
        return self.panned_to(self.pan[0] + dx, self.pan[1] + dy)

    def rotated(self, degrees: float) -> ViewTransform:
        """Turned clockwise by a multiple of 90° (negative: anticlockwise); refitted in fit mode."""
        turn = _check_number("degrees", degrees)
        if turn % 90 != 0:
            raise ValueError(f"rotation must be a multiple of 90 degrees, found {degrees}")
        a, b, c, d = self.orientation
        for _ in range(int(turn // 90) % 4):
            # Clockwise on a y-down screen: (x, y) -> (-y, x).
            a, b, c, d = -c, -d, a, b
        view = replace(self, orientation=(a, b, c, d))
        return view.fitted() if self.fit_mode else view

    def flipped_horizontally(self) -> ViewTransform:
        """Mirrored left to right (on the screen, whatever the rotation)."""
        a, b, c, d = self.orientation
        return replace(self, orientation=(-a, -b, c, d))

    def flipped_vertically(self) -> ViewTransform:
        """Mirrored top to bottom (on the screen, whatever the rotation)."""
        a, b, c, d = self.orientation
        return replace(self, orientation=(a, b, -c, -d))

    def reset(self) -> ViewTransform:
        """No rotation or flip, fitted."""
        return replace(self, orientation=IDENTITY).fitted()

    def showing_area(self, top_left: Point, bottom_right: Point) -> ViewTransform:
        """Zoomed and panned so that this part of the image fills the view (image coordinates).

        An empty area changes nothing.
        """
        x0, y0 = top_left
        x1, y1 = bottom_right
        if not (x1 > x0 and y1 > y0):
            return self
        corners = [self.image_to_screen(x, y) for x in (x0, x1) for y in (y0, y1)]
        extent_x = max(p[0] for p in corners) - min(p[0] for p in corners)
        extent_y = max(p[1] for p in corners) - min(p[1] for p in corners)
        width, height = self.view_size
        scale = min(width / extent_x, height / extent_y)
        view = replace(self, zoom=_clamp_zoom(self.zoom * scale), pan=(0.0, 0.0), fit_mode=False)
        cx, cy = view.image_to_screen((x0 + x1) / 2, (y0 + y1) / 2)
        return view.panned_to(width / 2 - cx, height / 2 - cy)
