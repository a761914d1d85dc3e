"""DICOM node definitions and the settings file that keeps them.

The nodes (our local AE, remote DIMSE nodes, DICOMweb nodes) live in
``<user data dir>/dicom-nodes.json``, owner-only and written atomically. Passwords and
tokens never enter that file: they are kept by :mod:`core.pacs.credentials`. A damaged
file is an error that names it and is never overwritten.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Final, Literal

from core.errors import UsageError
from core.pacs.explain import NodesFileError
from core.paths import user_data_dir, write_private

logger = logging.getLogger(__name__)

NODES_FILE_NAME: Final = "dicom-nodes.json"
NODES_FILE_VERSION: Final = 1
DEFAULT_AE_TITLE: Final = "RADASSIST"
#: Seconds to wait for a connection, an association answer, or a DIMSE response.
DEFAULT_TIMEOUT_S: Final = 30.0

Usage = Literal["query", "storage", "both"]
RetrieveMethod = Literal["get", "move"]
WebAuth = Literal["none", "basic", "bearer"]
USAGES: Final = ("query", "storage", "both")
RETRIEVE_METHODS: Final = ("get", "move")
WEB_AUTHS: Final = ("none", "basic", "bearer")


def check_ae_title(value: object, what: str = "AE title") -> str:
    """An AE title (PS3.5 6.2: 1-16 characters, no backslash or control character).

    Raises
    ------
    TypeError
        Not a string.
    UsageError
        Empty, too long, or holding a forbidden character.
    """
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, found {type(value).__name__}")
    title = value.strip()
    if not title or len(title) > 16:
        raise UsageError(f"{what} must be 1 to 16 characters, found {len(title)}")
    if "\\" in title or any(ord(c) < 0x20 or ord(c) > 0x7E for c in title):
        raise UsageError(f"{what} may hold printable ASCII characters only, not a backslash")
    return title


def check_port(value: object, what: str = "port") -> int:
    """A TCP port, 1..65535."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer, found {type(value).__name__}")
    if not 1 <= value <= 65535:
        raise UsageError(f"{what} must be 1 to 65535, found {value}")
    return value


def _check_choice(value: object, choices: tuple[str, ...], what: str) -> Any:
    if value not in choices:
        raise UsageError(f"{what} must be one of {', '.join(choices)}, found {value!r}")
    return value


def _check_timeout(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        raise UsageError(f"timeout must be a number of seconds in (0, 3600], found {value!r}")
    return float(value)


@dataclass(frozen=True)
class LocalNode:
    """This workstation as a DICOM node.

    Parameters
    ----------
    ae_title : str
        Our AE title (the calling AE, and the C-MOVE destination).
    port : int or None
        The port our storage SCP listens on (receiver, C-MOVE); None: not listening.
    bind_address : str
        The interface the storage SCP listens on (``""``: all).
    """

    ae_title: str = DEFAULT_AE_TITLE
    port: int | None = None
    bind_address: str = ""

    def __post_init__(self) -> None:
        check_ae_title(self.ae_title, "our AE title")
        if self.port is not None:
            check_port(self.port, "our listening port")


@dataclass(frozen=True)
class DimseNode:
    """A remote DIMSE node (a PACS, a modality, a workstation).

    Parameters
    ----------
    name : str
        The node's key in the settings (``--node NAME``).
    ae_title, host, port : str, str, int
        The called AE title and where it listens.
    description : str
        Free text for the user.
    usage : {"query", "storage", "both"}
        Query/retrieve from it, send to it, or both.
    retrieve_method : {"get", "move"}
        C-GET (no inbound connection needed) or C-MOVE to our storage SCP.
    timeout_s : float
        Seconds to wait for the connection, the association answer, each response.
    """

    name: str
    ae_title: str
    host: str
    port: int
    description: str = ""
    usage: Usage = "both"
    retrieve_method: RetrieveMethod = "get"
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise UsageError("a node needs a name")
        check_ae_title(self.ae_title, "the node's AE title")
        if not isinstance(self.host, str) or not self.host.strip():
            raise UsageError("a node needs a host name or address")
        check_port(self.port, "the node's port")
        _check_choice(self.usage, USAGES, "usage")
        _check_choice(self.retrieve_method, RETRIEVE_METHODS, "retrieve method")
        _check_timeout(self.timeout_s)


@dataclass(frozen=True)
class DicomWebNode:
    """A DICOMweb node (QIDO-RS, WADO-RS, STOW-RS under one base URL).

    Parameters
    ----------
    name : str
        The node's key in the settings.
    base_url : str
        ``http(s)://host:port/dicom-web``.
    qido_prefix, wado_prefix, stow_prefix : str
        Per-service path prefixes under the base URL (``""``: none).
    auth : {"none", "basic", "bearer"}
        HTTP authentication; the password or token is kept by the credential store.
    username : str
        For basic authentication.
    ca_bundle : str or None
        A CA bundle file to trust for TLS; None: the system's CAs.
    usage : {"query", "storage", "both"}
    timeout_s : float
    """

    name: str
    base_url: str
    description: str = ""
    qido_prefix: str = ""
    wado_prefix: str = ""
    stow_prefix: str = ""
    auth: WebAuth = "none"
    username: str = ""
    ca_bundle: str | None = None
    usage: Usage = "both"
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise UsageError("a node needs a name")
        if not isinstance(self.base_url, str) or not self.base_url.startswith(
            ("http://", "https://")
        ):
            raise UsageError(
                f"a DICOMweb base URL starts with http:// or https://, found {self.base_url!r}"
            )
        _check_choice(self.auth, WEB_AUTHS, "authentication")
        if self.auth == "basic" and not self.username:
            raise UsageError("basic authentication needs a user name")
        _check_choice(self.usage, USAGES, "usage")
        _check_timeout(self.timeout_s)

    @property
    def credential_key(self) -> str:
        """The key the password or token is kept under (not the secret itself)."""
        return f"dicomweb:{self.name}:{self.username}"


Node = DimseNode | DicomWebNode


@dataclass(frozen=True)
class NodeBook:
    """Every configured node: our local node, the DIMSE nodes and the DICOMweb nodes."""

    local: LocalNode = field(default_factory=LocalNode)
    dimse: tuple[DimseNode, ...] = ()
    dicomweb: tuple[DicomWebNode, ...] = ()

    def __post_init__(self) -> None:
        names = [n.name for n in self.all_nodes()]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise UsageError(f"node names must be unique; repeated: {', '.join(duplicates)}")

    def all_nodes(self) -> tuple[Node, ...]:
        """The DIMSE nodes, then the DICOMweb nodes."""
        return (*self.dimse, *self.dicomweb)

    def node(self, name: str) -> Node:
        """The node called ``name``.

        Raises
        ------
        UsageError
            No node has that name (the message lists the names there are).
        """
        for node in self.all_nodes():
            if node.name == name:
                return node
        known = ", ".join(n.name for n in self.all_nodes()) or "none configured"
        raise UsageError(f"no DICOM node is named {name!r} (known: {known})")

    def to_json(self) -> dict[str, Any]:
        """The settings file's content (no secret is in a node)."""
        return {
            "version": NODES_FILE_VERSION,
            "local": asdict(self.local),
            "dimse": [asdict(n) for n in self.dimse],
            "dicomweb": [asdict(n) for n in self.dicomweb],
        }

    @classmethod
    def from_json(cls, data: object) -> NodeBook:
        """Read the settings file's content; TypeError/ValueError when malformed."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
        version = data.get("version")
        if version != NODES_FILE_VERSION:
            raise ValueError(f"expected version {NODES_FILE_VERSION}, found {version!r}")
        return cls(
            local=_build(LocalNode, data.get("local", {})),
            dimse=tuple(_build(DimseNode, item) for item in _as_list(data.get("dimse", []))),
            dicomweb=tuple(
                _build(DicomWebNode, item) for item in _as_list(data.get("dicomweb", []))
            ),
        )


def _as_list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of nodes, found {type(value).__name__}")
    return value


def _build(kind: type[Any], item: object) -> Any:
    if not isinstance(item, dict):
        raise ValueError(f"expected a node object, found {type(item).__name__}")
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(item) - known)
    if unknown:
        raise ValueError(f"unknown node fields: {', '.join(unknown)}")
    return kind(**item)


def nodes_file() -> Path:
    """``<user data dir>/dicom-nodes.json``."""
    return user_data_dir() / NODES_FILE_NAME


def load_nodes(path: Path | None = None) -> NodeBook:
    """The configured nodes; an empty book when the file does not exist yet.

    Raises
    ------
    NodesFileError
        The file exists but cannot be read or is damaged (it is left untouched).
    """
    target = nodes_file() if path is None else Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return NodeBook()
    except (OSError, UnicodeDecodeError) as error:
        raise NodesFileError(
            f"the DICOM nodes file {target} cannot be read ({type(error).__name__}); "
            "fix its permissions or move it aside"
        ) from error
    try:
        return NodeBook.from_json(json.loads(text))
    except (ValueError, TypeError) as error:
        raise NodesFileError(
            f"the DICOM nodes file {target} is damaged ({type(error).__name__}: "
            f"{str(error)[:120]}); it was left as it is: fix it or move it aside and "
            "configure the nodes again"
        ) from error


def save_nodes(book: NodeBook, path: Path | None = None) -> Path:
    """Write ``book`` owner-only and atomically; return the file.

    Raises
    ------
    NodesFileError
        The file there now is damaged: it is not overwritten (move it aside first).
    OSError
        The file could not be written (the old one is untouched).
    """
    if not isinstance(book, NodeBook):
        raise TypeError(f"book must be a NodeBook, found {type(book).__name__}")
    target = nodes_file() if path is None else Path(path)
    if target.exists():
        load_nodes(target)  # a damaged file raises here and stays as it is
    data = json.dumps(book.to_json(), indent=2, ensure_ascii=False) + "\n"
    write_private(target, data.encode("utf-8"))
    logger.info("saved %d DIMSE and %d DICOMweb nodes", len(book.dimse), len(book.dicomweb))
    return target
