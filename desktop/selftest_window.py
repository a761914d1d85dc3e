"""The self-test's ``window`` check: the reading window opens on the test study and shows it.

Desktop adds :data:`WINDOW_CHECK` to core's self-test (:mod:`core.selftest`). Importing
this module is cheap: Qt is imported only when the check runs, so ``radassist
--self-test`` costs no Qt start-up until the last check.

The check opens the main window (:func:`desktop.app.start_window`) in the language the
self-test speaks (``--lang``, ``RADASSIST_LANG``, Settings → Language or the system's:
the interface's catalogues installed as start-up installs them) on the generated
study with private settings (the user's recent studies and window layout are not
touched), waits — processing events, with a timeout — until a viewport shows the first
image, checks that it is not blank, optionally saves a screenshot of the whole window,
and closes the window cleanly (:func:`desktop.app.shutdown`).

Where it can draw: on Windows and macOS always; on Linux when ``DISPLAY`` or
``WAYLAND_DISPLAY`` is set, or when ``QT_QPA_PLATFORM`` names a platform (``offscreen``
draws without a screen: CI uses it). Otherwise it is skipped ("no display").
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core import i18n as core_i18n
from core.i18n import _
from core.selftest import WINDOW_CHECK_NAME, Check, CheckFailed, CheckSkipped, SelfTestContext

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

logger = logging.getLogger(__name__)

__all__ = ["WINDOW_CHECK", "check_window", "display_platform"]

_POLL_MS: Final = 50
_PAINT_WAIT_S: Final = 5.0
#: A shown image has at least this spread of grey levels (a blank view has none).
_MIN_SPREAD: Final = 8.0
_WINDOW_SIZE: Final = (1280, 800)


def display_platform() -> str | None:
    """Where the window would draw: the Qt platform's name, "" for the default, None: nowhere."""
    platform = os.environ.get("QT_QPA_PLATFORM", "").strip()
    if platform:
        return platform.split(":", 1)[0]
    if sys.platform in ("win32", "darwin"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return None


def _grey_spread(image: QImage) -> float:
    """Standard deviation of an image's grey levels (0 for a blank, one-colour image)."""
    import numpy as np
    from PySide6.QtGui import QImage

    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    if grey.isNull() or grey.width() == 0 or grey.height() == 0:
        return 0.0
    data = np.frombuffer(grey.constBits(), dtype=np.uint8)
    rows = data.reshape(grey.height(), grey.bytesPerLine())[:, : grey.width()]
    return float(rows.std())


def _wait(app: Any, until: Any, timeout_s: float) -> bool:
    """Process events until ``until()`` is true or ``timeout_s`` passed; returns ``until()``."""
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + timeout_s
    while not until():
        if time.perf_counter() >= deadline:
            return bool(until())
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, _POLL_MS)
        time.sleep(0.005)  # processEvents returns at once when nothing is pending
    return True


def check_window(context: SelfTestContext) -> str:
    """The ``window`` check (see the module docstring)."""
    if not context.options.window:
        raise CheckSkipped(_("--no-window given"))
    platform = display_platform()
    if platform is None:
        raise CheckSkipped(_("no display (DISPLAY / WAYLAND_DISPLAY unset)"))
    study: Path = context.need(context.study_dir, "the generated study")

    start = time.perf_counter()
    # lazy: Qt is imported only when the window check runs (the entry point stays light)
    from desktop.app import create_application
    from desktop.settings import Settings

    app = create_application()
    settings = Settings(context.work_dir / "window-settings.ini")  # not the user's
    with _speaking_interface_language(app):
        return _open_and_watch(context, app, study, settings, start, platform)


@contextlib.contextmanager
def _speaking_interface_language(app: Any) -> Iterator[None]:
    """Inside: the window's catalogues are those of the self-test's language (as start-up
    installs them); after: the interface and core's messages as they were before."""
    # lazy: desktop.i18n brings Qt's translators, only when the self-test opens a window
    from desktop.i18n import apply_interface_language, install_translations, installed_language

    before_core, before_interface = core_i18n.current_language(), installed_language()
    variable = os.environ.get(core_i18n.LANGUAGE_VARIABLE)
    apply_interface_language(app, before_core)
    core_i18n.set_language(before_core, export=False)  # a missing .qm keeps the lines' language
    try:
        yield
    finally:
        install_translations(before_interface)
        core_i18n.set_language(before_core, export=False)
        if variable is None:
            os.environ.pop(core_i18n.LANGUAGE_VARIABLE, None)
        else:
            os.environ[core_i18n.LANGUAGE_VARIABLE] = variable


def _open_and_watch(
    context: SelfTestContext,
    app: Any,
    study: Path,
    settings: Any,
    start: float,
    platform: str,
) -> str:
    """Open the window on ``study``, wait for its first image and the series, close it."""
    # lazy: desktop.app imports this module's caller; the window starts only here
    from desktop.app import shutdown, start_window

    shown: list[Any] = []
    loaded: list[Any] = []
    window = start_window(study, settings=settings)
    try:
        window.resize(*_WINDOW_SIZE)
        window.first_image_shown.connect(shown.append)
        window.series_loaded.connect(loaded.append)
        _wait(app, window.isVisible, 10.0)
        window_s = time.perf_counter() - start

        def settled_without_image() -> bool:
            return window.index is not None and not window.is_busy

        found = _wait(
            app,
            lambda: bool(shown) or settled_without_image(),
            context.options.window_timeout_s,
        )
        if not shown:
            shown_banners = window.notifications.notifications[:2]
            banner = "; ".join(item.text for item in shown_banners) or _("no message")
            if found:
                said = _("no image shown after the study was read ({banner})")
            else:
                said = _("no image shown after {seconds:.0f} s ({banner})")
            raise CheckFailed(said.format(seconds=context.options.window_timeout_s, banner=banner))
        image_s = time.perf_counter() - start
        viewport = shown[0]
        # The first image arrived; it is on screen after the next paints.
        painted = _wait(
            app, lambda: _grey_spread(viewport.grab_view()) >= _MIN_SPREAD, _PAINT_WAIT_S
        )
        if not painted:
            raise CheckFailed(_("the viewport stayed blank after the first image arrived"))
        # The rest of the series, so that a screenshot shows the window at rest.
        remaining = max(1.0, context.options.window_timeout_s - (time.perf_counter() - start))
        if not _wait(app, lambda: bool(loaded) and not window.is_busy, remaining):
            raise CheckFailed(_("the first image showed, but the series did not finish loading"))
        loaded_s = time.perf_counter() - start
        saved = ""
        screenshot = context.options.screenshot
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(screenshot)):
                raise CheckFailed(
                    _("the screenshot could not be written to {path}").format(path=screenshot)
                )
            saved = _("; screenshot {path}").format(path=screenshot)
    finally:
        window.close()
        shutdown()
        window.deleteLater()
        _flush_deletions(app)
    where = _(" ({platform} platform)").format(platform=platform) if platform else ""
    said = _(
        "window in {window_ms:.0f} ms, first image in {image_ms:.0f} ms, "
        "series loaded in {loaded_ms:.0f} ms{where}{saved}"
    )
    return said.format(
        window_ms=window_s * 1000,
        image_ms=image_s * 1000,
        loaded_ms=loaded_s * 1000,
        where=where,
        saved=saved,
    )


def _flush_deletions(app: Any) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent

    app.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


#: Desktop's addition to the self-test.
WINDOW_CHECK: Final = Check(WINDOW_CHECK_NAME, check_window)
