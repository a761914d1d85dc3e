"""Write grounding_cases.json: crafted report texts with known answers for the grounding check.

    python tests/core/data/make_grounding_cases.py

Two parts:

* generated reports (English and Chinese) put together from a bank of sentences whose
  meaning is written beside each one by hand: which findings it names, whether it
  states, hedges or denies them, and on which side. The expected issues come from
  those annotations and the rules of :mod:`core.report.grounding` (its table, sides,
  sections against each other, omissions) — never from running the check, so the
  check is measured on reading the words, not against itself;
* hand-written cases with their answers written out (pseudo-negations, limited
  denials, sides, sections, no analysis...).

The random draw is seeded: the file is the same on every run.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("grounding_cases.json")
LABELS = ("Nodule", "Mass", "Effusion", "Pneumothorax", "Cardiomegaly", "Consolidation")
LATERAL = ("Nodule", "Mass", "Effusion", "Pneumothorax", "Consolidation")
SEED = 20240610
PER_LANGUAGE = 100

# An annotation: (label, polarity, side) with side "S" for the side written into the
# sentence, None for none, "bilateral". A fourth item "size"/"time" marks a denial
# limited to large or new/acute findings.
Ann = tuple[Any, ...]
Frag = tuple[str, list[Ann]]


def _one(label: str, polarity: str, side: str | None = "S") -> list[Ann]:
    return [(label, polarity, side)]


EN: dict[str, dict[str, list[Frag]]] = {
    "present": {
        "Nodule": [
            ("There is a 9 mm nodule in the {side} upper zone.", _one("Nodule", "present")),
            ("A well-defined {side} upper lobe nodule measures 12 mm.", _one("Nodule", "present")),
            ("{Side} mid-zone nodular opacity, 1 cm in diameter.", _one("Nodule", "present")),
            (
                "Small rounded nodule projecting over the {side} lower zone.",
                _one("Nodule", "present"),
            ),
        ],
        "Mass": [
            ("There is a 4 cm mass in the {side} upper lobe.", _one("Mass", "present")),
            ("Lobulated {side} hilar mass.", _one("Mass", "present")),
            ("A large mass occupies the {side} mid zone.", _one("Mass", "present")),
        ],
        "Effusion": [
            ("Small {side} pleural effusion.", _one("Effusion", "present")),
            ("There is a moderate {side}-sided pleural effusion.", _one("Effusion", "present")),
            (
                "Blunting of the {side} costophrenic angle in keeping with a small effusion.",
                _one("Effusion", "present"),
            ),
            ("Layering {side} pleural fluid.", _one("Effusion", "present")),
        ],
        "Pneumothorax": [
            ("Small {side} apical pneumothorax.", _one("Pneumothorax", "present")),
            (
                "There is a {side} pneumothorax with a 2 cm apical rim.",
                _one("Pneumothorax", "present"),
            ),
            ("A moderate {side}-sided pneumothorax is present.", _one("Pneumothorax", "present")),
        ],
        "Cardiomegaly": [
            ("The heart is enlarged.", _one("Cardiomegaly", "present", None)),
            ("Cardiomegaly.", _one("Cardiomegaly", "present", None)),
            ("Moderate cardiomegaly.", _one("Cardiomegaly", "present", None)),
            ("The cardiac silhouette is enlarged.", _one("Cardiomegaly", "present", None)),
        ],
        "Consolidation": [
            ("Airspace consolidation in the {side} lower lobe.", _one("Consolidation", "present")),
            ("There is {side} lower zone consolidation.", _one("Consolidation", "present")),
            ("Patchy airspace opacity at the {side} base.", _one("Consolidation", "present")),
            (
                "Dense consolidation in the {side} upper lobe with air bronchograms.",
                _one("Consolidation", "present"),
            ),
        ],
    },
    "absent": {
        "Nodule": [
            ("No pulmonary nodule is seen.", _one("Nodule", "absent", None)),
            ("No suspicious pulmonary nodule.", _one("Nodule", "absent", None)),
            ("No nodules.", _one("Nodule", "absent", None)),
        ],
        "Mass": [
            ("No mass lesion is identified.", _one("Mass", "absent", None)),
            ("No hilar or mediastinal mass.", _one("Mass", "absent", None)),
            ("No lung mass.", _one("Mass", "absent", None)),
        ],
        "Effusion": [
            ("No pleural effusion.", _one("Effusion", "absent", None)),
            ("The costophrenic angles are sharp.", _one("Effusion", "absent", None)),
            ("No pleural effusion is seen.", _one("Effusion", "absent", None)),
        ],
        "Pneumothorax": [
            ("No pneumothorax.", _one("Pneumothorax", "absent", None)),
            ("No pneumothorax is seen.", _one("Pneumothorax", "absent", None)),
            ("There is no pneumothorax.", _one("Pneumothorax", "absent", None)),
        ],
        "Cardiomegaly": [
            ("Heart size is normal.", _one("Cardiomegaly", "absent", None)),
            (
                "The cardiomediastinal silhouette is within normal limits.",
                _one("Cardiomegaly", "absent", None),
            ),
            ("No cardiomegaly.", _one("Cardiomegaly", "absent", None)),
            ("The heart is not enlarged.", _one("Cardiomegaly", "absent", None)),
        ],
        "Consolidation": [
            ("No focal consolidation.", _one("Consolidation", "absent", None)),
            ("The lungs are clear.", _one("Consolidation", "absent", None)),
            ("No airspace consolidation.", _one("Consolidation", "absent", None)),
        ],
    },
    "uncertain": {
        "Nodule": [
            ("Possible small nodule in the {side} lower zone.", _one("Nodule", "uncertain")),
            ("A {side} upper zone nodule cannot be excluded.", _one("Nodule", "uncertain")),
            ("Questionable nodular opacity in the {side} mid zone.", _one("Nodule", "uncertain")),
        ],
        "Mass": [
            ("{Side} hilar fullness, possibly a mass.", _one("Mass", "uncertain")),
            ("Opacity in the {side} upper zone suspicious for a mass.", _one("Mass", "uncertain")),
            ("A {side} hilar mass cannot be excluded.", _one("Mass", "uncertain")),
        ],
        "Effusion": [
            ("Possible small {side} pleural effusion.", _one("Effusion", "uncertain")),
            ("A trace {side} effusion is not excluded.", _one("Effusion", "uncertain")),
            ("Probable small {side} pleural effusion.", _one("Effusion", "uncertain")),
        ],
        "Pneumothorax": [
            ("Possible small {side} apical pneumothorax.", _one("Pneumothorax", "uncertain")),
            ("A tiny {side} pneumothorax cannot be excluded.", _one("Pneumothorax", "uncertain")),
            ("Questionable {side} apical pneumothorax.", _one("Pneumothorax", "uncertain")),
        ],
        "Cardiomegaly": [
            (
                "Heart size is at the upper limit of normal.",
                _one("Cardiomegaly", "uncertain", None),
            ),
            ("Borderline cardiomegaly.", _one("Cardiomegaly", "uncertain", None)),
            ("Possible mild cardiomegaly.", _one("Cardiomegaly", "uncertain", None)),
        ],
        "Consolidation": [
            (
                "Hazy opacity in the {side} lower zone, possibly early consolidation.",
                _one("Consolidation", "uncertain"),
            ),
            (
                "{Side} basal opacity may represent consolidation.",
                _one("Consolidation", "uncertain"),
            ),
            ("Possible {side} lower lobe consolidation.", _one("Consolidation", "uncertain")),
        ],
    },
    "impression_present": {
        "Nodule": [
            ("{Side} upper zone pulmonary nodule.", _one("Nodule", "present")),
            ("{Side} lung nodule; CT is advised.", _one("Nodule", "present")),
        ],
        "Mass": [
            ("{Side} lung mass, suspicious for malignancy.", _one("Mass", "present")),
            ("{Side} upper lobe mass.", _one("Mass", "present")),
        ],
        "Effusion": [
            ("{Side} pleural effusion.", _one("Effusion", "present")),
            ("Small {side} pleural effusion.", _one("Effusion", "present")),
        ],
        "Pneumothorax": [
            ("{Side} pneumothorax.", _one("Pneumothorax", "present")),
            ("Small {side} apical pneumothorax.", _one("Pneumothorax", "present")),
        ],
        "Cardiomegaly": [
            ("Cardiomegaly.", _one("Cardiomegaly", "present", None)),
            ("Enlarged heart.", _one("Cardiomegaly", "present", None)),
        ],
        "Consolidation": [
            (
                "{Side} lower lobe consolidation, likely pneumonia.",
                _one("Consolidation", "present"),
            ),
            ("{Side} lower lobe consolidation.", _one("Consolidation", "present")),
        ],
    },
    "impression_absent": {
        "Nodule": [("No pulmonary nodule.", _one("Nodule", "absent", None))],
        "Mass": [("No lung mass.", _one("Mass", "absent", None))],
        "Effusion": [("No pleural effusion.", _one("Effusion", "absent", None))],
        "Pneumothorax": [("No pneumothorax.", _one("Pneumothorax", "absent", None))],
        "Cardiomegaly": [("Heart size normal.", _one("Cardiomegaly", "absent", None))],
        "Consolidation": [("No focal consolidation.", _one("Consolidation", "absent", None))],
    },
}
EN_MULTI_ABSENT: list[Frag] = [
    (
        "No pleural effusion or pneumothorax.",
        [("Effusion", "absent", None), ("Pneumothorax", "absent", None)],
    ),
    (
        "No focal consolidation, pleural effusion or pneumothorax.",
        [
            ("Consolidation", "absent", None),
            ("Effusion", "absent", None),
            ("Pneumothorax", "absent", None),
        ],
    ),
    ("No nodule or mass.", [("Nodule", "absent", None), ("Mass", "absent", None)]),
]
EN_NORMAL: Frag = ("Normal chest radiograph.", [(label, "absent", None) for label in LABELS])
EN_NO_ACUTE: Frag = (
    "No acute cardiopulmonary abnormality.",
    [(label, "absent", None, "time") for label in ("Consolidation", "Effusion", "Pneumothorax")],
)

ZH: dict[str, dict[str, list[Frag]]] = {
    "present": {
        "Nodule": [
            ("{s}肺上叶见一结节影，直径约9mm。", _one("Nodule", "present")),
            ("{s}肺中野见一类圆形结节灶，边界清楚。", _one("Nodule", "present")),
            ("{s}下肺野可见小结节影。", _one("Nodule", "present")),
        ],
        "Mass": [
            ("{s}肺门区见团块影，大小约4cm。", _one("Mass", "present")),
            ("{s}肺上叶见一肿块影，边缘分叶。", _one("Mass", "present")),
            ("{s}肺中野见巨大肿块。", _one("Mass", "present")),
        ],
        "Effusion": [
            ("{s}侧胸腔积液。", _one("Effusion", "present")),
            ("{s}侧少量胸腔积液。", _one("Effusion", "present")),
            ("{s}侧肋膈角变钝。", _one("Effusion", "present")),
            ("{s}侧胸腔见中等量积液。", _one("Effusion", "present")),
        ],
        "Pneumothorax": [
            ("{s}侧气胸，肺组织压缩约20%。", _one("Pneumothorax", "present")),
            ("{s}侧少量气胸。", _one("Pneumothorax", "present")),
            ("{s}肺尖见气胸线。", _one("Pneumothorax", "present")),
        ],
        "Cardiomegaly": [
            ("心影增大。", _one("Cardiomegaly", "present", None)),
            ("心影明显增大，心胸比约0.6。", _one("Cardiomegaly", "present", None)),
            ("心脏增大。", _one("Cardiomegaly", "present", None)),
        ],
        "Consolidation": [
            ("{s}肺下叶见大片实变影。", _one("Consolidation", "present")),
            ("{s}下肺野实变，内见支气管充气征。", _one("Consolidation", "present")),
            ("{s}肺下野见片状实变影。", _one("Consolidation", "present")),
        ],
    },
    "absent": {
        "Nodule": [
            ("双肺未见结节影。", _one("Nodule", "absent", "bilateral")),
            ("未见明确结节。", _one("Nodule", "absent", None)),
            ("肺内未见结节。", _one("Nodule", "absent", None)),
        ],
        "Mass": [
            ("未见肿块影。", _one("Mass", "absent", None)),
            ("双侧肺门未见肿块。", _one("Mass", "absent", "bilateral")),
            ("未见占位性病变。", _one("Mass", "absent", None)),
        ],
        "Effusion": [
            ("双侧胸腔未见积液。", _one("Effusion", "absent", "bilateral")),
            ("双侧肋膈角锐利。", _one("Effusion", "absent", "bilateral")),
            ("未见胸腔积液。", _one("Effusion", "absent", None)),
        ],
        "Pneumothorax": [
            ("未见气胸。", _one("Pneumothorax", "absent", None)),
            ("双侧未见气胸征象。", _one("Pneumothorax", "absent", "bilateral")),
            ("无气胸。", _one("Pneumothorax", "absent", None)),
        ],
        "Cardiomegaly": [
            ("心影不大。", _one("Cardiomegaly", "absent", None)),
            ("心影大小、形态正常。", _one("Cardiomegaly", "absent", None)),
            ("心脏未见增大。", _one("Cardiomegaly", "absent", None)),
        ],
        "Consolidation": [
            ("双肺野清晰。", _one("Consolidation", "absent", "bilateral")),
            ("未见实变影。", _one("Consolidation", "absent", None)),
            ("双肺未见明显实变。", _one("Consolidation", "absent", "bilateral")),
        ],
    },
    "uncertain": {
        "Nodule": [
            ("{s}肺下野可疑结节影。", _one("Nodule", "uncertain")),
            ("{s}肺上野结节不除外。", _one("Nodule", "uncertain")),
            ("{s}肺中野小结节可能。", _one("Nodule", "uncertain")),
        ],
        "Mass": [
            ("{s}肺门影增浓，肿块不除外。", _one("Mass", "uncertain")),
            ("{s}肺上叶可疑肿块影。", _one("Mass", "uncertain")),
        ],
        "Effusion": [
            ("{s}侧少量胸腔积液可能。", _one("Effusion", "uncertain")),
            ("{s}侧胸腔积液不除外。", _one("Effusion", "uncertain")),
            ("{s}侧肋膈角稍钝，少量积液待排。", _one("Effusion", "uncertain")),
        ],
        "Pneumothorax": [
            ("{s}肺尖可疑气胸。", _one("Pneumothorax", "uncertain")),
            ("{s}侧少量气胸不除外。", _one("Pneumothorax", "uncertain")),
            ("{s}侧气胸可能。", _one("Pneumothorax", "uncertain")),
        ],
        "Cardiomegaly": [
            ("心影饱满。", _one("Cardiomegaly", "uncertain", None)),
            ("心影大小在正常高限。", _one("Cardiomegaly", "uncertain", None)),
            ("心影稍大可能。", _one("Cardiomegaly", "uncertain", None)),
        ],
        "Consolidation": [
            ("{s}下肺野片状模糊影，实变可能。", _one("Consolidation", "uncertain")),
            ("{s}肺下野斑片影，考虑实变。", _one("Consolidation", "uncertain")),
            ("{s}肺下叶实变不除外。", _one("Consolidation", "uncertain")),
        ],
    },
    "impression_present": {
        "Nodule": [
            ("{s}肺结节。", _one("Nodule", "present")),
            ("{s}肺上叶结节，建议CT检查。", _one("Nodule", "present")),
        ],
        "Mass": [
            ("{s}肺占位。", _one("Mass", "present")),
            ("{s}肺门肿块。", _one("Mass", "present")),
        ],
        "Effusion": [
            ("{s}侧胸腔积液。", _one("Effusion", "present")),
            ("{s}侧少量胸腔积液。", _one("Effusion", "present")),
        ],
        "Pneumothorax": [("{s}侧气胸。", _one("Pneumothorax", "present"))],
        "Cardiomegaly": [("心影增大。", _one("Cardiomegaly", "present", None))],
        "Consolidation": [
            ("{s}肺下叶实变。", _one("Consolidation", "present")),
            ("{s}下肺实变，肺炎可能。", _one("Consolidation", "present")),
        ],
    },
    "impression_absent": {
        "Nodule": [("未见结节。", _one("Nodule", "absent", None))],
        "Mass": [("未见肿块。", _one("Mass", "absent", None))],
        "Effusion": [("未见胸腔积液。", _one("Effusion", "absent", None))],
        "Pneumothorax": [("未见气胸。", _one("Pneumothorax", "absent", None))],
        "Cardiomegaly": [("心影不大。", _one("Cardiomegaly", "absent", None))],
        "Consolidation": [("双肺未见实变。", _one("Consolidation", "absent", "bilateral"))],
    },
}
ZH_MULTI_ABSENT: list[Frag] = [
    ("未见胸腔积液及气胸。", [("Effusion", "absent", None), ("Pneumothorax", "absent", None)]),
    ("双肺未见结节及肿块。", [("Nodule", "absent", "bilateral"), ("Mass", "absent", "bilateral")]),
]
ZH_NORMAL: Frag = ("心肺未见明显异常。", [(label, "absent", None) for label in LABELS])
ZH_NO_ACUTE: Frag = (
    "未见明显急性心肺病变。",
    [(label, "absent", None, "time") for label in ("Consolidation", "Effusion", "Pneumothorax")],
)
BANKS = {
    "en": (EN, EN_MULTI_ABSENT, EN_NORMAL, EN_NO_ACUTE),
    "zh-CN": (ZH, ZH_MULTI_ABSENT, ZH_NORMAL, ZH_NO_ACUTE),
}


@dataclass
class Written:
    """A sentence of a generated report and what it means."""

    section: str
    text: str
    meaning: list[tuple[str, str, str | None, str | None]]  # label, polarity, side, limit


@dataclass
class Draft:
    language: str
    facts: dict[str, dict[str, Any]]
    sentences: list[Written] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def _fill(frag: Frag, side: str | None, language: str) -> tuple[str, list[Any]]:
    text, anns = frag
    if side is not None:
        if language == "en":
            text = text.replace("{side}", side).replace("{Side}", side.capitalize())
        else:
            text = text.replace("{s}", "右" if side == "right" else "左")
    meaning = []
    for ann in anns:
        label, polarity, where = ann[0], ann[1], ann[2]
        limit = ann[3] if len(ann) > 3 else None
        meaning.append((label, polarity, side if where == "S" else where, limit))
    return text, meaning


def _needs_side(frag: Frag) -> bool:
    return "{side}" in frag[0] or "{Side}" in frag[0] or "{s}" in frag[0]


def _write(
    draft: Draft, rng: random.Random, section: str, kind: str, label: str, side: str | None
) -> None:
    bank = BANKS[draft.language][0][kind][label]
    frag = rng.choice(bank)
    if _needs_side(frag) and side is None:
        side = rng.choice(("right", "left"))
    text, meaning = _fill(frag, side if _needs_side(frag) else None, draft.language)
    draft.sentences.append(Written(section, text, meaning))


def _facts(rng: random.Random) -> dict[str, dict[str, Any]]:
    facts: dict[str, dict[str, Any]] = {}
    for label in LABELS:
        verdict = rng.choices(
            ("positive", "negative", "indeterminate", None), weights=(3, 4.5, 1, 1.5)
        )[0]
        if verdict is None:
            continue
        side = rng.choice(("right", "left")) if label in LATERAL and verdict == "positive" else None
        zone = rng.choice(("upper", "middle", "lower")) if side else None
        facts[label] = {"label": label, "verdict": verdict, "side": side, "zone": zone}
    return facts


def _faithful(draft: Draft, rng: random.Random) -> None:
    """A report that says what the analysis found."""
    language = draft.language
    _, multi, normal, no_acute = BANKS[language]
    labels = list(LABELS)
    rng.shuffle(labels)
    done: set[str] = set()
    facts = draft.facts
    positives = [lab for lab in labels if facts.get(lab, {}).get("verdict") == "positive"]
    if rng.random() < 0.35:
        usable = [
            f for f in multi if all(facts.get(a[0], {}).get("verdict") != "positive" for a in f[1])
        ]
        if usable:
            frag = rng.choice(usable)
            text, meaning = _fill(frag, None, language)
            draft.sentences.append(Written("findings", text, meaning))
            done.update(a[0] for a in frag[1])
    for label in labels:
        if label in done:
            continue
        fact = facts.get(label)
        verdict = fact["verdict"] if fact else None
        roll = rng.random()
        if verdict == "positive":
            kind = "present" if roll < 0.8 else "uncertain"
            _write(draft, rng, "findings", kind, label, fact["side"] if fact else None)
        elif verdict == "indeterminate":
            if roll < 0.5:
                _write(draft, rng, "findings", "uncertain", label, None)
            elif roll < 0.75:
                _write(draft, rng, "findings", "absent", label, None)
        elif roll < 0.55:
            _write(draft, rng, "findings", "absent", label, None)
    impression = [lab for lab in positives if rng.random() < 0.75]
    for label in impression:
        _write(draft, rng, "impression", "impression_present", label, facts[label]["side"])
    if not impression:
        if positives:
            label = rng.choice(positives)
            _write(draft, rng, "impression", "impression_present", label, facts[label]["side"])
        else:
            stated = {m[0] for s in draft.sentences for m in s.meaning if m[1] != "absent"}
            frag = normal if not stated else no_acute
            text, meaning = _fill(frag, None, language)
            blocked = {m[0] for m in meaning} & stated
            if not blocked:
                draft.sentences.append(Written("impression", text, meaning))


def _drop(draft: Draft, label: str) -> None:
    draft.sentences = [s for s in draft.sentences if all(m[0] != label for m in s.meaning)]


def _replace(
    draft: Draft, rng: random.Random, section: str, label: str, kind: str, side: str | None
) -> None:
    """Say ``kind`` about ``label`` in ``section`` (instead of what was said there)."""
    keep = [
        s
        for s in draft.sentences
        if not (s.section == section and any(m[0] == label for m in s.meaning))
    ]
    draft.sentences = keep
    _write(draft, rng, section, kind, label, side)
    order = {"findings": 0, "impression": 1}
    draft.sentences.sort(key=lambda s: order[s.section])


def _opposite(side: str | None) -> str | None:
    return {"right": "left", "left": "right"}.get(side or "")


def _scenario(draft: Draft, rng: random.Random, scenario: str) -> bool:
    facts = draft.facts
    positives = [lab for lab, f in facts.items() if f["verdict"] == "positive"]
    sided = [lab for lab in positives if facts[lab]["side"]]
    negatives = [lab for lab, f in facts.items() if f["verdict"] == "negative"]
    indeterminate = [lab for lab, f in facts.items() if f["verdict"] == "indeterminate"]
    if scenario == "clean":
        return True
    if scenario == "omission":
        if not positives:
            return False
        _drop(draft, rng.choice(positives))
        return any(s.section in ("findings", "impression") for s in draft.sentences)
    if scenario == "laterality":
        if not sided:
            return False
        label = rng.choice(sided)
        section = rng.choice(("findings", "findings", "impression"))
        kind = "present" if section == "findings" else "impression_present"
        if section == "findings" and rng.random() < 0.3:
            kind = "uncertain"
        _replace(draft, rng, section, label, kind, _opposite(facts[label]["side"]))
        return True
    if scenario == "negation":
        if not positives:
            return False
        label = rng.choice(positives)
        section = rng.choice(("findings", "impression"))
        kind = "absent" if section == "findings" else "impression_absent"
        _replace(draft, rng, section, label, kind, None)
        return True
    if scenario == "uncertainty":
        choices = [(lab, "negative") for lab in negatives] + [
            (lab, "indeterminate") for lab in indeterminate
        ]
        if not choices:
            return False
        label, verdict = rng.choice(choices)
        kind = "uncertain" if verdict == "negative" else rng.choice(("present", "uncertain"))
        _replace(draft, rng, "findings", label, kind, None)
        return True
    if scenario == "cross-section":
        unassessed = [lab for lab in LABELS if lab not in facts]
        pool = unassessed or [lab for lab in LABELS if lab not in positives]
        if not pool:
            return False
        label = rng.choice(pool)
        if rng.random() < 0.5:
            _replace(draft, rng, "findings", label, "absent", None)
            _replace(draft, rng, "impression", label, "impression_present", None)
        else:
            _replace(draft, rng, "findings", label, "present", None)
            _replace(draft, rng, "impression", label, "impression_absent", None)
        return True
    raise ValueError(scenario)


# --------------------------------------------------------------------------- the rules


def _issue(kind: str, label: str, section: str) -> dict[str, str]:
    return {"kind": kind, "label": label, "section": section}


def _whole(meaning: list[Any], label: str) -> tuple[list[Any], list[Any]]:
    own = [m for m in meaning if m[0] == label]
    present = [m for m in own if m[1] == "present"]
    affirmed = any(m[1] != "absent" for m in own)
    absent = [] if affirmed else [m for m in own if m[1] == "absent"]
    return present, absent


def _clash(present_side: str | None, absent_side: str | None) -> bool:
    if absent_side in (None, "bilateral"):
        return True
    return present_side in (absent_side, "bilateral")


def _denial_counts(denial: Any) -> bool:
    # The bank's sentences never call a finding chronic or stable, so only a size limit
    # keeps a denial from denying (hand-written cases cover the rest).
    return bool(denial[3] != "size")


def expected_issues(facts: dict[str, dict[str, Any]], sentences: list[Written]) -> list[dict]:
    """What the grounding check should report, from the sentences' meaning."""
    found: list[dict[str, str]] = []
    for s in sentences:
        if s.section not in ("comparison", "findings", "impression", "recommendations"):
            continue
        labels = {m[0] for m in s.meaning}
        for label in sorted(labels):
            fact = facts.get(label)
            if fact is None:
                continue
            own = [m for m in s.meaning if m[0] == label]
            affirmed = any(m[1] != "absent" for m in own)
            kinds: set[str] = set()
            for _, polarity, side, _limit in own:
                verdict = fact["verdict"]
                if verdict == "positive":
                    if polarity == "absent":
                        other_side = (
                            side in ("right", "left") and fact["side"] and (side != fact["side"])
                        )
                        if not other_side and not affirmed:
                            kinds.add("contradicted")
                    elif side in ("right", "left") and fact["side"] and side != fact["side"]:
                        kinds.add("laterality")
                elif verdict == "indeterminate":
                    if polarity == "present":
                        kinds.add("unsupported")
                elif polarity in ("present", "uncertain"):
                    kinds.add("unsupported")
            found.extend(_issue(kind, label, s.section) for kind in sorted(kinds))
    findings = [s for s in sentences if s.section == "findings"]
    for s in sentences:
        if s.section != "impression":
            continue
        for label in sorted({m[0] for m in s.meaning}):
            i_present, i_absent = _whole(s.meaning, label)
            clash = False
            for other in findings:
                f_present, f_absent = _whole(other.meaning, label)
                if any(
                    _clash(p[2], d[2]) and _denial_counts(d) for p in i_present for d in f_absent
                ) or any(
                    _clash(p[2], d[2]) and _denial_counts(d) for p in f_present for d in i_absent
                ):
                    clash = True
            i_sided = [
                m
                for m in s.meaning
                if m[0] == label and m[1] != "absent" and m[2] in ("right", "left")
            ]
            f_sides = [
                m[2] for o in findings for m in o.meaning if m[0] == label and m[1] != "absent"
            ]
            if (
                i_sided
                and f_sides
                and all(x in ("right", "left") for x in f_sides)
                and any(all(x != m[2] for x in f_sides) for m in i_sided)
            ):
                clash = True
            if clash:
                found.append(_issue("inconsistent", label, "impression"))
    if any(s.section in ("findings", "impression") for s in sentences):
        checked = [
            m
            for s in sentences
            if s.section in ("comparison", "findings", "impression", "recommendations")
            for m in s.meaning
        ]
        for label, fact in facts.items():
            if fact["verdict"] != "positive":
                continue
            covered = any(
                m[0] == label
                and (
                    m[1] != "absent"
                    or not fact["side"]
                    or m[2] in (None, "bilateral", fact["side"])
                )
                for m in checked
            )
            if not covered:
                found.append(_issue("not mentioned", label, "findings"))
    return found


# --------------------------------------------------------------------------- hand-written


def _hand(
    case_id: str,
    language: str,
    facts: list[dict[str, Any]],
    sections: dict[str, list[str]],
    expected: list[tuple[str, str, str]],
    tags: list[str],
    analysed: bool = True,
) -> dict[str, Any]:
    return {
        "id": case_id,
        "language": language,
        "origin": "hand",
        "tags": tags,
        "analysed": analysed,
        "facts": facts,
        "sections": sections,
        "expected": [_issue(k, lab, sec) for k, lab, sec in expected],
    }


def _f(label: str, verdict: str, side: str | None = None, zone: str | None = None) -> dict:
    return {"label": label, "verdict": verdict, "side": side, "zone": zone}


NEG_NODULE = _f("Nodule", "negative")


def hand_cases() -> list[dict[str, Any]]:
    f, i, c = "findings", "impression", "contradicted"
    return [
        _hand(
            "hand-01",
            "en",
            [_f("Pneumothorax", "positive", "right", "upper")],
            {f: ["Small right apical pneumothorax."], i: ["No large pneumothorax."]},
            [],
            ["negation", "limited-denial"],
        ),
        _hand(
            "hand-02",
            "en",
            [_f("Pneumothorax", "positive", "right", "upper")],
            {f: ["Small right apical pneumothorax."], i: ["No tension pneumothorax."]},
            [],
            ["negation", "limited-denial"],
        ),
        _hand(
            "hand-03",
            "en",
            [NEG_NODULE],
            {
                f: ["Small chronic left pleural effusion, unchanged."],
                i: ["No acute cardiopulmonary process."],
            },
            [],
            ["negation", "limited-denial", "cross-section"],
        ),
        _hand(
            "hand-04",
            "en",
            [NEG_NODULE],
            {f: ["Small left pleural effusion."], i: ["No acute cardiopulmonary process."]},
            [("inconsistent", "Effusion", i)],
            ["cross-section"],
        ),
        _hand(
            "hand-05",
            "en",
            [NEG_NODULE],
            {f: ["Persistent right lower lobe consolidation."], i: ["No new consolidation."]},
            [],
            ["negation", "limited-denial", "cross-section"],
        ),
        _hand(
            "hand-06",
            "en",
            [_f("Effusion", "positive", "right", "lower")],
            {f: ["No left pleural effusion."], i: ["Right pleural effusion."]},
            [],
            ["laterality", "negation", "cross-section"],
        ),
        _hand(
            "hand-07",
            "en",
            [NEG_NODULE],
            {f: ["Right pleural effusion."], i: ["Left pleural effusion."]},
            [("inconsistent", "Effusion", i)],
            ["laterality", "cross-section"],
        ),
        _hand(
            "hand-08",
            "en",
            [_f("Effusion", "positive", "right", "lower")],
            {f: ["Right pleural effusion."], i: ["Left pleural effusion."]},
            [("laterality", "Effusion", i), ("inconsistent", "Effusion", i)],
            ["laterality", "cross-section"],
        ),
        _hand(
            "hand-09",
            "en",
            [NEG_NODULE],
            {f: ["Bilateral pleural effusions."], i: ["Right pleural effusion."]},
            [],
            ["laterality", "cross-section"],
        ),
        _hand(
            "hand-10",
            "en",
            [NEG_NODULE],
            {f: ["No pneumothorax."], i: ["Possible small right pneumothorax."]},
            [],
            ["uncertainty", "cross-section"],
        ),
        _hand(
            "hand-11",
            "en",
            [_f("Effusion", "positive", "right", "lower")],
            {
                f: ["No change in the small right pleural effusion."],
                i: ["Stable small right pleural effusion."],
            },
            [],
            ["negation", "pseudo-negation"],
        ),
        _hand(
            "hand-12",
            "en",
            [_f("Effusion", "negative")],
            {
                f: ["The right pleural effusion has resolved."],
                i: ["Resolution of the right pleural effusion."],
            },
            [],
            ["negation"],
        ),
        _hand(
            "hand-13",
            "en",
            [NEG_NODULE],
            {
                f: ["The right pleural effusion has resolved."],
                i: ["Persistent right pleural effusion."],
            },
            [("inconsistent", "Effusion", i)],
            ["negation", "cross-section"],
        ),
        _hand(
            "hand-14",
            "en",
            [_f("Pneumothorax", "positive", "right", "upper")],
            {f: ["No pneumothorax or pleural effusion."], i: ["Right pneumothorax."]},
            [(c, "Pneumothorax", f), ("inconsistent", "Pneumothorax", i)],
            ["negation", "cross-section"],
        ),
        _hand(
            "hand-15",
            "en",
            [_f("Nodule", "positive", "right", "upper"), _f("Cardiomegaly", "negative")],
            {
                f: ["Heart size is normal."],
                i: ["No acute cardiopulmonary abnormality."],
                "recommendations": ["CT chest to evaluate the right upper lobe nodule."],
            },
            [],
            ["omission", "clean"],
        ),
        _hand(
            "hand-16",
            "en",
            [_f("Nodule", "positive", "right", "upper")],
            {
                "clinical_information": ["Query right lung nodule."],
                f: ["The lungs are clear."],
                i: ["No acute cardiopulmonary abnormality."],
            },
            [("not mentioned", "Nodule", f)],
            ["omission"],
        ),
        _hand(
            "hand-17",
            "en",
            [_f("Effusion", "positive", "right", "lower")],
            {
                f: ["Small right pleural effusion."],
                i: ["Right pleural effusion, otherwise normal chest radiograph."],
            },
            [],
            ["clean", "cross-section"],
        ),
        _hand(
            "hand-18",
            "zh-CN",
            [NEG_NODULE],
            {f: ["右侧胸腔积液。"], i: ["No pleural effusion."]},
            [("inconsistent", "Effusion", i)],
            ["cross-section", "mixed-language"],
        ),
        _hand(
            "hand-19",
            "zh-CN",
            [NEG_NODULE],
            {f: ["右侧少量胸腔积液。"], i: ["未见大量胸腔积液。"]},
            [],
            ["negation", "limited-denial", "cross-section"],
        ),
        _hand(
            "hand-20",
            "zh-CN",
            [NEG_NODULE],
            {f: ["右肺下叶实变，较前相仿。"], i: ["未见新发实变。"]},
            [],
            ["negation", "limited-denial", "cross-section"],
        ),
        _hand(
            "hand-21",
            "zh-CN",
            [NEG_NODULE],
            {f: ["双侧胸腔未见积液。"], i: ["右侧胸腔积液。"]},
            [("inconsistent", "Effusion", i)],
            ["cross-section"],
        ),
        _hand(
            "hand-22",
            "zh-CN",
            [NEG_NODULE],
            {f: ["左侧胸腔积液。"], i: ["右侧胸腔积液。"]},
            [("inconsistent", "Effusion", i)],
            ["laterality", "cross-section"],
        ),
        _hand(
            "hand-23",
            "zh-CN",
            [_f("Effusion", "positive", "right", "lower")],
            {f: ["左侧胸腔积液。"], i: ["左侧胸腔积液。"]},
            [("laterality", "Effusion", f), ("laterality", "Effusion", i)],
            ["laterality"],
        ),
        _hand(
            "hand-24",
            "zh-CN",
            [_f("Nodule", "positive", "left", "upper"), _f("Cardiomegaly", "negative")],
            {f: ["心影不大。", "双肺野清晰。"], i: ["未见明显急性心肺病变。"]},
            [("not mentioned", "Nodule", f)],
            ["omission"],
        ),
        _hand(
            "hand-25",
            "en",
            [_f("Effusion", "positive", "right", "lower")],
            {f: ["No left pleural effusion."], i: ["Heart size normal."]},
            [("not mentioned", "Effusion", f)],
            ["omission", "laterality"],
        ),
        _hand(
            "hand-26",
            "en",
            [_f("Nodule", "positive", "right", "upper")],
            {f: ["Possible right upper zone nodule."]},
            [],
            ["uncertainty", "clean"],
        ),
        _hand(
            "hand-27",
            "en",
            [_f("Nodule", "positive", "right", "upper")],
            {f: ["Possible left upper zone nodule."]},
            [("laterality", "Nodule", f)],
            ["uncertainty", "laterality"],
        ),
        _hand(
            "hand-28",
            "en",
            [_f("Nodule", "indeterminate")],
            {f: ["There is a right upper zone nodule."]},
            [("unsupported", "Nodule", f)],
            ["uncertainty"],
        ),
        _hand(
            "hand-29",
            "en",
            [_f("Pneumothorax", "negative")],
            {f: ["A small left apical pneumothorax cannot be excluded."]},
            [("unsupported", "Pneumothorax", f)],
            ["uncertainty"],
        ),
        _hand(
            "hand-30",
            "en",
            [_f("Cardiomegaly", "positive")],
            {f: ["The heart is enlarged."], i: ["Heart size is normal."]},
            [(c, "Cardiomegaly", i), ("inconsistent", "Cardiomegaly", i)],
            ["negation", "cross-section"],
        ),
        _hand(
            "hand-31",
            "en",
            [NEG_NODULE],
            {f: ["Heart size is normal."], i: ["Mild cardiomegaly."]},
            [("inconsistent", "Cardiomegaly", i)],
            ["cross-section"],
        ),
        _hand(
            "hand-32",
            "zh-CN",
            [NEG_NODULE],
            {f: ["心影增大。"], i: ["心影不大。"]},
            [("inconsistent", "Cardiomegaly", i)],
            ["cross-section"],
        ),
        _hand(
            "hand-33",
            "en",
            [NEG_NODULE],
            {
                f: [
                    "No large pleural effusion, although a small right effusion cannot be excluded."
                ],
                i: ["No pleural effusion."],
            },
            [],
            ["uncertainty", "cross-section"],
        ),
        _hand(
            "hand-34",
            "en",
            [NEG_NODULE],
            {f: ["Right pleural effusion; no left effusion."], i: ["No left pleural effusion."]},
            [],
            ["laterality", "cross-section"],
        ),
        _hand(
            "hand-35",
            "en",
            [NEG_NODULE],
            {
                f: ["Right pleural effusion.", "Small left pleural effusion."],
                i: ["Bilateral pleural effusions."],
            },
            [],
            ["laterality", "cross-section"],
        ),
        _hand(
            "hand-36",
            "en",
            [_f(lab, "negative") for lab in LABELS],
            {
                f: [
                    "The lungs are clear.",
                    "Heart size is normal.",
                    "No pleural effusion or pneumothorax.",
                ],
                i: ["Normal chest radiograph."],
            },
            [],
            ["clean", "negation"],
        ),
        _hand(
            "hand-37",
            "zh-CN",
            [_f(lab, "negative") for lab in LABELS],
            {
                f: ["双肺纹理清晰，未见实变影。", "心影不大。", "双侧肋膈角锐利。"],
                i: ["心肺未见明显异常。"],
            },
            [],
            ["clean", "negation"],
        ),
        _hand(
            "hand-38",
            "en",
            [
                _f("Pneumothorax", "positive", "right", "upper"),
                _f("Nodule", "positive", "right", "upper"),
            ],
            {i: ["Right pneumothorax."]},
            [("not mentioned", "Nodule", f)],
            ["omission"],
        ),
        _hand(
            "hand-39",
            "en",
            [_f("Nodule", "positive", "right", "upper")],
            {"technique": ["PA chest radiograph."]},
            [],
            ["omission", "clean"],
        ),
        _hand(
            "hand-40",
            "en",
            [],
            {f: ["No pneumothorax."], i: ["Large right pneumothorax."]},
            [("inconsistent", "Pneumothorax", i)],
            ["cross-section", "no-analysis"],
            analysed=False,
        ),
        _hand(
            "hand-41",
            "en",
            [],
            {f: ["Small right pleural effusion."], i: ["Small right pleural effusion."]},
            [],
            ["clean", "no-analysis"],
            analysed=False,
        ),
        _hand(
            "hand-42",
            "en",
            [NEG_NODULE],
            {f: ["Pleural effusion is not seen."], i: ["Small left pleural effusion."]},
            [("inconsistent", "Effusion", i)],
            ["negation", "cross-section"],
        ),
        _hand(
            "hand-43",
            "en",
            [NEG_NODULE],
            {f: ["The costophrenic angles are sharp."], i: ["Small right pleural effusion."]},
            [("inconsistent", "Effusion", i)],
            ["negation", "cross-section"],
        ),
        _hand(
            "hand-44",
            "en",
            [NEG_NODULE],
            {f: ["There is no evidence of pneumothorax."], i: ["Small right apical pneumothorax."]},
            [("inconsistent", "Pneumothorax", i)],
            ["negation", "cross-section"],
        ),
        _hand(
            "hand-45",
            "en",
            [NEG_NODULE],
            {
                f: ["Patchy consolidation in the left lower lobe."],
                i: ["No radiographic evidence of consolidation."],
            },
            [("inconsistent", "Consolidation", i)],
            ["negation", "cross-section"],
        ),
        _hand(
            "hand-46",
            "zh-CN",
            [NEG_NODULE],
            {f: ["左下肺野见片状实变影。"], i: ["双肺未见明显实变。"]},
            [("inconsistent", "Consolidation", i)],
            ["negation", "cross-section"],
        ),
        _hand(
            "hand-47",
            "zh-CN",
            [NEG_NODULE],
            {f: ["心影饱满。"], i: ["心影不大。"]},
            [],
            ["uncertainty", "cross-section"],
        ),
        _hand(
            "hand-48",
            "zh-CN",
            [_f("Pneumothorax", "positive", "left", "upper")],
            {f: ["右侧气胸。"]},
            [("laterality", "Pneumothorax", f)],
            ["laterality"],
        ),
        _hand(
            "hand-49",
            "en",
            [_f("Pneumothorax", "positive", "right", "upper")],
            {f: ["No pneumothorax."], i: ["No acute cardiopulmonary abnormality."]},
            [(c, "Pneumothorax", f), (c, "Pneumothorax", i)],
            ["negation"],
        ),
        _hand(
            "hand-50",
            "en",
            [_f("Effusion", "positive", "right", "lower")],
            {
                "comparison": [
                    "Compared with the prior study, the right pleural effusion is smaller."
                ],
                f: ["Heart size is normal."],
                i: ["Improving right pleural effusion."],
            },
            [],
            ["clean"],
        ),
        _hand(
            "hand-51",
            "en",
            [NEG_NODULE],
            {
                f: ["No focal consolidation."],
                i: ["Left lower lobe consolidation, likely pneumonia."],
            },
            [("inconsistent", "Consolidation", i)],
            ["cross-section"],
        ),
        _hand(
            "hand-52",
            "en",
            [_f("Pleural_Effusion", "positive", "right", "lower"), _f("Cardiomegaly", "negative")],
            {f: ["Heart size is normal."], i: ["Heart size normal."]},
            [("not mentioned", "Pleural_Effusion", f)],
            ["omission"],
        ),
        _hand(
            "hand-53",
            "zh-CN",
            [_f("Consolidation", "positive", "right", "lower")],
            {f: ["右肺下叶见片状实变影。"], i: ["右下肺炎，实变可能。"]},
            [],
            ["uncertainty", "clean"],
        ),
        _hand(
            "hand-54",
            "zh-CN",
            [_f("Effusion", "positive", "left", "lower")],
            {f: ["心影不大。"], i: ["右侧胸腔未见积液。"]},
            [("not mentioned", "Effusion", f)],
            ["omission", "laterality"],
        ),
        _hand(
            "hand-55",
            "zh-CN",
            [_f("Mass", "negative")],
            {f: ["左肺上叶见一肿块影。"], i: ["左肺上叶占位。"]},
            [("unsupported", "Mass", f), ("unsupported", "Mass", i)],
            ["negation"],
        ),
    ]


# Written after the lexicon was last changed and never used to change it: how the check
# does on phrasings it was not developed on.
def held_out_cases() -> list[dict[str, Any]]:
    f, i, c, u, lat, inc, nm = (
        "findings",
        "impression",
        "contradicted",
        "unsupported",
        "laterality",
        "inconsistent",
        "not mentioned",
    )
    eff_l, eff_r = (
        _f("Effusion", "positive", "left", "lower"),
        _f("Effusion", "positive", "right", "lower"),
    )
    ptx_r, ptx_l = (
        _f("Pneumothorax", "positive", "right", "upper"),
        _f("Pneumothorax", "positive", "left", "upper"),
    )
    nod_l, nod_r = (
        _f("Nodule", "positive", "left", "upper"),
        _f("Nodule", "positive", "right", "upper"),
    )
    cons_r, cons_l = (
        _f("Consolidation", "positive", "right", "lower"),
        _f("Consolidation", "positive", "left", "lower"),
    )
    mass_r, mass_l = (
        _f("Mass", "positive", "right", "middle"),
        _f("Mass", "positive", "left", "middle"),
    )
    cardio = _f("Cardiomegaly", "positive")
    rows: list[
        tuple[
            str, list[dict[str, Any]], dict[str, list[str]], list[tuple[str, str, str]], list[str]
        ]
    ] = [
        (
            "en",
            [eff_l],
            {
                f: ["Moderate left pleural effusion with adjacent compressive atelectasis."],
                i: ["Moderate left effusion."],
            },
            [],
            ["clean"],
        ),
        (
            "en",
            [eff_l],
            {f: ["Blunted left costophrenic angle."], i: ["Small left-sided effusion."]},
            [],
            ["clean"],
        ),
        (
            "en",
            [eff_l],
            {
                f: ["Cardiomediastinal contours are normal.", "Lungs are clear."],
                i: ["No acute findings."],
            },
            [(c, "Effusion", i)],
            ["negation"],
        ),
        (
            "en",
            [ptx_r],
            {
                f: ["Right apical pneumothorax measuring 1.5 cm."],
                i: ["Right-sided pneumothorax, no mediastinal shift."],
            },
            [],
            ["clean"],
        ),
        (
            "en",
            [ptx_r],
            {f: ["Left apical pneumothorax."], i: ["Left pneumothorax."]},
            [(lat, "Pneumothorax", f), (lat, "Pneumothorax", i)],
            ["laterality"],
        ),
        (
            "en",
            [ptx_r],
            {f: ["No pneumothorax identified."], i: ["Right pneumothorax."]},
            [(c, "Pneumothorax", f), (inc, "Pneumothorax", i)],
            ["negation", "cross-section"],
        ),
        (
            "en",
            [nod_l],
            {
                f: ["8 mm nodule projecting over the left upper zone."],
                i: ["Left upper zone nodule; recommend CT."],
            },
            [],
            ["clean"],
        ),
        (
            "en",
            [nod_l],
            {
                f: ["Heart size is normal.", "No focal airspace disease."],
                i: ["No acute cardiopulmonary disease."],
            },
            [(nm, "Nodule", f)],
            ["omission"],
        ),
        (
            "en",
            [NEG_NODULE],
            {f: ["Probable granuloma in the right mid zone."], i: ["No acute disease."]},
            [],
            ["clean", "uncertainty"],
        ),
        (
            "en",
            [cardio],
            {f: ["Mild enlargement of the cardiac silhouette."], i: ["Mild cardiomegaly."]},
            [],
            ["clean"],
        ),
        (
            "en",
            [cardio],
            {f: ["Normal heart size."], i: ["Cardiomegaly."]},
            [(c, "Cardiomegaly", f), (inc, "Cardiomegaly", i)],
            ["negation", "cross-section"],
        ),
        (
            "en",
            [_f("Cardiomegaly", "negative")],
            {f: ["The heart size is at the upper limits of normal."], i: ["No cardiomegaly."]},
            [(u, "Cardiomegaly", f)],
            ["uncertainty"],
        ),
        (
            "en",
            [cons_r],
            {f: ["Right basilar airspace opacity."], i: ["Right lower lobe pneumonia."]},
            [],
            ["clean"],
        ),
        (
            "en",
            [cons_r],
            {f: ["Left basilar consolidation."], i: ["Left lower lobe pneumonia."]},
            [(lat, "Consolidation", f)],
            ["laterality"],
        ),
        (
            "en",
            [NEG_NODULE],
            {f: ["There is no focal consolidation."], i: ["Right middle lobe consolidation."]},
            [(inc, "Consolidation", i)],
            ["cross-section"],
        ),
        (
            "en",
            [NEG_NODULE],
            {f: ["Small bilateral pleural effusions."], i: ["No pleural effusions."]},
            [(inc, "Effusion", i)],
            ["cross-section"],
        ),
        (
            "en",
            [NEG_NODULE],
            {f: ["Trace right pleural effusion."], i: ["No significant pleural effusion."]},
            [],
            ["limited-denial", "cross-section"],
        ),
        (
            "en",
            [mass_r],
            {
                f: ["Right hilar mass measuring 5 cm."],
                i: ["Right hilar mass, concerning for malignancy."],
            },
            [],
            ["clean"],
        ),
        (
            "en",
            [mass_r],
            {f: ["No hilar mass."], i: ["No mass."]},
            [(c, "Mass", f), (c, "Mass", i)],
            ["negation"],
        ),
        (
            "en",
            [_f("Mass", "negative")],
            {
                f: ["Ill-defined mass in the left lower zone."],
                i: ["Possible left lower zone mass."],
            },
            [(u, "Mass", f), (u, "Mass", i)],
            ["uncertainty"],
        ),
        (
            "en",
            [eff_r, _f("Pneumothorax", "negative"), _f("Cardiomegaly", "negative")],
            {
                f: [
                    "Small right pleural effusion.",
                    "No pneumothorax.",
                    "Heart size within normal limits.",
                ],
                i: ["Small right pleural effusion."],
            },
            [],
            ["clean"],
        ),
        ("en", [eff_r], {f: ["Lungs are clear."], i: ["Right pleural effusion."]}, [], ["clean"]),
        (
            "en",
            [ptx_l],
            {
                f: ["Tiny left apical pneumothorax, not significantly changed."],
                i: ["Stable small left pneumothorax."],
            },
            [],
            ["pseudo-negation"],
        ),
        (
            "en",
            [ptx_l],
            {f: ["No evidence of pneumothorax on the right."], i: ["Small left pneumothorax."]},
            [],
            ["laterality", "negation"],
        ),
        ("en", [ptx_r], {f: ["No large pneumothorax."]}, [], ["limited-denial"]),
        (
            "en",
            [eff_l],
            {f: ["Left pleural effusion, likely parapneumonic."], i: ["No pleural effusion."]},
            [(c, "Effusion", i), (inc, "Effusion", i)],
            ["negation", "cross-section"],
        ),
        (
            "en",
            [_f("Effusion", "indeterminate")],
            {
                f: ["Small left pleural effusion is suspected."],
                i: ["Possible small left effusion."],
            },
            [],
            ["uncertainty"],
        ),
        (
            "en",
            [_f("Effusion", "indeterminate")],
            {f: ["There is a small left pleural effusion."], i: ["Small left pleural effusion."]},
            [(u, "Effusion", f), (u, "Effusion", i)],
            ["uncertainty"],
        ),
        (
            "zh-CN",
            [eff_r],
            {f: ["右侧胸腔少量积液，右侧肋膈角变钝。"], i: ["右侧少量胸腔积液。"]},
            [],
            ["clean"],
        ),
        (
            "zh-CN",
            [eff_r],
            {f: ["左侧肋膈角变钝。"], i: ["右侧胸腔积液。"]},
            [(lat, "Effusion", f), (inc, "Effusion", i)],
            ["laterality", "cross-section"],
        ),
        (
            "zh-CN",
            [eff_r],
            {f: ["两侧胸腔未见明显积液。"], i: ["右侧胸腔积液。"]},
            [(c, "Effusion", f), (inc, "Effusion", i)],
            ["negation", "cross-section"],
        ),
        ("zh-CN", [ptx_l], {f: ["左侧气胸，左肺压缩约30%。"], i: ["左侧气胸。"]}, [], ["clean"]),
        (
            "zh-CN",
            [ptx_l],
            {f: ["双肺纹理清晰。"], i: ["心肺未见异常。"]},
            [(c, "Pneumothorax", i)],
            ["negation"],
        ),
        (
            "zh-CN",
            [ptx_l],
            {f: ["心影不大。"], i: ["双肺纹理增多。"]},
            [(nm, "Pneumothorax", f)],
            ["omission"],
        ),
        (
            "zh-CN",
            [nod_r],
            {f: ["右肺上叶见一小结节，直径约6mm。"], i: ["右肺上叶小结节，建议随访。"]},
            [],
            ["clean"],
        ),
        (
            "zh-CN",
            [nod_r],
            {f: ["左肺上叶见一小结节。"], i: ["左肺上叶小结节。"]},
            [(lat, "Nodule", f), (lat, "Nodule", i)],
            ["laterality"],
        ),
        (
            "zh-CN",
            [nod_r],
            {f: ["右肺上叶小结节可能。"], i: ["右肺上叶小结节待排。"]},
            [],
            ["uncertainty"],
        ),
        (
            "zh-CN",
            [NEG_NODULE],
            {f: ["右肺中叶见结节影。"], i: ["右肺中叶结节，建议CT进一步检查。"]},
            [(u, "Nodule", f), (u, "Nodule", i)],
            ["negation"],
        ),
        (
            "zh-CN",
            [cardio],
            {f: ["心影向两侧扩大，心胸比约0.58。"], i: ["心影增大。"]},
            [],
            ["clean"],
        ),
        (
            "zh-CN",
            [cardio],
            {f: ["心影大小正常。"], i: ["心影增大。"]},
            [(c, "Cardiomegaly", f), (inc, "Cardiomegaly", i)],
            ["negation", "cross-section"],
        ),
        (
            "zh-CN",
            [NEG_NODULE],
            {f: ["心影增大。"], i: ["心肺未见明显异常。"]},
            [(inc, "Cardiomegaly", i)],
            ["cross-section"],
        ),
        (
            "zh-CN",
            [cons_l],
            {f: ["左肺下叶见斑片状实变影，边界模糊。"], i: ["左肺下叶肺炎。"]},
            [],
            ["clean"],
        ),
        (
            "zh-CN",
            [cons_l],
            {f: ["双肺野清晰，未见实变。"], i: ["心肺未见明显异常。"]},
            [(c, "Consolidation", f), (c, "Consolidation", i)],
            ["negation"],
        ),
        (
            "zh-CN",
            [NEG_NODULE],
            {f: ["右下肺见大片实变影。"], i: ["双肺未见实变。"]},
            [(inc, "Consolidation", i)],
            ["cross-section"],
        ),
        (
            "zh-CN",
            [NEG_NODULE],
            {f: ["右下肺实变较前吸收。"], i: ["右下肺实变较前好转。"]},
            [],
            ["pseudo-negation"],
        ),
        (
            "zh-CN",
            [mass_l],
            {f: ["左肺门区见一团块状高密度影。"], i: ["左肺门占位，建议增强CT。"]},
            [],
            ["clean"],
        ),
        (
            "zh-CN",
            [mass_l],
            {f: ["纵隔及双肺门未见肿块。"], i: ["左肺门肿块。"]},
            [(c, "Mass", f), (inc, "Mass", i)],
            ["negation", "cross-section"],
        ),
        (
            "zh-CN",
            [_f("Effusion", "negative")],
            {f: ["Small right pleural effusion."], i: ["未见胸腔积液。"]},
            [(u, "Effusion", f), (inc, "Effusion", i)],
            ["mixed-language", "cross-section"],
        ),
        (
            "zh-CN",
            [_f(lab, "negative") for lab in LABELS],
            {
                f: [
                    "胸廓对称，双肺纹理清晰，未见实变及结节影。",
                    "心影大小、形态正常。",
                    "双侧肋膈角锐利，未见气胸。",
                ],
                i: ["胸部正位片未见明显异常。"],
            },
            [],
            ["clean"],
        ),
        (
            "zh-CN",
            [_f("Pneumothorax", "negative")],
            {f: ["右肺尖可疑气胸线。"], i: ["右侧气胸待排。"]},
            [(u, "Pneumothorax", f), (u, "Pneumothorax", i)],
            ["uncertainty"],
        ),
        (
            "zh-CN",
            [eff_r],
            {f: ["左侧胸腔未见积液。"], i: ["心影不大。"]},
            [(nm, "Effusion", f)],
            ["omission", "laterality"],
        ),
    ]
    return [
        {
            **_hand(f"held-out-{n:02d}", language, facts, sections, expected, tags),
            "origin": "held-out",
        }
        for n, (language, facts, sections, expected, tags) in enumerate(rows, 1)
    ]


# --------------------------------------------------------------------------- writing

SCENARIOS = (
    "clean",
    "clean",
    "omission",
    "laterality",
    "negation",
    "uncertainty",
    "cross-section",
)


def generated_cases(language: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    tries = 0
    while len(cases) < count:
        tries += 1
        scenario = SCENARIOS[len(cases) % len(SCENARIOS)]
        draft = Draft(language, _facts(rng))
        _faithful(draft, rng)
        if not _scenario(draft, rng, scenario):
            continue
        if not draft.sentences:
            continue
        sections: dict[str, list[str]] = {}
        for s in draft.sentences:
            sections.setdefault(s.section, []).append(s.text)
        cases.append(
            {
                "id": f"{language}-{len(cases) + 1:03d}",
                "language": language,
                "origin": "generated",
                "tags": [scenario],
                "analysed": True,
                "facts": list(draft.facts.values()),
                "sections": sections,
                "expected": expected_issues(draft.facts, draft.sentences),
            }
        )
    return cases


def main() -> None:
    rng = random.Random(SEED)
    cases = (
        generated_cases("en", PER_LANGUAGE, rng)
        + generated_cases("zh-CN", PER_LANGUAGE, rng)
        + hand_cases()
        + held_out_cases()
    )
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    OUT.write_text(json.dumps({"cases": cases}, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
