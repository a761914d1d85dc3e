"""Passwords and tokens of DICOMweb nodes: the OS keyring, or this session's memory.

Secrets never enter the nodes file (:mod:`core.pacs.nodes`). Where a usable keyring
exists (Windows Credential Manager, macOS Keychain, the Secret Service) they are kept
there under service ``RadAssist-PACS``; elsewhere (a headless Linux) they are held in
memory for this session only and asked for again next time: ``ask`` is how the app
asks (the GUI prompts; the command line reads stdin).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

from core.os_keyring import usable_keyring

logger = logging.getLogger(__name__)

KEYRING_SERVICE: Final = "RadAssist-PACS"

#: Asks the user for the secret of a key (e.g. ``"dicomweb:hospital:alice"``); None: declined.
AskSecret = Callable[[str], "str | None"]


class CredentialStore:
    """Where the app gets and keeps node secrets; thread-safe.

    Parameters
    ----------
    ask : callable, optional
        Called with the key when no secret is known; returns it or None.
    use_keyring : bool
        False keeps every secret in memory only (tests, a kiosk).
    service : str
        The keyring service the secrets are kept under (the language-model endpoint's
        keys have their own, :mod:`core.report.llm.engines`).
    """

    def __init__(
        self,
        ask: AskSecret | None = None,
        *,
        use_keyring: bool = True,
        service: str = KEYRING_SERVICE,
    ) -> None:
        self._ask = ask
        self._service = service
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        self._backend = usable_keyring() if use_keyring else None

    @property
    def uses_keyring(self) -> bool:
        """True when secrets go to the system keyring (not only to this session's memory)."""
        return self._backend is not None

    @property
    def where(self) -> str:
        """Where secrets are kept, in words (for Settings)."""
        if self._backend is None:
            return "in memory for this session only (no system keyring found)"
        return f"the system keyring ({type(self._backend).__name__})"

    def set(self, key: str, secret: str) -> None:
        """Keep ``secret`` for ``key`` (keyring, else memory)."""
        if not isinstance(secret, str):
            raise TypeError(f"secret must be a string, found {type(secret).__name__}")
        with self._lock:
            self._memory[key] = secret
        if self._backend is not None:
            try:
                self._backend.set_password(self._service, key, secret)
            except Exception as exc:  # any backend failure: the session keeps it
                logger.warning("the system keyring did not keep a secret (%s)", type(exc).__name__)

    def get(self, key: str) -> str | None:
        """The secret for ``key``: memory, keyring, then ``ask``; None when none is known."""
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        if self._backend is not None:
            try:
                secret = self._backend.get_password(self._service, key)
            except Exception as exc:  # locked, dismissed, D-Bus gone: ask instead
                logger.info("the system keyring gave no secret (%s)", type(exc).__name__)
                secret = None
            if secret is not None:
                with self._lock:
                    self._memory[key] = str(secret)
                return str(secret)
        if self._ask is None:
            return None
        asked = self._ask(key)
        if asked is not None:
            with self._lock:
                self._memory[key] = asked
        return asked

    def forget(self, key: str) -> None:
        """Drop the secret for ``key`` from memory and the keyring."""
        with self._lock:
            self._memory.pop(key, None)
        if self._backend is not None:
            try:
                self._backend.delete_password(self._service, key)
            except Exception as exc:  # not there, or the keyring is locked
                logger.info("the keyring kept no secret to forget (%s)", type(exc).__name__)
