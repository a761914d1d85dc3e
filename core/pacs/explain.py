"""PACS failures in plain words: the one owner of what a network failure tells the user.

Every failure of a DICOM node ends as a :class:`PacsError` whose message says what
happened and what to do (check the PACS is running, ask its administrator to add our
AE title, check the password). Messages name nodes by AE title, host, port or URL,
never by patient data (house rule 8). The DIMSE status meanings come from PS3.4
Annex C.4 (C-FIND, C-MOVE, C-GET) and Annex B.2.3 (C-STORE); the association
rejection reasons from PS3.8 Section 9.3.4.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from core.errors import RadAssistError, library_reason

if TYPE_CHECKING:
    from core.pacs.nodes import DimseNode, LocalNode

logger = logging.getLogger(__name__)

#: DIMSE statuses with a meaning of their own (PS3.4 C.4.2.1.5, C.4.3.1.4, B.2.3).
STATUS_WORDS: Final = {
    0x0000: "success",
    0x0001: "success with warnings",
    0x0107: "stored with warnings (attribute list error)",
    0xA700: "refused: the node is out of resources (disk full?)",
    0xA701: "refused: out of resources, cannot count the matches",
    0xA702: "refused: out of resources, cannot perform the sub-operations",
    0xA801: "refused: the move destination is not known to the node",
    0xA900: "the identifier does not match the SOP class",
    0xB000: "some sub-operations failed",
    0xB007: "stored, but the data set does not match the SOP class",
    0xC000: "the node cannot process the request",
    0xFE00: "cancelled",
}


class PacsError(RadAssistError):
    """A DICOM node could not be reached, refused, or answered something unusable."""


class NodesFileError(PacsError):
    """The DICOM nodes settings file is damaged (it is left as it is)."""


class PacsConnectionError(PacsError):
    """No connection could be opened to the node (refused, unreachable)."""


class PacsTimeoutError(PacsError):
    """The node accepted the connection but did not answer in time."""


class AssociationRejectedError(PacsError):
    """The node refused the association (usually: our AE title is not configured there)."""


class MoveDestinationUnknownError(PacsError):
    """C-MOVE status 0xA801: the node does not know our AE as a move destination."""


class PacsAuthError(PacsError):
    """A DICOMweb node refused the credentials (HTTP 401/403)."""


class PacsTlsError(PacsError):
    """The TLS handshake failed (certificate not trusted, wrong host name)."""


class PacsProtocolError(PacsError):
    """The peer answered with something that is not the protocol expected (garbage)."""


class PacsRequestFailedError(PacsError):
    """The node answered a request with a failure status."""


@dataclass(frozen=True)
class RetrieveCounts:
    """How far a retrieval came.

    Parameters
    ----------
    arrived : int
        Instances received and newly stored by the sink.
    already_present : int
        Instances received that the sink already held.
    failed : int
        Instances the node could not send or the sink could not store.
    expected : int
        Instances the node said it would send (0 when it never said).
    """

    arrived: int
    already_present: int
    failed: int
    expected: int

    @property
    def received(self) -> int:
        return self.arrived + self.already_present

    def in_words(self) -> str:
        """``"12 of 40 instances arrived"`` (and failures), for a message."""
        total = f" of {self.expected}" if self.expected else ""
        words = f"{self.received}{total} instances arrived"
        if self.already_present:
            words += f" ({self.already_present} were already stored)"
        if self.failed:
            words += f", {self.failed} failed"
        return words


class RetrieveInterruptedError(PacsError):
    """A retrieval stopped before the end; ``counts`` says what arrived (it is kept).

    Parameters
    ----------
    message : str
        What happened and what to do.
    counts : RetrieveCounts
        What arrived before the interruption.
    """

    def __init__(self, message: str, counts: RetrieveCounts) -> None:
        super().__init__(message)
        self.counts = counts

    def __reduce__(self) -> tuple[type[RetrieveInterruptedError], tuple[str, RetrieveCounts]]:
        return (type(self), (str(self), self.counts))


def status_words(status: int) -> str:
    """A DIMSE status code in words, e.g. ``"0xA801 (refused: the move destination...)"``."""
    words = STATUS_WORDS.get(status)
    if words is None:
        if 0xA000 <= status <= 0xAFFF:
            words = "refused"
        elif 0xC000 <= status <= 0xCFFF:
            words = "the node could not process the request"
        elif 0xB000 <= status <= 0xBFFF:
            words = "warning"
        else:
            words = "failure"
    return f"0x{status:04X} ({words})"


def describe_node(node: DimseNode) -> str:
    """``"ORTHANC at 127.0.0.1:4242"``: how a message names a DIMSE node."""
    return f"{node.ae_title} at {node.host}:{node.port}"


def explain_no_association(
    node: DimseNode,
    local: LocalNode,
    *,
    connected: bool,
    elapsed: float,
    rejection: Any | None,
    aborted_by_peer: bool = False,
) -> PacsError:
    """Why no association was made with ``node``, as the error to raise.

    Parameters
    ----------
    node, local : DimseNode, LocalNode
        The node called and our own node (for the AE titles).
    connected : bool
        Whether the TCP connection was opened.
    elapsed : float
        Seconds the attempt took (tells a timeout from a refusal).
    rejection : A_ASSOCIATE primitive or None
        pynetdicom's rejection (``result_str``, ``source_str``, ``reason_str``), if any.
    aborted_by_peer : bool
        The peer sent an A-ABORT instead of an answer.
    """
    where = describe_node(node)
    if rejection is not None:
        reason = str(getattr(rejection, "reason_str", "") or "no reason given")
        return AssociationRejectedError(
            f"{where} refused the association ({reason}): the PACS does not accept our "
            f"calling AE title {local.ae_title} or the called AE title {node.ae_title}. "
            f"Check the called AE title; the PACS administrator must add AE title "
            f"{local.ae_title} (this workstation's host, port {local.port or 'any'}) to the "
            "PACS's list of known modalities"
        )
    if not connected:
        if elapsed >= node.timeout_s * 0.9:
            return PacsTimeoutError(
                f"could not connect to {where}: no answer within {node.timeout_s:g} s. Is the "
                "host name right and reachable from this workstation (firewall, VPN)?"
            )
        return PacsConnectionError(
            f"could not connect to {where}: the connection was refused or the host is "
            "unreachable. Is the PACS running? Are the host and port right?"
        )
    if aborted_by_peer:
        return AssociationRejectedError(
            f"{where} accepted the connection, then aborted the association without a "
            f"reason: it may not accept our AE title {local.ae_title}; ask the PACS "
            "administrator to add it to the PACS's list of known modalities"
        )
    if elapsed >= node.timeout_s * 0.9:
        return PacsTimeoutError(
            f"{where} accepted the connection but did not answer the association request "
            f"within {node.timeout_s:g} s. The PACS may be overloaded or hung; try again "
            "later, or check that this port is its DICOM port"
        )
    return PacsProtocolError(
        f"{where} answered with something that is not DICOM. Is this the PACS's DICOM "
        "port (not its web port)?"
    )


def explain_lost(
    node: DimseNode,
    action: str,
    counts: RetrieveCounts | None = None,
    *,
    refused: bool = False,
    local: LocalNode | None = None,
) -> PacsError:
    """The association broke during ``action``.

    ``refused``: the peer aborted it on purpose (an A-ABORT), which is how some PACS
    (Orthanc among them) refuse a request from an AE title they do not know; otherwise
    the connection was lost (the node went away or stopped answering).
    """
    where = describe_node(node)
    if refused:
        our = local.ae_title if local is not None else "ours"
        what = (
            f"{where} refused the {action} and aborted the association: the PACS does not "
            f"allow our AE title {our} to do that. The PACS administrator must add AE "
            f"title {our} (this workstation's host"
            + (f", port {local.port}" if local is not None and local.port else "")
            + ") to the PACS's list of known modalities"
        )
    else:
        what = (
            f"the connection to {where} was lost during the {action} (the PACS stopped, "
            f"the network dropped, or it did not answer within {node.timeout_s:g} s)"
        )
    if counts is None:
        return (AssociationRejectedError if refused else PacsConnectionError)(
            what + ("" if refused else "; is the PACS still running? Try again")
        )
    return RetrieveInterruptedError(
        f"{what}: {counts.in_words()}, and what arrived is kept. Retrieve the study again "
        "to fetch the rest",
        counts,
    )


def explain_move_refused(
    node: DimseNode, destination: str, port: int | None, status: int, *, reached_us: bool = False
) -> PacsError:
    """A C-MOVE the node refused; says what the administrator must configure.

    ``destination`` and ``port``: the AE title the node was asked to send to and the
    port our storage SCP listened on. ``reached_us``: the node opened a connection to our
    storage SCP. Status 0xA801 is "move destination unknown" (PS3.4 C.4.2.1.5); some PACS
    (Orthanc 1.10 among them) answer an unknown destination with 0xC000 instead, so a
    failure before the node ever connected to us is explained the same way.
    """
    where = describe_node(node)
    fix = (
        f"The PACS administrator must configure AE title {destination} at this "
        f"workstation's host, port {port or '(our listening port)'}; or use C-GET, which "
        "needs no inbound connection"
    )
    if status == 0xA801:
        return MoveDestinationUnknownError(
            f"{where} refused the C-MOVE (status 0xA801: move destination unknown): the PACS "
            f"does not know AE title {destination} as a move destination. {fix}"
        )
    if not reached_us:
        return MoveDestinationUnknownError(
            f"{where} refused the C-MOVE (status {status_words(status)}) without connecting "
            f"to our storage SCP: as with status 0xA801 (move destination unknown), the PACS "
            f"does not know AE title {destination} as a move destination, or cannot reach "
            f"it. {fix}"
        )
    return PacsRequestFailedError(f"{where} refused the C-MOVE: status {status_words(status)}")


def explain_status(node: DimseNode, action: str, status: int) -> PacsError:
    """A request the node answered with a failure status."""
    return PacsRequestFailedError(
        f"{describe_node(node)} failed the {action}: status {status_words(status)}"
    )


def explain_http(error: BaseException, url: str, action: str) -> PacsError:
    """A DICOMweb failure (a ``requests`` exception) as the error to raise.

    Parameters
    ----------
    error : BaseException
        What ``requests`` or dicomweb-client raised.
    url : str
        The node's base URL (names the node in the message).
    action : str
        ``"search"``, ``"retrieval"``, ``"store"``.
    """
    # requests is imported by dicomweb-client already when this runs; its names are
    # matched by class name so this module stays light to import.
    names = {cls.__name__ for cls in type(error).__mro__}
    response = getattr(error, "response", None)
    code = getattr(response, "status_code", None)
    if code in (401, 403):
        why = (
            "wrong user name or password, or the token expired"
            if code == 401
            else "this user may not do that"
        )
        return PacsAuthError(
            f"{url} refused the {action}: HTTP {code} ({why}). "
            "Check the credentials of this DICOMweb node in Settings → DICOM nodes"
        )
    if code == 404:
        return PacsRequestFailedError(
            f"{url} answered HTTP 404 (not found) to the {action}: check the base URL and "
            "the QIDO/WADO/STOW prefixes of this node"
        )
    if code is not None:
        return PacsRequestFailedError(f"{url} failed the {action}: HTTP {code}")
    if "SSLError" in names:
        return PacsTlsError(
            f"the secure (TLS) connection to {url} failed: the server's certificate is not "
            "trusted or does not match the host name, or the server does not speak HTTPS on "
            "this port. Give the site's CA bundle file for this node in Settings, or check "
            "the URL"
        )
    if names & {"ConnectTimeout", "ReadTimeout", "Timeout"}:
        return PacsTimeoutError(
            f"{url} did not answer the {action} in time; the server may be overloaded or "
            "unreachable (firewall, VPN)"
        )
    text = str(error)
    # "Connection aborted": the peer accepted the connection, then dropped or garbled it.
    answered = ("Connection aborted", "BadStatusLine", "RemoteDisconnected")
    if "ConnectionError" in names and any(mark in text for mark in answered):
        return PacsProtocolError(
            f"{url} answered the {action} with something that is not HTTP; is this the "
            "server's web port (not its DICOM port)?"
        )
    if "ConnectionError" in names:
        return PacsConnectionError(
            f"could not connect to {url}: the connection was refused or the host is "
            "unreachable. Is the server running? Is the URL right?"
        )
    logger.debug("DICOMweb %s failed: %s", action, library_reason(error))
    return PacsProtocolError(
        f"{url} answered the {action} with something that is not DICOMweb "
        f"({type(error).__name__}); is the base URL right?"
    )
