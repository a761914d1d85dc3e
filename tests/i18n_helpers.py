"""Child processes that speak a language: for tests that switch it while children run.

A child process (a decoder worker, the analysis process) makes its messages in the
language its fork server had when it started (``RADASSIST_LANG``, exported by
``core.i18n.set_language``). The app sets the language before any child starts; a test
that switches it mid-session restarts the children and the fork server around itself,
so neither it nor the tests after it see the other language.
"""

from __future__ import annotations

import contextlib
import multiprocessing.forkserver
from collections.abc import Iterator

from core import i18n
from core.child_processes import stop_children


def restart_children() -> None:
    """Stop every child and the fork server: the next child starts with today's language."""
    stop_children(10.0)
    multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]  # for tests


@contextlib.contextmanager
def children_speaking(language: str) -> Iterator[None]:
    """Inside: this process and every child it starts make messages in ``language``."""
    restart_children()
    i18n.set_language(language)
    try:
        yield
    finally:
        i18n.set_language("en")
        restart_children()
