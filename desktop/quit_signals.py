"""SIGTERM and Ctrl+C end the window the way closing it does: event loop, then shutdown.

A Python signal handler runs only when the interpreter gets control, and while Qt's
event loop waits nothing Python runs: the signal would wait for the next mouse move. The
C-level handler writes the signal number to a socket (:func:`signal.set_wakeup_fd`)
that a :class:`QSocketNotifier` watches, so the event loop wakes at once and quits with
``128 + signal`` (the shell's convention); :func:`desktop.app.shutdown` then stops the
jobs and every child process (forkserver children: decoder workers, model processes).
"""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QSocketNotifier

__all__ = ["QUIT_SIGNALS", "quit_on_signals"]

#: The signals that end the window.
QUIT_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def quit_on_signals(
    app: QCoreApplication, signals: Sequence[signal.Signals] = QUIT_SIGNALS
) -> Callable[[], None]:
    """Quit ``app``'s event loop when one of ``signals`` arrives; returns the undo.

    Call from the main thread (signal handlers live there).
    """
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)

    def on_signal(signum: int, frame: object) -> None:
        pass  # the wake-up byte does the work; a Python handler keeps the C one installed

    previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    previous = {sig: signal.signal(sig, on_signal) for sig in signals}
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)
    wanted = {int(sig) for sig in signals}

    def on_readable() -> None:
        try:
            received = reader.recv(64)
        except OSError:
            return
        for number in received:
            if number in wanted:
                app.exit(128 + number)
                return

    notifier.activated.connect(on_readable)

    def undo() -> None:
        notifier.setEnabled(False)
        notifier.deleteLater()
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        signal.set_wakeup_fd(previous_fd)
        with contextlib.suppress(OSError):
            reader.close()
            writer.close()

    return undo
