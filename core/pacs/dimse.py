"""DIMSE through pynetdicom: associations, C-ECHO, C-FIND and C-STORE (send).

No protocol code of our own: pynetdicom speaks DIMSE. This module opens associations
with the node's timeouts, turns every way one can fail into a plain-words
:class:`~core.pacs.explain.PacsError`, and keeps pynetdicom's own log lines (which
quote identifiers, i.e. patient data) away from stderr. C-GET and C-MOVE are in
:mod:`core.pacs.retrieval`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core.errors import CancelledError
from core.jobs import CancelToken
from core.pacs.explain import (
    PacsError,
    RetrieveCounts,
    describe_node,
    explain_lost,
    explain_no_association,
    explain_status,
    status_words,
)
from core.pacs.nodes import DimseNode, LocalNode
from core.pacs.query import (
    SeriesMatch,
    StudyMatch,
    StudyQuery,
    series_identifier,
    series_match_from,
    study_match_from,
)

if TYPE_CHECKING:
    from pynetdicom.association import Association

logger = logging.getLogger(__name__)

#: Loggers of the network libraries: their records quote identifiers (patient data).
NETWORK_LOGGERS: Final = ("pynetdicom", "dicomweb_client")
_PENDING: Final = (0xFF00, 0xFF01)
#: SOP classes we call (PS3.4 Annex A, C.6.2).
VERIFICATION: Final = "1.2.840.10008.1.1"
STUDY_ROOT_FIND: Final = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_ROOT_MOVE: Final = "1.2.840.10008.5.1.4.1.2.2.2"
STUDY_ROOT_GET: Final = "1.2.840.10008.5.1.4.1.2.2.3"
#: At most this many presentation contexts in one association (PS3.8 9.3.2.2: 128, odd IDs).
MAX_CONTEXTS: Final = 126


class _Withheld(logging.Handler):
    """Re-logs a network library's record at DEBUG, without its text (it may quote names)."""

    def emit(self, record: logging.LogRecord) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s logged a %s record; text withheld", record.name, record.levelname)


_withheld: Final = _Withheld()


def quiet_network_libraries() -> None:
    """Keep pynetdicom's and dicomweb-client's log records off stderr; idempotent."""
    for name in NETWORK_LOGGERS:
        library = logging.getLogger(name)
        library.propagate = False
        if _withheld not in library.handlers:
            library.addHandler(_withheld)


def make_ae(node: DimseNode, local: LocalNode) -> Any:
    """A pynetdicom AE calling as ``local`` with ``node``'s timeouts."""
    # pynetdicom is heavy (it loads every SOP class): imported when a node is used.
    from pynetdicom import AE

    quiet_network_libraries()
    ae = AE(ae_title=local.ae_title)
    ae.connection_timeout = node.timeout_s
    ae.acse_timeout = node.timeout_s
    ae.dimse_timeout = node.timeout_s
    ae.network_timeout = node.timeout_s
    ae.maximum_pdu_size = 0  # no limit on what the peer may send us in one PDU
    return ae


#: Seconds pynetdicom's association thread sleeps when it found nothing to do. Its
#: default, 1 ms, is paid again and again while instances stream in (the thread finds
#: the next PDU not yet there, sleeps, and on a busy 2-core workstation wakes well
#: after it came): in a 512-instance C-GET it slept about a third of the time.
#: 0.1 ms keeps it up with the network and costs little while it waits.
DUL_IDLE_SLEEP_S: Final = 0.0001


def keep_up(assoc: Any) -> None:
    """Make an association's reader keep up with a stream of instances.

    pynetdicom has no public setting for the delay of its association thread
    (``DULServiceProvider._run_loop_delay``); this is the one place that sets it, for
    every association we open or accept (``tests/core/pacs`` checks that the attribute
    still exists, so an upgrade that renames it is noticed).
    """
    dul = getattr(assoc, "dul", None)
    if dul is not None and hasattr(dul, "_run_loop_delay"):
        dul._run_loop_delay = DUL_IDLE_SLEEP_S


def keep_up_on_open(event: Any) -> None:
    """``EVT_CONN_OPEN`` handler: :func:`keep_up` the association that just connected."""
    keep_up(event.assoc)


class Link:
    """An established association and what was seen on it (an A-ABORT from the peer)."""

    def __init__(self) -> None:
        self.assoc: Association | Any = None
        self.connected = False
        self.peer_aborted = False

    def on_open(self, event: Any) -> None:
        self.connected = True
        keep_up(event.assoc)

    def on_acse_received(self, event: Any) -> None:
        # An A-ABORT is the peer's own decision (how some PACS refuse a request from an AE
        # title they do not know); an A-P-ABORT is the connection closing (it went away).
        if type(event.primitive).__name__ == "A_ABORT":
            self.peer_aborted = True

    def lost(
        self, node: DimseNode, local: LocalNode, action: str, counts: RetrieveCounts | None = None
    ) -> PacsError:
        """The error for an association that broke during ``action``."""
        if self.assoc is not None:
            # The DIMSE layer may see the broken association before the association's
            # thread has read the peer's A-ABORT: let that thread finish first.
            self.assoc.join(timeout=1.0)
        return explain_lost(node, action, counts, refused=self.peer_aborted, local=local)


@contextlib.contextmanager
def open_association(
    ae: Any,
    node: DimseNode,
    local: LocalNode,
    *,
    ext_neg: Sequence[Any] | None = None,
    evt_handlers: Sequence[Any] = (),
) -> Iterator[Link]:
    """An established association with ``node`` (``link.assoc``); released or aborted on exit.

    Raises
    ------
    PacsError
        No association: refused, unreachable, timed out, rejected, garbage answered.
    """
    from pynetdicom import evt

    link = Link()
    handlers = [(evt.EVT_CONN_OPEN, link.on_open), (evt.EVT_ACSE_RECV, link.on_acse_received)]
    started = time.monotonic()
    assoc = ae.associate(
        node.host,
        node.port,
        ae_title=node.ae_title,
        ext_neg=ext_neg,
        evt_handlers=[*handlers, *evt_handlers],
    )
    if not assoc.is_established:
        rejection = assoc.acceptor.primitive if assoc.is_rejected else None
        raise explain_no_association(
            node,
            local,
            connected=link.connected,
            elapsed=time.monotonic() - started,
            rejection=rejection,
            aborted_by_peer=link.peer_aborted,
        )
    link.assoc = assoc
    try:
        yield link
    except BaseException:
        if assoc.is_established:
            assoc.abort()
        raise
    else:
        if assoc.is_established:
            assoc.release()


def echo(node: DimseNode, local: LocalNode | None = None) -> float:
    """C-ECHO ``node``; the round trip in seconds (association included).

    Raises
    ------
    PacsError
        The node could not be reached or did not answer success.
    """
    local = local or LocalNode()
    ae = make_ae(node, local)
    ae.add_requested_context(VERIFICATION)
    started = time.perf_counter()
    with open_association(ae, node, local) as link:
        status = link.assoc.send_c_echo()
        if not status:
            raise link.lost(node, local, "echo")
        if int(status.Status) != 0x0000:
            raise explain_status(node, "echo", int(status.Status))
    took = time.perf_counter() - started
    logger.info("C-ECHO %s: %.0f ms", describe_node(node), took * 1000)
    return took


def _run_find(
    node: DimseNode,
    local: LocalNode,
    identifier: Any,
    limit: int,
    cancel: CancelToken | None,
) -> list[Any]:
    """The identifiers a Study Root C-FIND matched, at most ``limit``."""
    model = STUDY_ROOT_FIND
    ae = make_ae(node, local)
    ae.add_requested_context(model)
    found: list[Any] = []
    cancel_sent = False
    with open_association(ae, node, local) as link:
        assoc = link.assoc
        for status, answer in assoc.send_c_find(identifier, model):
            if not status:
                raise link.lost(node, local, "search")
            code = int(status.Status)
            if code in _PENDING:
                if len(found) < limit and answer is not None:
                    found.append(answer)
                stop = len(found) >= limit or (cancel is not None and cancel.cancelled)
                if stop and not cancel_sent:
                    assoc.send_c_cancel(1, query_model=model)  # the node ends with 0xFE00
                    cancel_sent = True
            elif code in (0x0000, 0xFE00):
                break
            else:
                raise explain_status(node, "search", code)
    if cancel is not None and cancel.cancelled:
        raise CancelledError("the search was cancelled")
    return found


def find_studies(
    node: DimseNode,
    query: StudyQuery,
    *,
    local: LocalNode | None = None,
    cancel: CancelToken | None = None,
) -> list[StudyMatch]:
    """C-FIND at STUDY level (Study Root); at most ``query.limit`` matches."""
    if not isinstance(query, StudyQuery):
        raise TypeError(f"query must be a StudyQuery, found {type(query).__name__}")
    answers = _run_find(node, local or LocalNode(), query.identifier(), query.limit, cancel)
    return [study_match_from(ds) for ds in answers]


def find_series(
    node: DimseNode,
    study_uid: str,
    *,
    local: LocalNode | None = None,
    cancel: CancelToken | None = None,
    limit: int = 10_000,
) -> list[SeriesMatch]:
    """C-FIND at SERIES level for one study."""
    answers = _run_find(node, local or LocalNode(), series_identifier(study_uid), limit, cancel)
    return [series_match_from(ds, study_uid) for ds in answers]


@dataclass(frozen=True)
class SendStatus:
    """What became of one file sent to a node.

    Parameters
    ----------
    path : str
        The file (as given).
    sop_instance_uid : str
        Its SOP Instance UID (``""`` when it could not be read).
    ok : bool
        The node stored it.
    status : int or None
        The DIMSE status (or HTTP-level outcome for STOW-RS); None when never sent.
    message : str
        In words.
    """

    path: str
    sop_instance_uid: str
    ok: bool
    status: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sop_instance_uid": self.sop_instance_uid,
            "ok": self.ok,
            "status": self.status,
            "message": self.message,
        }


def read_for_sending(paths: Iterable[str | Path]) -> tuple[list[tuple[str, Any]], list[SendStatus]]:
    """Read each file's header; (readable (path, dataset) pairs, statuses of unreadable ones)."""
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError

    readable: list[tuple[str, Any]] = []
    failed: list[SendStatus] = []
    for item in paths:
        path = str(item)
        try:
            ds = dcmread(path, stop_before_pixels=True)
            str(ds.SOPInstanceUID), str(ds.SOPClassUID), str(ds.file_meta.TransferSyntaxUID)
        except (InvalidDicomError, AttributeError, KeyError):
            failed.append(SendStatus(path, "", False, None, "not a DICOM file; not sent"))
            continue
        except OSError as error:
            failed.append(SendStatus(path, "", False, None, f"cannot read it ({error.strerror})"))
            continue
        readable.append((path, ds))
    return readable, failed


def store_files(
    node: DimseNode,
    paths: Iterable[str | Path],
    *,
    local: LocalNode | None = None,
    cancel: CancelToken | None = None,
) -> list[SendStatus]:
    """C-STORE each file to ``node``; one status per file, in order given.

    A file that is not DICOM gets a failed status; the others are still sent.

    Raises
    ------
    PacsError
        No association could be made (nothing was sent).
    """
    from pydicom import dcmread

    local = local or LocalNode()
    order = [str(p) for p in paths]
    headers, statuses = read_for_sending(order)
    by_path = {s.path: s for s in statuses}
    contexts: dict[str, set[str]] = {}
    for _path, ds in headers:
        contexts.setdefault(str(ds.SOPClassUID), set()).add(str(ds.file_meta.TransferSyntaxUID))
    pending = list(headers)
    while pending:
        ae = make_ae(node, local)
        batch: list[tuple[str, Any]] = []
        later: list[tuple[str, Any]] = []
        used: set[str] = set()
        for path, ds in pending:
            sop_class = str(ds.SOPClassUID)
            if sop_class not in used and len(used) >= MAX_CONTEXTS:
                later.append((path, ds))  # one more association for the other classes
                continue
            if sop_class not in used:
                used.add(sop_class)
                ae.add_requested_context(sop_class, sorted(contexts[sop_class]))
            batch.append((path, ds))
        pending = later
        with open_association(ae, node, local) as link:
            assoc = link.assoc
            lost = False
            for path, header in batch:
                uid = str(header.SOPInstanceUID)
                if lost or (cancel is not None and cancel.cancelled):
                    why = "the connection was lost" if lost else "cancelled"
                    by_path[path] = SendStatus(path, uid, False, None, f"not sent: {why}")
                    continue
                try:
                    status = assoc.send_c_store(dcmread(path))
                except ValueError:  # no accepted context for its class / transfer syntax
                    by_path[path] = SendStatus(
                        path,
                        uid,
                        False,
                        None,
                        "the node does not accept this kind of object in its transfer syntax",
                    )
                    continue
                if not status:
                    lost = True
                    by_path[path] = SendStatus(
                        path, uid, False, None, "not sent: the connection was lost"
                    )
                    continue
                code = int(status.Status)
                ok = code in (0x0000, 0x0001, 0x0107, 0x0116, 0xB000, 0xB007, 0xB006)
                by_path[path] = SendStatus(path, uid, ok, code, status_words(code))
    logger.info(
        "C-STORE to %s: %d of %d stored",
        describe_node(node),
        sum(1 for s in by_path.values() if s.ok),
        len(order),
    )
    return [by_path[p] for p in order]
