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

from PySide6.QtCore import Qt, Signal
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
from core.analysis.manifest import DEMO_BANNER
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
_ORIGINS = {"bundled": "bundled", "user": "your models", "folder": "folder"}
_REFUSED = QColor(200, 40, 40)
BANNER_STYLE = (
    "QLabel { background: #ffcc33; color: #000; font-weight: bold; padding: 6px; "
    "border-radius: 3px; }"
)


def describe_refusal(error: BaseException) -> str:
    """A refusal as one line for a person: what kind of problem, then the reason.

    The reason comes from the error itself (it names the file and says what was
    expected and what was found).
    """

    kinds: list[tuple[type[BaseException], str]] = [
        (HashMismatchError, "Wrong hash"),
        (UnsafeWeightsError, "Unsafe (pickle) weights"),
        (WeightsMismatchError, "Weights do not fit the network"),
        (ManifestError, "Broken manifest"),
        (ModelNotFoundError, "Not found"),
    ]
    for kind, title in kinds:
        if isinstance(error, kind):
            reason = getattr(error, "reason", str(error))
            return f"{title}: {reason}"
    if isinstance(error, ModelPackageError):
        return f"Refused: {error.reason}"
    if isinstance(error, OSError):
        return f"Could not read or copy the package: {error.strerror or error}"
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
        self.setWindowTitle("Models")
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

        self.import_button = QPushButton("&Import Folder…")
        self.import_button.setObjectName("import_model")
        self.import_button.clicked.connect(self._on_import_clicked)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setObjectName("remove_model")
        self.remove_button.setToolTip("Remove a package you imported (bundled ones stay)")
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
        self._show_message(f"Checking {path.name}…", error=False)
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
                "Remove model",
                f"Remove {html.escape(package.manifest.display_name)} from your models?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            self.registry().remove_package(package)
        except Exception as error:  # a refusal or an OS error: say so, keep the dialog
            self._show_message(describe_refusal(error), error=True)
            return False
        self._show_message(f"Removed {package.manifest.display_name}.", error=False)
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
            text = f"{m.name} {m.version}  ({_ORIGINS.get(package.origin, package.origin)})"
            if m.demo:
                text += "  — demo"
            item = QListWidgetItem(text)
            item.setData(_PACKAGE_ROLE, package)
            item.setToolTip(m.description or m.intended_use)
            self.list.addItem(item)
        for problem in self._problems:
            item = QListWidgetItem(f"{problem.folder.name}  — refused")
            item.setData(_PACKAGE_ROLE, problem)
            item.setForeground(QBrush(_REFUSED))
            item.setToolTip(problem.reason)
            self.list.addItem(item)
        if not self._packages and not self._problems:
            item = QListWidgetItem("No model packages installed")
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
        self.banner.setText(DEMO_BANNER)
        self.banner.setVisible(manifest.demo)
        self.details.setHtml(_package_html(package))
        known = self._checks.get(package.folder)
        if known is not None:
            self.check_label.setText(known)
            return
        self.check_label.setText("Checking the files' SHA-256…")
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
            text = f"✔ All {count} file(s) match their SHA-256; the weights fit the labels."
        else:
            text = f"✘ {describe_refusal(error)}"
        self._checks[folder] = text
        current = self.current_package
        if current is not None and current.folder == folder:
            self.check_label.setText(text)
        self.package_checked.emit(verified if error is None else error)

    def _on_import_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import Model Package Folder")
        if folder:
            self.import_folder(folder)

    def _on_remove_clicked(self) -> None:
        self.remove_selected(confirm=True)

    def _on_import_succeeded(self, package: ModelPackage) -> None:
        self._show_message(
            f"Imported {package.manifest.display_name} into your models "
            "(every file's SHA-256 checked).",
            error=False,
        )
        self._checks.pop(package.folder, None)
        self._select_after_list = package.folder
        self.refresh()
        self.package_imported.emit(package)
        self.packages_changed.emit()

    def _on_import_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            self._show_message("Import cancelled.", error=False)
            return
        text = describe_refusal(error)
        self._show_message(f"Not imported. {text}", error=True)
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
    return html.escape(", ".join(values)) if values else "any"


def _package_html(package: ModelPackage) -> str:
    m = package.manifest
    spec = m.input
    applies = m.applies_to
    age = "any" if applies.min_age_years is None else f"{applies.min_age_years:g} years and over"
    label_rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{m.thresholds[label]:.3f}</td></tr>"
        for label in m.visible_labels
    )
    hidden = (
        f"<p>Not trained for (never shown): {html.escape(', '.join(m.hidden_labels))}</p>"
        if m.hidden_labels
        else ""
    )
    margin = (
        f"; indeterminate within {m.indeterminate_margin:.3f} below the threshold"
        if m.indeterminate_margin
        else ""
    )
    parts = [
        f"<h3>{html.escape(m.name)} {html.escape(m.version)}</h3>",
        f"<p>{html.escape(m.description)}</p>" if m.description else "",
        "<table cellspacing='4'>",
        _row("Intended use", html.escape(m.intended_use)),
        _row("Task", html.escape(m.task)),
        _row("Network", html.escape(m.architecture)),
        _row(
            "Input",
            html.escape(
                f"{spec.size}×{spec.size}, {spec.channels} channel(s), "
                f"{spec.preprocessing} preprocessing, {spec.crop} crop"
            ),
        ),
        "</table>",
        "<h4>Where it applies</h4><table cellspacing='4'>",
        _row("Modality", _any(applies.modality)),
        _row("Body part", _any(applies.body_part)),
        _row("View position", _any(applies.view_position)),
        _row("Age", html.escape(age)),
        "</table>",
        f"<h4>Labels ({len(m.visible_labels)}) and operating thresholds{html.escape(margin)}</h4>",
        f"<table cellspacing='4'>{label_rows}</table>",
        hidden,
        "<h4>Package</h4><table cellspacing='4'>",
        _row("From", html.escape(_ORIGINS.get(package.origin, package.origin))),
        _row("Folder", html.escape(str(package.folder))),
        _row("Manifest SHA-256", f"<code>{package.sha256}</code>"),
        _row("Files", html.escape(", ".join(sorted(m.files)))),
        "</table>",
    ]
    return "".join(parts)


def _problem_html(problem: PackageProblem) -> str:
    return (
        f"<h3>{html.escape(problem.folder.name)} — refused</h3>"
        f"<p style='color:#c82828'>{html.escape(problem.reason)}</p>"
        f"<p>Folder: {html.escape(str(problem.folder))} "
        f"({html.escape(_ORIGINS.get(problem.origin, problem.origin))})</p>"
    )
