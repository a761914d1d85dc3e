"""Our storage SCP: the standing receiver, and the listener a C-MOVE retrieval starts.

:class:`StorageReceiver` listens on the local node's port (pynetdicom's server runs
in its own threads, so starting, receiving and stopping never block the caller).
Every instance a node pushes goes to the sink; then an :class:`InstanceArrived`
event is delivered to the ``on_arrival`` callback from a delivery thread of its own
(a slow callback never holds up the sending node). The GUI's callback emits a Qt
signal, which is thread-safe.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import UsageError
from core.pacs.contexts import start_storage_scp
from core.pacs.nodes import LocalNode
from core.pacs.sinks import InstanceSink

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstanceArrived:
    """One instance a node pushed to us (UIDs only: no patient data).

    Parameters
    ----------
    calling_ae : str
        The AE title of the node that sent it.
    study_uid, series_uid, sop_instance_uid : str
    new : bool
        False when the sink already held it.
    stored : bool
        False when the sink could not store it (the node was told so).
    """

    calling_ae: str
    study_uid: str
    series_uid: str
    sop_instance_uid: str
    new: bool
    stored: bool


class StorageReceiver:
    """A standing C-STORE SCP that hands every instance to ``sink``.

    Parameters
    ----------
    local : LocalNode
        Our AE title and listening port.
    sink : InstanceSink
        Where instances go (thread-safe).
    on_arrival : callable, optional
        Called with each :class:`InstanceArrived`, from a delivery thread.
    timeout_s : float
        Seconds a silent sending node is given before its association is dropped.
    """

    def __init__(
        self,
        local: LocalNode,
        sink: InstanceSink,
        on_arrival: Callable[[InstanceArrived], None] | None = None,
        *,
        timeout_s: float = 30.0,
    ) -> None:
        if not isinstance(local, LocalNode):
            raise TypeError(f"local must be a LocalNode, found {type(local).__name__}")
        self.local = local
        self.sink = sink
        self._on_arrival = on_arrival
        self._timeout_s = timeout_s
        self._server: Any = None
        self._events: queue.SimpleQueue[InstanceArrived | None] = queue.SimpleQueue()
        self._delivery: threading.Thread | None = None
        self._count_lock = threading.Lock()
        self.received = 0

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Listen on the local node's port; returns at once. Idempotent.

        Raises
        ------
        PacsConnectionError
            The port cannot be listened on.
        """
        if self._server is not None:
            return
        from pynetdicom import evt

        self._server = start_storage_scp(
            self.local, [(evt.EVT_C_STORE, self._handle_store)], self._timeout_s
        )
        self._delivery = threading.Thread(
            target=self._deliver, name="storage-receiver-events", daemon=True
        )
        self._delivery.start()
        logger.info("receiving as %s on port %s", self.local.ae_title, self.local.port)

    def stop(self) -> None:
        """Stop listening (associations in progress are ended); idempotent."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
        if self._delivery is not None:
            self._events.put(None)
            self._delivery.join(timeout=5)
            self._delivery = None

    def __enter__(self) -> StorageReceiver:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _handle_store(self, event: Any) -> int:
        calling = str(event.assoc.requestor.ae_title)
        try:
            dataset = event.dataset
            dataset.file_meta = event.file_meta
        except Exception as error:  # a data set pydicom cannot decode
            logger.warning("a pushed instance could not be decoded (%s)", type(error).__name__)
            return 0xC210
        stored, new, status = True, False, 0x0000
        try:
            new = self.sink.accept(dataset, source=calling)
        except (OSError, UsageError, ValueError, TypeError) as error:
            logger.warning("a pushed instance could not be stored (%s)", type(error).__name__)
            stored, status = False, 0xA700
        with self._count_lock:
            self.received += 1
        self._events.put(
            InstanceArrived(
                calling_ae=calling,
                study_uid=str(dataset.get("StudyInstanceUID", "")),
                series_uid=str(dataset.get("SeriesInstanceUID", "")),
                sop_instance_uid=str(dataset.get("SOPInstanceUID", "")),
                new=new,
                stored=stored,
            )
        )
        return status

    def _deliver(self) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            if self._on_arrival is None:
                continue
            try:
                self._on_arrival(item)
            except Exception:  # a failing callback must not stop the receiver
                logger.exception("the arrival callback failed")
