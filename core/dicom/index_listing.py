"""A scanned folder as ``radassist scan`` shows it: plain data (``--json``) and text lines.

The text's headings ("Patient", "Study", "Series", "Unreadable files:"...) are made in
the current language (:mod:`core.i18n`); what DICOM says (names, IDs, descriptions,
modalities, keys) and the JSON are never translated. Patient data goes to stdout only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.dicom.geometry import compute_geometry
from core.dicom.person_name import format_person_name
from core.i18n import _

if TYPE_CHECKING:
    from core.dicom.records import SeriesRecord, StudyIndex

__all__ = ["index_to_dict", "print_index"]


def index_to_dict(index: StudyIndex) -> dict[str, Any]:
    """The index as plain data (what ``scan --json`` prints)."""

    def series_dict(series: SeriesRecord) -> dict[str, Any]:
        geometry = compute_geometry(series)
        return {
            "key": series.key,
            "series_instance_uid": series.series_instance_uid,
            "number": series.series_number,
            "modality": series.modality,
            "description": series.description,
            "instances": len(series.instances),
            "frames": series.frame_count,
            "split_reason": series.split_reason,
            "ordered_by": geometry.ordered_by,
            "slice_spacing": geometry.slice_spacing,
            "pixel_spacing": list(geometry.pixel_spacing) if geometry.pixel_spacing else None,
            "spacing_calibrated": geometry.spacing_calibrated,
            "problems": [{"kind": p.kind, "message": p.message} for p in geometry.problems],
        }

    return {
        "root": index.root,
        "patients": [
            {
                "patient_id": patient.patient_id,
                "patient_name": patient.patient_name,
                "sex": patient.sex,
                "birth_date": patient.birth_date,
                "studies": [
                    {
                        "study_instance_uid": study.study_instance_uid,
                        "date": study.study_date,
                        "description": study.study_description,
                        "series": [series_dict(s) for s in study.series],
                    }
                    for study in patient.studies
                ],
            }
            for patient in index.patients
        ],
        "non_image": [
            {
                "path": item.ref.display_name,
                "kind": item.kind.value,
                "sop_class": item.sop_class_name,
                "modality": item.modality,
            }
            for item in index.non_image
        ],
        "unreadable": [{"path": u.ref.display_name, "reason": u.reason} for u in index.unreadable],
        "skipped_non_dicom": index.skipped_non_dicom,
        "skipped": [{"path": u.ref.display_name, "reason": u.reason} for u in index.skipped],
        "notes": [
            {"kind": n.kind, "message": n.message, "details": list(n.details)} for n in index.notes
        ],
    }


def print_index(data: dict[str, Any]) -> None:
    """Print :func:`index_to_dict`'s data as text, one line per patient, study, series."""
    for patient in data["patients"]:
        name = format_person_name(patient["patient_name"]) or _("(no name)")
        print(_("Patient {name} [{id}]").format(name=name, id=patient["patient_id"]))
        for study in patient["studies"]:
            date = study["date"] or _("(no date)")
            line = _("Study {date} {description!r}").format(
                date=date, description=study["description"]
            )
            print(f"  {line}")
            for s in study["series"]:
                split = (
                    _(", split: {reason}").format(reason=s["split_reason"])
                    if s["split_reason"]
                    else ""
                )
                line = _(
                    "Series {number} {modality} {description!r}: {instances} instances, "
                    "{frames} frames"
                ).format(
                    number=s["number"] if s["number"] is not None else "-",
                    modality=s["modality"],
                    description=s["description"],
                    instances=s["instances"],
                    frames=s["frames"],
                )
                print(f"    {line}{split}  [{s['key']}]")
                for problem in s["problems"]:
                    print(f"      ! {problem['kind']}: {problem['message']}")
    if data["non_image"]:
        print(_("Non-image objects (listed, not rendered):"))
        for item in data["non_image"]:
            print(f"  {item['kind']}: {item['sop_class']} - {item['path']}")
    if data["unreadable"]:
        print(_("Unreadable files:"))
        for item in data["unreadable"]:
            print(f"  {item['path']}: {item['reason']}")
    if data["skipped"]:
        print(_("Skipped ({count} files, not images):").format(count=len(data["skipped"])))
        for item in data["skipped"]:
            print(f"  {item['path']}: {item['reason']}")
    for note in data["notes"]:
        print(_("Note: {message}").format(message=note["message"]))
