"""Start-up of the reading window: QApplication, the window, then the heavy parts.

The window shows first (house rule 2: nothing heavy at start-up, torch never); the
decoder worker processes are started in the background once it is on screen, and the
study (a path, or the demo study) is opened from the event loop.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
import time
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication

from core.jobs import CancelToken, Progress
from core.library_output import capture_library_output
from core.resources import resource_path
from desktop import workers
from desktop.i18n import apply_interface_language
from desktop.language_menu import start_again_if_asked
from desktop.main_window import MainWindow
from desktop.quit_signals import quit_on_signals
from desktop.settings import APPLICATION, ORGANIZATION, Settings

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

logger = logging.getLogger(__name__)

__all__ = ["create_application", "run_app", "shutdown", "start_window", "warm_up_job"]

#: perf_counter() when this module was imported: the start of start-up, for the bench.
STARTED_AT = time.perf_counter()

#: How long a thread may keep the GIL while another waits for it (CPython's default: 5 ms).
#: Qt calls into Python for every slot, paint and event filter, and each call takes the GIL:
#: beside a job thread running Python (reading the archive's index of a study, finding
#: priors) each such call waited up to the whole interval, so a turn of 10-20 calls took
#: 50-100 ms. Only threads that keep the GIL while another waits are switched more often.
GUI_SWITCH_INTERVAL_S = 0.001


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (created once), named for QSettings and the window manager.

    The interpreter's switch interval is shortened to :data:`GUI_SWITCH_INTERVAL_S` (see
    there).
    """
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else [sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("RadAssist")
    app.setDesktopFileName("radassist")
    icon = resource_path("icons", "radassist.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def freeze_startup_objects() -> None:
    """Keep the objects made so far (modules, classes, the window) out of the collector's
    full passes, once per process.

    A full collection walked all of them holding the GIL: 54-84 ms on the 2-core bench
    machine, whichever thread it fell on, so every thread stalled (once every few opens of
    a large study, whose index makes tens of thousands of objects). They live as long as
    the process; later objects are collected as before.
    """
    global _startup_frozen
    if not _startup_frozen:
        _startup_frozen = True
        gc.freeze()


_startup_frozen = False


def add_bundled_fonts() -> None:
    """Make the bundled CJK font available to the window (an install without one shows boxes).

    Called once the window is up: reading a 5 MB font file does not belong in start-up.
    """
    font = resource_path("fonts", "wqy-microhei.ttc")
    if font.is_file() and QFontDatabase.addApplicationFont(str(font)) < 0:
        logger.warning("the bundled font %s could not be loaded", font.name)


#: Modules the first opened study needs on the GUI thread, imported by the warm-up job
#: instead: the presentation states' module (and the report export it reuses) took
#: ~50 ms to import in the first open's turn that reads the study's measurements.
FIRST_OPEN_MODULES: Final = ("core.dicom.presentation",)


def warm_up_job(token: CancelToken) -> Generator[Progress, None, None]:
    """Start the decoder worker processes and import what the first open needs (a job,
    so it runs off the GUI thread)."""
    from core.dicom import workers as decoder_workers  # lazy: not on the window's start-up path

    yield Progress(0, 2, "starting decoder workers")
    decoder_workers.warm_up()
    yield Progress(1, 2, "decoder workers ready")
    for name in FIRST_OPEN_MODULES:
        token.raise_if_cancelled()
        importlib.import_module(name)
    yield Progress(2, 2, "ready for the first study")


def start_window(
    path: str | os.PathLike[str] | None = None,
    *,
    settings: Settings | None = None,
    open_demo: bool = True,
    warm_up: bool = True,
) -> MainWindow:
    """Show the main window now; open ``path`` (or the demo study) once it is on screen."""

    window = MainWindow(settings or Settings())
    window.show()
    logger.info("window shown %.0f ms after start", (time.perf_counter() - STARTED_AT) * 1000)

    def after_shown() -> None:
        add_bundled_fonts()
        freeze_startup_objects()
        if warm_up:
            workers.start_job(warm_up_job, name="warm-up")
        if path is not None:
            window.open_path(path)
        elif open_demo:
            window.open_demo()

    QTimer.singleShot(0, window, after_shown)
    return window


def shutdown(timeout_s: float = 10.0) -> None:
    """Cancel running jobs, stop every child process, wait for the jobs (application exit).

    Bounded: a job that does not stop within a few seconds of its cancel does not hold
    the child processes (decoder workers, analysis and language-model processes), which
    are asked to quit, then terminated, then killed; stopping them also ends the jobs
    waiting on them.
    """
    from core.child_processes import stop_children  # lazy: not on the window's start-up path

    workers.cancel_all()
    stopped = workers.wait_for_all(min(timeout_s, 3.0))
    stop_children(timeout_s / 2)
    if not stopped and not workers.wait_for_all(timeout_s / 2):
        logger.warning("some jobs did not stop within %.0f s", timeout_s)


def _quit_when_shown(app: QApplication, window: MainWindow, probe: str) -> None:
    """``RADASSIST_STARTUP_PROBE=FILE`` (make bench): note when the window is on screen, quit.

    Start-up is timed from outside the process (spawn to window), for the frozen app and
    the source tree alike.
    """

    def check() -> None:
        handle = window.windowHandle()
        if handle is None or not handle.isExposed():
            return
        timer.stop()
        with open(probe, "w", encoding="utf-8") as out:
            out.write(f'{{"shown_epoch": {time.time()!r}}}\n')
        app.quit()

    timer = QTimer(window)
    timer.timeout.connect(check)
    timer.start(1)


def run_app(path: str | os.PathLike[str] | None = None) -> int:
    """``radassist [PATH]``: the window, with PATH or the demo study; returns the exit code."""
    logging.basicConfig(
        level=os.environ.get("RADASSIST_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    capture_library_output()  # pydicom's tracebacks and warnings: our DEBUG log, not stderr
    if path is not None and not os.path.exists(path):
        print(f"radassist: {path}: no such file or folder", file=sys.stderr)
        return 2
    app = create_application()
    settings = Settings()
    # Before any window: Settings → Language's catalogues, locale, core's messages, a CJK font.
    apply_interface_language(app, settings.interface_language)
    window = start_window(path, settings=settings)
    probe = os.environ.get("RADASSIST_STARTUP_PROBE")
    if probe:
        _quit_when_shown(app, window, probe)
    undo_signals = quit_on_signals(app)  # SIGTERM, Ctrl+C: the same exit as closing
    try:
        return app.exec()
    finally:
        if window.isVisible():
            window.close()  # its closeEvent saves the settings and stops its panels
        del window
        shutdown()
        undo_signals()
        start_again_if_asked()  # Settings → Language → Restart Now
