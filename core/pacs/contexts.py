"""What our AE proposes and accepts: storage classes, transfer syntaxes, the storage SCP.

Shared by C-GET (we take the SCP role for the storage classes, PS3.7 D.3.3.4), C-MOVE
(our storage SCP listens for the duration) and the standing receiver.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

from core.errors import UsageError
from core.pacs.dimse import STUDY_ROOT_GET, VERIFICATION, keep_up_on_open, quiet_network_libraries
from core.pacs.explain import PacsConnectionError
from core.pacs.nodes import LocalNode

logger = logging.getLogger(__name__)

#: Storage SOP classes proposed for C-GET (pynetdicom names): images, SR, presentation
#: states, segmentations, documents: what a reading workstation opens or sends back.
GET_STORAGE_CLASSES: Final = (
    "CTImageStorage",
    "EnhancedCTImageStorage",
    "LegacyConvertedEnhancedCTImageStorage",
    "MRImageStorage",
    "EnhancedMRImageStorage",
    "LegacyConvertedEnhancedMRImageStorage",
    "ComputedRadiographyImageStorage",
    "DigitalXRayImageStorageForPresentation",
    "DigitalXRayImageStorageForProcessing",
    "DigitalMammographyXRayImageStorageForPresentation",
    "DigitalMammographyXRayImageStorageForProcessing",
    "BreastTomosynthesisImageStorage",
    "DigitalIntraOralXRayImageStorageForPresentation",
    "UltrasoundImageStorage",
    "UltrasoundMultiFrameImageStorage",
    "SecondaryCaptureImageStorage",
    "MultiFrameGrayscaleByteSecondaryCaptureImageStorage",
    "MultiFrameGrayscaleWordSecondaryCaptureImageStorage",
    "MultiFrameTrueColorSecondaryCaptureImageStorage",
    "XRayAngiographicImageStorage",
    "EnhancedXAImageStorage",
    "XRayRadiofluoroscopicImageStorage",
    "NuclearMedicineImageStorage",
    "PositronEmissionTomographyImageStorage",
    "EnhancedPETImageStorage",
    "VLPhotographicImageStorage",
    "BasicTextSRStorage",
    "EnhancedSRStorage",
    "ComprehensiveSRStorage",
    "Comprehensive3DSRStorage",
    "XRayRadiationDoseSRStorage",
    "KeyObjectSelectionDocumentStorage",
    "GrayscaleSoftcopyPresentationStateStorage",
    "ColorSoftcopyPresentationStateStorage",
    "SegmentationStorage",
    "ParametricMapStorage",
    "EncapsulatedPDFStorage",
    "SpatialRegistrationStorage",
    "RawDataStorage",
    "RTImageStorage",
    "RTDoseStorage",
    "RTStructureSetStorage",
    "RTPlanStorage",
)
#: Transfer syntaxes we take (pynetdicom names): native first, then those our decoders read.
ACCEPTED_SYNTAXES: Final = (
    "ExplicitVRLittleEndian",
    "ImplicitVRLittleEndian",
    "DeflatedExplicitVRLittleEndian",
    "JPEGBaseline8Bit",
    "JPEGExtended12Bit",
    "JPEGLossless",
    "JPEGLosslessSV1",
    "JPEGLSLossless",
    "JPEGLSNearLossless",
    "JPEG2000Lossless",
    "JPEG2000",
    "RLELossless",
)


def start_storage_scp(local: LocalNode, evt_handlers: Sequence[Any], timeout_s: float) -> Any:
    """Start a non-blocking C-STORE (and C-ECHO) SCP on ``local.port``; the server.

    Raises
    ------
    UsageError
        ``local`` has no port.
    PacsConnectionError
        The port cannot be listened on (in use, or a privileged port).
    """
    # pynetdicom is heavy (it loads every SOP class): imported when a listener starts.
    from pydicom import uid as uids
    from pynetdicom import AE, AllStoragePresentationContexts, evt

    if local.port is None:
        raise UsageError("our node has no listening port; set one to receive studies")
    quiet_network_libraries()
    ae = AE(ae_title=local.ae_title)
    ae.acse_timeout = timeout_s
    ae.dimse_timeout = timeout_s
    ae.network_timeout = timeout_s
    ae.maximum_pdu_size = 0
    syntaxes = [getattr(uids, name) for name in ACCEPTED_SYNTAXES]
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(str(context.abstract_syntax), syntaxes)
    ae.add_supported_context(VERIFICATION)
    try:
        return ae.start_server(
            (local.bind_address, local.port),
            block=False,
            evt_handlers=[(evt.EVT_CONN_OPEN, keep_up_on_open), *evt_handlers],
        )
    except OSError as error:
        raise PacsConnectionError(
            f"cannot receive on port {local.port} ({error.strerror or type(error).__name__}): "
            "another program may be using it; choose another port for our node in Settings"
        ) from error


def propose_get_contexts(ae: Any) -> list[Any]:
    """Propose Study Root C-GET and the storage classes with the SCP role; the roles."""
    from pydicom import uid as uids
    from pynetdicom import build_role, sop_class

    syntaxes = [getattr(uids, name) for name in ACCEPTED_SYNTAXES]
    ae.add_requested_context(STUDY_ROOT_GET)
    roles = []
    for name in GET_STORAGE_CLASSES:
        uid = getattr(sop_class, name)
        ae.add_requested_context(uid, syntaxes)
        roles.append(build_role(uid, scp_role=True))
    return roles
