"""Hanging protocols in the reading window: applied when a study opens, switchable from View.

:func:`install_hanging` is called once by the window. When a study opens, its largest series
loads and shows first, alone (opening stays as fast as without protocols); once that series
has loaded (still in the 1 × 1 layout, showing it: a layout or series the reader chose
meanwhile is kept), the best protocol matching the study
(:func:`core.viewing.hanging.matching_protocols`) lays out the grid: its layout, and in each
viewport the series its rule picks, in its plane (a reformatted plane is a view of the
loaded volume, :func:`desktop.viewer.mpr_viewport.plane_volume`) and window. Waiting for
the load is what keeps opening smooth: painting three panes while the loader's threads
fill the volume held the GUI thread 100–270 ms (the panes' paints wait for the GIL), and a
reformatted pane would have shown the acquired slices until the volume was whole.

View → Hanging Protocol lists the protocols that match the open study, and "None" (the
window's own layout, the largest series). The protocols are read once, at the first study;
a site file that cannot be used is named in a notification (the bundled protocols are used
instead). Each pane a protocol fills shows the protocol's label for it ("Lung") as the first
line of its top-right corner, until it shows another series.

A viewport showing a reformatted plane is a normal viewport; what is drawn on it is saved
with the study in patient mm (:mod:`desktop.viewer.annotation_keeper`).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QTimer
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QLabel, QMenu

from core.dicom.records import SeriesRecord, StudyIndex, StudyRecord
from core.dicom.volume import Volume
from core.viewing.hanging import (
    HangingProtocol,
    ViewportRule,
    fitted_layout,
    hang,
    load_protocols,
    matching_protocols,
)
from core.viewing.mpr import PLANE_AXIS, MprVolume, ReformatError
from desktop.viewer.mpr_viewport import plane_volume
from desktop.viewer.viewport import Viewport

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

logger = logging.getLogger(__name__)

__all__ = ["HangingMode", "install_hanging"]

_ACQUIRED_COSINE = 0.99  # a stack this close to a plane's normal shows that plane as acquired
#: The bundled protocols' pane labels, for the translators: a pane shows its label in the
#: interface language when it is one of these (a site's own labels are shown as written).
_BUNDLED_LABELS = (
    QT_TRANSLATE_NOOP("HangingMode", "Lung"),
    QT_TRANSLATE_NOOP("HangingMode", "Mediastinum"),
    QT_TRANSLATE_NOOP("HangingMode", "Coronal"),
    QT_TRANSLATE_NOOP("HangingMode", "Brain"),
    QT_TRANSLATE_NOOP("HangingMode", "Bone"),
    QT_TRANSLATE_NOOP("HangingMode", "Current PA"),
    QT_TRANSLATE_NOOP("HangingMode", "Prior PA"),
    QT_TRANSLATE_NOOP("HangingMode", "T1"),
    QT_TRANSLATE_NOOP("HangingMode", "T2"),
    QT_TRANSLATE_NOOP("HangingMode", "FLAIR"),
)


class HangingMode(QObject):
    """The window's hanging protocols (see the module notes).

    Attributes
    ----------
    menu : QMenu
        View → Hanging Protocol.
    current : HangingProtocol or None
        The protocol applied to the open study (None: none).
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._protocols: tuple[HangingProtocol, ...] | None = None
        self._study: StudyRecord | None = None
        self._apply_on_first_image = False
        #: The viewport whose first image showed: the protocol applies when its load ends.
        self._apply_when_loaded: Viewport | None = None
        #: A protocol's layout is due in a coming event-loop turn (the window is busy).
        self._scheduled = False
        self._wanted: dict[int, tuple[Viewport, str, ViewportRule]] = {}
        self._reformats: dict[int, MprVolume] = {}
        self.current: HangingProtocol | None = None
        self.menu = QMenu(self.tr("Hanging &Protocol"), window)
        self.menu.setObjectName("hanging_protocol_menu")
        self.menu.aboutToShow.connect(self._rebuild_menu)
        self._group = QActionGroup(self)
        window.menus["View"].addSeparator()
        window.menus["View"].addMenu(self.menu)
        # A permanent status-bar label: the window's status line keeps saying what loaded.
        self.label = QLabel("")
        self.label.setObjectName("hanging_protocol_label")
        window.statusBar().addPermanentWidget(self.label)
        window.study_opened.connect(self._on_window_study_opened)
        window.first_image_shown.connect(self._on_window_first_image_shown)
        window.series_loaded.connect(self._on_window_series_loaded)

    # ------------------------------------------------------------------ public

    @property
    def protocols(self) -> tuple[HangingProtocol, ...]:
        """The protocols in force (read at the first call; bad site files notified)."""
        if self._protocols is None:
            self._protocols, problems = load_protocols()
            for problem in problems:
                self._window.notifications.notify(
                    self.tr("A hanging protocol file was not used: {problem}").format(
                        problem=str(problem)
                    ),
                    level="warning",
                )
        return self._protocols

    def matching(self) -> list[HangingProtocol]:
        """The protocols matching the open study, best first."""
        if self._study is None:
            return []
        return matching_protocols(self.protocols, self._study, self._prior_series())

    def apply(self, protocol: HangingProtocol | None) -> None:
        """Lay the window out as ``protocol`` says (None: the window's layout, largest series)."""
        window = self._window
        study = self._study
        self._wanted.clear()
        self.current = protocol
        self.label.setText("")
        for viewport in window.grid.all_viewports:
            viewport.set_pane_label("")
        if study is None:
            return
        window.mpr.leave()
        if protocol is None:
            window.set_layout(*window.current_layout)
            largest = max(study.series, key=lambda s: s.frame_count, default=None)
            if largest is not None:
                window.load_series(largest, window.grid.viewports[0])
            window.grid.set_active_viewport(window.grid.viewports[0])
            return
        grid = window.grid
        placements = hang(protocol, study, self._prior_series())
        grid.set_layout(*fitted_layout(protocol, placements))
        for viewport in grid.viewports:  # new ones follow the window's choices
            viewport.set_overlays_visible(window.overlays_action.isChecked())
            viewport.set_tool(grid.grid_viewport.tool)
        shown = grid.viewports
        for placement in placements:
            if placement.series is None or placement.index >= len(shown):
                continue
            viewport = shown[placement.index]
            self._wanted[id(viewport)] = (viewport, placement.series.key, placement.rule)
            window.load_series(placement.series, viewport)
            self._finish(viewport)
        grid.set_active_viewport(shown[0])
        self.label.setText(self.tr("Hanging protocol: {name}").format(name=protocol.title()))

    def forget_study(self) -> None:
        """The study closed: let go of it (a reformat holds its whole volume).

        A protocol's layout goes with its study: the window's own comes back, so the next
        study opens as the first one did (its largest series alone, then its protocol).
        """
        if self.current is not None:
            self._window.set_layout(*self._window.current_layout)
        for viewport in self._window.grid.all_viewports:
            viewport.set_pane_label("")
        self._wanted.clear()
        self._reformats.clear()
        self._study = None
        self._apply_on_first_image = False
        self._apply_when_loaded = None
        self.current = None
        self.label.setText("")

    # ------------------------------------------------------------------ slots

    def _on_window_study_opened(self, index: StudyIndex) -> None:
        self._wanted.clear()
        self._reformats.clear()
        self.current = None
        self.label.setText("")
        studies = [study for patient in index.patients for study in patient.studies]
        largest = max(
            studies, key=lambda s: max((x.frame_count for x in s.series), default=0), default=None
        )
        self._study = largest
        self._apply_on_first_image = largest is not None
        self._apply_when_loaded = None
        shown = self._window.grid.grid_viewport
        if shown.volume is not None:  # the window says a study opened once it showed its image
            self._on_window_first_image_shown(shown)

    def _on_window_first_image_shown(self, viewport: Viewport) -> None:
        if self._apply_on_first_image:
            self._apply_on_first_image = False
            volume = viewport.volume
            if volume is not None and _load_ended(volume):
                # Already loaded: once the window has shown that image.
                self._schedule_apply(viewport)
            else:
                self._apply_when_loaded = viewport  # the rest of the layout waits for the load
        if id(viewport) in self._wanted:
            self._finish(viewport)

    @property
    def pending(self) -> bool:
        """A protocol is about to lay out the study just opened (in a coming turn)."""
        return self._scheduled

    def _schedule_apply(self, viewport: Viewport) -> None:
        self._scheduled = True
        # Tied to this object: a window closed meanwhile takes the turn with it.
        QTimer.singleShot(0, self, partial(self._apply_if_opened_as_usual, viewport))

    def _apply_if_opened_as_usual(self, viewport: Viewport) -> None:
        self._scheduled = False
        if self._opened_as_usual(viewport):
            self._apply_best()

    def _opened_as_usual(self, viewport: Viewport) -> bool:
        """The study's largest series just showed, in the 1 × 1 layout, and nothing else.

        A reader who chose another layout before opening keeps it, and one who asked for
        another series before the series had loaded keeps that: a protocol is then
        chosen from View → Hanging Protocol.
        """
        window, study = self._window, self._study
        volume = viewport.volume
        if study is None or volume is None or viewport is not window.grid.grid_viewport:
            return False
        largest = max(study.series, key=lambda s: s.frame_count, default=None)
        return (
            window.current_layout == (1, 1)  # the reader's layout: a protocol's is not
            and largest is not None
            and volume.series.key == largest.key
        )

    def _on_window_series_loaded(self, volume: Volume) -> None:
        waiting = self._apply_when_loaded
        if waiting is not None and waiting.volume is volume:
            self._apply_when_loaded = None
            # Once the window has shown the whole series (the load's last repaint first).
            self._schedule_apply(waiting)
        for viewport, _key, _rule in list(self._wanted.values()):
            if viewport.volume is volume:
                self._finish(viewport)

    def _apply_best(self) -> None:
        found = self.matching()
        self.apply(found[0] if found else None)

    # ------------------------------------------------------------------ viewports

    def _finish(self, viewport: Viewport) -> None:
        """Plane and window of a viewport once its series is there (kept while it loads)."""
        wanted = self._wanted.get(id(viewport))
        volume = viewport.volume
        if wanted is None or volume is None or volume.series.key != wanted[1]:
            return
        rule = wanted[2]
        if rule.plane != "acquired" and not _shows_plane(volume, rule.plane):
            if not _load_ended(volume):
                return  # a reformat needs every slice: again when the load ends
            mpr = self._reformats.get(id(volume))
            if mpr is None:
                try:
                    mpr = MprVolume(volume)
                except ReformatError as exc:
                    self._window.status_label.setText(str(exc))
                    mpr = None
                if mpr is not None:
                    self._reformats[id(volume)] = mpr
            if mpr is not None:
                viewport.set_volume(plane_volume(mpr, rule.plane), viewport.header)
                viewport.set_frame(mpr.index_of(rule.plane, mpr.centre()[PLANE_AXIS[rule.plane]]))
                self._window.annotations.show_on(viewport)  # saved measurements its slices hold
        if rule.window is not None and not volume.is_color:
            viewport.set_window(*rule.window)
        if rule.label:
            viewport.set_pane_label(QCoreApplication.translate("HangingMode", rule.label))
        del self._wanted[id(viewport)]

    def _prior_series(self) -> tuple[SeriesRecord, ...]:
        prior = getattr(getattr(self._window, "archive_part", None), "priors", None)
        viewport = getattr(prior, "prior_viewport", None)
        volume = viewport.volume if isinstance(viewport, Viewport) else None
        return (volume.series,) if volume is not None else ()

    # ------------------------------------------------------------------ menu

    def _rebuild_menu(self) -> None:
        self.menu.clear()
        for action in self._group.actions():
            self._group.removeAction(action)
        options: list[tuple[str, HangingProtocol | None]] = [
            (p.title(), p) for p in self.matching()
        ]
        options.append((self.tr("None"), None))
        for text, protocol in options:
            action = QAction(text, self.menu)
            action.setCheckable(True)
            action.setChecked(protocol is self.current)
            action.setEnabled(self._study is not None)
            action.triggered.connect(lambda _=False, p=protocol: self.apply(p))
            self._group.addAction(action)
            self.menu.addAction(action)


def _load_ended(volume: Volume) -> bool:
    """Whether every slice of ``volume`` has been read (or found unreadable)."""
    return volume.total_s > 0 or bool(volume.loaded.all())


def _shows_plane(volume: Volume, plane: str) -> bool:
    """Whether the acquired stack already is ``plane`` (an axial CT for "axial")."""
    normal = volume.geometry.normal
    return normal is not None and abs(float(normal[PLANE_AXIS[plane]])) >= _ACQUIRED_COSINE


def install_hanging(window: MainWindow) -> HangingMode:
    """Give ``window`` its hanging protocols (once, after its menus are built)."""
    return HangingMode(window)
