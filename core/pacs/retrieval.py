"""Retrieving a study or chosen series by C-GET or C-MOVE, as a cancellable job.

C-GET (preferred: no inbound connection) asks the node to send the instances back on
the same association, so we propose the common storage SOP classes with the SCP role
(PS3.4 C.4.3, PS3.7 D.3.3.4). C-MOVE asks the node to open an association to our own
storage SCP, started here on ``LocalNode.port`` for the duration. Every instance goes
to an :class:`~core.pacs.sinks.InstanceSink`.

Resuming: a second retrieval of the same study asks the node again for everything;
the sink answers "already stored" for what it holds (no second copy is written), so a
resumed retrieval costs the transfer, not the storage, of what had arrived.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from core.errors import CancelledError, UsageError
from core.jobs import CancelToken, Job, Progress
from core.pacs.contexts import propose_get_contexts, start_storage_scp
from core.pacs.dimse import STUDY_ROOT_GET, STUDY_ROOT_MOVE, Link, make_ae, open_association
from core.pacs.explain import (
    PacsError,
    RetrieveCounts,
    describe_node,
    explain_move_refused,
    explain_status,
)
from core.pacs.nodes import DimseNode, LocalNode
from core.pacs.sinks import BatchingSink, EncodedInstanceSink, InstanceSink

logger = logging.getLogger(__name__)

_PENDING: Final = (0xFF00, 0xFF01)
_FINAL_OK: Final = (0x0000, 0xB000)


@dataclass(frozen=True)
class RetrieveResult:
    """How a retrieval ended.

    Parameters
    ----------
    study_uid : str
    method : {"get", "move", "wado"}
    arrived : int
        Instances received and newly stored.
    already_present : int
        Instances received that the sink already held.
    failed : int
        Instances the node could not send or the sink could not store.
    expected : int
        Instances the node said the study (or series) holds (0: it never said).
    problem : str
        Why instances failed, in words (``""`` when none did).
    """

    study_uid: str
    method: str
    arrived: int
    already_present: int
    failed: int
    expected: int
    problem: str = ""

    @property
    def counts(self) -> RetrieveCounts:
        return RetrieveCounts(self.arrived, self.already_present, self.failed, self.expected)

    @property
    def complete(self) -> bool:
        """Everything expected arrived (new or already held) and nothing failed."""
        return self.failed == 0 and self.arrived + self.already_present >= self.expected

    def to_json(self) -> dict[str, Any]:
        return {
            "study_uid": self.study_uid,
            "method": self.method,
            "arrived": self.arrived,
            "already_present": self.already_present,
            "failed": self.failed,
            "expected": self.expected,
            "complete": self.complete,
            "problem": self.problem,
        }


class StoreTally:
    """Hands received instances to the sink from a writer thread, and counts them.

    The C-STORE handler runs on pynetdicom's thread: it decodes the instance, queues it
    and answers at once, so the node sends the next instance while the writer stores
    this one (a short bounded queue: the node waits when the disk is slower than the
    network). The node is then told "stored" before the sink has stored it: that is
    right for a retrieval we asked for (our result counts what the sink really stored;
    a failure is counted here, never shown as complete), not for a node pushing to us
    (the receiver answers after storing). Call :meth:`drain` before reading the counts
    and :meth:`close` at the end.
    """

    def __init__(self, sink: InstanceSink, source: str, *, queue_size: int = 16) -> None:
        self.sink = sink
        self.source = source
        self.new = 0
        self.already = 0
        self.failed = 0
        #: Why the first instance could not be stored, in words ("" when none failed).
        self.problem = ""
        self._lock = threading.Lock()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._writer = threading.Thread(target=self._write, name="retrieval-writer", daemon=True)
        self._writer.start()

    def _fail(self, why: str) -> None:
        with self._lock:
            self.failed += 1
            if not self.problem:
                self.problem = why

    @property
    def received(self) -> int:
        """Instances stored so far (new or already held)."""
        with self._lock:
            return self.new + self.already

    def handle_store(self, event: Any) -> int:
        """pynetdicom's ``EVT_C_STORE`` handler: queue the instance for the sink.

        A sink with ``accept_encoded`` gets the bytes as they arrived (no decoding and
        encoding again); any other sink gets the decoded data set.
        """
        try:
            if isinstance(self.sink, EncodedInstanceSink):
                item: Any = event.encoded_dataset(include_meta=True)
            else:
                item = event.dataset
                item.file_meta = event.file_meta
        except Exception as error:  # a data set pydicom cannot decode
            logger.warning("an instance could not be decoded (%s)", type(error).__name__)
            self._fail(f"an instance could not be decoded ({type(error).__name__})")
            return 0xC210  # cannot understand
        self._queue.put(item)
        return 0x0000

    def _write(self) -> None:
        # One batch for the whole retrieval: the sink syncs its files as a group (and the
        # archive commits its rows every few hundred), not once per instance.
        group = self.sink.batch() if isinstance(self.sink, BatchingSink) else nullcontext()
        try:
            with group:
                self._write_queued()
        except OSError as error:  # the group could not be written out: none counts as stored
            logger.warning("the retrieved instances could not be written out (%s)", error.strerror)
            with self._lock:
                self.failed += self.new
                self.new = 0
                self.problem = self.problem or f"instances could not be stored: {error.strerror}"

    def _write_queued(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._store(item)
            finally:
                self._queue.task_done()

    def _store(self, item: Any) -> None:
        try:
            if isinstance(item, bytes):
                encoded_sink = cast(EncodedInstanceSink, self.sink)
                new = encoded_sink.accept_encoded(item, source=self.source)
            else:
                new = self.sink.accept(item, source=self.source)
        except Exception as error:  # the writer must go on: a failure is counted
            logger.warning("an instance could not be stored (%s)", type(error).__name__)
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            self._fail(f"instances could not be stored: {reason}")
            return
        with self._lock:
            if new:
                self.new += 1
            else:
                self.already += 1

    def drain(self) -> None:
        """Wait until every queued instance has been stored (or has failed)."""
        self._queue.join()

    def close(self) -> None:
        """Store what is queued, then stop the writer; idempotent."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join()


def _identifiers(study_uid: str, series_uids: Sequence[str]) -> list[Any]:
    from pydicom import Dataset

    if not series_uids:
        ds = Dataset()
        ds.QueryRetrieveLevel = "STUDY"
        ds.StudyInstanceUID = study_uid
        return [ds]
    identifiers = []
    for series_uid in series_uids:
        ds = Dataset()
        ds.QueryRetrieveLevel = "SERIES"
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        identifiers.append(ds)
    return identifiers


def _sub_operations(status: Any) -> tuple[int, int, int]:
    """(remaining, completed + warning, failed) from a C-GET/C-MOVE response."""

    def number(keyword: str) -> int:
        value = status.get(keyword)
        return int(value) if value not in (None, "") else 0

    return (
        number("NumberOfRemainingSuboperations"),
        number("NumberOfCompletedSuboperations") + number("NumberOfWarningSuboperations"),
        number("NumberOfFailedSuboperations"),
    )


def retrieve_dimse(
    node: DimseNode,
    study_uid: str,
    sink: InstanceSink,
    *,
    series_uids: Sequence[str] = (),
    method: Literal["get", "move"] | None = None,
    local: LocalNode | None = None,
    cancel: CancelToken | None = None,
    move_destination: str | None = None,
) -> Job[RetrieveResult]:
    """Retrieve a study (or some of its series) into ``sink``; a job.

    Yields :class:`~core.jobs.Progress` (instances received / expected) as the node
    reports its sub-operations; returns a :class:`RetrieveResult`.

    Parameters
    ----------
    method : {"get", "move"}, optional
        Default: the node's ``retrieve_method``. C-MOVE needs ``local.port``.
    move_destination : str, optional
        The AE title the node is asked to send to (default: ``local.ae_title``, the AE
        title our storage SCP answers to).

    Raises
    ------
    RetrieveInterruptedError
        The node went away or stopped answering; its ``counts`` say what arrived (kept).
    MoveDestinationUnknownError
        C-MOVE status 0xA801.
    CancelledError
        ``cancel`` was set (the association is aborted; what arrived is kept).
    PacsError
        No association, or a failure status.
    """
    if not isinstance(study_uid, str) or not study_uid:
        raise UsageError("a retrieval needs a Study Instance UID")
    local = local or LocalNode()
    chosen = method or node.retrieve_method
    if chosen not in ("get", "move"):
        raise UsageError(f"the retrieve method must be get or move, found {chosen!r}")
    if chosen == "move" and local.port is None:
        raise UsageError("C-MOVE needs a port for our storage SCP to listen on (--listen-port)")
    tally = StoreTally(sink, node.name)
    identifiers = _identifiers(study_uid, series_uids)
    try:
        if chosen == "get":
            expected, failed = yield from _run_get(node, local, identifiers, tally, cancel)
        else:
            destination = move_destination or local.ae_title
            expected, failed = yield from _run_move(
                node, local, destination, identifiers, tally, cancel
            )
    finally:
        tally.close()  # what arrived is stored, whatever happened
    result = RetrieveResult(
        study_uid=study_uid,
        method=chosen,
        arrived=tally.new,
        already_present=tally.already,
        failed=max(failed, tally.failed),
        expected=expected,
        problem=tally.problem,
    )
    logger.info(
        "retrieved from %s by C-%s: %d new, %d already held, %d failed, %d expected",
        describe_node(node),
        chosen.upper(),
        result.arrived,
        result.already_present,
        result.failed,
        result.expected,
    )
    return result


def _counts(tally: StoreTally, failed: int, expected: int) -> RetrieveCounts:
    tally.drain()
    return RetrieveCounts(tally.new, tally.already, max(failed, tally.failed), expected)


def _run_get(
    node: DimseNode,
    local: LocalNode,
    identifiers: list[Any],
    tally: StoreTally,
    cancel: CancelToken | None,
) -> Job[tuple[int, int]]:
    from pynetdicom import evt

    model = STUDY_ROOT_GET
    ae = make_ae(node, local)
    roles = propose_get_contexts(ae)
    expected = failed = 0
    with open_association(
        ae, node, local, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, tally.handle_store)]
    ) as link:
        for identifier in identifiers:
            responses = link.assoc.send_c_get(identifier, model)
            expected, failed = yield from _follow(
                node, local, link, responses, tally, cancel, expected, failed
            )
    return expected, failed


def _run_move(
    node: DimseNode,
    local: LocalNode,
    destination: str,
    identifiers: list[Any],
    tally: StoreTally,
    cancel: CancelToken | None,
) -> Job[tuple[int, int]]:
    from pynetdicom import evt

    model = STUDY_ROOT_MOVE
    inbound: list[bool] = []
    handlers = [
        (evt.EVT_C_STORE, tally.handle_store),
        (evt.EVT_CONN_OPEN, lambda _event: inbound.append(True)),
    ]
    server = start_storage_scp(local, handlers, node.timeout_s)
    try:
        ae = make_ae(node, local)
        ae.add_requested_context(model)
        expected = failed = 0
        with open_association(ae, node, local) as link:
            for identifier in identifiers:
                responses = link.assoc.send_c_move(identifier, destination, model)
                expected, failed = yield from _follow(
                    node,
                    local,
                    link,
                    responses,
                    tally,
                    cancel,
                    expected,
                    failed,
                    (destination, inbound),
                )
        return expected, failed
    finally:
        server.shutdown()


def _follow(
    node: DimseNode,
    local: LocalNode,
    link: Link,
    responses: Any,
    tally: StoreTally,
    cancel: CancelToken | None,
    expected_before: int,
    failed_before: int,
    move: tuple[str, list[bool]] | None = None,
) -> Job[tuple[int, int]]:
    """Read one C-GET/C-MOVE's responses, yielding progress; (expected, failed) so far.

    ``move``: for a C-MOVE, the destination AE title and the inbound connections our
    storage SCP saw (None for C-GET).
    """
    expected = expected_before
    this_expected = 0
    failed = failed_before
    action = "retrieval"
    for status, _identifier in responses:
        if cancel is not None and cancel.cancelled:
            counts = _counts(tally, failed, expected + this_expected)
            raise CancelledError(
                f"the retrieval was cancelled: {counts.in_words()}; what arrived is kept"
            )
        if not status:
            raise link.lost(node, local, action, _counts(tally, failed, expected + this_expected))
        code = int(status.Status)
        remaining, completed, failed_now = _sub_operations(status)
        if code in _PENDING or code in _FINAL_OK:
            this_expected = max(this_expected, remaining + completed + failed_now)
            total = expected + this_expected
            if code in _FINAL_OK:
                tally.drain()
            yield Progress(tally.received, total, "retrieving instances")
            if code in _FINAL_OK:
                return total, failed_before + failed_now
            continue
        if tally.failed and 0xA700 <= code <= 0xCFFF:
            # The node gave up because we refused its instances (our disk is full): the
            # result says so, with what arrived, rather than blaming the node.
            total = expected + max(this_expected, remaining + completed + failed_now)
            return total, failed_before + max(failed_now, tally.failed)
        if code == 0xFE00:
            raise CancelledError("the node cancelled the retrieval")
        if move is not None and (0xA000 <= code <= 0xAFFF or 0xC000 <= code <= 0xCFFF):
            destination, inbound = move
            raise explain_move_refused(
                node, destination, local.port, code, reached_us=bool(inbound) or completed > 0
            )
        raise explain_status(node, action, code)
    # The responses ended without a final status: the association went away.
    error: PacsError = link.lost(
        node, local, action, _counts(tally, failed, expected + this_expected)
    )
    raise error
