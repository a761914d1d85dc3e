"""One entry point per network action, whatever the node: DIMSE or DICOMweb.

The window and the command line call these; each picks the DIMSE (pynetdicom) or
DICOMweb (dicomweb-client) path from the node's type.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from core.errors import UsageError
from core.jobs import CancelToken, Job
from core.pacs.credentials import CredentialStore
from core.pacs.dicomweb import (
    web_echo,
    web_find_series,
    web_find_studies,
    web_retrieve,
    web_store,
)
from core.pacs.dimse import SendStatus, find_studies, store_files
from core.pacs.dimse import echo as dimse_echo
from core.pacs.dimse import find_series as dimse_find_series
from core.pacs.nodes import DicomWebNode, DimseNode, LocalNode, Node
from core.pacs.query import SeriesMatch, StudyMatch, StudyQuery
from core.pacs.retrieval import RetrieveResult, retrieve_dimse
from core.pacs.sinks import InstanceSink

logger = logging.getLogger(__name__)


def _check_node(node: object) -> None:
    if not isinstance(node, DimseNode | DicomWebNode):
        raise TypeError(f"node must be a DimseNode or DicomWebNode, found {type(node).__name__}")


def echo(
    node: Node, *, local: LocalNode | None = None, credentials: CredentialStore | None = None
) -> float:
    """Test ``node`` (C-ECHO, or a one-result QIDO-RS search); the round trip in seconds."""
    _check_node(node)
    if isinstance(node, DimseNode):
        return dimse_echo(node, local)
    return web_echo(node, credentials)


def find(
    node: Node,
    query: StudyQuery,
    *,
    local: LocalNode | None = None,
    credentials: CredentialStore | None = None,
    cancel: CancelToken | None = None,
) -> list[StudyMatch]:
    """Studies on ``node`` matching ``query`` (C-FIND or QIDO-RS), at most ``query.limit``."""
    _check_node(node)
    if isinstance(node, DimseNode):
        return find_studies(node, query, local=local, cancel=cancel)
    return web_find_studies(node, query, credentials=credentials, cancel=cancel)


def find_series(
    node: Node,
    study_uid: str,
    *,
    local: LocalNode | None = None,
    credentials: CredentialStore | None = None,
    cancel: CancelToken | None = None,
) -> list[SeriesMatch]:
    """The series of one study on ``node``."""
    _check_node(node)
    if isinstance(node, DimseNode):
        return dimse_find_series(node, study_uid, local=local, cancel=cancel)
    return web_find_series(node, study_uid, credentials=credentials)


def retrieve(
    node: Node,
    study_uid: str,
    sink: InstanceSink,
    *,
    series_uids: Sequence[str] = (),
    method: Literal["get", "move"] | None = None,
    local: LocalNode | None = None,
    credentials: CredentialStore | None = None,
    cancel: CancelToken | None = None,
    move_destination: str | None = None,
) -> Job[RetrieveResult]:
    """Retrieve a study (or chosen series) into ``sink``: C-GET, C-MOVE or WADO-RS; a job.

    See :func:`core.pacs.retrieval.retrieve_dimse` and :func:`core.pacs.dicomweb.web_retrieve`.
    """
    _check_node(node)
    if isinstance(node, DimseNode):
        return retrieve_dimse(
            node,
            study_uid,
            sink,
            series_uids=series_uids,
            method=method,
            local=local,
            cancel=cancel,
            move_destination=move_destination,
        )
    if method is not None:
        raise UsageError("a DICOMweb node retrieves by WADO-RS; --method is for DIMSE nodes")
    return web_retrieve(
        node, study_uid, sink, series_uids=series_uids, credentials=credentials, cancel=cancel
    )


def send(
    node: Node,
    files: Iterable[str | Path],
    *,
    local: LocalNode | None = None,
    credentials: CredentialStore | None = None,
    cancel: CancelToken | None = None,
) -> list[SendStatus]:
    """Send files to ``node`` (C-STORE or STOW-RS); one status per file."""
    _check_node(node)
    if isinstance(node, DimseNode):
        return store_files(node, files, local=local, cancel=cancel)
    return web_store(node, files, credentials=credentials)
