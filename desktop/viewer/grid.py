"""Several viewports side by side, scrolling in step where they share a Frame of Reference.

Two viewports are kept in step when their series have the same Frame of Reference
UID (0020,0052) — the same patient coordinate system, PS3.3 C.7.4.1 — and parallel
slice normals: the other one shows the slice nearest to the same position along
the normal (:meth:`Viewport.show_position`). Where their planes cross, each draws the
other's slice as a reference line (:mod:`desktop.viewer.reference_lines`).

While another view replaces the grid on screen (the MPR layout), its focused pane
*stands in* for the active viewport (:meth:`ViewerGrid.set_stand_in`): the window's
keys and menus (Invert, Fit, W/L presets, Undo...) act on what is shown, through
:attr:`ViewerGrid.active_viewport`; :attr:`ViewerGrid.grid_viewport` stays the grid's
own (where a series is loaded, and what analysis reads).
"""

from __future__ import annotations

import logging
from functools import partial

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from desktop.viewer.reference_lines import ReferenceLines
from desktop.viewer.viewport import Viewport

logger = logging.getLogger(__name__)

#: Layouts a reading workstation offers: (rows, columns).
LAYOUTS: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2))
_MAX_SIDE = 4
_PARALLEL = 0.999  # |cos| between normals above which slices are parallel


class ViewerGrid(QWidget):
    """A grid of :class:`Viewport`; one of them is active (the one keys and menus act on).

    Signals
    -------
    active_viewport_changed(object)
        The grid's active viewport changed (not a stand-in's focus).
    stand_in_changed(object)
        The stand-in viewport changed (None: the grid's own again).
    """

    active_viewport_changed = Signal(object)
    series_dropped = Signal(object, str)
    layout_changed = Signal(int, int)
    stand_in_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self._pool: list[Viewport] = []  # every viewport made; hidden ones keep their series
        self._shown: list[Viewport] = []  # the visible ones, row by row
        self._rows, self._cols = 0, 0
        self._active: Viewport | None = None
        self._stand_in: Viewport | None = None
        self._sync = True
        self._syncing = False
        self.reference_lines = ReferenceLines(self)  # before the first layout: it follows them
        self.set_layout(1, 1)

    @property
    def layout_shape(self) -> tuple[int, int]:
        return (self._rows, self._cols)

    @property
    def viewports(self) -> list[Viewport]:
        """The visible viewports, row by row."""
        return list(self._shown)

    @property
    def all_viewports(self) -> list[Viewport]:
        """Every viewport made so far (hidden ones keep their series)."""
        return list(self._pool)

    @property
    def active_viewport(self) -> Viewport:
        """The viewport keys and menus act on: the stand-in while one is set, else the grid's."""
        if self._stand_in is not None:
            return self._stand_in
        assert self._active is not None
        return self._active

    @property
    def grid_viewport(self) -> Viewport:
        """The grid's own active viewport (whatever stands in for it)."""
        assert self._active is not None
        return self._active

    @property
    def stand_in(self) -> Viewport | None:
        return self._stand_in

    def set_stand_in(self, viewport: Viewport | None) -> None:
        """Let ``viewport`` (not in the grid) be the active one; None: the grid's again."""
        if viewport is not None and not isinstance(viewport, Viewport):
            raise TypeError(f"viewport must be a Viewport or None, found {type(viewport).__name__}")
        if viewport is self._stand_in:
            return
        self._stand_in = viewport
        self.stand_in_changed.emit(viewport)

    def set_layout(self, rows: int, cols: int) -> None:
        """Show ``rows`` × ``cols`` viewports (1 to 4 each); hidden ones keep their series.

        The active viewport stays shown: when a smaller layout would hide it, it takes the
        last cell (1 × 1 shows the active viewport), and a larger layout puts every
        viewport back in its place.
        """
        for name, value in (("rows", rows), ("cols", cols)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, found {type(value).__name__}")
            if not 1 <= value <= _MAX_SIDE:
                raise ValueError(f"{name} must be 1 to {_MAX_SIDE}, found {value}")
        if (rows, cols) == (self._rows, self._cols):
            return
        while len(self._pool) < rows * cols:
            self._pool.append(self._make_viewport())
        for viewport in self._pool:
            self._grid.removeWidget(viewport)
        count = rows * cols
        shown = self._pool[:count]
        if self._active is not None and self._active not in shown:
            shown[-1] = self._active
        for viewport in self._pool:
            if viewport in shown:
                index = shown.index(viewport)
                self._grid.addWidget(viewport, index // cols, index % cols)
                viewport.show()
            else:
                viewport.stop_cine()
                viewport.hide()
        self._shown = shown
        for r in range(_MAX_SIDE):
            self._grid.setRowStretch(r, 1 if r < rows else 0)
        for c in range(_MAX_SIDE):
            self._grid.setColumnStretch(c, 1 if c < cols else 0)
        self._rows, self._cols = rows, cols
        if self._active is None:
            self.set_active_viewport(self._pool[0])
        self.active_viewport.set_active(count > 1)  # a border only means something among several
        self.layout_changed.emit(rows, cols)

    def _make_viewport(self) -> Viewport:
        viewport = Viewport(self)
        viewport.activated.connect(partial(self._on_viewport_activated, viewport))
        viewport.frame_changed.connect(partial(self._on_viewport_frame_changed, viewport))
        viewport.series_dropped.connect(partial(self._on_viewport_series_dropped, viewport))
        return viewport

    def set_active_viewport(self, viewport: Viewport) -> None:
        if viewport not in self.viewports:
            raise ValueError("the viewport is not one of this grid's visible viewports")
        if viewport is self._active:
            return
        if self._active is not None:
            self._active.set_active(False)
        self._active = viewport
        viewport.set_active(len(self.viewports) > 1)
        self.active_viewport_changed.emit(viewport)

    @property
    def sync_enabled(self) -> bool:
        return self._sync

    def set_sync(self, enabled: bool) -> None:
        """Keep scrolling in step between viewports sharing a Frame of Reference."""
        self._sync = bool(enabled)

    def _on_viewport_activated(self, viewport: Viewport) -> None:
        if viewport in self.viewports:
            self.set_active_viewport(viewport)

    def _on_viewport_series_dropped(self, viewport: Viewport, key: str) -> None:
        self.series_dropped.emit(viewport, key)

    def _on_viewport_frame_changed(self, source: Viewport, _index: int) -> None:
        if not self._sync or self._syncing:
            return
        uid = source.frame_of_reference_uid
        position = source.slice_position()
        volume = source.volume
        if uid is None or position is None or volume is None or volume.geometry.normal is None:
            return
        normal = np.asarray(volume.geometry.normal, dtype=float)
        self._syncing = True
        try:
            for other in self.viewports:
                if other is source or other.frame_of_reference_uid != uid:
                    continue
                other_volume = other.volume
                if other_volume is None or other_volume.geometry.normal is None:
                    continue
                cosine = float(np.dot(normal, np.asarray(other_volume.geometry.normal)))
                if abs(cosine) < _PARALLEL:
                    continue  # different planes: a position along one normal means nothing
                other.show_position(position if cosine > 0 else -position)
        finally:
            self._syncing = False
