"""DICOMweb through dicomweb-client: QIDO-RS search, WADO-RS retrieval, STOW-RS store.

No HTTP code of our own: dicomweb-client builds the requests on a ``requests``
session that carries the node's authentication (basic or bearer, the secret from
:class:`~core.pacs.credentials.CredentialStore`) and TLS trust (the system's CAs or
the node's CA bundle). Every failure becomes a plain-words
:class:`~core.pacs.explain.PacsError` (:func:`~core.pacs.explain.explain_http`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from core.errors import CancelledError, UsageError
from core.jobs import CancelToken, Job, Progress
from core.pacs.credentials import CredentialStore
from core.pacs.dimse import SendStatus, quiet_network_libraries, read_for_sending
from core.pacs.explain import (
    PacsAuthError,
    PacsProtocolError,
    RetrieveCounts,
    RetrieveInterruptedError,
    explain_http,
)
from core.pacs.nodes import DicomWebNode
from core.pacs.query import (
    SERIES_RETURN_KEYS,
    STUDY_RETURN_KEYS,
    SeriesMatch,
    StudyMatch,
    StudyQuery,
    series_match_from,
    study_match_from,
)
from core.pacs.retrieval import RetrieveResult
from core.pacs.sinks import InstanceSink
from core.tls import verify_setting

logger = logging.getLogger(__name__)

#: Exceptions that mean "the exchange failed" (requests' and JSON/DICOM decoding).
_EXCHANGE_ERRORS: Final = (OSError, ValueError, KeyError, TypeError, AttributeError)


def make_client(node: DicomWebNode, credentials: CredentialStore | None = None) -> Any:
    """A ``DICOMwebClient`` for ``node`` with its authentication, TLS trust and timeout.

    Raises
    ------
    PacsAuthError
        The node needs a password or token and none is known.
    UsageError
        The node's CA bundle file does not exist.
    """
    # requests and dicomweb-client are heavy (and only needed for DICOMweb nodes).
    import requests
    from dicomweb_client.api import DICOMwebClient

    quiet_network_libraries()
    session = requests.Session()
    if node.ca_bundle and not Path(node.ca_bundle).is_file():
        raise UsageError(f"the CA bundle file {node.ca_bundle} of node {node.name} is missing")
    session.verify = verify_setting(node.ca_bundle)  # the node's bundle, else the system's
    if node.auth != "none":
        secret = credentials.get(node.credential_key) if credentials is not None else None
        if not secret:
            what = "password" if node.auth == "basic" else "token"
            raise PacsAuthError(
                f"no {what} is known for the DICOMweb node {node.name}; enter it in "
                "Settings → DICOM nodes (or give it on the command line)"
            )
        if node.auth == "basic":
            session.auth = (node.username, secret)
        else:
            session.headers["Authorization"] = f"Bearer {secret}"
    client = DICOMwebClient(
        url=node.base_url.rstrip("/"),
        session=session,
        qido_url_prefix=node.qido_prefix or None,
        wado_url_prefix=node.wado_prefix or None,
        stow_url_prefix=node.stow_prefix or None,
        timeout=node.timeout_s,
    )
    client.set_http_retry_params(retry=False)  # a failure is explained now, not in a minute
    return client


@contextlib.contextmanager
def _explained(node: DicomWebNode, action: str) -> Iterator[None]:
    try:
        yield
    except _EXCHANGE_ERRORS as error:
        if isinstance(error, UsageError):
            raise
        raise explain_http(error, node.base_url, action) from error


def _datasets(answers: Iterable[Any]) -> list[Any]:
    from pydicom import Dataset

    return [Dataset.from_json(item) for item in answers]


def web_echo(node: DicomWebNode, credentials: CredentialStore | None = None) -> float:
    """Test a DICOMweb node with a one-result QIDO-RS search; the round trip in seconds."""
    client = make_client(node, credentials)
    started = time.perf_counter()
    with _explained(node, "test search"):
        client.search_for_studies(limit=1)
    return time.perf_counter() - started


def web_find_studies(
    node: DicomWebNode,
    query: StudyQuery,
    *,
    credentials: CredentialStore | None = None,
    cancel: CancelToken | None = None,
) -> list[StudyMatch]:
    """QIDO-RS study search; at most ``query.limit`` matches."""
    if not isinstance(query, StudyQuery):
        raise TypeError(f"query must be a StudyQuery, found {type(query).__name__}")
    client = make_client(node, credentials)
    with _explained(node, "search"):
        answers = client.search_for_studies(
            search_filters=query.qido_filters(),
            limit=query.limit,
            fields=list(STUDY_RETURN_KEYS),
        )
        found = [study_match_from(ds) for ds in _datasets(answers)][: query.limit]
    if cancel is not None and cancel.cancelled:
        raise CancelledError("the search was cancelled")
    return found


def web_find_series(
    node: DicomWebNode, study_uid: str, *, credentials: CredentialStore | None = None
) -> list[SeriesMatch]:
    """QIDO-RS series search for one study."""
    client = make_client(node, credentials)
    with _explained(node, "series search"):
        answers = client.search_for_series(
            study_instance_uid=study_uid, fields=list(SERIES_RETURN_KEYS)
        )
        return [series_match_from(ds, study_uid) for ds in _datasets(answers)]


def _expected(client: Any, study_uid: str, series_uids: Sequence[str]) -> int:
    """Instances the node says it holds for the study or series (0 when it does not say)."""
    if series_uids:
        answers = client.search_for_series(
            study_instance_uid=study_uid, fields=["NumberOfSeriesRelatedInstances"]
        )
        wanted = set(series_uids)
        return sum(
            int(ds.get("NumberOfSeriesRelatedInstances", 0) or 0)
            for ds in _datasets(answers)
            if str(ds.get("SeriesInstanceUID", "")) in wanted
        )
    answers = client.search_for_studies(
        search_filters={"StudyInstanceUID": study_uid},
        fields=["NumberOfStudyRelatedInstances"],
    )
    return sum(int(ds.get("NumberOfStudyRelatedInstances", 0) or 0) for ds in _datasets(answers))


def web_retrieve(
    node: DicomWebNode,
    study_uid: str,
    sink: InstanceSink,
    *,
    series_uids: Sequence[str] = (),
    credentials: CredentialStore | None = None,
    cancel: CancelToken | None = None,
) -> Job[RetrieveResult]:
    """WADO-RS retrieval of a study (or some series) into ``sink``, streamed; a job.

    Raises
    ------
    RetrieveInterruptedError
        The transfer broke off; its ``counts`` say what arrived (kept).
    CancelledError
        ``cancel`` was set.
    PacsError
        The node refused or could not be reached.
    """
    if not isinstance(study_uid, str) or not study_uid:
        raise UsageError("a retrieval needs a Study Instance UID")
    client = make_client(node, credentials)
    with _explained(node, "retrieval"):
        expected = _expected(client, study_uid, series_uids)
    new = already = failed = 0
    yield Progress(0, expected, "retrieving instances")
    streams = (
        [client.iter_series(study_uid, uid) for uid in series_uids]
        if series_uids
        else [client.iter_study(study_uid)]
    )
    try:
        for stream in streams:
            for dataset in stream:
                if cancel is not None and cancel.cancelled:
                    counts = RetrieveCounts(new, already, failed, expected)
                    raise CancelledError(
                        f"the retrieval was cancelled: {counts.in_words()}; what arrived is kept"
                    )
                try:
                    if sink.accept(dataset, source=node.name):
                        new += 1
                    else:
                        already += 1
                except (OSError, UsageError, ValueError) as error:
                    logger.warning("an instance could not be stored (%s)", type(error).__name__)
                    failed += 1
                yield Progress(new + already, max(expected, new + already), "retrieving instances")
    except _EXCHANGE_ERRORS as error:
        if isinstance(error, UsageError):
            raise
        explained = explain_http(error, node.base_url, "retrieval")
        counts = RetrieveCounts(new, already, failed, expected)
        if new + already == 0:
            raise explained from error
        raise RetrieveInterruptedError(
            f"{explained} The retrieval stopped: {counts.in_words()}, and what arrived is "
            "kept. Retrieve the study again to fetch the rest",
            counts,
        ) from error
    return RetrieveResult(study_uid, "wado", new, already, failed, expected)


def web_store(
    node: DicomWebNode,
    paths: Iterable[str | Path],
    *,
    credentials: CredentialStore | None = None,
) -> list[SendStatus]:
    """STOW-RS the files to ``node`` in one request; one status per file, in order given."""
    from pydicom import dcmread

    order = [str(p) for p in paths]
    headers, statuses = read_for_sending(order)
    by_path = {s.path: s for s in statuses}
    if headers:
        client = make_client(node, credentials)
        with _explained(node, "store"):
            answer = client.store_instances([dcmread(path) for path, _ds in headers])
        stored = {
            str(item.get("ReferencedSOPInstanceUID", ""))
            for item in answer.get("ReferencedSOPSequence", [])
        }
        refused = {
            str(item.get("ReferencedSOPInstanceUID", "")): int(item.get("FailureReason", 0xC000))
            for item in answer.get("FailedSOPSequence", [])
        }
        if not stored and not refused:
            raise PacsProtocolError(f"{node.base_url} answered the store without a status")
        for path, ds in headers:
            uid = str(ds.SOPInstanceUID)
            if uid in stored:
                by_path[path] = SendStatus(path, uid, True, 0x0000, "stored")
            else:
                code = refused.get(uid)
                words = f"refused (0x{code:04X})" if code is not None else "not in the answer"
                by_path[path] = SendStatus(path, uid, False, code, words)
    return [by_path[p] for p in order]
