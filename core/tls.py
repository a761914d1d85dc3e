"""What a TLS connection of ours trusts: the site's CA bundle, or the system's store.

Every HTTPS client of the app (DICOMweb nodes, the language-model server) passes
:func:`verify_setting` to ``requests``. Verification is never turned off. Left to
itself, ``requests`` trusts the CA list that ships with it (certifi), not the
operating system's: a hospital's own certificate authority, installed in the system's
store by its IT department, would not be trusted. So where the system keeps its store
in a file or folder OpenSSL reads (Linux and the BSDs), that is what is trusted.
Elsewhere (Windows, macOS keep theirs in the OS), the shipped list is used and a site
CA is given as a bundle file in Settings.
"""

from __future__ import annotations

import os
import ssl
import sys

from core.errors import UsageError

__all__ = ["system_ca_location", "verify_setting"]


def system_ca_location() -> str | None:
    """The system's CA file (or folder) as OpenSSL finds it; None where there is none.

    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` set by the site win. In the installed app,
    PyInstaller's start-up hook points ``SSL_CERT_FILE`` at the CA list it ships: that
    one is passed over for the system's own store.
    """
    paths = ssl.get_default_verify_paths()
    bundled = getattr(sys, "_MEIPASS", None)
    candidates = []
    for variable in (paths.openssl_cafile_env, paths.openssl_capath_env):
        value = os.environ.get(variable, "")
        if value and not (bundled and _inside(value, bundled)):
            candidates.append(value)
    candidates += [paths.openssl_cafile, paths.openssl_capath]
    for candidate in candidates:
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return os.path.commonpath([path, folder]) == folder


def verify_setting(ca_bundle: str | None) -> str | bool:
    """``requests``' ``verify`` for a connection: the given bundle, else the system's store.

    Raises
    ------
    UsageError
        ``ca_bundle`` names a file that does not exist.
    """
    if ca_bundle:
        if not os.path.isfile(ca_bundle):
            raise UsageError(f"the CA bundle file {ca_bundle} does not exist")
        return ca_bundle
    return system_ca_location() or True
