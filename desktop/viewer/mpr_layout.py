"""The MPR layout: axial, coronal and sagittal panes of one volume, a crosshair, slab controls.

:class:`MprView` shows three :class:`~desktop.viewer.mpr_viewport.MprViewport` side by
side ("1x3") or four in a square ("2x2"). The fourth pane is a thick-slab MIP of the
axial plane (10 mm by default), not the original series: for an axial acquisition the
axial pane already shows the acquired slices, and a 10 mm axial MIP is what a chest
reader pages through to tell nodules from vessels; it follows the axial position.

The panes share one crosshair: a patient point (mm) whose coordinate along each plane's
normal axis is the slice that plane shows. Scrolling a pane moves the point along its
axis (the other panes' reference lines follow), dragging a reference line moves that
plane, and Shift-click centres every plane on the point clicked. They share one window
(as RadiAnt): a change in one is applied to the others.

Measurements drawn on a pane are kept in patient coordinates too
(``Measurement.extra["patient_points"]``, through
:func:`core.viewing.mpr.image_points_to_patient`) and shown, read-only, on every other
pane whose plane contains them within half a slice
(:func:`core.viewing.mpr.patient_points_to_image`): a distance drawn on the coronal
view is the same length, at the same patient points, on the axial view at its level.
:meth:`MprView.annotations` gives them as annotations to save with the study (filed
under the nearest acquired image, :func:`core.viewing.placement.anchor_annotation`), and
:meth:`MprView.show_annotations` puts saved ones back: one drawn in MPR on the pane that
contains it (editable), one drawn on an acquired image read-only on the panes that
contain it. :attr:`MprView.measurements_edited` says when a person changed them.

Oblique planes: Ctrl-drag on a reference line turns that plane about the crosshair, in
the plane of the pane dragged on (:meth:`MprView.turn_plane`); the turned pane shows
the oblique plane (:mod:`core.viewing.oblique`), its reference lines in the other panes
turn with it, scrolling it moves along its own normal. "Reset planes" (the button, and
View → Layout → Reset MPR Planes) turns every pane back. A measurement drawn on a
turned plane is kept in patient mm too; once no pane holds it (the plane was turned
again) it is shown read-only where a plane holds it, and still saved.

A series that cannot be reformatted shows the reason
(:class:`core.viewing.mpr.ReformatError`) in a notice in place of the panes, never a
blank pane; a reformat with warnings (an oblique stack, uncalibrated spacing, slices
that could not be read) shows them above the panes.
"""

from __future__ import annotations

import logging
import math
from functools import partial

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.dicom.annotations import Annotation
from core.dicom.overlays import DisplayHeader
from core.dicom.volume import Volume
from core.viewing.measurements import Measurement
from core.viewing.mpr import (
    PLANE_AXIS,
    MprVolume,
    PlaneImage,
    ReformatError,
    image_points_to_patient,
    patient_points_to_image,
)
from core.viewing.oblique import PlaneMotion
from core.viewing.placement import anchor_annotation, patient_points_of
from desktop.viewer.mpr_viewport import PLANE_COLOURS, SLAB_OFF, MprViewport

logger = logging.getLogger(__name__)

__all__ = ["MPR_LAYOUTS", "SLAB_THICKNESSES", "MprView"]

#: Layout names: three panes in a row, or four in a square.
MPR_LAYOUTS = ("1x3", "2x2")
#: The slab thicknesses offered (mm); "Custom…" takes any other.
SLAB_THICKNESSES = (5.0, 10.0, 20.0)
#: Pane name → plane; the fourth is an axial slab (see the module notes).
_PANES = (("axial", "axial"), ("coronal", "coronal"), ("sagittal", "sagittal"), ("slab", "axial"))
_FOURTH_SLAB = ("mip", 10.0)
_CUSTOM = "custom"


class MprView(QWidget):
    """Axial, coronal and sagittal panes of one volume (see the module notes).

    Signals
    -------
    point_changed(object)
        The crosshair moved: the patient point (x, y, z mm).
    measurements_edited()
        A person drew, moved or deleted a measurement on a pane.
    active_pane_changed(object)
        Another pane took the focus (the one the window's keys and menus act on).
    """

    point_changed = Signal(object)
    measurements_edited = Signal()
    active_pane_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mpr_view")
        self._mpr: MprVolume | None = None
        self._volume: Volume | None = None
        self._point: tuple[float, float, float] | None = None
        self._layout_name = "1x3"
        self._syncing = False
        #: Shapes drawn on the acquired images, shown read-only where a plane holds them.
        self._foreign: list[Measurement] = []
        #: Shapes drawn in MPR that no pane holds now (its plane turned): shown, and saved.
        self._kept: list[Measurement] = []

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 2)
        self.slab_label = QLabel(self.tr("Slab (focused pane):"))
        self.slab_mode_combo = QComboBox()
        self.slab_mode_combo.setObjectName("mpr_slab_mode")
        for text, mode in (
            (self.tr("Off"), SLAB_OFF),
            (self.tr("MIP"), "mip"),
            (self.tr("MinIP"), "minip"),
            (self.tr("Average"), "avg"),
        ):
            self.slab_mode_combo.addItem(text, mode)
        self.slab_thickness_combo = QComboBox()
        self.slab_thickness_combo.setObjectName("mpr_slab_thickness")
        for mm in SLAB_THICKNESSES:
            self.slab_thickness_combo.addItem(self.tr("{mm} mm").format(mm=f"{mm:g}"), mm)
        self.slab_thickness_combo.addItem(self.tr("Custom…"), _CUSTOM)
        self.slab_custom = QDoubleSpinBox()
        self.slab_custom.setObjectName("mpr_slab_custom")
        self.slab_custom.setRange(0.5, 500.0)
        self.slab_custom.setDecimals(1)
        self.slab_custom.setSuffix(self.tr(" mm"))
        self.slab_custom.setValue(15.0)
        self.slab_custom.hide()
        bar.addWidget(self.slab_label)
        bar.addWidget(self.slab_mode_combo)
        bar.addWidget(self.slab_thickness_combo)
        bar.addWidget(self.slab_custom)
        bar.addStretch(1)
        self.reset_button = QPushButton(self.tr("Reset planes"))
        self.reset_button.setObjectName("mpr_reset_planes")
        self.reset_button.setToolTip(
            self.tr("Turn oblique planes back to axial, coronal, sagittal")
        )
        self.reset_button.clicked.connect(self.reset_planes)
        bar.addWidget(self.reset_button)
        column.addLayout(bar)

        self.notice = QLabel()
        self.notice.setObjectName("mpr_notice")
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setStyleSheet(
            "QLabel { background: #3a2f12; color: #ffd27a; padding: 8px; font-size: 13px; }"
        )
        self.notice.hide()
        column.addWidget(self.notice)

        self._panes: dict[str, MprViewport] = {}
        self._grid_host = QWidget(self)
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        for name, plane in _PANES:
            pane = MprViewport(name, plane, self._grid_host)
            pane.references = partial(self._references_for, pane)
            pane.frame_changed.connect(partial(self._on_pane_frame_changed, pane))
            pane.window_changed.connect(partial(self._on_pane_window_changed, pane))
            pane.point_picked.connect(self.centre_on)
            pane.plane_dragged.connect(self._on_pane_plane_dragged)
            pane.line_turned.connect(partial(self._on_pane_line_turned, pane))
            pane.measurements_changed.connect(self._on_pane_measurements_changed)
            pane.activated.connect(partial(self.set_active_pane, pane))
            self._panes[name] = pane
        self._panes["slab"].set_slab(*_FOURTH_SLAB)
        self._active = self._panes["axial"]
        column.addWidget(self._grid_host, 1)
        self.slab_mode_combo.currentIndexChanged.connect(self._on_slab_controls_changed)
        self.slab_thickness_combo.currentIndexChanged.connect(self._on_slab_controls_changed)
        self.slab_custom.valueChanged.connect(self._on_slab_controls_changed)
        self.set_layout("1x3")
        self.set_active_pane(self._active)

    # ------------------------------------------------------------------ public

    @property
    def panes(self) -> dict[str, MprViewport]:
        """The panes by name: "axial", "coronal", "sagittal", "slab" (the fourth)."""
        return dict(self._panes)

    @property
    def visible_panes(self) -> list[MprViewport]:
        count = 3 if self._layout_name == "1x3" else 4
        return [self._panes[name] for name, _ in _PANES[:count]]

    @property
    def layout_name(self) -> str:
        return self._layout_name

    @property
    def mpr(self) -> MprVolume | None:
        return self._mpr

    @property
    def volume(self) -> Volume | None:
        """The series reformatted (None when none is, or it was refused)."""
        return self._volume

    @property
    def point(self) -> tuple[float, float, float] | None:
        """The crosshair: the patient point (mm) every plane passes through."""
        return self._point

    @property
    def active_pane(self) -> MprViewport:
        return self._active

    def set_layout(self, name: str) -> None:
        """ "1x3" (axial, coronal, sagittal in a row) or "2x2" (and the axial slab)."""
        if name not in MPR_LAYOUTS:
            raise ValueError(f"MPR layout must be one of {', '.join(MPR_LAYOUTS)}, found {name!r}")
        self._layout_name = name
        for pane in self._panes.values():
            self._grid.removeWidget(pane)
            pane.hide()
        shown = self.visible_panes
        for index, pane in enumerate(shown):
            row, col = (0, index) if name == "1x3" else divmod(index, 2)
            self._grid.addWidget(pane, row, col)
            pane.setVisible(self._mpr is not None)
        if self._active not in shown:
            self.set_active_pane(shown[0])

    def set_volume(self, volume: Volume, header: DisplayHeader | None = None) -> bool:
        """Reformat ``volume`` (loaded) into the panes; False, and the reason shown, if refused."""
        if not isinstance(volume, Volume):
            raise TypeError(f"volume must be a Volume, found {type(volume).__name__}")
        if volume is self._volume and self._mpr is not None:
            return True
        self._volume = volume
        try:
            mpr = MprVolume(volume)
        except ReformatError as exc:
            self._mpr = None
            self._point = None
            for pane in self._panes.values():
                pane.clear()
                pane.hide()
            self.show_notice(str(exc))
            return False
        self._mpr = mpr
        self._point = mpr.centre()
        self._syncing = True
        try:
            for pane in self._panes.values():
                pane.show_plane(mpr, header)
        finally:
            self._syncing = False
        if mpr.warnings:
            self.show_notice("; ".join(mpr.warnings))
        else:
            self.notice.hide()
        self.set_layout(self._layout_name)
        self.centre_on(mpr.centre())
        return True

    def show_notice(self, text: str) -> None:
        """A line above the panes (or in their place, when there are none)."""
        self.notice.setText(text)
        self.notice.show()

    def clear(self) -> None:
        """Show nothing (the volume is let go)."""
        self._mpr = None
        self._volume = None
        self._point = None
        self._foreign = []
        self._kept = []
        for pane in self._panes.values():
            pane.clear()
            pane.set_motion(PlaneMotion())
        self.notice.hide()

    def set_active_pane(self, pane: MprViewport) -> None:
        """The pane the slab controls (and the window's keys) act on."""
        changed = pane is not self._active
        if changed:
            self._active.set_active(False)
        self._active = pane
        pane.set_active(True)
        self._show_slab_of(pane)
        if changed:
            self.active_pane_changed.emit(pane)

    def set_tool(self, tool: str) -> None:
        for pane in self._panes.values():
            pane.set_tool(tool)

    def centre_on(self, point: object) -> None:
        """Put the crosshair on a patient point: every plane shows the slice through it."""
        mpr = self._mpr
        if mpr is None:
            return
        x, y, z = (float(v) for v in point)  # type: ignore[attr-defined]
        self._point = (x, y, z)
        self._syncing = True
        try:
            for pane in self._panes.values():
                pane.show_point(self._point)
        finally:
            self._syncing = False
        self._snap_point()

    def turn_plane(self, name: str, axis: object, degrees: float) -> None:
        """Turn pane ``name``'s plane by ``degrees`` about ``axis`` through the crosshair."""
        pane = self._panes[name]
        if self._mpr is None or self._point is None:
            return
        self._let_go_of_shapes(pane)
        pane.set_motion(pane.motion.then_rotate(axis, degrees, self._point))  # type: ignore[arg-type]
        pane.show_point(self._point)
        self._adopt_kept()
        self._refresh_references()

    def reset_planes(self) -> None:
        """Every pane back to its plain plane, through the crosshair."""
        if self._mpr is None:
            return
        for pane in self._panes.values():
            if pane.is_oblique:
                self._let_go_of_shapes(pane)
                pane.set_motion(PlaneMotion())
        self._adopt_kept()
        if self._point is not None:
            self.centre_on(self._point)

    def move_plane(self, plane: str, position: float) -> None:
        """Show the slice of ``plane`` nearest ``position`` (mm along its normal axis)."""
        if self._point is None:
            return
        point = list(self._point)
        point[PLANE_AXIS[plane]] = float(position)
        self.centre_on(point)

    def set_slab(self, mode: str, thickness: float | None = None, pane: str | None = None) -> None:
        """A slab on one pane (default: the focused one); the controls show it."""
        target = self._active if pane is None else self._panes[pane]
        target.set_slab(mode, thickness)
        if target is self._active:
            self._show_slab_of(target)
        self._refresh_references()

    # ------------------------------------------------------------------ crosshair

    def _snap_point(self) -> None:
        """The crosshair at the slices shown (the nearest to what was asked), then repaint."""
        if self._point is None:
            return
        point = np.asarray(self._point, dtype=float)
        for name in ("axial", "coronal", "sagittal"):
            image = self._panes[name].slice_geometry()
            if image is not None:  # onto the slice shown, along its normal
                normal = np.asarray(image.normal)
                point -= normal * float((point - np.asarray(image.origin)) @ normal)
        self._point = (float(point[0]), float(point[1]), float(point[2]))
        self._refresh_references()
        self.point_changed.emit(self._point)

    def _refresh_references(self) -> None:
        for pane in self._panes.values():
            pane.update()

    def _references_for(self, pane: MprViewport) -> list[tuple[str, PlaneImage]]:
        found = []
        for name in ("axial", "coronal", "sagittal"):
            other = self._panes[name]
            if other.plane == pane.plane:
                continue
            image = other.slice_geometry()  # where it lies: no need to sample it
            if image is not None:
                found.append((name, image))
        return found

    def _on_pane_frame_changed(self, pane: MprViewport, _index: int) -> None:
        if self._syncing or self._point is None:
            return
        image = pane.slice_geometry()
        if image is not None:
            self.centre_on(_onto(self._point, image))

    def _on_pane_plane_dragged(self, name: str, point: object) -> None:
        image = self._panes[name].slice_geometry()
        if image is None or self._point is None:
            return
        # The crosshair moves along that plane's normal until the plane passes the point.
        normal = np.asarray(image.normal)
        offset = float((np.asarray(point, dtype=float) - np.asarray(self._point)) @ normal)
        self.centre_on(tuple(np.asarray(self._point) + offset * normal))

    def _on_pane_line_turned(
        self, source: MprViewport, name: str, start: object, end: object
    ) -> None:
        """A reference line Ctrl-dragged in ``source``: turn plane ``name`` as the mouse turned."""
        image = source.slice_geometry()
        if image is None or self._point is None:
            return
        normal = np.asarray(image.normal)
        pivot = np.asarray(self._point)
        a = np.asarray(start, dtype=float) - pivot
        b = np.asarray(end, dtype=float) - pivot
        a -= normal * float(a @ normal)
        b -= normal * float(b @ normal)
        if min(float(np.linalg.norm(a)), float(np.linalg.norm(b))) < 1e-6:
            return  # at the pivot: no direction to turn by
        degrees = math.degrees(math.atan2(float(np.cross(a, b) @ normal), float(a @ b)))
        self.turn_plane(name, tuple(normal), degrees)

    def _on_pane_window_changed(self, source: MprViewport, center: float, width: float) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            for pane in self._panes.values():
                if pane is not source and pane.window != (center, width):
                    pane.set_window(center, width)
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ slab controls

    def _show_slab_of(self, pane: MprViewport) -> None:
        combos = (self.slab_mode_combo, self.slab_thickness_combo, self.slab_custom)
        for widget in combos:
            widget.blockSignals(True)
        try:
            self.slab_mode_combo.setCurrentIndex(self.slab_mode_combo.findData(pane.slab_mode))
            index = self.slab_thickness_combo.findData(pane.slab_thickness)
            if index < 0:
                index = self.slab_thickness_combo.findData(_CUSTOM)
                self.slab_custom.setValue(pane.slab_thickness)
            self.slab_thickness_combo.setCurrentIndex(index)
            self.slab_custom.setVisible(self.slab_thickness_combo.currentData() == _CUSTOM)
            colour = PLANE_COLOURS[pane.plane].name()
            self.slab_label.setStyleSheet(f"QLabel {{ color: {colour}; font-weight: bold; }}")
        finally:
            for widget in combos:
                widget.blockSignals(False)

    def _on_slab_controls_changed(self, *_: object) -> None:
        mode = str(self.slab_mode_combo.currentData())
        chosen = self.slab_thickness_combo.currentData()
        custom = chosen == _CUSTOM
        self.slab_custom.setVisible(custom)
        thickness = float(self.slab_custom.value()) if custom else float(chosen)
        self.set_slab(mode, thickness)

    # ------------------------------------------------------------------ measurements

    def annotations(self) -> list[Annotation]:
        """The measurements drawn on the panes, in patient mm, as the study saves them."""
        volume = self._volume
        if self._mpr is None or volume is None:
            return []
        found = []
        for pane in self._panes.values():
            for m in pane.measurements:
                points = m.extra.get("patient_points")
                if m.readonly or not isinstance(points, tuple) or not points:
                    continue
                text = "\n".join(m.label_lines)
                found.append(anchor_annotation(m.kind, points, volume, text))
        for m in self._kept:
            kept = m.extra["patient_points"]
            assert isinstance(kept, tuple)
            found.append(anchor_annotation(m.kind, kept, volume, str(m.extra.get("text", ""))))
        return found

    def show_annotations(self, annotations: list[Annotation]) -> None:
        """Show saved measurements of the series (see the module notes); the others go."""
        mpr, volume = self._mpr, self._volume
        if mpr is None or volume is None:
            return
        own: dict[str, list[Measurement]] = {name: [] for name in self._panes}
        self._foreign = []
        self._kept = []
        for a in annotations:
            points = patient_points_of(a, volume)
            if points is None or a.kind not in ("distance", "angle", "rectangle", "ellipse"):
                continue
            placed = self._place(a.kind, points) if a.patient_points else None
            if placed is not None:
                own[placed[0]].append(placed[1])
                continue
            m = Measurement(a.kind, -1, list(a.points))
            m.extra.update(patient_points=points, text=a.text)
            # Drawn on an acquired image: edited there. Drawn in MPR: kept, and saved.
            (self._kept if a.patient_points else self._foreign).append(m)
        for name, pane in self._panes.items():
            pane.replace_measurements(own[name])
        self._sync_measurements()

    def _place(
        self, kind: str, points: tuple[tuple[float, float, float], ...]
    ) -> tuple[str, Measurement] | None:
        """The pane whose plane holds ``points`` (the flattest along its normal), and the shape."""
        mpr = self._mpr
        assert mpr is not None
        spread = {}
        for name, _ in _PANES[:3]:
            image = self._panes[name].slice_geometry()
            if image is not None:
                levels = [float(np.asarray(p) @ np.asarray(image.normal)) for p in points]
                spread[name] = max(levels) - min(levels)
        if not spread:
            return None
        name = min(spread, key=spread.__getitem__)
        pane = self._panes[name]
        index = pane.index_at(np.mean(np.asarray(points), axis=0))
        image = pane.slice_geometry(index)
        assert image is not None
        found = patient_points_to_image(image, points, tolerance=mpr.spacing(pane.plane) / 2)
        if found is None:
            return None
        m = Measurement(kind, index, list(found))
        m.extra["patient_points"] = points
        return name, m

    def _let_go_of_shapes(self, pane: MprViewport) -> None:
        """Before ``pane``'s plane turns: its own shapes are kept in patient mm only."""
        own = [m for m in pane.measurements if not m.extra.get("mirrored")]
        for m in own:
            points = m.extra.get("patient_points")
            if isinstance(points, tuple) and points:
                kept = Measurement(m.kind, -1, list(m.points))
                kept.extra.update(patient_points=points, text="\n".join(m.label_lines))
                self._kept.append(kept)
        pane.replace_measurements([])

    def _adopt_kept(self) -> None:
        """Give the kept shapes back to the panes that hold them now (editable again)."""
        adopted: dict[str, list[Measurement]] = {}
        still = []
        for m in self._kept:
            points = m.extra["patient_points"]
            assert isinstance(points, tuple)
            placed = self._place(m.kind, points)
            if placed is None:
                still.append(m)
            else:
                adopted.setdefault(placed[0], []).append(placed[1])
        self._kept = still
        for name, shapes in adopted.items():
            pane = self._panes[name]
            own = [m for m in pane.measurements if not m.extra.get("mirrored")]
            pane.replace_measurements(own + shapes)
        self._sync_measurements()

    def _on_pane_measurements_changed(self) -> None:
        self._sync_measurements()
        self.measurements_edited.emit()

    def _sync_measurements(self) -> None:
        """Keep every pane's own shapes in patient mm; show them on the panes that contain them."""
        mpr = self._mpr
        if mpr is None:
            return
        own: dict[str, list[Measurement]] = {}
        for name, pane in self._panes.items():
            own[name] = [m for m in pane.measurements if not m.extra.get("mirrored")]
            for m in own[name]:
                image = pane.slice_geometry(m.frame)
                if image is not None:
                    m.extra["patient_points"] = image_points_to_patient(image, m.points)
        for name, pane in self._panes.items():
            mirrored = []
            for source, shapes in own.items():
                if source == name or self._panes[source].plane == pane.plane:
                    continue
                for m in shapes:
                    shown = self._shown_on(pane, m)
                    if shown is not None:
                        mirrored.append(shown)
            for m in self._foreign + self._kept:
                shown = self._shown_on(pane, m)
                if shown is not None:
                    mirrored.append(shown)
            pane.replace_measurements(own[name] + mirrored)

    def _shown_on(self, pane: MprViewport, m: Measurement) -> Measurement | None:
        """``m`` as ``pane`` shows it, read-only; None when its plane does not contain it."""
        mpr = self._mpr
        points = m.extra.get("patient_points")
        if mpr is None or not isinstance(points, tuple) or not points:
            return None
        index = pane.index_at(np.mean(np.asarray(points), axis=0))
        image = pane.slice_geometry(index)
        if image is None:
            return None
        found = patient_points_to_image(image, points, tolerance=mpr.spacing(pane.plane) / 2)
        if found is None:
            return None
        copy = Measurement(m.kind, index, list(found))
        copy.extra.update(readonly=True, mirrored=True, patient_points=points)
        return copy


def _onto(point: tuple[float, float, float], image: PlaneImage) -> tuple[float, float, float]:
    """``point`` moved along ``image``'s normal onto its plane."""
    normal = np.asarray(image.normal)
    at = np.asarray(point, dtype=float)
    at -= normal * float((at - np.asarray(image.origin)) @ normal)
    return (float(at[0]), float(at[1]), float(at[2]))
