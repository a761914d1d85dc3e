"""The self-test's machinery: named, timed checks; their results; the report's lines and JSON.

A check is a :class:`Check`: a name and a function of the :class:`SelfTestContext`. The
function returns a short detail (or an :class:`Outcome` with sub-results) when all is
well, raises :class:`CheckFailed` with the reason when not, and :class:`CheckSkipped`
when it does not apply here. Any other exception is that check's failure too, with a
one-line reason; its traceback goes to the log at DEBUG only, never to the output.
Every check runs, whatever failed before it; the report names the first failure.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core.errors import RadAssistError
from core.i18n import N_, _

if TYPE_CHECKING:
    from core.analysis.inference import AnalysisResult
    from core.analysis.manifest import ModelPackage
    from core.dicom.records import SeriesRecord, StudyIndex
    from core.report.document import Report

logger = logging.getLogger(__name__)

__all__ = [
    "Check",
    "CheckFailed",
    "CheckResult",
    "CheckSkipped",
    "Outcome",
    "SelfTestContext",
    "SelfTestOptions",
    "SelfTestReport",
    "Status",
    "SubResult",
    "describe_exception",
    "format_check",
    "one_line",
    "placeholder_check",
    "run_check",
]

_REASON_LIMIT: Final = 400


class Status(StrEnum):
    """How a check ended."""

    OK = "ok"
    FAIL = "FAIL"
    SKIPPED = "skipped"


class CheckFailed(Exception):  # noqa: N818 - an outcome, like pytest's Failed
    """Raised by a check: it failed, for ``reason`` (one line, no patient data).

    Parameters
    ----------
    reason : str
    items : sequence of SubResult, optional
        The sub-results gathered before or while failing (e.g. one per syntax).
    """

    def __init__(self, reason: str, items: Sequence[SubResult] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.items = tuple(items)


class CheckSkipped(Exception):  # noqa: N818 - an outcome, like pytest's Skipped
    """Raised by a check that does not apply here (``reason`` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SubResult:
    """One part of a check (e.g. one transfer syntax of the decoder check).

    Attributes
    ----------
    name : str
    status : str
        "ok", "FAIL", or another word saying why it was not tried ("not encoded").
    detail : str
    """

    name: str
    status: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class Outcome:
    """What a passing check returns when it has sub-results to show."""

    detail: str
    items: tuple[SubResult, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """One check's result.

    Attributes
    ----------
    name : str
    status : Status
    seconds : float
        How long the check took.
    detail : str
        What was found (ok), why it failed, or why it was skipped: one line.
    items : tuple of SubResult
    """

    name: str
    status: Status
    seconds: float
    detail: str
    items: tuple[SubResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "status": self.status.value,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
        }
        if self.items:
            data["items"] = [item.to_json() for item in self.items]
        return data

    def line(self, name_width: int = 15) -> str:
        """``status  name  time  detail`` (what the text output prints, in the current
        language: the status word and the check's name are translated here, for display;
        the JSON keeps them as they are)."""
        status = _pad(_(STATUS_WORDS[self.status]), 7)
        return f"{status} {_pad(_(self.name), name_width)} {_duration(self.seconds):>8}  " + (
            self.detail
        )


#: The status words the text output shows (marked for the catalogue; JSON keeps the values).
STATUS_WORDS: Final = {Status.OK: N_("ok"), Status.FAIL: N_("FAIL"), Status.SKIPPED: N_("skipped")}


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns."""
    return text + " " * max(0, width - display_width(text))


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


@dataclass(frozen=True)
class SelfTestReport:
    """Every check's result, in the order they ran.

    Attributes
    ----------
    checks : tuple of CheckResult
    seconds : float
        The whole run, set-up and clean-up included.
    """

    checks: tuple[CheckResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """No check failed (skipped ones do not count against it)."""
        return self.first_failure is None

    @property
    def first_failure(self) -> CheckResult | None:
        return next((c for c in self.checks if c.status is Status.FAIL), None)

    @property
    def exit_code(self) -> int:
        """0 when every check passed or was skipped, 1 otherwise."""
        return 0 if self.ok else 1

    def summary(self) -> str:
        """The final line: passed with the count and time, or the first failure."""
        failure = self.first_failure
        if failure is not None:
            return _("self-test FAILED: first failure: {name}: {detail}").format(
                name=_(failure.name), detail=failure.detail
            )
        skipped = sum(c.status is Status.SKIPPED for c in self.checks)
        note = _(" ({count} skipped)").format(count=skipped) if skipped else ""
        return _("self-test passed: {count} checks in {seconds:.1f} s{note}").format(
            count=len(self.checks), seconds=self.seconds, note=note
        )

    def lines(self) -> list[str]:
        """The text output: one line per check (sub-results indented under it), the summary."""
        width = max([15, *(display_width(_(c.name)) for c in self.checks)])
        out: list[str] = []
        for check in self.checks:
            out.extend(format_check(check, width))
        out.append(self.summary())
        return out

    def to_json(self) -> dict[str, Any]:
        """``{"ok", "first_failure": {"name", "detail"} or null, "seconds", "checks": [...]}``."""
        failure = self.first_failure
        return {
            "ok": self.ok,
            "first_failure": (
                None if failure is None else {"name": failure.name, "detail": failure.detail}
            ),
            "seconds": round(self.seconds, 3),
            "checks": [check.to_json() for check in self.checks],
        }


def format_check(check: CheckResult, name_width: int = 15) -> list[str]:
    """A check's line and, indented under it, a line per sub-result."""
    lines = [check.line(name_width)]
    indent = " " * 8
    lines.extend(
        f"{indent}{_pad(_(item.status), 11)} {item.name}: {item.detail}" for item in check.items
    )
    return lines


@dataclass(frozen=True)
class SelfTestOptions:
    """What the person asked for.

    Attributes
    ----------
    llm_dir : Path or None
        A local language-model folder for the ``language model`` check.
    screenshot : Path or None
        Where the window check saves what the window showed.
    window : bool
        False with ``--no-window``: the window check is skipped.
    window_timeout_s : float
        How long the window check waits for the first image.
    """

    llm_dir: Path | None = None
    screenshot: Path | None = None
    window: bool = True
    window_timeout_s: float = 60.0


@dataclass(eq=False)
class SelfTestContext:
    """What the checks share: the options, the temporary folders, what earlier checks made.

    The ``study_*`` paths exist once the demo study was generated (``study_error`` says
    why not); the later fields are set by the check that produces them and stay None
    when it failed, so a check that needs them raises :class:`CheckSkipped` naming it.
    """

    options: SelfTestOptions
    work_dir: Path
    data_dir: Path
    real_data_dir: Path | None = None
    real_data_dir_error: str = ""
    study_dir: Path | None = None
    study_error: str = ""
    pa_path: Path | None = None
    expected: dict[str, int] = field(default_factory=dict)
    index: StudyIndex | None = None
    cxr_series: SeriesRecord | None = None
    ct_series: SeriesRecord | None = None
    package: ModelPackage | None = None
    analysis: AnalysisResult | None = None
    analysis_error: str = ""
    reports: dict[str, Report] = field(default_factory=dict)

    @property
    def export_dir(self) -> Path:
        """Where the export check writes (inside the temporary data folder)."""
        return self.data_dir / "exports"

    def need(self, value: Any, what: str) -> Any:
        """``value``, or :class:`CheckSkipped` saying that ``what`` is missing."""
        if value is None:
            raise CheckSkipped(_("not run: needs {what}").format(what=what))
        return value


CheckFunction = Callable[[SelfTestContext], str | Outcome]


@dataclass(frozen=True)
class Check:
    """A named check (see the module docstring)."""

    name: str
    run: CheckFunction


def one_line(text: object, limit: int = _REASON_LIMIT) -> str:
    """Text on one line (whitespace folded), cut to ``limit`` characters."""
    folded = " ".join(str(text).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def describe_exception(error: BaseException) -> str:
    """An unexpected exception as one line: its message, or its type when it has none."""
    message = one_line(error)
    name = type(error).__name__
    if not message:
        return name
    # Our own errors say what they are; others get their type, as a person needs it.

    return message if isinstance(error, RadAssistError) else f"{name}: {message}"


def run_check(check: Check, context: SelfTestContext) -> CheckResult:
    """Run one check, timed; never raises (except KeyboardInterrupt and SystemExit)."""
    start = time.perf_counter()
    try:
        outcome = check.run(context)
    except CheckFailed as failed:
        status, detail, items = Status.FAIL, one_line(failed.reason), failed.items
    except CheckSkipped as skipped:
        status, detail, items = Status.SKIPPED, one_line(skipped.reason), ()
    except Exception as error:
        logger.debug("self-test check %r raised", check.name, exc_info=True)
        status, detail, items = Status.FAIL, describe_exception(error), ()
    else:
        if isinstance(outcome, Outcome):
            status, detail, items = Status.OK, one_line(outcome.detail), outcome.items
        else:
            status, detail, items = Status.OK, one_line(outcome), ()
    seconds = time.perf_counter() - start
    logger.debug("self-test %s: %s in %.3f s: %s", check.name, status.value, seconds, detail)
    return CheckResult(check.name, status, seconds, detail, tuple(items))


def placeholder_check(name: str, reason: str) -> Check:
    """A check that is always skipped, for ``reason`` (e.g. the window without desktop)."""

    def skip(context: SelfTestContext) -> str:
        raise CheckSkipped(reason)

    return Check(name, skip)
