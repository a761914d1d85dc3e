"""Imported by the fork server only (its preload): every child it forks ignores Ctrl+C and
ends with the RadAssist process that asked for it.

Ctrl+C in a terminal reaches the whole process group: the parent alone decides how its
children stop (it cancels, then stops them with a timeout), so a child must not end with
a traceback of its own. And a child must never outlive RadAssist, even after ``kill -9``:
it watches the pipe only RadAssist holds (:func:`core.child_processes.watch_parent_process`).
Nor does a library's log record or warning reach stderr raw (:mod:`core.library_output`).

Importing this module changes the importing process's signal handling: only the fork
server does (:func:`core.child_processes.child_context` names it in the preload).
"""

from __future__ import annotations

import os
import signal
import sys
from types import TracebackType

from core.child_processes import watch_parent_process
from core.library_output import capture_library_output, log_to_stderr


def _quiet_when_a_client_vanished(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    # A client stopped (Ctrl+C) in the middle of asking for a child: the fork server ends
    # (the next request starts a new one) without a traceback on the user's terminal.
    if issubclass(kind, EOFError | ConnectionError):
        return
    sys.__excepthook__(kind, value, traceback)


# Our warnings read as the parent's do; what pydicom and the decoders log or warn becomes
# our DEBUG log, not stderr lines.
log_to_stderr()
capture_library_output()
# The fork server restores, in each child, the handlers it found at its start: these.
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.excepthook = _quiet_when_a_client_vanished
os.register_at_fork(after_in_child=lambda: watch_parent_process(forked=True))
