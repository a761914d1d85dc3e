"""Encryption at rest for what RadAssist keeps about patients: drafts, measurements, analysis cache.

One owner for the rule "is this store encrypted, with which key": the stores call
:func:`seal` before writing and :func:`unseal` after reading, and never look at keys.

Format of a sealed record (one ASCII line, no newline, so journals stay line-framed)::

    RAE1.<key id, 16 hex>.<base64url(12-byte nonce + AES-256-GCM ciphertext and tag)>

The store's name (``purpose``) is the associated data: a record moved from one store
into another does not open. The key id (the first 8 bytes of the key's SHA-256) tells
"sealed with another key" apart from "altered".

Where the key lives
-------------------
The first time a record is sealed, a random 256-bit key is made and put into the
operating system's keyring (``keyring``: Windows Credential Manager, macOS Keychain,
the Secret Service on Linux desktops) under service ``RadAssist``. Where no keyring
exists (a headless Linux, a locked-down kiosk) the key goes into
``<user data dir>/keys/at-rest.key``, owner-only: that keeps a copy of the drafts
folder unreadable, not a copy of the whole user data folder. Which one was chosen is
recorded in ``<user data dir>/at-rest.json`` with the key id, so a keyring that is
locked later is an error that says so, never a silent new key.

The policy
----------
On by default. A site that relies on full-disk encryption may turn it off
(Settings → Data Protection, or :func:`set_encryption`): new records are then written
in plain text, and records sealed before stay readable while the key exists.
:func:`describe_protection` is what Settings and the self-test show.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core.errors import RadAssistError
from core.os_keyring import usable_keyring
from core.paths import make_private_dir, user_data_dir, write_private

logger = logging.getLogger(__name__)

__all__ = [
    "KEYRING_SERVICE",
    "AtRestError",
    "Protection",
    "SealedDataError",
    "describe_protection",
    "encryption_enabled",
    "is_sealed",
    "seal",
    "set_encryption",
    "unseal",
]

MAGIC: Final = b"RAE1."
KEYRING_SERVICE: Final = "RadAssist"
POLICY_NAME: Final = "at-rest.json"
KEY_FILE: Final = Path("keys") / "at-rest.key"
_KEY_BYTES: Final = 32
_NONCE_BYTES: Final = 12
_KEY_ID_HEX: Final = 16
_PURPOSES: Final = frozenset({"drafts", "annotations", "analysis-cache", "test"})


class AtRestError(RadAssistError):
    """The encryption key cannot be reached or stored (keyring locked, folder unwritable)."""


class SealedDataError(ValueError):
    """A sealed record does not open: altered, damaged, or sealed with another key."""


@dataclass(frozen=True)
class Protection:
    """How this user's stores are protected, as Settings and the self-test state it.

    Attributes
    ----------
    enabled : bool
        New records are encrypted.
    key_store : str
        ``"keyring"``, ``"file"`` or ``"none"`` (no key made yet).
    key_place : str
        Where the key is, in words (keyring backend name, or the key file).
    summary : str
        One sentence for a person.
    """

    enabled: bool
    key_store: str
    key_place: str
    summary: str


_lock = threading.RLock()
_keys: dict[str, bytes] = {}  # data folder -> key, for this process


def _data_dir() -> Path:
    return user_data_dir()


def _policy_path(folder: Path | None = None) -> Path:
    return (folder or _data_dir()) / POLICY_NAME


def _read_policy(folder: Path | None = None) -> dict[str, Any]:
    try:
        data = json.loads(_policy_path(folder).read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # A damaged policy must not switch encryption off: read it as the default.
        logger.warning("the data-protection settings are unreadable (%s); encryption stays on", exc)
        return {}
    return data if isinstance(data, dict) else {}


def _write_policy(policy: dict[str, Any]) -> None:
    try:
        write_private(_policy_path(), json.dumps(policy, indent=1).encode("utf-8"))
    except OSError as exc:
        raise AtRestError(
            f"cannot write the data-protection settings in {_data_dir()}: {exc.strerror or exc}"
        ) from exc


def encryption_enabled() -> bool:
    """Whether new drafts, measurements and cache entries are encrypted (default True)."""
    return _read_policy().get("encrypt", True) is not False


def set_encryption(enabled: bool) -> None:
    """Turn encryption of new records on or off for this user (the Settings switch).

    Records already written stay as they are and stay readable; the stores seal or
    unseal each record the next time they write it.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool, found {type(enabled).__name__}")
    with _lock:
        policy = _read_policy()
        policy["encrypt"] = enabled
        _write_policy(policy)
    logger.info("encryption at rest turned %s", "on" if enabled else "off")


def _keyring_account() -> str:
    digest = hashlib.sha256(os.fsencode(_data_dir().resolve())).hexdigest()[:12]
    return f"data-key-{digest}"


def _backend_name(backend: Any) -> str:
    return str(getattr(backend, "name", None) or type(backend).__name__)


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:_KEY_ID_HEX]


def _decode_key(text: str | bytes | None, where: str) -> bytes | None:
    if text is None:
        return None
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AtRestError(f"the encryption key in {where} is damaged") from exc
    if len(key) != _KEY_BYTES:
        raise AtRestError(f"the encryption key in {where} is damaged")
    return key


def _read_key(policy: dict[str, Any]) -> bytes | None:
    store = policy.get("key_store")
    if store == "keyring":
        backend = usable_keyring()
        if backend is None:
            raise AtRestError(
                "the encryption key is kept in the system keyring, which cannot be reached "
                "now (is the desktop session unlocked?); drafts and measurements cannot be "
                "read or saved until it can"
            )
        try:
            text = backend.get_password(KEYRING_SERVICE, _keyring_account())
        except Exception as exc:  # any backend failure: locked, dismissed, D-Bus gone
            raise AtRestError(
                f"the system keyring refused the encryption key ({type(exc).__name__})"
            ) from exc
        key = _decode_key(text, "the system keyring")
        if key is None:
            raise AtRestError(
                "the encryption key is missing from the system keyring; records sealed "
                "with it cannot be opened"
            )
    elif store == "file":
        path = _data_dir() / KEY_FILE
        try:
            key = _decode_key(path.read_bytes().strip(), str(path))
        except FileNotFoundError as exc:
            raise AtRestError(
                f"the encryption key file {path} is missing; records sealed with it "
                "cannot be opened"
            ) from exc
        except OSError as exc:
            raise AtRestError(f"cannot read the key file {path}: {exc.strerror}") from exc
    else:
        return None
    assert key is not None
    if policy.get("key_id") not in (None, _key_id(key)):
        raise AtRestError("the encryption key found is not the one the records were sealed with")
    return key


def _make_key(policy: dict[str, Any]) -> bytes:
    key = secrets.token_bytes(_KEY_BYTES)
    text = base64.b64encode(key).decode("ascii")
    backend = usable_keyring()
    stored = False
    if backend is not None:
        try:
            backend.set_password(KEYRING_SERVICE, _keyring_account(), text)
            stored = backend.get_password(KEYRING_SERVICE, _keyring_account()) == text
        except Exception as exc:  # a keyring that cannot store: fall back to the file
            logger.warning("the system keyring did not keep a key (%s)", type(exc).__name__)
    if stored:
        policy["key_store"] = "keyring"
    else:
        folder = make_private_dir(_data_dir() / KEY_FILE.parent, tighten=True)
        try:
            write_private(folder / KEY_FILE.name, text.encode("ascii"))
        except OSError as exc:
            raise AtRestError(f"cannot write the key file in {folder}: {exc.strerror}") from exc
        policy["key_store"] = "file"
    policy["key_id"] = _key_id(key)
    _write_policy(policy)
    logger.info("made an encryption key, kept in the %s", policy["key_store"])
    return key


def _key(create: bool) -> bytes | None:
    folder = str(_data_dir())
    with _lock:
        cached = _keys.get(folder)
        if cached is not None:
            return cached
        policy = _read_policy()
        key = _read_key(policy)
        if key is None and create:
            key = _make_key(policy)
        if key is not None:
            _keys[folder] = key
        return key


def forget_keys() -> None:
    """Drop the keys this process holds (tests; a data folder that moved)."""
    with _lock:
        _keys.clear()


def _check_purpose(purpose: str) -> bytes:
    if purpose not in _PURPOSES:
        raise ValueError(f"purpose must be one of {sorted(_PURPOSES)}, found {purpose!r}")
    return purpose.encode("ascii")


def is_sealed(data: bytes) -> bool:
    """Whether ``data`` is a sealed record (else it is plain: written with encryption off)."""
    return bytes(data[: len(MAGIC)]) == MAGIC


def seal(data: bytes, *, purpose: str) -> bytes:
    """``data`` encrypted for the store ``purpose`` -- or ``data`` itself when encryption is off.

    Raises
    ------
    AtRestError
        Encryption is on and the key cannot be reached or made.
    """
    aad = _check_purpose(purpose)
    if not encryption_enabled():
        return bytes(data)
    key = _key(create=True)
    assert key is not None
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = nonce + AESGCM(key).encrypt(nonce, bytes(data), aad)
    return MAGIC + _key_id(key).encode("ascii") + b"." + base64.urlsafe_b64encode(sealed)


def unseal(data: bytes, *, purpose: str) -> bytes:
    """The plain bytes of a record read from the store ``purpose``.

    Plain records (written with encryption off, or before it existed) come back as
    they are.

    Raises
    ------
    SealedDataError
        The record is altered or damaged, or sealed with another key.
    AtRestError
        The key cannot be reached (keyring locked or missing, key file gone).
    """
    aad = _check_purpose(purpose)
    raw = bytes(data)
    if not is_sealed(raw):
        return raw
    head, _, body = raw[len(MAGIC) :].partition(b".")
    if len(head) != _KEY_ID_HEX or not body:
        raise SealedDataError("an encrypted record is damaged (its header is cut)")
    key = _key(create=False)
    if key is None:
        raise AtRestError(
            "this record is encrypted, but no encryption key was ever made for this "
            "user's data folder"
        )
    if head.decode("ascii", "replace") != _key_id(key):
        raise SealedDataError(
            "an encrypted record was sealed with another key (another user's or "
            "another data folder's)"
        )
    try:
        sealed = base64.urlsafe_b64decode(body)
    except (binascii.Error, ValueError) as exc:
        raise SealedDataError("an encrypted record is damaged (not base64)") from exc
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as exc:
        raise SealedDataError(
            "an encrypted record failed its integrity check (altered or damaged)"
        ) from exc


def describe_protection(folder: Path | None = None) -> Protection:
    """How the stores are protected now, for Settings and the self-test.

    ``folder``: a user data folder other than the current one (the self-test's).
    """
    folder = folder or _data_dir()
    policy = _read_policy(folder)
    enabled = policy.get("encrypt", True) is not False
    store = str(policy.get("key_store") or "none")
    if store == "keyring":
        backend = usable_keyring()
        place = (
            f"the system keyring ({_backend_name(backend)})"
            if backend is not None
            else "the system keyring (not reachable now)"
        )
    elif store == "file":
        place = f"the key file {folder / KEY_FILE} (no system keyring was found)"
    else:
        backend = usable_keyring()
        place = (
            f"the system keyring ({_backend_name(backend)}), when the first record is saved"
            if backend is not None
            else f"the key file {folder / KEY_FILE} (no system keyring found), "
            "when the first record is saved"
        )
    if enabled:
        summary = (
            "Drafts, measurements and the analysis cache are encrypted (AES-256-GCM); "
            f"the key is in {place}."
        )
        if store == "file" or (store == "none" and usable_keyring() is None):
            summary += (
                " A key file beside the data keeps a copied drafts folder unreadable, "
                "not a copy of the whole data folder: use full-disk encryption too."
            )
    else:
        summary = (
            "Encryption at rest is off: drafts, measurements and the analysis cache are "
            "written in plain text, owner-only. Only turn it off where the disk itself "
            "is encrypted (BitLocker, FileVault, LUKS)."
        )
    return Protection(enabled=enabled, key_store=store, key_place=place, summary=summary)


def reseal_file(path: Path, *, purpose: str, lines: bool) -> bool:
    """Rewrite one store file under the current policy (sealed, or plain when off).

    ``lines``: the file is a sequence of records, one per line (a draft journal);
    otherwise the whole file is one record. A record that does not open is left as
    it is (its store sets it aside when it reads it). Returns whether the file changed.
    The write is atomic and owner-only.
    """
    raw = path.read_bytes()
    records = raw.split(b"\n") if lines else [raw]
    changed = False
    out: list[bytes] = []
    for record in records:
        if not record.strip():
            out.append(record)
            continue
        try:
            plain = unseal(record.strip() if lines else record, purpose=purpose)
        except SealedDataError:
            out.append(record)
            continue
        wanted = seal(plain, purpose=purpose)
        if is_sealed(wanted) != is_sealed(record.strip() if lines else record):
            changed = True
            out.append(wanted)
        else:
            out.append(record)
    if changed:
        write_private(path, b"\n".join(out) if lines else out[0])
    return changed


def check_cipher() -> str:
    """Seal and open a record with a throw-away key (the self-test: is the cipher there?)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key, nonce, probe = secrets.token_bytes(_KEY_BYTES), secrets.token_bytes(_NONCE_BYTES), b"probe"
    sealed = AESGCM(key).encrypt(nonce, probe, b"test")
    if sealed == probe or AESGCM(key).decrypt(nonce, sealed, b"test") != probe:
        raise AtRestError("AES-256-GCM does not give back what it sealed")
    backend = usable_keyring()
    return "AES-256-GCM works; keyring: " + (
        _backend_name(backend) if backend is not None else "none (a key file is used)"
    )
