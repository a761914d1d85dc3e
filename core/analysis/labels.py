"""A finding label's name for a person, in the interface language (the one owner).

A model package names its findings in its manifest (``"Effusion"``, ``"Nodule"``,
``"Pleural_Thickening"``). Those labels are keys: results, caches, SR codes, settings,
thresholds and JSON outputs keep them exactly as the manifest writes them. Where a
label is *shown* to a person (the AI panel's rows, a heatmap's caption, a grounding
reason, a sign-off blocker) it goes through :func:`label_name`, which gives the name
radiologists use in the current language (胸腔积液, 结节…) for the findings it knows,
and the label as the manifest writes it for any other (a site's own model).

The names are core's gettext messages (``resources/translations/<lang>/core.po``),
following ``resources/translations/GLOSSARY.md``; for the findings whose pertinent
negative the Chinese report templates name (``findings.<label>.negative`` in
``resources/report_templates/zh-CN.json``) the catalogue uses the same word
(tests/core/test_i18n.py holds them together). English shows the label unchanged.

Examples
--------
>>> from core.analysis.labels import label_name
>>> label_name("Effusion", "en")
'Effusion'
>>> label_name("My_Site_Finding", "en")
'My_Site_Finding'
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Mapping
from typing import Final

from core.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    _,
    catalogue_path,
    current_language,
    normalize_language,
)

__all__ = ["KNOWN_LABELS", "label_name"]

#: The findings whose name is translated, keyed like the templates key labels
#: (casefolded, ``_`` read as a space): the labels of the bundled model and of the
#: common chest radiograph label sets (NIH ChestX-ray14, CheXpert, torchxrayvision).
KNOWN_LABELS: Final[Mapping[str, str]] = {
    # TRANSLATORS: a finding of an AI model, as a radiologist names it (glossary).
    "atelectasis": N_("Atelectasis"),
    "cardiomegaly": N_("Cardiomegaly"),
    "consolidation": N_("Consolidation"),
    "edema": N_("Edema"),
    "effusion": N_("Effusion"),
    "emphysema": N_("Emphysema"),
    "enlarged cardiomediastinum": N_("Enlarged Cardiomediastinum"),
    "fibrosis": N_("Fibrosis"),
    "fracture": N_("Fracture"),
    "hernia": N_("Hernia"),
    "infiltration": N_("Infiltration"),
    "lung lesion": N_("Lung Lesion"),
    "lung opacity": N_("Lung Opacity"),
    "mass": N_("Mass"),
    "no finding": N_("No Finding"),
    "nodule": N_("Nodule"),
    "pleural effusion": N_("Pleural Effusion"),
    "pleural other": N_("Pleural Other"),
    "pleural thickening": N_("Pleural Thickening"),
    "pneumonia": N_("Pneumonia"),
    "pneumothorax": N_("Pneumothorax"),
    "support devices": N_("Support Devices"),
}


def _key(label: str) -> str:
    return " ".join(label.replace("_", " ").split()).casefold()


@functools.lru_cache(maxsize=4)
def _catalogue(language: str) -> gettext.NullTranslations:
    """``language``'s compiled core catalogue (English, or missing: no translations)."""
    path = catalogue_path(language)
    if path is None:
        return gettext.NullTranslations()
    try:
        with path.open("rb") as stream:
            return gettext.GNUTranslations(stream)
    except OSError:
        return gettext.NullTranslations()  # core.i18n logs a missing catalogue


def label_name(label: str, language: str | None = None) -> str:
    """How a person reads the finding ``label`` in ``language``.

    Parameters
    ----------
    label : str
        The label as the model's manifest writes it (a key: never changed).
    language : str, optional
        ``"en"`` or ``"zh-CN"`` (other spellings :func:`core.i18n.normalize_language`
        knows); default the current interface language (:func:`core.i18n.current_language`).
        A language RadAssist has no catalogue for reads as English.

    Returns
    -------
    str
        The name in that language for a finding :data:`KNOWN_LABELS` knows; otherwise
        (English, an unknown label, no catalogue) ``label`` as it is.
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, found {type(label).__name__}")
    message = KNOWN_LABELS.get(_key(label))
    if message is None:
        return label
    wanted = current_language() if language is None else normalize_language(language)
    if wanted == current_language():
        name = _(message)
    elif wanted is None or wanted == DEFAULT_LANGUAGE:
        return label
    else:
        name = _catalogue(wanted).gettext(message)
    return label if name == message else name
