"""Measurements that outlive the window, and presentation states shown on their images.

The :class:`AnnotationKeeper` sits between the viewports and core's annotation model
(:mod:`core.dicom.annotations`, :mod:`core.dicom.presentation`):

* what a person draws is saved with its study in the user data folder on every change
  (:class:`core.dicom.annotations.AnnotationStore`, 12 ms median on a busy disk) and drawn again
  when the study is opened again — matched by SOP Instance UID and frame, not by where
  the frame sits in a stack;
* the study's presentation states (GSPS) are read on a worker when the study opens and
  their graphics, texts, window and displayed area are shown on the images they
  reference (read-only, in another colour); the status bar says so;
* File → Export Annotations as GSPS writes what is drawn and the windows on screen as
  presentation states into the export folder, on a worker.

Two viewports showing the same series show the same measurements: a change in one is
saved and drawn in the other.

Measurements drawn in the MPR layout are kept in patient millimetres
(:attr:`Annotation.patient_points`; :mod:`core.viewing.placement` files them under the
nearest acquired image): :meth:`AnnotationKeeper.save_reformatted` saves them with the
study, :meth:`AnnotationKeeper.annotations_of_series` gives them back when MPR opens
again, and an acquired-plane viewport shows one (read-only) on the slice that holds it.
A grid viewport showing a reformatted plane (a hanging protocol's coronal view) saves
what is drawn on it the same way, and shows the saved ones its slices hold, read-only.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from core.dicom.annotations import (
    MEASUREMENT_KINDS,
    Annotation,
    AnnotationStore,
    AnnotationStoreError,
)
from core.dicom.records import FileRef, StudyIndex, UnreadableFile
from core.errors import CancelledError, RadAssistError
from core.jobs import CancelToken
from core.viewing.mpr import MprVolume, image_points_to_patient, patient_points_to_image
from core.viewing.placement import anchor_annotation, patient_points_of, place_annotation
from desktop import workers
from desktop.viewer.measurements import Measurement
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.dicom.presentation import PresentationExport, PresentationState
    from core.dicom.volume import Volume
    from desktop.viewer.grid import ViewerGrid
    from desktop.viewer.viewport import Viewport
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = ["AnnotationKeeper", "annotation_of", "measurements_for"]


def annotation_of(m: Measurement, volume: Volume) -> Annotation:
    """The core annotation of a viewport's measurement (its label as ``text``)."""
    frame = volume.geometry.frames[m.frame]
    return Annotation(
        kind=m.kind,
        sop_instance_uid=frame.instance.sop_instance_uid,
        frame=frame.frame,
        points=tuple((float(x), float(y)) for x, y in m.points),
        text="\n".join(m.label_lines),
    )


def measurements_for(annotations: Sequence[Annotation], volume: Volume) -> list[Measurement]:
    """The measurements to draw on ``volume`` for the annotations on its images.

    A measurement drawn in MPR (with patient points) shows, read-only, on the frames
    whose plane holds it; on a reformatted plane (:func:`_reformat_of`) every saved
    measurement shows, read-only, on the slice that holds it.
    """
    if not annotations:
        return []  # most studies: no frame map of the whole series to build
    reformat = _reformat_of(volume)
    if reformat is not None:
        return _on_reformat(annotations, volume, *reformat)
    if volume.extra.get("mpr_plane") is not None:
        return []
    where: dict[tuple[str, int], int] = {}
    for index, frame in enumerate(volume.geometry.frames):
        where[(frame.instance.sop_instance_uid, frame.frame)] = index
    found: list[Measurement] = []
    for a in annotations:
        if a.patient_points:
            for index, points in place_annotation(a, volume):
                m = Measurement(a.kind, index, list(points), series_key=volume.series.key)
                m.extra.update(readonly=True, mirrored=True, patient_points=a.patient_points)
                found.append(m)
            continue
        if a.frame is None:  # every frame of that image
            indexes = [i for (uid, _), i in where.items() if uid == a.sop_instance_uid]
        else:
            at = where.get((a.sop_instance_uid, a.frame))
            indexes = [] if at is None else [at]
        for index in indexes:
            m = Measurement(a.kind, index, list(a.points), series_key=volume.series.key)
            if a.kind not in MEASUREMENT_KINDS or not a.is_measurement:
                m.extra.update(readonly=True, text=a.text, closed=a.closed)
            found.append(m)
    return found


def _reformat_of(volume: Volume) -> tuple[MprVolume, str] | None:
    """(the reformat, its plane) of a volume that is a reformatted plane; None otherwise."""
    mpr, plane = volume.extra.get("mpr"), volume.extra.get("mpr_plane")
    return (mpr, plane) if isinstance(mpr, MprVolume) and isinstance(plane, str) else None


def _on_reformat(
    annotations: Sequence[Annotation], volume: Volume, mpr: MprVolume, plane: str
) -> list[Measurement]:
    """The saved measurements a reformatted plane's slices hold, read-only."""
    found = []
    axis = {"axial": 2, "coronal": 1, "sagittal": 0}[plane]
    for a in annotations:
        points = patient_points_of(a, mpr.volume) if a.kind in MEASUREMENT_KINDS else None
        if not points:
            continue
        index = mpr.index_of(plane, sum(p[axis] for p in points) / len(points))
        image = mpr.slice_geometry(plane, index)
        shown = patient_points_to_image(image, points, tolerance=mpr.spacing(plane) / 2)
        if shown is not None:
            m = Measurement(a.kind, index, list(shown), series_key=volume.series.key)
            m.extra.update(readonly=True, mirrored=True, patient_points=points)
            found.append(m)
    return found


class AnnotationKeeper(QObject):
    """Saves, restores, exports and loads a window's annotations (see the module notes).

    Signals
    -------
    message(str)
        A line for the status bar.
    failed(str, object)
        Something went wrong: the text, and the files (``UnreadableFile``) involved.
    presentation_states_loaded(object)
        The tuple of :class:`~core.dicom.presentation.PresentationState` of the study.
    exported(object)
        The :class:`~core.dicom.presentation.PresentationExport` just written.
    """

    message = Signal(str)
    failed = Signal(str, object)
    presentation_states_loaded = Signal(object)
    exported = Signal(object)

    def __init__(
        self, grid: ViewerGrid, parent: QObject | None = None, store: AnnotationStore | None = None
    ) -> None:
        super().__init__(parent)
        self._grid = grid
        self._store = store
        self._index: StudyIndex | None = None
        self._study_of: dict[str, str] = {}  # SOP Instance UID -> Study Instance UID
        self._refs: dict[str, FileRef] = {}
        self._saved: dict[str, list[Annotation]] = {}
        self._unreadable: set[str] = set()  # studies whose saved file could not be read
        self._states: tuple[PresentationState, ...] = ()
        self._states_note = ""  # what the status bar says about them
        self._presented: set[tuple[int, str]] = set()  # (viewport id, series key) done
        self._watched: set[int] = set()
        #: What each viewport showing a reformatted plane added to the saved list.
        self._from_reformat: dict[int, list[Annotation]] = {}
        self._states_slot = JobSlot(self, name="presentation states")

    # ------------------------------------------------------------------ study

    @property
    def presentation_states(self) -> tuple[PresentationState, ...]:
        return self._states

    def saved_annotations(self, study_uid: str) -> list[Annotation]:
        """The measurements kept for a study (what the store holds)."""
        return list(self._saved.get(study_uid, []))

    def annotations_of_series(self, volume: Volume) -> list[Annotation]:
        """The saved measurements on ``volume``'s images (drawn on them or in its MPR)."""
        study = self._study_of_volume(volume)
        mine = {inst.sop_instance_uid for inst in volume.series.instances}
        saved = self._saved.get(study, []) if study else []
        return [a for a in saved if a.sop_instance_uid in mine]

    def save_reformatted(self, volume: Volume, annotations: Sequence[Annotation]) -> None:
        """Keep ``annotations`` as the measurements drawn in ``volume``'s MPR, and save.

        They replace the series' earlier MPR measurements (those with patient points);
        the viewports showing the series draw the ones their slices hold.
        """
        study = self._study_of_volume(volume)
        if study is None:
            return
        mine = {inst.sop_instance_uid for inst in volume.series.instances}
        kept = [
            a
            for a in self._saved.get(study, [])
            if not (a.patient_points and a.sop_instance_uid in mine)
        ]
        self._saved[study] = kept + [a for a in annotations if a.sop_instance_uid in mine]
        self._write(study)
        for viewport in self._grid.viewports:
            if viewport.volume is not None and viewport.volume.series.key == volume.series.key:
                self.show_on(viewport)

    def _write(self, study: str) -> None:
        store = self._open_store()
        if store is not None and study not in self._unreadable:
            try:
                store.save(study, self._saved[study])
            except AnnotationStoreError as exc:
                self.failed.emit(str(exc), ())

    def open_study(self, index: StudyIndex) -> JobHandle | None:
        """Read the study's saved measurements; start reading its presentation states."""
        self.close_study()
        self._index = index
        for patient in index.patients:
            for study in patient.studies:
                for series in study.series:
                    for inst in series.instances:
                        self._study_of[inst.sop_instance_uid] = study.study_instance_uid
                        self._refs[inst.sop_instance_uid] = inst.ref
                store = self._open_store()
                if store is not None:
                    try:
                        self._saved[study.study_instance_uid] = list(
                            store.load(study.study_instance_uid)
                        )
                    except AnnotationStoreError as exc:
                        # Saving now would replace measurements that could not be read.
                        self._unreadable.add(study.study_instance_uid)
                        note = self.tr("{error}; new measurements will not be saved")
                        self.failed.emit(note.format(error=exc), ())
        # lazy: not on the window's start-up path
        from core.dicom.presentation import list_presentation_states

        if not list_presentation_states(index):
            return None
        # lazy: not on the window's start-up path
        from core.dicom.presentation import load_presentation_states

        def job(token: CancelToken) -> Any:
            return load_presentation_states(index, token)

        return self._states_slot.start(
            job, on_result=self._on_states_read, on_error=self._on_job_error
        )

    def close_study(self) -> None:
        self._states_slot.discard()  # nothing of the study closed arrives any more
        self._index = None
        self._study_of.clear()
        self._refs.clear()
        self._saved.clear()
        self._unreadable.clear()
        self._states = ()
        self._states_note = ""
        self._presented.clear()
        self._from_reformat.clear()

    def _open_store(self) -> AnnotationStore | None:
        if self._store is None:
            try:
                self._store = AnnotationStore()
            except AnnotationStoreError as exc:
                self.failed.emit(str(exc), ())
        return self._store

    # ------------------------------------------------------------------ viewports

    def show_on(self, viewport: Viewport) -> None:
        """Draw the saved measurements and the presentation states on what ``viewport`` shows."""
        volume = viewport.volume
        if volume is None:
            return
        if id(viewport) not in self._watched:
            self._watched.add(id(viewport))
            viewport.measurements_changed.connect(partial(self._on_measurements_changed, viewport))
            viewport.destroyed.connect(partial(self._watched.discard, id(viewport)))
        study = self._study_of_volume(volume)
        saved = self._saved.get(study, []) if study else []
        shapes = [a for s in self._states for a in s.annotations]
        viewport.replace_measurements(measurements_for(saved + shapes, volume))
        if _reformat_of(volume) is None:  # a reformatted slice is no one image
            self._present(viewport, volume)

    def remeasure(self, volume: Volume) -> None:
        """The values under the ROIs arrived (the series finished loading): measure again."""
        for viewport in self._grid.viewports:
            if viewport.volume is volume:
                viewport.replace_measurements(viewport.measurements)
        uids = {inst.sop_instance_uid for inst in volume.series.instances}
        if self._states_note and any(uids.intersection(s.referenced) for s in self._states):
            self.message.emit(self._states_note)  # said again once the series has loaded

    def _study_of_volume(self, volume: Volume) -> str | None:
        instances = volume.series.instances
        return self._study_of.get(instances[0].sop_instance_uid) if instances else None

    def _present(self, viewport: Viewport, volume: Volume) -> None:
        """A presentation state's window and displayed area, once per viewport and series."""
        key = (id(viewport), volume.series.key)
        if not self._states or key in self._presented:
            return
        frames = volume.geometry.frames
        uids = {f.instance.sop_instance_uid for f in frames}
        state = next((s for s in self._states if uids.intersection(s.referenced)), None)
        if state is None:
            return
        self._presented.add(key)
        shown = frames[viewport.frame_index].instance.sop_instance_uid
        if shown not in state.referenced and viewport.display_position == 0:
            order = viewport.reading_order
            for position in range(order.count):  # the first referenced image, in reading order
                index = order.frame_at(position)
                if frames[index].instance.sop_instance_uid in state.referenced:
                    viewport.set_frame(index)
                    shown = frames[index].instance.sop_instance_uid
                    break
        window = state.window_for(shown)
        if window is not None and not volume.is_color:
            viewport.set_window(*window)
        area = state.displayed_area_for(shown)
        if area is not None:
            columns, rows = volume.array.shape[2], volume.array.shape[1]
            whole = area.top_left == (0.0, 0.0) and area.bottom_right == (columns, rows)
            if area.size_mode == "MAGNIFY" and area.magnification:
                viewport.set_zoom(float(area.magnification))
            elif not whole:
                viewport.show_image_area(area.top_left, area.bottom_right)

    def _on_measurements_changed(self, viewport: Viewport) -> None:
        volume = viewport.volume
        if volume is None:
            return
        study = self._study_of_volume(volume)
        if study is None:
            return
        reformat = _reformat_of(volume)
        if reformat is not None:
            self._save_from_reformat(viewport, study, *reformat)
            return
        mine = {inst.sop_instance_uid for inst in volume.series.instances}
        drawn = [annotation_of(m, volume) for m in viewport.measurements if not m.readonly]
        kept = [
            a
            for a in self._saved.get(study, [])
            if a.sop_instance_uid not in mine or a.patient_points  # MPR's: its own to change
        ]
        self._saved[study] = kept + drawn
        self._write(study)
        for other in self._grid.viewports:  # the same series elsewhere shows the same
            shows = other.volume.series.key if other.volume is not None else None
            if other is not viewport and shows == volume.series.key:
                self.show_on(other)

    def _save_from_reformat(
        self, viewport: Viewport, study: str, mpr: MprVolume, plane: str
    ) -> None:
        """What is drawn on a reformatted plane, kept in patient mm (as MPR keeps it)."""
        drawn = []
        for m in viewport.measurements:
            if m.readonly:
                continue
            points = image_points_to_patient(mpr.slice_geometry(plane, m.frame), m.points)
            drawn.append(anchor_annotation(m.kind, points, mpr.volume, "\n".join(m.label_lines)))
        before = self._from_reformat.get(id(viewport), [])
        kept = [a for a in self._saved.get(study, []) if a not in before]
        self._from_reformat[id(viewport)] = drawn
        self._saved[study] = kept + drawn
        self._write(study)
        for other in self._grid.viewports:  # the acquired series shows those its slices hold
            shows = other.volume.series.key if other.volume is not None else None
            if other is not viewport and shows == mpr.volume.series.key:
                self.show_on(other)

    # ------------------------------------------------------------------ presentation states

    def _on_states_read(
        self, outcome: tuple[tuple[PresentationState, ...], tuple[UnreadableFile, ...]]
    ) -> None:
        states, failures = outcome
        self._states = tuple(states)
        if failures:
            count = len(failures)
            note = (
                self.tr("1 presentation state could not be read")
                if count == 1
                else self.tr("{count} presentation states could not be read")
            )
            self.failed.emit(note.format(count=count), tuple(failures))
        if states:
            graphics = sum(len(s.annotations) for s in states)
            images = len({uid for s in states for uid in s.referenced})
            names = ", ".join(f'"{s.label}"' for s in states if s.label)
            what = (
                self.tr("{graphics} annotations on 1 image")
                if images == 1
                else self.tr("{graphics} annotations on {images} images")
            ).format(graphics=graphics, images=images)
            self._states_note = (
                self.tr("Presentation state {names} applied: {what}")
                if names
                else self.tr("Presentation state applied: {what}")
            ).format(names=names, what=what)
            self.message.emit(self._states_note)
            for viewport in self._grid.viewports:
                self.show_on(viewport)
        self.presentation_states_loaded.emit(self._states)

    def _on_job_error(self, error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            note = self.tr("The presentation states could not be read: {error}")
            self.failed.emit(note.format(error=error), ())

    def export_presentation_state(self) -> JobHandle | None:
        """File → Export Annotations as GSPS: one file per series, in the export folder.

        Returns the job's handle; None (and a message) when there is nothing to export.
        """
        # lazy: not on the window's start-up path
        from core.dicom.presentation import ShownImage, export_presentation_states

        active = self._grid.grid_viewport  # not an MPR pane: no one image
        views = [active] + [v for v in self._grid.viewports if v is not active]
        shown: list[ShownImage] = []
        study: str | None = None
        for viewport in views:
            volume = viewport.volume
            if volume is None:
                continue
            this = self._study_of_volume(volume)
            study = study or this
            if this != study:
                continue
            frame = volume.geometry.frames[viewport.frame_index]
            window = None if volume.is_color else viewport.window
            shown.append(
                ShownImage(frame.instance.ref, frame.instance.sop_instance_uid, frame.frame, window)
            )
        annotations = self._saved.get(study, []) if study else []
        if not shown:
            self.message.emit(self.tr("There is no image to export annotations from"))
            return None
        refs = dict(self._refs)

        def job(token: CancelToken) -> Generator[Any, None, PresentationExport]:
            yield from ()
            return export_presentation_states(annotations, shown, refs, token)

        return workers.start_job(
            job,
            on_result=self._on_exported,
            on_error=self._on_export_error,
            parent=self,
            name="export presentation state",
        )

    def _on_exported(self, result: PresentationExport) -> None:
        if result.paths:
            folder = result.paths[0].parent
            count = len(result.paths)
            states = (
                self.tr("1 presentation state (GSPS)")
                if count == 1
                else self.tr("{count} presentation states (GSPS)")
            ).format(count=count)
            said = self.tr("Exported {annotations} annotations as {states} to {folder}")
            self.message.emit(
                said.format(annotations=result.annotation_count, states=states, folder=folder)
            )
        for note in result.skipped:
            self.failed.emit(self.tr("Not exported: {reason}").format(reason=note), ())
        self.exported.emit(result)

    def _on_export_error(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            return
        text = str(error) if isinstance(error, RadAssistError) else type(error).__name__
        note = self.tr("The annotations could not be exported: {error}")
        self.failed.emit(note.format(error=text), ())
