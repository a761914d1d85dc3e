"""PACS: DICOM nodes, query/retrieve, the receiving storage SCP, sending results back.

DIMSE through pynetdicom and DICOMweb through dicomweb-client (no protocol code of our
own); both are imported only when a node is used.

Modules
-------
nodes
    Node definitions and the ``dicom-nodes.json`` settings file.
credentials
    Passwords and tokens: the OS keyring, or this session's memory.
explain
    Every failure in plain words: the :class:`PacsError` hierarchy.
query
    Study and series queries and matches (C-FIND and QIDO-RS alike).
sinks
    :class:`InstanceSink` (where received instances go) and :class:`FolderSink`.
dimse, contexts, retrieval, receiver
    C-ECHO/C-FIND/C-STORE, what we propose and accept, C-GET/C-MOVE, the receiver.
dicomweb
    QIDO-RS, WADO-RS, STOW-RS.
service
    One entry point per action whatever the node: echo, find, find_series, retrieve, send.
commands
    ``radassist pacs echo|find|retrieve|send``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.pacs.credentials import CredentialStore
    from core.pacs.dimse import SendStatus
    from core.pacs.explain import (
        AssociationRejectedError,
        MoveDestinationUnknownError,
        NodesFileError,
        PacsAuthError,
        PacsConnectionError,
        PacsError,
        PacsProtocolError,
        PacsRequestFailedError,
        PacsTimeoutError,
        PacsTlsError,
        RetrieveCounts,
        RetrieveInterruptedError,
    )
    from core.pacs.nodes import (
        DicomWebNode,
        DimseNode,
        LocalNode,
        Node,
        NodeBook,
        load_nodes,
        nodes_file,
        save_nodes,
    )
    from core.pacs.query import SeriesMatch, StudyMatch, StudyQuery
    from core.pacs.receiver import InstanceArrived, StorageReceiver
    from core.pacs.retrieval import RetrieveResult
    from core.pacs.service import echo, find, find_series, retrieve, send
    from core.pacs.sinks import FolderSink, InstanceSink

#: Where each public name lives: loaded on first use, so ``core.pacs.commands`` (imported
#: at every start of the app) stays light.
_WHERE: dict[str, str] = {
    "AssociationRejectedError": "core.pacs.explain",
    "CredentialStore": "core.pacs.credentials",
    "DicomWebNode": "core.pacs.nodes",
    "DimseNode": "core.pacs.nodes",
    "FolderSink": "core.pacs.sinks",
    "InstanceArrived": "core.pacs.receiver",
    "InstanceSink": "core.pacs.sinks",
    "LocalNode": "core.pacs.nodes",
    "MoveDestinationUnknownError": "core.pacs.explain",
    "Node": "core.pacs.nodes",
    "NodeBook": "core.pacs.nodes",
    "NodesFileError": "core.pacs.explain",
    "PacsAuthError": "core.pacs.explain",
    "PacsConnectionError": "core.pacs.explain",
    "PacsError": "core.pacs.explain",
    "PacsProtocolError": "core.pacs.explain",
    "PacsRequestFailedError": "core.pacs.explain",
    "PacsTimeoutError": "core.pacs.explain",
    "PacsTlsError": "core.pacs.explain",
    "RetrieveCounts": "core.pacs.explain",
    "RetrieveInterruptedError": "core.pacs.explain",
    "RetrieveResult": "core.pacs.retrieval",
    "SendStatus": "core.pacs.dimse",
    "SeriesMatch": "core.pacs.query",
    "StorageReceiver": "core.pacs.receiver",
    "StudyMatch": "core.pacs.query",
    "StudyQuery": "core.pacs.query",
    "echo": "core.pacs.service",
    "find": "core.pacs.service",
    "find_series": "core.pacs.service",
    "load_nodes": "core.pacs.nodes",
    "nodes_file": "core.pacs.nodes",
    "retrieve": "core.pacs.service",
    "save_nodes": "core.pacs.nodes",
    "send": "core.pacs.service",
}

__all__ = [
    "AssociationRejectedError",
    "CredentialStore",
    "DicomWebNode",
    "DimseNode",
    "FolderSink",
    "InstanceArrived",
    "InstanceSink",
    "LocalNode",
    "MoveDestinationUnknownError",
    "Node",
    "NodeBook",
    "NodesFileError",
    "PacsAuthError",
    "PacsConnectionError",
    "PacsError",
    "PacsProtocolError",
    "PacsRequestFailedError",
    "PacsTimeoutError",
    "PacsTlsError",
    "RetrieveCounts",
    "RetrieveInterruptedError",
    "RetrieveResult",
    "SendStatus",
    "SeriesMatch",
    "StorageReceiver",
    "StudyMatch",
    "StudyQuery",
    "echo",
    "find",
    "find_series",
    "load_nodes",
    "nodes_file",
    "retrieve",
    "save_nodes",
    "send",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'core.pacs' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
