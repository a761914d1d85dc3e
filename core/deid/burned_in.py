"""Which images may carry patient data burned into their pixels.

De-identifying the header does nothing for text drawn into the pixels (PS3.15 E.1.1
note 5: the de-identifier should make sure no identification is burned in). RadAssist
does not clean pixels, so such an image is flagged to the user and left out of an
export unless the caller includes flagged images on purpose.
"""

from __future__ import annotations

import logging
from typing import Final

from pydicom.dataset import Dataset

logger = logging.getLogger(__name__)

#: Modalities whose devices commonly draw the patient's name, ID and dates into the
#: image: ultrasound scanners (US) and endoscopy towers (ES) overlay demographics on
#: the video they capture, external cameras (XC) photograph the patient (and wrist
#: bands, request forms), and document objects (DOC) are scans or PDFs of reports.
BURNS_IN_TEXT_MODALITIES: Final = frozenset({"US", "ES", "XC", "DOC"})
#: SOP classes with the same habit whatever their Modality says: Secondary Capture
#: (screen grabs of other systems' displays, with their demographics banners, PS3.4
#: B.5: 1.2.840.10008.5.1.4.1.1.7 and its multi-frame variants .7.1–.7.4), and the
#: encapsulated documents (PDF .104.1, CDA .104.2, STL/OBJ/MTL .104.3–.104.5), whose
#: content no header attribute describes.
BURNS_IN_TEXT_SOP_CLASSES: Final = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.7",
        "1.2.840.10008.5.1.4.1.1.7.1",
        "1.2.840.10008.5.1.4.1.1.7.2",
        "1.2.840.10008.5.1.4.1.1.7.3",
        "1.2.840.10008.5.1.4.1.1.7.4",
        "1.2.840.10008.5.1.4.1.1.104.1",
        "1.2.840.10008.5.1.4.1.1.104.2",
        "1.2.840.10008.5.1.4.1.1.104.3",
        "1.2.840.10008.5.1.4.1.1.104.4",
        "1.2.840.10008.5.1.4.1.1.104.5",
    }
)


def burned_in_reason(ds: Dataset) -> str | None:
    """Why ``ds`` may show patient data in its pixels, or None when it is not flagged.

    Flagged: Burned In Annotation (0028,0301) is YES; or the modality or SOP class is
    one known to burn in text (:data:`BURNS_IN_TEXT_MODALITIES`,
    :data:`BURNS_IN_TEXT_SOP_CLASSES`) and Burned In Annotation is not NO.
    """
    value = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    if value == "YES":
        return "Burned In Annotation is YES: the pixels show text, possibly the patient's data"
    if value == "NO":
        return None
    modality = str(ds.get("Modality", "") or "").strip().upper()
    if modality in BURNS_IN_TEXT_MODALITIES:
        return (
            f"modality {modality} often shows the patient's data in the pixels and "
            "Burned In Annotation does not say NO"
        )
    sop_class = str(ds.get("SOPClassUID", "") or "")
    if sop_class in BURNS_IN_TEXT_SOP_CLASSES:
        kind = "a secondary capture" if ".1.1.7" in sop_class else "an encapsulated document"
        return (
            f"{kind} often shows the patient's data in its content and "
            "Burned In Annotation does not say NO"
        )
    return None
