"""Settings → Models: the model packages the app can use, their details, and importing one.

The list shows the bundled and the user's packages (name, version, where they come
from) and the folders that are not usable packages, with the reason. Choosing one
shows its manifest as a person reads it: intended use, labels with their operating
thresholds, where it applies (modality, body part, view position, age), and, for a
demo model, the demo banner; its files' SHA-256 are checked in the background and
the result shown. Import Folder… verifies a package and copies it into the user's
models; a refusal (wrong hash, pickle weights, label count, broken manifest) is
shown with what was wrong. Listing, checking and importing run as jobs on
:mod:`desktop.workers` (hashing large weights must not freeze the window).
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.analysis.errors import (
    HashMismatchError,
    ManifestError,
    ModelNotFoundError,
    ModelPackageError,
    UnsafeWeightsError,
    WeightsMismatchError,
)
from core.analysis.manifest import demo_banner
from core.analysis.registry import ModelRegistry
from core.errors import CancelledError
from desktop import workers
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.analysis.manifest import ModelPackage
    from core.analysis.registry import ModelRegistry, PackageProblem
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = ["ModelsDialog", "describe_refusal"]

_PACKAGE_ROLE = Qt.ItemDataRole.UserRole

_REFUSED = QColor(200, 40, 40)
BANNER_STYLE = (
    "QLabel { background: #ffcc33; color: #000; font-weight: bold; padding: 6px; "
    "border-radius: 3px; }"
)


def _origin(origin: str) -> str:
    """A package's origin ("bundled", "user"...) in the interface language."""
    if origin == "bundled":
        return QCoreApplication.translate("ModelsDialog", "bundled")
    if origin == "user":
        return QCoreApplication.translate("ModelsDialog", "your models")
    if origin == "folder":
        return QCoreApplication.translate("ModelsDialog", "folder")
    return origin


def describe_refusal(error: BaseException) -> str:
    """A refusal as one line for a person: what kind of problem, then the reason.

    The reason comes from the error itself (it names the file and says what was
    expected and what was found).
    """

    kinds: list[tuple[type[BaseException], str]] = [
        (HashMismatchError, QCoreApplication.translate("ModelsDialog", "Wrong hash")),
        (UnsafeWeightsError, QCoreApplication.translate("ModelsDialog", "Unsafe (pickle) weights")),
        (
            WeightsMismatchError,
            QCoreApplication.translate("ModelsDialog", "Weights do not fit the network"),
        ),
        (ManifestError, QCoreApplication.translate("ModelsDialog", "Broken manifest")),
        (ModelNotFoundError, QCoreApplication.translate("ModelsDialog", "Not found")),
    ]
    for kind, title in kinds:
        if isinstance(error, kind):
            reason = getattr(error, "reason", str(error))
            return QCoreApplication.translate("ModelsDialog", "{title}: {reason}").format(
                title=title, reason=reason
            )
    if isinstance(error, ModelPackageError):
        return QCoreApplication.translate("ModelsDialog", "Refused: {reason}").format(
            reason=error.reason
        )
    if isinstance(error, OSError):
        return QCoreApplication.translate(
            "ModelsDialog", "Could not read or copy the package: {reason}"
        ).format(reason=error.strerror or error)
    return f"{type(error).__name__}: {error}"


class ModelsDialog(QDialog):
    """The model packages, with details and import (non-modal).

    Parameters
    ----------
    registry : ModelRegistry, optional
        Default: a :class:`~core.analysis.registry.ModelRegistry` of the bundled and
        the user's folders (created on the listing job's thread).
    parent : QWidget, optional

    Signals
    -------
    packages_listed()
        The list was (re)read.
    package_checked(object)
        The chosen package's hashes were checked: the verified ModelPackage, or the
        refusal (an exception).
    package_imported(object)
        A folder was imported: the installed ModelPackage.
    import_refused(str)
        An import was refused: :func:`describe_refusal`'s text.
    """

    packages_listed = Signal()
    package_checked = Signal(object)
    package_imported = Signal(object)
    import_refused = Signal(str)
    packages_changed = Signal()

    def __init__(
        self, registry: ModelRegistry | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Models"))
        self.setObjectName("models_dialog")
        self.resize(820, 520)
        self._registry = registry
        self._packages: list[ModelPackage] = []
        self._problems: list[PackageProblem] = []
        self._checks: dict[Path, str] = {}  # folder -> what its hash check found
        # Listing again, or checking another package, supersedes the previous job.
        self._list_slot = JobSlot(self, name="list-models")
        self._check_slot = JobSlot(self, name="check-model")
        self._import_handle: JobHandle | None = None
        self._select_after_list: Path | None = None

        self.list = QListWidget()
        self.list.setObjectName("models_list")
        self.list.currentItemChanged.connect(self._on_list_current_changed)
        self.banner = QLabel("")
        self.banner.setObjectName("demo_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()
        self.details = QTextBrowser()
        self.details.setObjectName("model_details")
        self.details.setOpenLinks(False)
        self.check_label = QLabel("")
        self.check_label.setObjectName("model_check")
        self.check_label.setWordWrap(True)
        self.message = QLabel("")
        self.message.setObjectName("models_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.banner)
        column.addWidget(self.details, 1)
        column.addWidget(self.check_label)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)

        self.import_button = QPushButton(self.tr("&Import Folder…"))
        self.import_button.setObjectName("import_model")
        self.import_button.clicked.connect(self._on_import_clicked)
        self.remove_button = QPushButton(self.tr("&Remove"))
        self.remove_button.setObjectName("remove_model")
        self.remove_button.setToolTip(self.tr("Remove a package you imported (bundled ones stay)"))
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        row.addWidget(buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        layout.addLayout(row)
        self.refresh()

    # -- public API -------------------------------------------------------------------------

    @property
    def packages(self) -> list[ModelPackage]:
        """The usable packages listed (manifests read, not yet hash-checked)."""
        return list(self._packages)

    @property
    def problems(self) -> list[PackageProblem]:
        """Folders listed as unusable, with the reason."""
        return list(self._problems)

    @property
    def current_package(self) -> ModelPackage | None:
        item = self.list.currentItem()
        data = item.data(_PACKAGE_ROLE) if item is not None else None
        return data if data is not None and hasattr(data, "manifest") else None

    @property
    def is_busy(self) -> bool:
        importing = self._import_handle is not None and self._import_handle.is_running
        return importing or self._list_slot.is_running or self._check_slot.is_running

    def registry(self) -> ModelRegistry:
        if self._registry is None:
            self._registry = ModelRegistry()
        return self._registry

    def refresh(self) -> JobHandle:
        """Read the packages again (in the background)."""
        registry = self._registry

        def list_job(token: Any) -> tuple[Any, list[Any], list[Any]]:

            reg = registry if registry is not None else ModelRegistry()
            packages, problems = reg.scan()
            return reg, packages, problems

        return self._list_slot.start(
            list_job, on_result=self._on_listed, on_error=self._on_job_error
        )

    def select_package(self, name: str, version: str | None = None) -> bool:
        """Choose the package named ``name`` (and ``version``) in the list; False if absent."""
        for row in range(self.list.count()):
            package = self.list.item(row).data(_PACKAGE_ROLE)
            if package is None or not hasattr(package, "manifest"):
                continue
            if package.manifest.name == name and version in (None, package.manifest.version):
                self.list.setCurrentRow(row)
                return True
        return False

    def import_folder(self, folder: str | os.PathLike[str]) -> JobHandle:
        """Verify ``folder`` and copy it into the user's models (in the background)."""
        if not isinstance(folder, str | os.PathLike):
            raise TypeError(f"folder must be a path, not {type(folder).__name__}")
        path = Path(folder)
        registry = self.registry()
        self._show_message(self.tr("Checking {folder}…").format(folder=path.name), error=False)
        self.import_button.setEnabled(False)

        def import_job(token: Any) -> Any:
            return registry.import_package(path)

        handle = workers.start_job(
            import_job,
            on_result=self._on_import_succeeded,
            on_error=self._on_import_failed,
            on_finished=lambda: self.import_button.setEnabled(True),
            parent=self,
            name="import-model",
        )
        self._import_handle = handle
        return handle

    def remove_selected(self, *, confirm: bool = True) -> bool:
        """Remove the chosen package when it is one of the user's; False otherwise."""
        package = self.current_package
        if package is None or package.origin != "user":
            return False
        if confirm:
            answer = QMessageBox.question(
                self,
                self.tr("Remove model"),
                self.tr("Remove {model} from your models?").format(
                    model=html.escape(package.manifest.display_name)
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            self.registry().remove_package(package)
        except Exception as error:  # a refusal or an OS error: say so, keep the dialog
            self._show_message(describe_refusal(error), error=True)
            return False
        self._show_message(
            self.tr("Removed {model}.").format(model=package.manifest.display_name), error=False
        )
        self.packages_changed.emit()
        self.refresh()
        return True

    def details_text(self) -> str:
        """What the details pane says, as plain text."""
        return self.details.toPlainText()

    @property
    def message_text(self) -> str:
        """The last message (import result, refusal), empty when none."""
        return self.message.text()

    # -- slots -------------------------------------------------------------------------------

    def _on_listed(self, result: tuple[Any, list[Any], list[Any]]) -> None:
        registry, packages, problems = result
        self._registry = registry
        previous = self.current_package
        wanted = self._select_after_list or (previous.folder if previous is not None else None)
        self._select_after_list = None
        self._packages, self._problems = list(packages), list(problems)
        self.list.blockSignals(True)
        self.list.clear()
        for package in self._packages:
            m = package.manifest
            text = f"{m.name} {m.version}  ({_origin(package.origin)})"
            if m.demo:
                text += self.tr("  — demo")
            item = QListWidgetItem(text)
            item.setData(_PACKAGE_ROLE, package)
            item.setToolTip(m.description or m.intended_use)
            self.list.addItem(item)
        for problem in self._problems:
            item = QListWidgetItem(
                self.tr("{folder}  — refused").format(folder=problem.folder.name)
            )
            item.setData(_PACKAGE_ROLE, problem)
            item.setForeground(QBrush(_REFUSED))
            item.setToolTip(problem.reason)
            self.list.addItem(item)
        if not self._packages and not self._problems:
            item = QListWidgetItem(self.tr("No model packages installed"))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(item)
        self.list.blockSignals(False)
        row = 0
        for index in range(self.list.count()):
            data = self.list.item(index).data(_PACKAGE_ROLE)
            if wanted is not None and getattr(data, "folder", None) == wanted:
                row = index
                break
        if self.list.count():
            self.list.setCurrentRow(-1)
            self.list.setCurrentRow(row)
        self.packages_listed.emit()

    def _on_list_current_changed(self, current: QListWidgetItem | None, _: object) -> None:
        data = current.data(_PACKAGE_ROLE) if current is not None else None
        self.remove_button.setEnabled(getattr(data, "origin", "") == "user")
        if data is None:
            self.details.clear()
            self.banner.hide()
            self.check_label.clear()
            return
        if not hasattr(data, "manifest"):  # a PackageProblem
            self.banner.hide()
            self.details.setHtml(_problem_html(data))
            self.check_label.setText("")
            return
        self._show_package(data)

    def _show_package(self, package: ModelPackage) -> None:

        manifest = package.manifest
        self.banner.setText(demo_banner())
        self.banner.setVisible(manifest.demo)
        self.details.setHtml(_package_html(package))
        known = self._checks.get(package.folder)
        if known is not None:
            self.check_label.setText(known)
            return
        self.check_label.setText(self.tr("Checking the files' SHA-256…"))
        registry = self.registry()
        folder = package.folder

        def check_job(token: Any) -> Any:
            return registry.get(folder)

        self._check_slot.start(
            check_job,
            on_result=lambda verified: self._on_checked(folder, verified, None),
            on_error=lambda error: self._on_checked(folder, None, error),
        )

    def _on_checked(self, folder: Path, verified: Any, error: BaseException | None) -> None:
        if isinstance(error, CancelledError):
            return
        if error is None:
            count = len(verified.manifest.files)
            text = self.tr("✔ All {count} file(s) match their SHA-256; the weights fit the labels.")
            text = text.format(count=count)
        else:
            text = f"✘ {describe_refusal(error)}"
        self._checks[folder] = text
        current = self.current_package
        if current is not None and current.folder == folder:
            self.check_label.setText(text)
        self.package_checked.emit(verified if error is None else error)

    def _on_import_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Import Model Package Folder"))
        if folder:
            self.import_folder(folder)

    def _on_remove_clicked(self) -> None:
        self.remove_selected(confirm=True)

    def _on_import_succeeded(self, package: ModelPackage) -> None:
        self._show_message(
            self.tr("Imported {model} into your models (every file's SHA-256 checked).").format(
                model=package.manifest.display_name
            ),
            error=False,
        )
        self._checks.pop(package.folder, None)
        self._select_after_list = package.folder
        self.refresh()
        self.package_imported.emit(package)
        self.packages_changed.emit()

    def _on_import_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            self._show_message(self.tr("Import cancelled."), error=False)
            return
        text = describe_refusal(error)
        self._show_message(self.tr("Not imported. {reason}").format(reason=text), error=True)
        self.import_refused.emit(text)

    def _on_job_error(self, error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            self._show_message(describe_refusal(error), error=True)

    def _show_message(self, text: str, *, error: bool) -> None:
        colour = "#c82828" if error else "palette(window-text)"
        self.message.setStyleSheet(f"QLabel {{ color: {colour}; }}")
        self.message.setText(text)
        self.message.show()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._list_slot.cancel()
        self._check_slot.cancel()  # an import in flight finishes: it is atomic
        super().closeEvent(event)


def _row(name: str, value: str) -> str:
    return f"<tr><td><b>{html.escape(name)}</b></td><td>{value}</td></tr>"


def _any(values: tuple[str, ...]) -> str:
    return (
        html.escape(", ".join(values))
        if values
        else QCoreApplication.translate("ModelsDialog", "any")
    )


def _package_html(package: ModelPackage) -> str:
    m = package.manifest
    spec = m.input
    applies = m.applies_to
    if applies.min_age_years is None:
        age = QCoreApplication.translate("ModelsDialog", "any")
    else:
        age = QCoreApplication.translate("ModelsDialog", "{age} years and over").format(
            age=f"{applies.min_age_years:g}"
        )
    label_rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{m.thresholds[label]:.3f}</td></tr>"
        for label in m.visible_labels
    )
    hidden = (
        "<p>"
        + QCoreApplication.translate(
            "ModelsDialog", "Not trained for (never shown): {labels}"
        ).format(labels=html.escape(", ".join(m.hidden_labels)))
        + "</p>"
        if m.hidden_labels
        else ""
    )
    margin = (
        QCoreApplication.translate(
            "ModelsDialog", "; indeterminate within {margin} below the threshold"
        ).format(margin=f"{m.indeterminate_margin:.3f}")
        if m.indeterminate_margin
        else ""
    )
    parts = [
        f"<h3>{html.escape(m.name)} {html.escape(m.version)}</h3>",
        f"<p>{html.escape(m.description)}</p>" if m.description else "",
        "<table cellspacing='4'>",
        _row(
            QCoreApplication.translate("ModelsDialog", "Intended use"), html.escape(m.intended_use)
        ),
        _row(QCoreApplication.translate("ModelsDialog", "Task"), html.escape(m.task)),
        _row(QCoreApplication.translate("ModelsDialog", "Network"), html.escape(m.architecture)),
        _row(
            QCoreApplication.translate("ModelsDialog", "Input"),
            html.escape(
                QCoreApplication.translate(
                    "ModelsDialog",
                    "{size}×{size}, {channels} channel(s), "
                    "{preprocessing} preprocessing, {crop} crop",
                ).format(
                    size=spec.size,
                    channels=spec.channels,
                    preprocessing=spec.preprocessing,
                    crop=spec.crop,
                )
            ),
        ),
        "</table>",
        "<h4>"
        + QCoreApplication.translate("ModelsDialog", "Where it applies")
        + "</h4><table cellspacing='4'>",
        _row(QCoreApplication.translate("ModelsDialog", "Modality"), _any(applies.modality)),
        _row(QCoreApplication.translate("ModelsDialog", "Body part"), _any(applies.body_part)),
        _row(
            QCoreApplication.translate("ModelsDialog", "View position"), _any(applies.view_position)
        ),
        _row(QCoreApplication.translate("ModelsDialog", "Age"), html.escape(age)),
        "</table>",
        "<h4>"
        + QCoreApplication.translate(
            "ModelsDialog", "Labels ({count}) and operating thresholds{margin}"
        ).format(count=len(m.visible_labels), margin=html.escape(margin))
        + "</h4>",
        f"<table cellspacing='4'>{label_rows}</table>",
        hidden,
        "<h4>"
        + QCoreApplication.translate("ModelsDialog", "Package")
        + "</h4><table cellspacing='4'>",
        _row(
            QCoreApplication.translate("ModelsDialog", "From"), html.escape(_origin(package.origin))
        ),
        _row(
            QCoreApplication.translate("ModelsDialog", "Folder"), html.escape(str(package.folder))
        ),
        _row(
            QCoreApplication.translate("ModelsDialog", "Manifest SHA-256"),
            f"<code>{package.sha256}</code>",
        ),
        _row(
            QCoreApplication.translate("ModelsDialog", "Files"),
            html.escape(", ".join(sorted(m.files))),
        ),
        "</table>",
    ]
    return "".join(parts)


def _problem_html(problem: PackageProblem) -> str:
    return (
        "<h3>"
        + QCoreApplication.translate("ModelsDialog", "{folder} — refused").format(
            folder=html.escape(problem.folder.name)
        )
        + "</h3>"
        f"<p style='color:#c82828'>{html.escape(problem.reason)}</p>"
        "<p>"
        + QCoreApplication.translate("ModelsDialog", "Folder: {folder} ({origin})").format(
            folder=html.escape(str(problem.folder)), origin=html.escape(_origin(problem.origin))
        )
        + "</p>"
    )
