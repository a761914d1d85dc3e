"""What turning encryption at rest on or off does to the data already on disk.

:mod:`core.at_rest` owns the key and the record format; this is the one place that
knows which stores hold patient data: drafts (:class:`core.report.store.DraftStore`),
measurements (:class:`core.dicom.annotations.AnnotationStore`) and the analysis
cache (:mod:`core.analysis.result_cache`). Settings → Data Protection calls
:func:`change_encryption`, on a worker thread.
"""

from __future__ import annotations

import logging

from core.analysis.result_cache import clear_results
from core.at_rest import set_encryption
from core.dicom.annotations import AnnotationStore
from core.report.store import DraftStore

logger = logging.getLogger(__name__)

__all__ = ["change_encryption"]


def change_encryption(enabled: bool) -> str:
    """Set the policy, rewrite saved drafts and measurements under it, empty the cache.

    The analysis cache is emptied rather than rewritten: it is recomputed on demand.
    A study open in a running window is skipped (its next save follows the policy).

    Returns
    -------
    str
        What was done, for the user (counts only, no patient data).

    Raises
    ------
    core.at_rest.AtRestError, core.report.store.DraftStoreError,
    core.dicom.annotations.AnnotationStoreError
        The key or a file could not be reached; files not yet rewritten are as they were.
    """

    set_encryption(enabled)
    drafts, open_studies = DraftStore().reseal()
    measurements = AnnotationStore().reseal()
    clear_results(disk=True)
    state = "encrypted" if enabled else "decrypted (plain text, owner-only)"
    done = (
        f"Encryption at rest is {'on' if enabled else 'off'}: {drafts} draft file(s) and "
        f"{measurements} measurement file(s) {state}; the analysis cache was emptied."
    )
    if open_studies:
        done += f" {open_studies} study(ies) open in a window follow at their next save."
    logger.info("%s", done)
    return done
