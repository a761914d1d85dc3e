"""Self-test checks for studies in and out: the archive, de-identified media, DICOM networking.

They prove in the installed app (the frozen bundle included) that the parts a site relies
on to receive, keep and hand on studies are present and work, offline: the generated study
goes into an archive in the self-test's temporary folder and opens from its index; it is
exported de-identified onto a CD/USB folder with a DICOMDIR that reads back; pynetdicom and
dicomweb-client load and an association's presentation contexts are built (no connection
is made: the self-test never reaches the network).
"""

from __future__ import annotations

import logging
from typing import Any

import pydicom

from core.archive import Archive
from core.deid import DeidOptions, export_job
from core.i18n import _, ngettext
from core.jobs import run_job
from core.pacs.contexts import propose_get_contexts
from core.selftest.framework import CheckFailed, SelfTestContext

__all__ = ["check_anonymize", "check_archive", "check_networking"]

logger = logging.getLogger(__name__)


def check_archive(context: SelfTestContext) -> str:
    """The generated study stored in an archive, listed, and opened from its index."""
    study_dir = context.need(context.study_dir, _("the generated study"))
    expected = context.expected.get("instances")
    with Archive(context.work_dir / "archive") as archive:
        imported = run_job(archive.import_folder(study_dir, copy=True, source="self-test"))
        if imported.failed:
            first = imported.failed[0]
            raise CheckFailed(
                ngettext(
                    "{count} file not stored, e.g. {file}: {reason}",
                    "{count} files not stored, e.g. {file}: {reason}",
                    len(imported.failed),
                ).format(
                    count=len(imported.failed), file=first.ref.display_name, reason=first.reason
                )
            )
        rows = archive.search()
        opened = 0
        for row in rows:
            index = archive.study_index(row.study_uid)
            opened += sum(len(series.instances) for series in index.all_series())
    listed = sum(row.instance_count for row in rows)
    if expected is not None and opened != expected:
        raise CheckFailed(
            _("{opened} images opened from the archive's index, {expected} stored").format(
                opened=opened, expected=expected
            )
        )
    return ngettext(
        "{added} objects stored by UID, {count} study listed "
        "({listed} objects), {opened} images opened from the index",
        "{added} objects stored by UID, {count} studies listed "
        "({listed} objects), {opened} images opened from the index",
        len(rows),
    ).format(added=imported.added, count=len(rows), listed=listed, opened=opened)


def check_anonymize(context: SelfTestContext) -> str:
    """The generated study exported de-identified (PS3.15 Basic profile) with a DICOMDIR."""
    study_dir = context.need(context.study_dir, _("the generated study"))
    out = context.work_dir / "anonymized"
    result = run_job(export_job(study_dir, out, deidentify=DeidOptions(), dicomdir=True))
    if not result.exported:
        raise CheckFailed(_("nothing was exported"))
    original = {
        str(pydicom.dcmread(path, stop_before_pixels=True).PatientID) for path in _dicom(study_dir)
    }
    leaked = []
    for item in result.exported:
        ds = pydicom.dcmread(out / item.path, stop_before_pixels=True)
        if str(ds.get("PatientIdentityRemoved", "")) != "YES" or str(ds.PatientID) in original:
            leaked.append(item.path)
    if leaked:
        raise CheckFailed(
            ngettext(
                "{count} exported file still identifies the patient",
                "{count} exported files still identify the patient",
                len(leaked),
            ).format(count=len(leaked))
        )
    return _(
        "{exported} objects de-identified (Basic profile), DICOMDIR read back, "
        "{flagged} flagged for burned-in text"
    ).format(exported=len(result.exported), flagged=len(result.flagged))


def check_networking(context: SelfTestContext) -> str:
    """pynetdicom and dicomweb-client load; a C-GET association's contexts are built."""
    del context  # nothing generated is needed, and nothing is sent
    # The networking libraries are heavy: imported when used (here, by this check).
    import dicomweb_client
    import pynetdicom

    ae: Any = pynetdicom.AE(ae_title="RADASSIST")
    roles = propose_get_contexts(ae)
    return _(
        "pynetdicom {pynetdicom} ({contexts} presentation contexts, {roles} storage roles "
        "for C-GET), dicomweb-client {dicomweb_client}; no connection made"
    ).format(
        pynetdicom=pynetdicom.__version__,
        contexts=len(ae.requested_contexts),
        roles=len(roles),
        dicomweb_client=getattr(dicomweb_client, "__version__", _("present")),
    )


def _dicom(folder: Any) -> list[Any]:
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and _is_dicom(p)]


def _is_dicom(path: Any) -> bool:
    with open(path, "rb") as handle:
        handle.seek(128)
        return handle.read(4) == b"DICM"
