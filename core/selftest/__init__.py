"""The built-in self-test (``radassist self-test``, the frozen app's ``--self-test``).

A clinic's IT, and CI against the built bundle, run it after installing. It writes a
small synthetic study into a temporary folder and, with no network, runs every check
of :data:`~core.selftest.checks.BUILTIN_CHECKS` in order — the install's file list, the
bundled resources, the user data folder, scanning, loading through the decoder
processes, every transfer syntax's decoder, an analysis with the demo model, template
drafts in English and Chinese, an optional language-model draft, PDF and DICOM SR
export — then any extra checks the caller adds (desktop adds the window). Every check
runs whatever failed before it; the report names the first failure.

The run leaves nothing behind: ``RADASSIST_DATA_DIR`` points at a temporary folder for
its duration (the ``data folder`` check probes the real one, and deletes its probe),
the child processes it started are stopped, and the temporary folder is deleted.

Examples
--------
>>> from core.selftest import SelfTestOptions, run_self_test
>>> report = run_self_test(SelfTestOptions())  # doctest: +SKIP
>>> print("\\n".join(report.lines()))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Final

from core.i18n import N_
from core.paths import user_data_dir
from core.selftest.checks import BUILTIN_CHECKS, SelfTestStudy, write_self_test_study
from core.selftest.framework import (
    Check,
    CheckFailed,
    CheckResult,
    CheckSkipped,
    Outcome,
    SelfTestContext,
    SelfTestOptions,
    SelfTestReport,
    Status,
    SubResult,
    describe_exception,
    format_check,
    placeholder_check,
    run_check,
)

logger = logging.getLogger(__name__)

__all__ = [
    "BUILTIN_CHECKS",
    "WINDOW_CHECK_NAME",
    "Check",
    "CheckFailed",
    "CheckResult",
    "CheckSkipped",
    "Outcome",
    "SelfTestContext",
    "SelfTestOptions",
    "SelfTestReport",
    "SelfTestStudy",
    "Status",
    "SubResult",
    "format_check",
    "placeholder_check",
    "run_self_test",
    "write_self_test_study",
]

#: The name of the check desktop adds (core has no window).
WINDOW_CHECK_NAME: Final = N_("window")
_DATA_DIR_VARIABLE: Final = "RADASSIST_DATA_DIR"


@contextlib.contextmanager
def _private_data_dir(folder: Path) -> Iterator[None]:
    """``RADASSIST_DATA_DIR`` is ``folder`` inside the block, what it was after it."""
    previous = os.environ.get(_DATA_DIR_VARIABLE)
    os.environ[_DATA_DIR_VARIABLE] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(_DATA_DIR_VARIABLE, None)
        else:
            os.environ[_DATA_DIR_VARIABLE] = previous


def _real_user_data_dir() -> tuple[Path | None, str]:
    """The user's data folder as the app finds it (before the self-test moves it)."""

    try:
        return user_data_dir(), ""
    except Exception as error:  # OSError; RuntimeError when there is no home folder
        return None, describe_exception(error)


def _generate_study(context: SelfTestContext) -> None:
    try:
        study = write_self_test_study(context.work_dir / "study")
    except Exception as error:
        logger.debug("the self-test study could not be written", exc_info=True)
        context.study_error = describe_exception(error)
        return
    context.study_dir = study.folder
    context.pa_path = study.pa_path
    context.expected = dict(study.expected)


def _stop_child_processes() -> None:
    """Stop what the checks started: the analysis and language-model processes, decoders."""
    stoppers: list[Callable[[], None]] = []
    for module_name, function in (
        ("core.analysis.runner", "shutdown_analysis_process"),
        ("core.report.llm", "shutdown_language_model_process"),
        ("core.dicom.workers", "shutdown"),
    ):
        module = sys.modules.get(module_name)  # not imported: nothing of it was started
        if module is not None:
            stoppers.append(getattr(module, function))
    for stop in stoppers:
        try:
            stop()
        except Exception:
            logger.debug("stopping a child process failed", exc_info=True)


def run_self_test(
    options: SelfTestOptions | None = None,
    *,
    checks: Sequence[Check] | None = None,
    extra_checks: Sequence[Check] = (),
    on_result: Callable[[CheckResult], None] | None = None,
) -> SelfTestReport:
    """Run the self-test and return its report (never raises for a failing check).

    Parameters
    ----------
    options : SelfTestOptions, optional
    checks : sequence of Check, optional
        Default :data:`BUILTIN_CHECKS`.
    extra_checks : sequence of Check, optional
        Run after ``checks`` (desktop's window check).
    on_result : callable, optional
        Called with each check's result as soon as it is known (to print as it goes).

    Returns
    -------
    SelfTestReport
    """
    if options is None:
        options = SelfTestOptions()
    elif not isinstance(options, SelfTestOptions):
        raise TypeError(f"options must be SelfTestOptions, found {type(options).__name__}")
    todo = [*(BUILTIN_CHECKS if checks is None else checks), *extra_checks]
    for check in todo:
        if not isinstance(check, Check):
            raise TypeError(f"checks must be Check objects, found {type(check).__name__}")
    start = time.perf_counter()
    real_dir, real_error = _real_user_data_dir()  # before the data folder moves
    work_dir = Path(tempfile.mkdtemp(prefix="radassist-self-test-"))
    context = SelfTestContext(
        options=options,
        work_dir=work_dir,
        data_dir=work_dir / "data",
        real_data_dir=real_dir,
        real_data_dir_error=real_error,
    )
    results: list[CheckResult] = []
    try:
        with _private_data_dir(context.data_dir):
            try:
                _generate_study(context)
                for check in todo:
                    result = run_check(check, context)
                    results.append(result)
                    if on_result is not None:
                        on_result(result)
            finally:
                _stop_child_processes()
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return SelfTestReport(tuple(results), time.perf_counter() - start)
