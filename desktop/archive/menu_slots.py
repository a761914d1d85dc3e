"""The slots of the archive and PACS menu entries (File, Report and Settings menus).

Each dialog is imported when first opened (start-up pays for none) and kept by the
window's :class:`~desktop.window_dialogs.DialogKeeper`, one of a kind. The PACS dialogs
(:mod:`desktop.pacs`) get the window's archive; the query dialog's arrivals open the
study progressively (:class:`~desktop.archive.window_part.ArchiveWindowPart`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from core.errors import CancelledError, describe_error
from core.jobs import CancelToken
from core.paths import export_dir
from desktop.archive.window_part import study_uids_of
from desktop.workers import JobHandle

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

logger = logging.getLogger(__name__)

__all__ = [
    "find_results_to_send",
    "send_to_pacs",
    "show_archive_settings",
    "show_export_dialog",
    "show_nodes_dialog",
    "show_query_dialog",
]

#: What the app writes into the export folder for a study: report and findings SR
#: (core.report.export, core.analysis.export), heatmaps, presentation states.
_RESULT_PREFIXES = ("SR_", "HM_", "PR_")


def show_query_dialog(window: MainWindow) -> JobHandle | None:
    """File → Query PACS…: the query/retrieve dialog, retrieving into the archive."""
    part = window.archive_part

    def show() -> None:
        from desktop.pacs.query_dialog import QueryDialog  # lazy: when first opened

        archive = part.keeper.archive
        if archive is None:
            return

        def create() -> Any:
            dialog = QueryDialog(archive, window)
            dialog.study_arrived.connect(part.open_arriving_study)
            dialog.series_arrived.connect(part.add_arrived_series)
            dialog.study_arrived.connect(part.keeper.note_stored)
            dialog.series_arrived.connect(lambda study, _series: part.keeper.note_stored(study))
            return dialog

        window.dialog_keeper.show_single(QueryDialog, create)

    return part.keeper.when_open(show)


def show_nodes_dialog(window: MainWindow) -> QWidget:
    """Settings → DICOM Nodes…: our node, the PACS nodes, Test."""
    from desktop.pacs.nodes_dialog import NodesDialog  # lazy: when first opened

    keeper = window.archive_part.keeper

    def create() -> NodesDialog:
        dialog = NodesDialog(window, settings=window.settings)
        # A new AE title, port or receive switch takes effect at once: the receiver restarts.
        dialog.nodes_saved.connect(keeper.nodes_changed)
        return dialog

    return window.dialog_keeper.show_single(NodesDialog, create)


def show_archive_settings(window: MainWindow) -> QWidget:
    """Settings → Study Archive…: the size limit and the standing receiver."""
    from desktop.archive.settings_dialog import ArchiveSettingsDialog  # lazy: when first opened

    keeper = window.archive_part.keeper
    return window.dialog_keeper.show_single(
        ArchiveSettingsDialog, lambda: ArchiveSettingsDialog(keeper, window)
    )


def show_export_dialog(window: MainWindow, *, media: bool) -> QWidget | None:
    """File → Export → Anonymised Study… (``media`` False) or Study to CD/USB folder."""
    if window.index is None:
        window.notifications.notify(
            QCoreApplication.translate("ArchiveMenus", "Open a study to export it."),
            level="info",
            timeout_ms=5000,
        )
        return None
    from desktop.archive.export_dialog import StudyExportDialog  # lazy: when first opened

    index = window.index
    return window.dialog_keeper.keep(
        StudyExportDialog(index, window, deidentify=not media, dicomdir=media)
    )


def find_results_to_send(study_uids: set[str], folder: Path | None = None) -> list[Path]:
    """The files the app exported for these studies: report and AI SR, heatmaps, GSPS.

    Reads only the Study Instance UID of each ``SR_``/``HM_``/``PR_`` file of the export
    folder (a job: it reads headers).
    """
    # lazy: pydicom is read on the job thread, never at start-up
    import pydicom

    root = folder if folder is not None else export_dir()
    found: list[Path] = []
    for path in sorted(root.rglob("*.dcm")):
        if not path.name.startswith(_RESULT_PREFIXES):
            continue
        try:
            header = pydicom.dcmread(
                path, stop_before_pixels=True, specific_tags=["StudyInstanceUID"]
            )
        except (OSError, pydicom.errors.InvalidDicomError) as error:
            logger.info("an export file was not readable (%s)", type(error).__name__)
            continue
        if str(header.get("StudyInstanceUID", "")) in study_uids:
            found.append(path)
    return found


def send_to_pacs(window: MainWindow) -> JobHandle | None:
    """Report → Send to PACS…: the open study's signed report SR, AI results and GSPS."""
    uids = study_uids_of(window.index)
    if not uids:
        window.notifications.notify(
            QCoreApplication.translate("ArchiveMenus", "Open a study to send its results."),
            level="info",
            timeout_ms=5000,
        )
        return None

    def on_result(files: list[Path]) -> None:
        if not files:
            window.notifications.notify(
                QCoreApplication.translate(
                    "ArchiveMenus",
                    "There is nothing to send yet: sign and export the report (DICOM SR), "
                    "export the AI results or the annotations (GSPS) first.",
                ),
                level="info",
                timeout_ms=8000,
            )
            return
        from desktop.pacs.send_dialog import SendDialog  # lazy: when first opened

        window.dialog_keeper.keep(SendDialog(files, window))

    def on_error(error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            said = QCoreApplication.translate(
                "ArchiveMenus", "The results could not be gathered: {reason}"
            )
            window.notifications.notify(said.format(reason=describe_error(error)), level="error")

    def gather(token: CancelToken) -> list[Path]:
        return find_results_to_send(uids)

    return window.archive_part.send_slot.start(gather, on_result=on_result, on_error=on_error)
