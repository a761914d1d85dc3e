"""The AI findings panel: run a model on the image shown, read its findings, see where it looked.

The panel sits on the right of the window. It lists the model packages the registry
knows (the choice is remembered), runs :func:`core.analysis.inference.analyze_image`
on the image the active viewport shows — through a :class:`desktop.workers.JobSlot`,
with progress and Cancel, so the window never waits for the network — and shows:

* the model's name and version, and the demo banner whenever a demo model's output
  is on screen (house rule 9);
* one row per finding, most probable first: probability, the model's operating
  threshold, and the verdict (positive / indeterminate / negative, in colour);
* why the model was not run when it does not apply ("lateral view", "patient under
  18", "CT not supported by this model");
* a bundled model that is missing or damaged (:mod:`core.resource_check`, which the
  window runs at start-up): which one and why, in the panel, with Analyze disabled for
  it — a model of the user's still runs;
* for a positive finding, its heatmap in the viewport (click the row), with on/off,
  opacity, and the method (Grad-CAM, or occlusion sensitivity to compare).

Results are kept per (model, image, method) while the window is open (the engine
also caches them on disk), so scrolling back to an analysed image shows its findings
again without running anything. Torch is imported on the job's thread, never here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.analysis.heatmaps import METHODS as EXPLANATION_METHODS
from core.analysis.labels import label_name
from core.analysis.manifest import DEMO_BANNER, demo_banner
from core.errors import CancelledError, describe_error
from core.jobs import CancelToken, Progress
from desktop.number_format import decimal
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.analysis.inference import AnalysisResult, Finding
    from core.analysis.manifest import ModelPackage
    from core.analysis.registry import ModelRegistry
    from core.dicom.records import PatientRecord, StudyIndex, StudyRecord
    from core.dicom.volume import Volume
    from core.resource_check import ResourceProblem
    from desktop.settings import Settings
    from desktop.viewer.viewport import Viewport
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = ["DEMO_BANNER", "METHODS", "AIPanel"]

#: Heatmap methods offered: (engine name, what the person reads), from the one list in core.
METHODS: tuple[tuple[str, str], ...] = tuple(
    (name, text[:1].upper() + text[1:]) for name, text in EXPLANATION_METHODS.items()
)
#: Shown wherever a demo model's output appears (the engine's text, repeated here so
#: that the panel needs no engine import before a result exists).

COL_LABEL, COL_PROBABILITY, COL_THRESHOLD, COL_VERDICT = range(4)
VERDICT_COLOURS = {
    "positive": QColor(220, 60, 60),
    "indeterminate": QColor(215, 150, 30),
    "negative": QColor(70, 150, 90),
}
BANNER_STYLE = (
    "QLabel { background: #ffcc33; color: #000; font-weight: bold; padding: 6px; "
    "border-radius: 3px; }"
)
PROBLEM_STYLE = (
    "QLabel { background: #fde8e6; color: #202020; border: 1px solid #d0574b; padding: 6px; "
    "border-radius: 3px; }"
)

_SETTINGS_MODEL = "analysis/model"
_SETTINGS_OPACITY = "analysis/heatmap_opacity"
_DEFAULT_OPACITY = 50


@dataclass(frozen=True, eq=False)
class _Image:
    """The image an analysis is for: where it is shown and what identifies it."""

    volume: Volume
    index: int  # display index in the volume
    sop_instance_uid: str
    frame: int  # frame within the instance

    @property
    def key(self) -> tuple[str, int]:
        return (self.sop_instance_uid, self.frame)

    def same_as(self, other: _Image | None) -> bool:
        return (
            other is not None
            and other.volume is self.volume
            and other.index == self.index
            and other.key == self.key
        )


def _analysis_job(
    package: ModelPackage,
    registry: ModelRegistry | None,
    values: np.ndarray,
    image: _Image,
    study: StudyRecord | None,
    patient: PatientRecord | None,
    method: str,
    isolate: bool,
    token: CancelToken,
) -> Generator[Any, None, AnalysisResult]:
    """On the job's thread: the image as the model reads it, then the analysis.

    With ``isolate`` the network runs in the analysis process
    (:mod:`core.analysis.runner`), so torch never shares this process's interpreter
    lock with the GUI; otherwise here, on this thread.
    """
    # lazy: not on the window's start-up path
    from core.analysis.inference import analysis_image_from_record, analyze_image

    yield Progress(0, 0, QCoreApplication.translate("AIPanel", "Preparing the image"))
    frame_ref = image.volume.geometry.frames[image.index]
    analysis_image = analysis_image_from_record(
        values, frame_ref.instance, frame_ref.frame, study=study, patient=patient
    )
    token.raise_if_cancelled()
    if isolate:
        # lazy: not on the window's start-up path
        from core.analysis.runner import get_analysis_process

        result: AnalysisResult = yield from get_analysis_process().analyze(
            package, analysis_image, token, heatmaps=method
        )
        return result
    if registry is not None:
        package = registry.get(package.folder)  # hashes checked once per unchanged package
    result = yield from analyze_image(
        package, analysis_image, None, token, heatmaps=method, registry=registry
    )
    return result


def _list_job(registry: ModelRegistry | None, token: CancelToken) -> tuple[Any, list[Any]]:
    from core.analysis.registry import ModelRegistry  # lazy: not on the window's start-up path

    reg = registry if registry is not None else ModelRegistry()
    return reg, reg.list_packages()


class AIPanel(QWidget):
    """AI findings for the image in the active viewport.

    Parameters
    ----------
    parent : QWidget, optional
    registry : ModelRegistry, optional
        Where models are listed; default the bundled and the user's folders.
    settings : Settings, optional
        Remembers the chosen model and the heatmap opacity.
    isolate : bool, optional
        Run the networks in the analysis process (default), not in this one.

    Signals
    -------
    models_listed()
        The model list was (re)read.
    analysis_started()
    analysis_finished(object)
        The :class:`~core.analysis.inference.AnalysisResult` of a run (also a skip).
    analysis_failed(str)
        What went wrong (not emitted for Cancel).
    finding_selected(object)
        The :class:`~core.analysis.inference.Finding` whose row was chosen.
    """

    models_listed = Signal()
    analysis_started = Signal()
    analysis_finished = Signal(object)
    analysis_failed = Signal(str)
    finding_selected = Signal(object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        registry: ModelRegistry | None = None,
        settings: Settings | None = None,
        isolate: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ai_panel")
        self._isolate = bool(isolate)
        self._registry = registry
        self._settings = settings
        self._packages: list[ModelPackage] = []
        self._viewport: Viewport | None = None
        self._index: StudyIndex | None = None
        self._results: dict[tuple[str, str, int, str], AnalysisResult] = {}
        self._shown: AnalysisResult | None = None
        self._shown_image: _Image | None = None
        self._chosen: dict[int, str] = {}  # id(result) -> label last chosen
        self._analysis_slot = JobSlot(self, name="analyze")
        self._list_slot = JobSlot(self, name="list-models")
        self._running_for: tuple[str, str, int, str] | None = None
        self._model_problems: tuple[ResourceProblem, ...] = ()  # bundled models
        self._wanted_model = settings.get_str(_SETTINGS_MODEL) if settings is not None else ""
        self._build()
        self._show_empty(self.tr("Open an image, then press Analyze."))
        self.refresh_models()

    # -- construction ----------------------------------------------------------------------

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        # The dock's first width: room for the findings table, not for the longest
        # intended-use text (word-wrapped labels would ask for all of it on one line).
        return QSize(380, super().sizeHint().height())

    def _build(self) -> None:
        title = QLabel(self.tr("AI findings"))
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)

        self.model_combo = QComboBox()
        self.model_combo.setObjectName("ai_model")
        self.model_combo.setToolTip(self.tr("The model package that analyses the image"))
        self.model_combo.currentIndexChanged.connect(self._on_model_combo_changed)
        # A long package name must not widen the dock at the image's expense.
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model_combo.setMinimumContentsLength(18)

        # A missing or damaged bundled model, said where the person looks (not a tooltip).
        self.problem_label = QLabel("")
        self.problem_label.setObjectName("ai_resource_problem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(PROBLEM_STYLE)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label.hide()

        self.banner = QLabel(demo_banner())
        self.banner.setObjectName("demo_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()

        self.model_label = QLabel("")
        self.model_label.setObjectName("ai_model_label")
        self.model_label.setWordWrap(True)

        self.analyze_button = QPushButton(self.tr("Analy&ze"))
        self.analyze_button.setObjectName("ai_analyze")
        self.analyze_button.setToolTip(self._analyze_tip())
        self.analyze_button.clicked.connect(self._on_analyze_clicked)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("ai_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.analyze_button, 1)
        buttons.addWidget(self.cancel_button)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("ai_progress")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()

        self.status_label = QLabel("")
        self.status_label.setObjectName("ai_status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tree = QTreeWidget()
        self.tree.setObjectName("ai_findings")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(
            [self.tr("Finding"), self.tr("Probability"), self.tr("Threshold"), self.tr("Verdict")]
        )
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setSortingEnabled(False)  # the order is the model's score order
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setSectionResizeMode(COL_LABEL, QHeaderView.ResizeMode.Stretch)
        for column in (COL_PROBABILITY, COL_THRESHOLD, COL_VERDICT):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemClicked.connect(self._on_tree_item_clicked)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)

        self.heatmap_check = QCheckBox(self.tr("Show heatmap"))
        self.heatmap_check.setObjectName("ai_heatmap_visible")
        self.heatmap_check.setChecked(True)
        self.heatmap_check.toggled.connect(self._on_heatmap_check_toggled)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setObjectName("ai_heatmap_opacity")
        self.opacity_slider.setRange(0, 100)
        opacity = _DEFAULT_OPACITY
        if self._settings is not None:
            opacity = self._settings.get_int(_SETTINGS_OPACITY, _DEFAULT_OPACITY)
        self.opacity_slider.setValue(max(0, min(100, opacity)))
        self.opacity_slider.setToolTip(self.tr("Heatmap opacity"))
        self.opacity_slider.valueChanged.connect(self._on_opacity_slider_changed)
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("ai_heatmap_method")
        for name, text in METHODS:
            self.method_combo.addItem(text, name)
        self.method_combo.setToolTip(
            self.tr(
                "Grad-CAM: where the network's last features drove the score (fast).\n"
                "Occlusion sensitivity: how much the score drops when each patch is replaced\n"
                "by its blurred surroundings (seconds).\n"
                "Kernel SHAP: each superpixel's Shapley share of the score, estimated from\n"
                "random sets of superpixels kept or blurred (seconds).\n"
                "Every map states how much the score falls when its top 10 % is masked."
            )
        )
        self.method_combo.currentIndexChanged.connect(self._on_method_combo_changed)
        heatmap_row = QHBoxLayout()
        heatmap_row.addWidget(self.heatmap_check)
        heatmap_row.addWidget(self.opacity_slider, 1)
        heatmap_row.addWidget(self.method_combo)

        self.use_label = QLabel("")
        self.use_label.setObjectName("ai_intended_use")
        self.use_label.setWordWrap(True)
        self.use_label.setStyleSheet("QLabel { color: palette(mid); }")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(title)
        layout.addWidget(self.model_combo)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.banner)
        layout.addWidget(self.model_label)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.tree, 1)
        layout.addLayout(heatmap_row)
        layout.addWidget(self.use_label)

    # -- models ------------------------------------------------------------------------------

    @property
    def packages(self) -> list[ModelPackage]:
        """The packages offered (manifests read; hashes are checked when one runs)."""
        return list(self._packages)

    @property
    def current_package(self) -> ModelPackage | None:
        index = self.model_combo.currentIndex()
        return self._packages[index] if 0 <= index < len(self._packages) else None

    def refresh_models(self) -> JobHandle:
        """Read the model packages again (in the background)."""
        registry = self._registry
        return self._list_slot.start(
            lambda token: _list_job(registry, token),
            on_result=self._on_models_listed,
            on_error=self._on_models_list_failed,
        )

    def select_model(self, name: str, version: str | None = None) -> bool:
        """Choose a package by name (and version); False when it is not listed."""
        for row, package in enumerate(self._packages):
            if package.manifest.name == name and version in (None, package.manifest.version):
                self.model_combo.setCurrentIndex(row)
                return True
        return False

    def _on_models_listed(self, result: tuple[Any, list[ModelPackage]]) -> None:
        registry, packages = result
        self._registry = registry
        current = self.current_package
        wanted = current.manifest.name if current is not None else self._wanted_model
        self._packages = list(packages)
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for package in self._packages:
            self.model_combo.addItem(self._item_text(package))
            self.model_combo.setItemData(
                self.model_combo.count() - 1,
                package.manifest.intended_use,
                Qt.ItemDataRole.ToolTipRole,
            )
        row = self._default_row(wanted)
        self.model_combo.setCurrentIndex(row)
        self.model_combo.blockSignals(False)
        if not self._packages:
            self.model_combo.addItem(self.tr("No model installed"))
            self.model_combo.setEnabled(False)
        else:
            self.model_combo.setEnabled(True)
        self._update_buttons()
        self._refresh_for_image()
        self.models_listed.emit()

    def _item_text(self, package: ModelPackage) -> str:
        m = package.manifest
        text = f"{m.name} {m.version}" + (self.tr(" (demo)") if m.demo else "")
        problem = self._problem_of(package)
        return text if problem is None else f"{text} — {problem.state}"

    # -- a damaged install ---------------------------------------------------------------

    def set_resource_problems(self, problems: Sequence[ResourceProblem]) -> None:
        """Bundled resources that are missing or damaged (the model ones concern this panel).

        The panel names each model and why, and Analyze is disabled while one of them
        is chosen (or when none is left); a model of the user's still runs.
        """
        self._model_problems = tuple(p for p in problems if p.kind == "model")
        lines = [f"{p.message} — {p.remedy}" for p in self._model_problems]
        self.problem_label.setText("\n".join(lines))
        self.problem_label.setToolTip("\n".join(p.source for p in self._model_problems))
        self.problem_label.setVisible(bool(lines))
        for row, package in enumerate(self._packages):
            self.model_combo.setItemText(row, self._item_text(package))
        self._refresh_for_image()

    def _problem_of(self, package: ModelPackage) -> ResourceProblem | None:
        if package.origin != "bundled":
            return None
        return next((p for p in self._model_problems if p.name == package.folder.name), None)

    def _unusable(self) -> ResourceProblem | None:
        """Why Analyze cannot run: the chosen model is damaged, or a bundled one is gone."""
        package = self.current_package
        if package is not None:
            return self._problem_of(package)
        return self._model_problems[0] if self._model_problems else None

    def _default_row(self, wanted: str) -> int:
        if not self._packages:
            return -1
        for row, package in enumerate(self._packages):
            if package.manifest.name == wanted:
                return row
        # A real model before a demo one, the user's before a bundled one, newest last listed.
        ranked = sorted(
            range(len(self._packages)),
            key=lambda r: (
                not self._packages[r].manifest.demo,
                self._packages[r].origin == "user",
                r,
            ),
        )
        return ranked[-1]

    def _on_models_list_failed(self, error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            said = self.tr("The model packages could not be listed: {reason}").format(reason=error)
            self._set_status(said, error=True)

    def _on_model_combo_changed(self, row: int) -> None:
        package = self.current_package
        if package is not None and self._settings is not None:
            self._settings.set_value(_SETTINGS_MODEL, package.manifest.name)
        self._refresh_for_image()

    # -- the image -----------------------------------------------------------------------

    @property
    def viewport(self) -> Viewport | None:
        return self._viewport

    def set_viewport(self, viewport: Viewport | None) -> None:
        """Follow ``viewport`` (the active one): its image is what Analyze reads."""
        if viewport is self._viewport:
            return
        if self._viewport is not None:
            with contextlib.suppress(RuntimeError, TypeError):  # already gone
                self._viewport.frame_changed.disconnect(self._on_viewport_frame_changed)
        self._viewport = viewport
        if viewport is not None:
            viewport.frame_changed.connect(self._on_viewport_frame_changed)
        self._refresh_for_image()

    def set_study_index(self, index: StudyIndex | None) -> None:
        """The open study (for the patient's age at the study, which the gate checks)."""
        self._index = index

    def _current_image(self) -> tuple[_Image | None, str]:
        """The image shown in the viewport, or None and why it cannot be analysed."""
        viewport = self._viewport
        volume = viewport.volume if viewport is not None else None
        if viewport is None or volume is None:
            return None, self.tr("Open an image, then press Analyze.")
        index = viewport.frame_index
        if not 0 <= index < len(volume.geometry.frames):
            return None, self.tr("Open an image, then press Analyze.")
        if not volume.loaded[index]:
            return None, self.tr("The image is still loading.")
        frame_ref = volume.geometry.frames[index]
        uid = frame_ref.instance.sop_instance_uid
        return _Image(volume, index, uid, frame_ref.frame), ""

    def _on_viewport_frame_changed(self, _: int) -> None:
        self._refresh_for_image()

    def refresh(self) -> None:
        """Look at the viewport's image again (e.g. when its series finished loading)."""
        self._refresh_for_image()

    def _result_key(self, image: _Image) -> tuple[str, str, int, str] | None:
        package = self.current_package
        if package is None:
            return None
        return (package.sha256, image.sop_instance_uid, image.frame, self.method)

    def _refresh_for_image(self) -> None:
        """Show what is known about the image in the viewport now."""
        image, why = self._current_image()
        self._update_buttons()
        problem = self._unusable()
        if image is None:
            self._show_empty(why if problem is None else _disabled_text(problem))
            return
        key = self._result_key(image)
        result = self._results.get(key) if key is not None else None
        if result is not None:
            if result is not self._shown or not image.same_as(self._shown_image):
                self._display(result, image)
            return
        if self.is_running and key == self._running_for:
            return  # the status says it is being analysed
        self._show_empty(
            self.tr("Not analysed yet: press Analyze.")
            if problem is None
            else _disabled_text(problem)
        )

    # -- running -------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        return self._analysis_slot.is_running

    @property
    def method(self) -> str:
        """The heatmap method: a key of core.analysis.explain.METHODS."""
        return str(self.method_combo.currentData())

    def set_method(self, method: str) -> None:
        names = [name for name, _ in METHODS]
        if method not in names:
            raise ValueError(f"method must be one of {', '.join(names)}, found {method!r}")
        self.method_combo.setCurrentIndex(names.index(method))

    def analyze(self) -> JobHandle | None:
        """Run the chosen model on the image shown; None when there is nothing to run.

        A result already known for this model, image and method is shown at once.
        """
        image, why = self._current_image()
        if image is None:
            self._set_status(why)
            return None
        problem = self._unusable()
        if problem is not None:
            self._set_status(f"{problem.message} — {problem.remedy}.", error=True)
            return None
        package = self.current_package
        if package is None:
            self._set_status(
                self.tr("No model package is installed: add one in Settings → Models."), error=True
            )
            return None
        key = self._result_key(image)
        assert key is not None
        known = self._results.get(key)
        if known is not None:
            self._display(known, image)
            return None
        values = image.volume.array[image.index]
        study, patient = self._context_of(image.volume)
        registry = self._registry
        method = self.method
        isolate = self._isolate
        self._running_for = key
        handle = self._analysis_slot.start(  # supersedes an analysis still running
            lambda token: _analysis_job(
                package, registry, values, image, study, patient, method, isolate, token
            ),
            on_event=self._on_job_event,
            on_result=lambda result: self._on_job_succeeded(key, image, result),
            on_error=self._on_job_failed,
            on_finished=self._on_job_finished,
        )
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat(self.tr("Starting"))
        self.progress_bar.show()
        self.cancel_button.show()
        self._set_status(
            self.tr("Analysing with {model}…").format(model=package.manifest.display_name)
        )
        self._update_buttons()
        self.analysis_started.emit()
        return handle

    def cancel(self) -> None:
        """Stop the analysis in progress (it ends with 'Analysis cancelled')."""
        self._analysis_slot.cancel()

    def _context_of(self, volume: Volume) -> tuple[StudyRecord | None, PatientRecord | None]:
        index = self._index
        if index is None:
            return None, None
        key = volume.series.key
        for patient in index.patients:
            for study in patient.studies:
                if any(series.key == key for series in study.series):
                    return study, patient
        return None, None

    def _on_analyze_clicked(self) -> None:
        self.analyze()

    def _on_job_event(self, event: object) -> None:
        if isinstance(event, Progress):
            if event.total > 0:
                self.progress_bar.setRange(0, event.total)
                self.progress_bar.setValue(min(event.done, event.total))
            else:
                self.progress_bar.setRange(0, 0)
            self.progress_bar.setFormat(event.message or "%p%")

    def _on_job_succeeded(
        self, key: tuple[str, str, int, str], image: _Image, result: AnalysisResult
    ) -> None:
        self._results[key] = result
        now, _ = self._current_image()
        if image.same_as(now) and key == self._result_key(image):
            self._display(result, image)
        else:
            self._set_status(self.tr("The analysis finished for an image no longer shown."))
        self.analysis_finished.emit(result)

    def _on_job_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            self._set_status(self.tr("Analysis cancelled."))
            return
        text = describe_error(error)
        self._set_status(self.tr("Analysis failed: {reason}").format(reason=text), error=True)
        self.analysis_failed.emit(text)

    def _on_job_finished(self) -> None:
        self._running_for = None
        self.progress_bar.hide()
        self.cancel_button.hide()
        self._update_buttons()

    def _update_buttons(self) -> None:
        image, _ = self._current_image()
        problem = self._unusable()
        self.analyze_button.setEnabled(
            image is not None
            and self.current_package is not None
            and problem is None
            and not self.is_running
        )
        self.analyze_button.setToolTip(
            self._analyze_tip()
            if problem is None
            else self.tr("Analyze is unavailable. {problem} — {remedy}.").format(
                problem=problem.message, remedy=problem.remedy
            )
        )

    # -- showing results ---------------------------------------------------------------------

    @property
    def result(self) -> AnalysisResult | None:
        """The result shown now (None when the panel shows none)."""
        return self._shown

    def finding_labels(self) -> list[str]:
        """The findings' labels (the manifest's keys) in the order shown (most probable first)."""
        return [item.data(COL_LABEL, Qt.ItemDataRole.UserRole) for item in self._rows()]

    def row_texts(self) -> list[list[str]]:
        """Every row as shown: [label, probability, threshold, verdict]."""
        return [[item.text(c) for c in range(4)] for item in self._rows()]

    def _rows(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

    def show_result(self, result: AnalysisResult, *, select_first: bool = True) -> None:
        """Show ``result`` as the findings of the image in the viewport now.

        For results computed elsewhere (the panel's own runs call this too); the
        heatmaps go to the viewport's frame shown.
        """
        image, why = self._current_image()
        if image is None:
            raise RuntimeError(f"no image to show the result on: {why}")
        package = self.current_package
        if package is not None:
            self._results[(package.sha256, image.sop_instance_uid, image.frame, self.method)] = (
                result
            )
        self._display(result, image, select_first=select_first)

    def _display(self, result: AnalysisResult, image: _Image, select_first: bool = True) -> None:
        """Fill the panel with ``result``; the chosen (or first positive) finding's heatmap."""
        self._shown = result
        self._shown_image = image
        self.banner.setText(demo_banner())  # in the language of now
        self.banner.setVisible(bool(result.is_demo))
        self.model_label.setText(self.tr("Model: {model}").format(model=result.model_display_name))
        self.model_label.setToolTip(self.tr("SHA-256 {hash}").format(hash=result.model_sha256))
        self.use_label.setText(
            self.tr("Intended use: {use}").format(use=result.intended_use)
            if result.intended_use
            else ""
        )
        self.tree.blockSignals(True)
        self.tree.clear()
        findings = sorted(result.findings, key=lambda f: (-f.probability, f.label))
        for finding in findings:
            verdict = str(finding.verdict)
            item = QTreeWidgetItem(
                [
                    label_name(finding.label),
                    decimal(finding.probability, 3),
                    decimal(finding.threshold, 3),
                    _verdict_text(verdict),
                ]
            )
            item.setData(COL_LABEL, Qt.ItemDataRole.UserRole, finding.label)
            colour = VERDICT_COLOURS.get(verdict)
            if colour is not None:
                item.setForeground(COL_VERDICT, QBrush(colour))
            if verdict == "positive":
                bold = QFont(item.font(COL_LABEL))
                bold.setBold(True)
                for column in range(4):
                    item.setFont(column, bold)
            for column in (COL_PROBABILITY, COL_THRESHOLD):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            tip = label_name(finding.label)
            if finding.heatmap is not None:
                tip += self.tr(" — click to show where the model looked")
            item.setToolTip(COL_LABEL, tip)
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        if result.skipped is not None:
            self._set_status(self.tr("Not analysed: {why}.").format(why=result.skipped))
            self._clear_heatmap()
            return
        positives = sum(1 for f in findings if str(f.verdict) == "positive")
        seconds = float(result.timings.get("total", 0.0))
        if result.from_cache:
            when = self.tr(" (from the cache)")
        else:
            when = self.tr(" in {seconds} s").format(seconds=decimal(seconds, 2))
        # A positive finding whose map was refused as flat says so (no overlay for it).
        notes = "".join(
            f"\n{label_name(f.label)}: {f.explanation_note}."
            for f in findings
            if f.explanation_note
        )
        said = self.tr("{positives} positive of {count} findings{when}.")
        self._set_status(said.format(positives=positives, count=len(findings), when=when) + notes)
        chosen = self._chosen.get(id(result))
        if chosen is None and select_first:
            chosen = next((f.label for f in findings if f.heatmap is not None), None)
        if chosen is not None:
            self.select_finding(chosen)
        else:
            self._clear_heatmap()

    def select_finding(self, label: str) -> Finding:
        """Choose a finding's row and show its heatmap (as a click does)."""
        for item in self._rows():
            if item.data(COL_LABEL, Qt.ItemDataRole.UserRole) == label:
                self.tree.setCurrentItem(item)
                return self._show_finding(label)
        raise KeyError(f"no finding {label!r} is shown")

    def _on_tree_item_clicked(self, item: QTreeWidgetItem, _: int) -> None:
        self._show_finding(item.data(COL_LABEL, Qt.ItemDataRole.UserRole))

    def _on_tree_current_changed(self, current: QTreeWidgetItem | None, _: object) -> None:
        # Keyboard moves through the rows show each finding's heatmap, as clicks do.
        if current is not None and self._shown is not None:
            self._show_finding(current.data(COL_LABEL, Qt.ItemDataRole.UserRole))

    def _show_finding(self, label: str) -> Finding:
        result, image = self._shown, self._shown_image
        if result is None or image is None:
            raise KeyError(f"no finding {label!r} is shown")
        finding = next(f for f in result.findings if f.label == label)
        self._chosen[id(result)] = label
        viewport = self._viewport
        if viewport is not None and viewport.volume is image.volume:
            if finding.heatmap is None:
                viewport.set_heatmap(None)
                why = finding.explanation_note or self.tr(
                    "heatmaps are made for positive findings only"
                )
                self._set_status(
                    self.tr("{label}: {verdict} ({probability}); {why}.").format(
                        label=label_name(label),
                        verdict=_verdict_text(str(finding.verdict)),
                        probability=decimal(finding.probability, 3),
                        why=why,
                    )
                )
            else:
                method = dict(METHODS).get(result.heatmap_method or "", self.tr("heatmap"))
                caption = (
                    f"{label_name(label)} {finding.probability:.2f} · {method} · "
                    f"{result.model_display_name}"
                )
                if finding.faithfulness is not None:
                    caption += f"\n{finding.faithfulness.describe()}"
                if result.is_demo:
                    caption += "\n" + demo_banner()
                viewport.set_heatmap(
                    finding.heatmap,
                    self.opacity_slider.value() / 100.0,
                    frame=image.index,
                    caption=caption,
                )
                viewport.set_heatmap_visible(self.heatmap_check.isChecked())
        self.finding_selected.emit(finding)
        return finding

    def _clear_heatmap(self) -> None:
        """Remove a heatmap over the frame shown (one over another frame is not seen)."""
        viewport = self._viewport
        if viewport is not None and viewport.heatmap_frame == viewport.frame_index:
            viewport.set_heatmap(None)

    def _show_empty(self, message: str) -> None:
        self._shown = None
        self._shown_image = None
        self.tree.blockSignals(True)  # clearing moves the current row through the others
        self.tree.clear()
        self.tree.blockSignals(False)
        self.banner.hide()
        package = self.current_package
        self.model_label.setText(
            self.tr("Model: {model}").format(model=package.manifest.display_name)
            if package is not None
            else ""
        )
        self.use_label.setText(
            self.tr("Intended use: {use}").format(use=package.manifest.intended_use)
            if package is not None
            else ""
        )
        if package is not None and package.manifest.demo:
            self.banner.setText(demo_banner())
            self.banner.show()  # the model that would answer is a demo one
        self._set_status(message)
        self._clear_heatmap()

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setStyleSheet("QLabel { color: #c82828; }" if error else "")
        self.status_label.setText(text)

    # -- heatmap controls ----------------------------------------------------------------

    def _on_heatmap_check_toggled(self, checked: bool) -> None:
        if self._viewport is not None:
            self._viewport.set_heatmap_visible(checked)

    def _on_opacity_slider_changed(self, value: int) -> None:
        if self._viewport is not None:
            self._viewport.set_heatmap_opacity(value / 100.0)
        if self._settings is not None:
            self._settings.set_value(_SETTINGS_OPACITY, int(value))

    def _on_method_combo_changed(self, _: int) -> None:
        # Another method is another result: show it when known, else compute it when
        # this image has been analysed already.
        had_result = self._shown is not None and self._shown.skipped is None
        self._refresh_for_image()
        if had_result and self._shown is None and not self.is_running:
            self.analyze()

    def _analyze_tip(self) -> str:
        return self.tr("Run the model on the image shown (Ctrl+Shift+A)")

    def shutdown(self) -> None:
        """Cancel the panel's jobs (window closing)."""
        self._analysis_slot.cancel()
        self._list_slot.cancel()


def _verdict_text(verdict: str) -> str:
    """A finding's verdict as the findings table shows it (the interface language's)."""
    if verdict == "positive":
        return QCoreApplication.translate("AIPanel", "positive")
    if verdict == "indeterminate":
        return QCoreApplication.translate("AIPanel", "indeterminate")
    if verdict == "negative":
        return QCoreApplication.translate("AIPanel", "negative")
    return verdict


def _disabled_text(problem: ResourceProblem) -> str:
    return QCoreApplication.translate("AIPanel", "Analyze is disabled: {what} is {state}.").format(
        what=problem.what, state=problem.state
    )
