"""The study browser: patient → study → series, with thumbnails made in the background.

A tree of what :func:`core.dicom.index.scan_path` found. Series rows carry a
thumbnail (from :func:`core.dicom.thumbnails.thumbnail_job`, run on
:mod:`desktop.workers`), the modality, the number of frames, and a note when the
series was split or its geometry has problems. Objects that are not images and
files that could not be read are listed in their own sections, with their kind
or the reason. Double-click or Enter on a series emits ``series_activated``; a
series row can be dragged onto a viewport (mime type :data:`SERIES_MIME_TYPE`,
the series key in UTF-8).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QMimeData, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.dicom.overlays import sex_word
from core.dicom.records import (
    FileRef,
    NonImageRecord,
    PatientRecord,
    SeriesRecord,
    StudyIndex,
    StudyRecord,
    UnreadableFile,
)
from core.dicom.thumbnails import SeriesChecked, Thumbnail, ThumbnailFailed, thumbnail_job
from desktop.browser.formatting import format_date, format_person_name
from desktop.mime import SERIES_MIME_TYPE
from desktop.number_format import format_count
from desktop.workers import JobSlot

logger = logging.getLogger(__name__)

__all__ = [
    "SERIES_MIME_TYPE",
    "StudyBrowser",
    "format_date",
    "format_person_name",
]

#: Data roles on column 0.
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1  # the record the row shows
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # "patient", "study", "series", "non-image", ...

COL_NAME, COL_MODALITY, COL_IMAGES, COL_NOTES = range(4)
#: Column titles (English sources; shown translated).
HEADERS = (
    QT_TRANSLATE_NOOP("StudyBrowser", "Name"),
    QT_TRANSLATE_NOOP("StudyBrowser", "Modality"),
    QT_TRANSLATE_NOOP("StudyBrowser", "Images"),
    QT_TRANSLATE_NOOP("StudyBrowser", "Notes"),
)


def _tr(text: object, disambiguation: str | None = None) -> str:
    """``text`` (a source, or a QT_TRANSLATE_NOOP-marked constant) in the interface's language."""
    return QCoreApplication.translate("StudyBrowser", str(text), disambiguation)


#: What a non-image object is (core's ObjectKind values), as the list names it.
_OBJECT_KINDS = {
    "structured report": QT_TRANSLATE_NOOP("StudyBrowser", "Structured report"),
    "presentation state": QT_TRANSLATE_NOOP("StudyBrowser", "Presentation state"),
    "key object selection": QT_TRANSLATE_NOOP("StudyBrowser", "Key object selection"),
    "radiotherapy object": QT_TRANSLATE_NOOP("StudyBrowser", "Radiotherapy object"),
    "waveform": QT_TRANSLATE_NOOP("StudyBrowser", "Waveform"),
    "encapsulated document": QT_TRANSLATE_NOOP("StudyBrowser", "Encapsulated document"),
    "segmentation": QT_TRANSLATE_NOOP("StudyBrowser", "Segmentation"),
    "raw data": QT_TRANSLATE_NOOP("StudyBrowser", "Raw data"),
    "other non-image object": QT_TRANSLATE_NOOP("StudyBrowser", "Other non-image object"),
}
#: Core's geometry problem kinds (GeometryProblem.kind), as the Notes column names them.
_PROBLEM_KINDS = {
    "non-uniform spacing": QT_TRANSLATE_NOOP("StudyBrowser", "non-uniform spacing"),
    "duplicate position": QT_TRANSLATE_NOOP("StudyBrowser", "duplicate position"),
    "gap": QT_TRANSLATE_NOOP("StudyBrowser", "gap"),
    "gantry tilt": QT_TRANSLATE_NOOP("StudyBrowser", "gantry tilt"),
    "missing position": QT_TRANSLATE_NOOP("StudyBrowser", "missing position"),
    "mixed orientation": QT_TRANSLATE_NOOP("StudyBrowser", "mixed orientation"),
    "mixed size": QT_TRANSLATE_NOOP("StudyBrowser", "mixed size"),
}


def _kind_words(kind: str) -> str:
    """An object kind in words, capitalised (an unknown kind as it stands)."""
    known = _OBJECT_KINDS.get(kind)
    return _tr(known) if known is not None else f"{kind[:1].upper()}{kind[1:]}"


def _problem_words(kind: str) -> str:
    """A geometry problem kind in words (an unknown kind as it stands)."""
    known = _PROBLEM_KINDS.get(kind)
    return _tr(known) if known is not None else kind


def _files(count: int) -> str:
    return (
        QCoreApplication.translate("StudyBrowser", "1 file")
        if count == 1
        else QCoreApplication.translate("StudyBrowser", "{count} files").format(
            count=format_count(count)
        )
    )


def _frames(count: int) -> str:
    if count == 1:
        return QCoreApplication.translate("StudyBrowser", "1 frame")
    return QCoreApplication.translate("StudyBrowser", "{count} frames").format(
        count=format_count(count)
    )


class _Tree(QTreeWidget):
    """The tree, with series rows draggable as :data:`SERIES_MIME_TYPE`."""

    context_menu_requested = Signal(object, QPoint)  # (item or None, global position)

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt override)
        return [SERIES_MIME_TYPE]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:  # noqa: N802 (Qt override)
        data = QMimeData()
        for item in items:
            record = item.data(COL_NAME, RECORD_ROLE)
            if isinstance(record, SeriesRecord):
                data.setData(SERIES_MIME_TYPE, record.key.encode("utf-8"))
                data.setText(record.key)
                break
        return data

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802 (Qt override)
        return Qt.DropAction.CopyAction

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt override)
        item = self.itemAt(event.pos())
        self.context_menu_requested.emit(item, event.globalPos())


class StudyBrowser(QWidget):
    """Patient → study → series tree with thumbnails, other objects and unreadable files.

    Signals
    -------
    series_activated(object)
        A :class:`~core.dicom.records.SeriesRecord` was double-clicked or chosen with Enter.
    tags_requested(object)
        "Show DICOM tags" was chosen; the payload is the :class:`~core.dicom.records.FileRef`.
    thumbnails_finished()
        The thumbnail job of the current index has ended (made, failed or cancelled).
    """

    series_activated = Signal(object)
    tags_requested = Signal(object)
    thumbnails_finished = Signal()

    def __init__(self, parent: QWidget | None = None, *, thumbnail_size: int = 64) -> None:
        super().__init__(parent)
        if isinstance(thumbnail_size, bool) or not isinstance(thumbnail_size, int):
            raise TypeError(f"thumbnail_size must be an int, found {type(thumbnail_size).__name__}")
        if not 16 <= thumbnail_size <= 256:
            raise ValueError(f"thumbnail_size must be 16..256 pixels, found {thumbnail_size}")
        self._thumbnail_size = thumbnail_size
        self._index: StudyIndex | None = None
        self._series_items: dict[str, QTreeWidgetItem] = {}
        # Thumbnails of the index shown: a new index (or none) cancels the previous job.
        self._thumbnail_slot = JobSlot(self, name="thumbnails")
        self._thumbnails: dict[str, QIcon] = {}
        self._thumbnail_failures: dict[str, str] = {}
        self._problems: dict[str, tuple[Any, ...]] = {}

        self.tree = _Tree(self)
        self.tree.setObjectName("studyTree")
        self.tree.setColumnCount(len(HEADERS))
        self.tree.setHeaderLabels([_tr(title) for title in HEADERS])
        self.tree.setIconSize(QSize(thumbnail_size, thumbnail_size))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setExpandsOnDoubleClick(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(COL_NAME, 260 + thumbnail_size)
        header.resizeSection(COL_MODALITY, 70)
        header.resizeSection(COL_IMAGES, 60)
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self.tree.context_menu_requested.connect(self._on_tree_context_menu_requested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)

        self._placeholder = self._make_placeholder_icon()
        self._warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)

    # ------------------------------------------------------------------ public API

    @property
    def index(self) -> StudyIndex | None:
        """The index shown, or None."""
        return self._index

    @property
    def thumbnail_size(self) -> int:
        return self._thumbnail_size

    @property
    def thumbnails_running(self) -> bool:
        """True while the thumbnail job of the current index is running."""
        return self._thumbnail_slot.is_running

    def set_index(self, index: StudyIndex) -> None:
        """Show ``index`` and start making its thumbnails (a running thumbnail job is cancelled).

        Raises
        ------
        TypeError
            When ``index`` is not a StudyIndex.
        """
        if not isinstance(index, StudyIndex):
            raise TypeError(f"index must be a StudyIndex, found {type(index).__name__}")
        self._reset()
        self._index = index
        self._populate(index)
        series = list(index.all_series())
        if series:
            self._start_thumbnails(series)

    def clear(self) -> None:
        """Show nothing; a running thumbnail job is cancelled."""
        self._reset()
        self._index = None

    def series_item(self, key: str) -> QTreeWidgetItem | None:
        """The row of the series with this key, if shown."""
        return self._series_items.get(key)

    def has_thumbnail(self, key: str) -> bool:
        """True once the thumbnail of that series has arrived."""
        return key in self._thumbnails

    def thumbnail_failure(self, key: str) -> str | None:
        """Why that series has no thumbnail, when making it failed."""
        return self._thumbnail_failures.get(key)

    def selected_series(self) -> SeriesRecord | None:
        item = self.tree.currentItem()
        record = item.data(COL_NAME, RECORD_ROLE) if item is not None else None
        return record if isinstance(record, SeriesRecord) else None

    def select_series(self, key: str | None) -> bool:
        """Make that series the current row; False when it is not shown (None: no row).

        A series that is not listed leaves no row highlighted: the highlight never
        points at a series other than the one named.
        """
        item = self._series_items.get(key) if key is not None else None
        if item is None:
            self.tree.clearSelection()
            self.tree.setCurrentItem(None)  # type: ignore[call-overload]  # Qt takes nullptr
            return False
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)
        return True

    def context_menu_for(self, item: QTreeWidgetItem | None) -> QMenu | None:
        """The context menu of a row (not shown); None when the row has no actions."""
        if item is None:
            return None
        record = item.data(COL_NAME, RECORD_ROLE)
        ref = _file_ref_of(record)
        if ref is None and not isinstance(record, SeriesRecord):
            return None
        menu = QMenu(self)
        if isinstance(record, SeriesRecord):
            open_action = menu.addAction(self.tr("Open series"))
            open_action.setObjectName("open_series")
            open_action.triggered.connect(lambda: self.series_activated.emit(record))
        if ref is not None:
            tags_action = menu.addAction(self.tr("Show DICOM tags"))
            tags_action.setObjectName("show_dicom_tags")
            tags_action.triggered.connect(lambda: self.tags_requested.emit(ref))
        return menu

    # ------------------------------------------------------------------ building the tree

    def _reset(self) -> None:
        self._thumbnail_slot.discard()
        self._series_items.clear()
        self._thumbnails.clear()
        self._thumbnail_failures.clear()
        self._problems.clear()
        self.tree.clear()

    def _populate(self, index: StudyIndex) -> None:
        bold = self.tree.font()
        bold.setBold(True)
        for patient in index.patients:
            p_item = self._patient_item(patient)
            p_item.setFont(COL_NAME, bold)
            self.tree.addTopLevelItem(p_item)
            for study in patient.studies:
                s_item = self._study_item(study)
                p_item.addChild(s_item)
                for series in study.series:
                    item = self._series_item(series)
                    s_item.addChild(item)
                    self._series_items[series.key] = item
                s_item.setExpanded(True)
            p_item.setExpanded(True)
        if index.non_image:
            title = self.tr("Other objects ({count})")
            section = self._section_item(
                title.format(count=format_count(len(index.non_image))), "non-image section", bold
            )
            for record in index.non_image:
                section.addChild(self._non_image_item(record, index.root))
            section.setExpanded(True)
        if index.unreadable:
            title = self.tr("Unreadable files ({count})")
            section = self._section_item(
                title.format(count=format_count(len(index.unreadable))), "unreadable section", bold
            )
            for bad in index.unreadable:
                section.addChild(self._unreadable_item(bad, index.root))
            section.setExpanded(True)
        if index.skipped:
            # Listed for completeness (a CD's viewer, autorun, text files), collapsed.
            title = self.tr("Skipped files ({count})")
            section = self._section_item(
                title.format(count=format_count(len(index.skipped))), "skipped section", bold
            )
            for other in index.skipped:
                item = QTreeWidgetItem(
                    [_relative_name(other.ref, index.root), "", "", other.reason]
                )
                item.setToolTip(COL_NAME, other.ref.display_name)
                item.setToolTip(COL_NOTES, other.reason)
                self._finish_item(item, other, "skipped", draggable=False)
                section.addChild(item)
        first = next(iter(self._series_items.values()), None)
        if first is not None:
            self.tree.setCurrentItem(first)

    def _patient_item(self, patient: PatientRecord) -> QTreeWidgetItem:
        images = sum(s.frame_count for st in patient.studies for s in st.series)
        modalities = _modalities(s for st in patient.studies for s in st.series)
        label = format_person_name(patient.patient_name)
        if patient.patient_id:
            details = [self.tr("ID {patient_id}").format(patient_id=patient.patient_id)]
        else:
            details = [self.tr("no patient ID")]
        if patient.sex:
            details.append(sex_word(patient.sex))  # core's words, as the corners say it
        if patient.birth_date:
            details.append(self.tr("born {date}").format(date=format_date(patient.birth_date)))
        # "王小东 (Wang, XiaoDong) · ID P3, F": the name may carry brackets of its own.
        listed = self.tr(", ", "separator of a list of patient details").join(details)
        item = QTreeWidgetItem([f"{label} · {listed}", modalities, format_count(images), ""])
        item.setToolTip(COL_NAME, "\n".join([label, *details]))
        self._finish_item(item, patient, "patient", draggable=False)
        return item

    def _study_item(self, study: StudyRecord) -> QTreeWidgetItem:
        images = sum(s.frame_count for s in study.series)
        date = format_date(study.study_date) or self.tr("no date")
        description = study.study_description or self.tr("(no description)")
        notes = self.tr("{count} series").format(count=format_count(len(study.series)))
        item = QTreeWidgetItem(
            [f"{date}  {description}", _modalities(study.series), format_count(images), notes]
        )
        tooltip = [description, self.tr("Date: {date}").format(date=date)]
        if study.accession_number:
            accession = self.tr("Accession: {accession}")
            tooltip.append(accession.format(accession=study.accession_number))
        item.setToolTip(COL_NAME, "\n".join(tooltip))
        self._finish_item(item, study, "study", draggable=False)
        return item

    def _series_item(self, series: SeriesRecord) -> QTreeWidgetItem:
        number = f"{series.series_number}: " if series.series_number is not None else ""
        description = series.description or self.tr("(no description)")
        notes = ""
        if series.split_reason:
            notes = self.tr("split: {reason}").format(reason=series.split_reason)
        item = QTreeWidgetItem(
            [f"{number}{description}", series.modality, format_count(series.frame_count), notes]
        )
        item.setIcon(COL_NAME, self._placeholder)
        item.setTextAlignment(
            COL_IMAGES, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self._finish_item(item, series, "series", draggable=True)
        self._update_series_tooltip(item, series)
        if series.split_reason:
            item.setIcon(COL_NOTES, self._warning_icon())
        return item

    def _section_item(self, title: str, kind: str, font: Any) -> QTreeWidgetItem:
        item = QTreeWidgetItem([title, "", "", ""])
        item.setFont(COL_NAME, font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setData(COL_NAME, KIND_ROLE, kind)
        self.tree.addTopLevelItem(item)
        return item

    def _non_image_item(self, record: NonImageRecord, root: str) -> QTreeWidgetItem:
        kind = str(record.kind)
        name = _relative_name(record.ref, root)
        item = QTreeWidgetItem(
            [f"{_kind_words(kind)} ({name})", record.modality, "", record.sop_class_name]
        )
        listed_only = self.tr("Listed only: this object is not an image.")
        lines = [record.sop_class_name, _kind_words(kind), record.ref.display_name, listed_only]
        item.setToolTip(COL_NAME, "\n".join(lines))
        self._finish_item(item, record, "non-image", draggable=False)
        return item

    def _unreadable_item(self, bad: UnreadableFile, root: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([_relative_name(bad.ref, root), "", "", bad.reason])
        item.setIcon(COL_NOTES, self._warning_icon())
        item.setToolTip(COL_NAME, bad.ref.display_name)
        item.setToolTip(COL_NOTES, bad.reason)
        self._finish_item(item, bad, "unreadable", draggable=False)
        return item

    def _finish_item(
        self, item: QTreeWidgetItem, record: object, kind: str, *, draggable: bool
    ) -> None:
        item.setData(COL_NAME, RECORD_ROLE, record)
        item.setData(COL_NAME, KIND_ROLE, kind)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if draggable:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        item.setFlags(flags)

    def _update_series_tooltip(self, item: QTreeWidgetItem, series: SeriesRecord) -> None:
        counts = self.tr("{modality}, {files}, {frames}").format(
            modality=series.modality,
            files=_files(len(series.instances)),
            frames=_frames(series.frame_count),
        )
        lines = [series.description or self.tr("(no description)"), counts]
        if series.split_reason:
            lines.append(self.tr("Split: {reason}").format(reason=series.split_reason))
        for problem in self._problems.get(series.key, ()):
            geometry = self.tr("Geometry ({kind}): {message}")
            lines.append(
                geometry.format(kind=_problem_words(problem.kind), message=problem.message)
            )
        failure = self._thumbnail_failures.get(series.key)
        if failure:
            lines.append(self.tr("No thumbnail: {reason}").format(reason=failure))
        text = "\n".join(lines)
        item.setToolTip(COL_NAME, text)
        item.setToolTip(COL_NOTES, text)

    # ------------------------------------------------------------------ thumbnails

    def _start_thumbnails(self, series: list[SeriesRecord]) -> None:
        size = self._thumbnail_size

        def factory(token: Any) -> Any:
            return thumbnail_job(series, size, token, report_geometry=True)

        self._thumbnail_slot.start(
            factory,
            on_event=self._on_thumbnail_job_event,
            on_finished=self.thumbnails_finished.emit,
        )

    def _on_thumbnail_job_event(self, event: object) -> None:
        item = self._series_items.get(getattr(event, "series_key", ""))
        if item is None:
            return
        series = item.data(COL_NAME, RECORD_ROLE)
        if isinstance(event, Thumbnail):
            icon = QIcon(self._square_pixmap(event.image))
            self._thumbnails[event.series_key] = icon
            item.setIcon(COL_NAME, icon)
        elif isinstance(event, ThumbnailFailed):
            self._thumbnail_failures[event.series_key] = event.reason
            item.setIcon(COL_NAME, self._warning_icon())
            self._update_series_tooltip(item, series)
        elif isinstance(event, SeriesChecked) and event.problems:
            kinds = [_problem_words(kind) for kind in sorted({p.kind for p in event.problems})]
            notes = [item.text(COL_NOTES)] if item.text(COL_NOTES) else []
            notes.append(", ".join(kinds))
            item.setText(COL_NOTES, "; ".join(notes))
            item.setIcon(COL_NOTES, self._warning_icon())
            self._problems[event.series_key] = tuple(event.problems)
            self._update_series_tooltip(item, series)

    def _square_pixmap(self, image: np.ndarray) -> QPixmap:
        """The thumbnail centred on a black square, so that rows line up."""
        size = self._thumbnail_size
        array = np.ascontiguousarray(image)
        height, width = array.shape[:2]
        if array.ndim == 2:
            qimage = QImage(array.data, width, height, width, QImage.Format.Format_Grayscale8)
        else:
            qimage = QImage(array.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        qimage = qimage.copy()  # own the pixels: the array may go away
        if max(width, height) != size:
            qimage = qimage.scaled(
                size,
                size,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        pixmap = QPixmap(size, size)
        pixmap.fill(QColor("black"))
        painter = QPainter(pixmap)
        painter.drawImage((size - qimage.width()) // 2, (size - qimage.height()) // 2, qimage)
        painter.end()
        return pixmap

    def _make_placeholder_icon(self) -> QIcon:
        pixmap = QPixmap(self._thumbnail_size, self._thumbnail_size)
        pixmap.fill(QColor(40, 40, 40))
        return QIcon(pixmap)

    def _warning_icon(self) -> QIcon:
        return self._warning

    # ------------------------------------------------------------------ slots

    def _on_tree_item_activated(self, item: QTreeWidgetItem, column: int) -> None:
        record = item.data(COL_NAME, RECORD_ROLE)
        if isinstance(record, SeriesRecord):
            self.series_activated.emit(record)

    def _on_tree_context_menu_requested(self, item: QTreeWidgetItem | None, pos: QPoint) -> None:
        menu = self.context_menu_for(item)
        if menu is not None:
            menu.exec(pos)
            menu.deleteLater()


def _modalities(series: Any) -> str:
    seen: list[str] = []
    for s in series:
        if s.modality and s.modality not in seen:
            seen.append(s.modality)
    return "/".join(seen)


def _file_ref_of(record: object) -> FileRef | None:
    """The file whose tags "Show DICOM tags" opens for a row."""
    if isinstance(record, SeriesRecord):
        return record.instances[0].ref if record.instances else None
    if isinstance(record, NonImageRecord | UnreadableFile):
        return record.ref
    return None


def _relative_name(ref: FileRef, root: str) -> str:
    """The file's name relative to the scanned folder (the whole name when outside it)."""
    path = ref.path
    base = root if os.path.isdir(root) else os.path.dirname(root)
    try:
        relative = os.path.relpath(path, base)
    except ValueError:
        relative = path
    if relative.startswith(".."):
        relative = path
    return relative if ref.member is None else f"{relative}!{ref.member}"
