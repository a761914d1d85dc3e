"""The report panel's line that says which languages cannot be drafted from the templates.

The window checks the install at start-up (:func:`core.resource_check.check_installation`,
on a worker) and hands the problems to the panel; the ones about report templates land
here. A language whose template file is missing or broken cannot be drafted from the
templates: the panel disables that draft and says why (the file and the loader's reason),
while the language model, typing, signing and export go on working.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

if TYPE_CHECKING:
    from core.resource_check import ResourceProblem

__all__ = ["TemplateStatusLabel"]

PROBLEM_STYLE: Final = (
    "QLabel { background: #fde8e6; color: #202020; border: 1px solid #d0574b; padding: 6px; "
    "border-radius: 3px; }"
)


class TemplateStatusLabel(QLabel):
    """Which report languages' templates cannot be used, and why; hidden when all can."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("report_template_problem")
        self.setWordWrap(True)
        self.setStyleSheet(PROBLEM_STYLE)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._problems: dict[str, ResourceProblem] = {}
        self.hide()

    def set_problems(self, problems: Sequence[ResourceProblem]) -> None:
        """The install's (and a site file's) problems; those about templates are kept."""
        self._problems = {p.name: p for p in problems if p.language is not None}
        lines = [self.block_reason(language) or "" for language in self._problems]
        lines.append(self.tr("The language model, typing, signing and export still work."))
        self.setText("\n".join(lines) if self._problems else "")
        self.setToolTip("\n".join(p.source for p in self._problems.values()))
        self.setVisible(bool(self._problems))

    @property
    def problems(self) -> tuple[ResourceProblem, ...]:
        return tuple(self._problems.values())

    def _language_name(self, language: str) -> str:
        """A report language as this line names it."""
        if language == "en":
            return self.tr("English")
        if language == "zh-CN":
            return self.tr("Chinese (中文)")
        return language

    def block_reason(self, language: str) -> str | None:
        """Why the templates cannot draft in ``language``; None when they can."""
        problem = self._problems.get(language)
        if problem is None:
            return None
        name = self._language_name(language)
        return self.tr(
            "Template drafting in {language} is unavailable — {problem} ({remedy})."
        ).format(language=name, problem=problem.detail, remedy=problem.remedy)
