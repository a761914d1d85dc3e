"""A damaged install, said once in the window: which bundled part is missing, and what to do.

At start-up the window runs :func:`core.resource_check.check_installation` on a worker
(it hashes the bundled model files), hands the problems to the panels they concern — the
AI panel names a missing or damaged bundled model and disables Analyze for it, the report
panel disables template drafting in a language whose template file is missing or broken —
and shows one persistent banner: "Part of the installation is missing or damaged: … —
run radassist --self-test". Viewing, browsing, measuring and reporting go on as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal

from core.errors import CancelledError
from core.jobs import CancelToken
from core.resource_check import check_installation, describe_installation_problems
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.resource_check import ResourceProblem
    from desktop.notifications import Notification, NotificationArea
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = ["InstallStatus"]


class _Receiver(Protocol):
    def set_resource_problems(self, problems: Sequence[ResourceProblem]) -> None: ...


def _check_job(token: CancelToken) -> tuple[ResourceProblem, ...]:

    return check_installation()


class InstallStatus(QObject):
    """Runs the install check and tells the panels and the person what it found.

    Parameters
    ----------
    notifications : NotificationArea
        Where the one banner goes (persistent: closing a study keeps it).
    receivers : sequence
        Panels with ``set_resource_problems(problems)``.
    parent : QObject, optional

    Signals
    -------
    checked(object)
        The tuple of :class:`~core.resource_check.ResourceProblem` found (empty: all well).
    """

    checked = Signal(object)

    def __init__(
        self,
        notifications: NotificationArea,
        receivers: Sequence[_Receiver],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._notifications = notifications
        self._receivers = tuple(receivers)
        self._problems: tuple[ResourceProblem, ...] = ()
        self._notice: Notification | None = None
        self._check_slot = JobSlot(self, name="install-check")

    @property
    def problems(self) -> tuple[ResourceProblem, ...]:
        """What the last check found (empty before it finished, or when all is well)."""
        return self._problems

    @property
    def notice(self) -> Notification | None:
        """The banner shown for the install (None when all is well)."""
        return self._notice

    @property
    def is_running(self) -> bool:
        return self._check_slot.is_running

    def start(self) -> JobHandle:
        """Check the install on a worker (a running check is replaced)."""
        return self._check_slot.start(
            _check_job, on_result=self._on_checked, on_error=self._on_check_failed
        )

    def _on_checked(self, problems: tuple[ResourceProblem, ...]) -> None:
        self._problems = tuple(problems)
        for receiver in self._receivers:
            receiver.set_resource_problems(self._problems)
        if self._notice is not None:
            self._notice.dismiss()
            self._notice = None
        text = describe_installation_problems(self._problems)
        if text:
            details = [f"{p.message} ({p.source})" for p in self._problems if p.in_install]
            self._notice = self._notifications.notify(text, details, "warning", persistent=True)
            self._notice.dismissed.connect(self._on_notice_dismissed)
        self.checked.emit(self._problems)

    def _on_notice_dismissed(self) -> None:
        self._notice = None

    def _on_check_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            return
        logger.error("the install check failed: %s", error, exc_info=error)
        self._notifications.notify(
            self.tr(
                "The installation could not be checked ({error}) — run radassist --self-test."
            ).format(error=f"{type(error).__name__}: {error}"),
            level="warning",
            persistent=True,
        )
