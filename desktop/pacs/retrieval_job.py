"""Retrieving chosen studies series by series, so the first series opens while the rest arrives.

Qt-free: a job generator for :mod:`desktop.workers`. For each study it asks the node for
the series (unless the user chose some), then retrieves them one at a time with
:func:`core.pacs.service.retrieve` (C-GET, C-MOVE or WADO-RS), relaying progress as
:class:`StudyProgress` and announcing each series that landed as :class:`SeriesLanded`
(``first`` for the study's first one: the window opens the study then). A study that
fails (node gone, C-MOVE refused) is recorded with the core's explanation and the next
study is still tried; cancelling stops at once and keeps what arrived.

It could live in ``core.pacs`` (the command line retrieves whole studies only); it is
here because the window is the only caller that needs series-by-series arrival.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.errors import CancelledError, describe_error
from core.jobs import CancelToken, Job, Progress
from core.pacs.credentials import CredentialStore
from core.pacs.explain import PacsError, RetrieveInterruptedError
from core.pacs.nodes import DimseNode, LocalNode, Node
from core.pacs.retrieval import RetrieveResult
from core.pacs.service import find_series, retrieve
from core.pacs.sinks import InstanceSink

logger = logging.getLogger(__name__)

__all__ = [
    "RetrievalRequest",
    "RetrievalTally",
    "SeriesLanded",
    "StudyOutcome",
    "StudyProgress",
    "retrieve_studies",
]


@dataclass(frozen=True)
class RetrievalRequest:
    """One study to retrieve: all its series (``series_uids`` empty) or the ones chosen.

    ``skip_series``: series already retrieved whole (a second retrieval of the study does
    not ask for them again).
    """

    study_uid: str
    series_uids: tuple[str, ...] = ()
    skip_series: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyProgress:
    """Instances of ``study_uid`` received so far, of ``expected`` (0: not known yet)."""

    study_uid: str
    received: int
    expected: int


@dataclass(frozen=True)
class SeriesLanded:
    """A series has been retrieved into the sink; ``first``: the study's first one."""

    study_uid: str
    series_uid: str
    first: bool


@dataclass(frozen=True)
class StudyOutcome:
    """How one study's retrieval ended.

    ``complete_series``: series whose every instance arrived (a second retrieval need not
    ask for them again). ``problem``: the core's explanation when it failed or was
    interrupted (``""`` otherwise).
    """

    study_uid: str
    arrived: int
    already_present: int
    failed: int
    expected: int
    complete_series: tuple[str, ...]
    problem: str = ""

    @property
    def complete(self) -> bool:
        return (
            not self.problem
            and self.failed == 0
            and (self.arrived + self.already_present >= self.expected)
        )


@dataclass
class RetrievalTally:
    """What has arrived so far per study; shared with the GUI (thread-safe).

    The GUI reads it after a cancelled retrieval (a cancelled job returns no result).
    """

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    received: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)

    def note(self, study_uid: str, received: int, expected: int) -> None:
        with self._lock:
            self.received[study_uid] = received
            self.expected[study_uid] = expected

    def counts(self, study_uid: str) -> tuple[int, int]:
        """(received, expected) for ``study_uid``."""
        with self._lock:
            return self.received.get(study_uid, 0), self.expected.get(study_uid, 0)


def retrieve_studies(
    node: Node,
    requests: Sequence[RetrievalRequest],
    sink: InstanceSink,
    *,
    local: LocalNode,
    credentials: CredentialStore | None = None,
    method: str | None = None,
    move_destination: str | None = None,
    cancel: CancelToken | None = None,
    tally: RetrievalTally | None = None,
) -> Job[list[StudyOutcome]]:
    """Retrieve each requested study series by series into ``sink``; a job.

    Yields :class:`StudyProgress`, :class:`SeriesLanded` and :class:`~core.jobs.Progress`
    (studies done / studies); returns one :class:`StudyOutcome` per study.

    Parameters
    ----------
    method : {"get", "move"}, optional
        DIMSE nodes only (default: the node's preference); DICOMweb uses WADO-RS.
    move_destination : str, optional
        C-MOVE destination AE title (default: our AE title).
    tally : RetrievalTally, optional
        Updated as instances arrive.

    Raises
    ------
    CancelledError
        ``cancel`` was set; what arrived is kept.
    """
    tally = tally if tally is not None else RetrievalTally()
    outcomes: list[StudyOutcome] = []
    for index, request in enumerate(requests):
        yield Progress(index, len(requests), "retrieving studies")
        outcome = yield from _retrieve_study(
            node, request, sink, local, credentials, method, move_destination, cancel, tally
        )
        outcomes.append(outcome)
    yield Progress(len(requests), len(requests), "retrieving studies")
    return outcomes


def _retrieve_study(
    node: Node,
    request: RetrievalRequest,
    sink: InstanceSink,
    local: LocalNode,
    credentials: CredentialStore | None,
    method: str | None,
    move_destination: str | None,
    cancel: CancelToken | None,
    tally: RetrievalTally,
) -> Job[StudyOutcome]:
    study_uid = request.study_uid
    series: list[str] = list(request.series_uids)
    expected = 0
    arrived = already = failed = 0
    complete: list[str] = []
    landed_any = False
    try:
        if not series:
            matches = find_series(
                node, study_uid, local=local, credentials=credentials, cancel=cancel
            )
            # Series in their number's order: the first to land is the one a reader expects.
            matches.sort(key=lambda m: (m.number is None, m.number or 0))
            matches = [m for m in matches if m.series_uid not in request.skip_series]
            series = [m.series_uid for m in matches if m.series_uid]
            expected = sum(m.instance_count or 0 for m in matches)
            if not series and request.skip_series:
                return StudyOutcome(study_uid, 0, 0, 0, 0, request.skip_series)
        parts: list[Sequence[str]] = [[uid] for uid in series] or [()]  # () : the whole study
        for part in parts:
            job = retrieve(
                node,
                study_uid,
                sink,
                series_uids=part,
                method=method if isinstance(node, DimseNode) else None,  # type: ignore[arg-type]
                local=local,
                credentials=credentials,
                cancel=cancel,
                move_destination=move_destination,
            )
            before = arrived + already
            result: RetrieveResult = yield from _relay(job, study_uid, before, expected, tally)
            arrived += result.arrived
            already += result.already_present
            failed += result.failed
            if not request.series_uids and not series:
                expected = max(expected, result.expected)
            elif request.series_uids:
                expected += result.expected
            received_now = result.arrived + result.already_present
            tally.note(study_uid, arrived + already, expected)
            yield StudyProgress(study_uid, arrived + already, expected)
            if result.complete and part:
                complete.append(part[0])
            if received_now:  # a whole-study retrieval ("" series) opens the study too
                yield SeriesLanded(study_uid, part[0] if part else "", first=not landed_any)
                landed_any = True
            if result.failed and result.problem:
                raise _PartlyFailedError(result.problem)
    except CancelledError:
        raise
    except (_PartlyFailedError, PacsError) as error:
        if isinstance(error, RetrieveInterruptedError):
            arrived += error.counts.arrived
            already += error.counts.already_present
        problem = str(error) if isinstance(error, _PartlyFailedError) else describe_error(error)
        done = (*request.skip_series, *complete)
        return StudyOutcome(study_uid, arrived, already, failed, expected, done, problem)
    done = (*request.skip_series, *complete)
    return StudyOutcome(study_uid, arrived, already, failed, expected, done)


class _PartlyFailedError(Exception):
    """Instances of a series could not be stored (full disk): stop this study."""


def _relay(
    job: Job[RetrieveResult],
    study_uid: str,
    before: int,
    expected: int,
    tally: RetrievalTally,
) -> Job[RetrieveResult]:
    """Run one core retrieval, turning its progress into :class:`StudyProgress`."""
    try:
        while True:
            try:
                event = next(job)
            except StopIteration as stop:
                result: RetrieveResult = stop.value
                return result
            if isinstance(event, Progress):
                total = expected or before + event.total
                tally.note(study_uid, before + event.done, total)
                yield StudyProgress(study_uid, before + event.done, total)
    finally:
        job.close()
