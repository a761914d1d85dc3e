"""Whether the operating system's keyring can be used: the one answer every store asks.

Windows Credential Manager, the macOS Keychain, or the Secret Service (GNOME Keyring,
KWallet) through :mod:`keyring`; none on a headless Linux without D-Bus, as on CI. The
keys of encryption at rest (:mod:`core.at_rest`) and the PACS nodes' passwords and tokens
(:mod:`core.pacs.credentials`) both go there when there is one.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["usable_keyring"]

logger = logging.getLogger(__name__)


def usable_keyring() -> Any | None:
    """The OS keyring backend, or None where there is none (headless, no D-Bus)."""
    try:
        # keyring loads its backends (D-Bus, Secret Service) on import: only when needed.
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # not installed: no keyring
        return None
    try:
        backend = keyring.get_keyring()
        priority = float(backend.priority)
    except (KeyringError, RuntimeError, ValueError, TypeError) as exc:
        logger.info("no usable keyring: %s", type(exc).__name__)
        return None
    return backend if priority > 0 else None
