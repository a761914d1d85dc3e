"""The language-model prompt: the one place patient data could leave for a model.

House rule 8: a prompt is built from coded facts only, never from free-text DICOM
fields. This module is that boundary, kept small enough to read in one sitting. What a
prompt may hold:

- the examination: Modality, Body Part Examined and View Position, each only when it
  is a valid Code String (PS3.5 6.2: upper-case letters, digits, space and underscore,
  at most 16 characters), so a free-text value stored in them is dropped;
- the patient's sex (M, F, O mapped to words) and age group (decades; 90 or older
  grouped, HIPAA Safe Harbor 45 CFR 164.514(b)(2)(i)(C)), never the age itself;
- the technique's measured numbers (kV, mAs, tesla, slice thickness, series count) and
  whether contrast was given, never the contrast agent's name (free text, LO);
- the findings of the models as words (label from the model package; present, absent or
  possible; side and zone) and the models' names, never a probability or a threshold:
  small models copy numbers and bracketed notes into the report;
- in a rewrite, the text the radiologist selected, with any free-text value of the
  study (descriptions, contrast agent) that appears in it replaced by a placeholder.

Clinical information, Technique and Comparison are not the model's to write: they come
from the DICOM and the archive (the template's wording, which
:func:`core.report.llm.apply_language_model_draft` keeps); the prompt says so, and asks
for Findings, Impression and Recommendations only.

Never: Study, Series or Protocol descriptions, comments, requested procedure, reason for
study, names, IDs, dates, UIDs (the Study Instance UID keys the draft only) or any
other attribute of PS3.15 Table E.1-1. ``tests/core/test_prompt_canaries.py`` fills
every attribute of that table with a canary and checks no canary reaches a prompt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Final

from core.analysis.labels import label_name
from core.report.document import (
    LANGUAGES,
    SECTION_HEADINGS,
    FindingFact,
    ReportContext,
    Section,
    StudyContext,
)

__all__ = ["GIVEN_SECTIONS", "MODEL_SECTIONS", "DraftMode", "build_messages", "render_plain_prompt"]


class DraftMode(StrEnum):
    """What the language model is asked to write."""

    REPORT = "report"  # the whole report, with section headings
    REWRITE = "rewrite"  # the selected text, rewritten
    IMPRESSION = "impression"  # the impression, from the findings


_SEX: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {"M": "male", "F": "female", "O": "other"},
    "zh-CN": {"M": "男", "F": "女", "O": "其他"},
}
_WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "positive": "present",
        "negative": "absent",
        "indeterminate": "possible",
        "right": "right",
        "left": "left",
        "upper": "upper zone",
        "middle": "middle zone",
        "lower": "lower zone",
    },
    "zh-CN": {
        "positive": "有",
        "negative": "无",
        "indeterminate": "可能",
        "right": "右肺",
        "left": "左肺",
        "upper": "上野",
        "middle": "中野",
        "lower": "下野",
    },
}
_SYSTEM: Final[Mapping[str, str]] = {
    "en": (
        "You are a radiology reporting assistant. You draft text for a radiologist, who "
        "reviews every sentence. Use only the facts given; never invent findings, "
        "measurements, comparisons with earlier studies or history; recommend only what the "
        "findings call for. "
        "State a present finding, state an absent one as not seen, and word a possible one "
        "as possible. Write in English, in the concise style of a radiology report."
    ),
    "zh-CN": (
        "你是放射科报告助手，为放射科医师起草报告文字，医师会审核每一句。只使用给出的事实，"
        "不要编造所见、测量值、与既往检查的对比或病史；只提出所见需要的建议。有的所见直接写出，无的写“未见”，"
        "可能的用“可能”表述。用简体中文书写，采用放射科报告的简洁文风。"
    ),
}
# What the model is told of the sections it does not write (never a prior's date or
# description, never an indication: they are outside this boundary).
_GIVEN: Final[Mapping[str, str]] = {
    "en": (
        "Clinical information, technique and comparison are filled in from the study "
        "records: do not write them. No clinical history and no earlier study are given: "
        "do not mention a history, do not compare with an earlier study, do not give "
        "measurements."
    ),
    "zh-CN": (
        "临床资料、检查技术和对比由检查记录填写，不要书写。未提供病史和既往检查："
        "不要写病史，不要与既往检查对比，不要写测量值。"
    ),
}
#: The sections a whole-report draft asks the model for.
MODEL_SECTIONS: Final = (Section.FINDINGS, Section.IMPRESSION, Section.RECOMMENDATIONS)
#: The sections that come from the study records (DICOM, archive), never from a model.
GIVEN_SECTIONS: Final = (
    Section.CLINICAL_INFORMATION,
    Section.TECHNIQUE,
    Section.COMPARISON,
)
# A Code String (PS3.5 Table 6.2-1): what Modality, Body Part and View Position must be.
_CODE_STRING: Final = re.compile(r"[A-Z0-9_ ]{1,16}")
# The technique facts context.describe_technique and study_context_from_record write,
# numbers and units only.
_NUMBER: Final = r"\d{1,4}(?:\.\d{1,3})?"
_TECHNIQUE_FACT: Final = re.compile(
    rf"(?:{_NUMBER} (?:kV|mAs|T)|slice thickness {_NUMBER} mm|\d{{1,3}} series)"
)
_CONTRAST_PREFIX: Final = "contrast:"
_TECHNIQUE_WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {"contrast": "contrast given", "slice thickness": "slice thickness", "series": "series"},
    "zh-CN": {"contrast": "使用对比剂", "slice thickness": "层厚", "series": "个序列"},
}
_REDACTED: Final = "[…]"
_MODEL_NAME: Final = re.compile(r"[^\w .+\-()]")


def _coded(value: str) -> str:
    """``value`` when it is a valid Code String, else "" (free text never passes)."""
    text = value.strip()
    return text if _CODE_STRING.fullmatch(text) else ""


def _age_group(age: int, language: str) -> str:
    if age >= 90:  # HIPAA Safe Harbor: ages over 89 are grouped
        return "90 or older" if language == "en" else "90岁及以上"
    if age < 1:
        return "under 1 year" if language == "en" else "不足1岁"
    low = age // 10 * 10
    if low == 0:
        return "1–9 years" if language == "en" else "1–9岁"
    return f"{low}–{low + 9} years" if language == "en" else f"{low}–{low + 9}岁"


def _technique(technique: str, language: str) -> str:
    """The measured technique facts only; "contrast given" for any contrast agent."""
    facts: list[str] = []
    for part in technique.split(","):
        fact = part.strip()
        if fact.lower().startswith(_CONTRAST_PREFIX):
            facts.append(_TECHNIQUE_WORDS[language]["contrast"])
        elif _TECHNIQUE_FACT.fullmatch(fact):
            facts.append(fact)
    return ", ".join(dict.fromkeys(facts))


def free_text_values(study: StudyContext) -> tuple[str, ...]:
    """The study's free-text values a prompt must never carry (longest first)."""
    values = [study.study_description, *study.series_descriptions]
    values += [
        part.strip()[len(_CONTRAST_PREFIX) :].strip()
        for part in study.technique.split(",")
        if part.strip().lower().startswith(_CONTRAST_PREFIX)
    ]
    cleaned = {" ".join(v.split()) for v in values}
    return tuple(sorted((v for v in cleaned if len(v) >= 3), key=len, reverse=True))


def _redact(text: str, study: StudyContext) -> str:
    for value in free_text_values(study):
        pattern = r"\s+".join(re.escape(word) for word in value.split())
        text = re.sub(pattern, _REDACTED, text, flags=re.IGNORECASE)
    return text


def _finding_line(finding: FindingFact, language: str) -> str:
    """One finding in words: "- Nodule: present, right upper zone" (no numbers)."""
    words = _WORDS[language]
    if language == "zh-CN":
        label = label_name(finding.label, language)  # the one owner of display names
        where = ""
        if finding.side or finding.zone:
            side = words[finding.side] if finding.side else "肺"
            where = f"，{side}{words[finding.zone] if finding.zone else ''}"
        return f"- {label}：{words[finding.verdict]}{where}"
    place = " ".join(words[part] for part in (finding.side, finding.zone) if part)
    where = f", {place}" if place else ""
    return f"- {finding.label}: {words[finding.verdict]}{where}"


def _facts(context: ReportContext, language: str) -> list[str]:
    study = context.study
    zh = language == "zh-CN"
    lines: list[str] = []
    # never the UID (it keys the draft only), never a description (free text)
    exam = " ".join(part for part in (_coded(study.modality), _coded(study.body_part)) if part)
    view = _coded(study.view_position)
    if view:
        exam = f"{exam}, {view} 位" if zh else f"{exam}, {view} view"
    if exam:
        lines.append(("检查：" if zh else "Examination: ") + exam)
    patient = []
    sex = _SEX[language].get(study.patient_sex.strip().upper()) if study.patient_sex else None
    if sex:
        patient.append(sex)
    if study.patient_age_years is not None and study.patient_age_years >= 0:
        patient.append(_age_group(study.patient_age_years, language))
    if patient:
        lines.append(("患者：" if zh else "Patient: ") + ("，" if zh else ", ").join(patient))
    technique = _technique(study.technique, language)
    if technique:
        lines.append(("技术参数：" if zh else "Technique: ") + technique)
    lines.append("")
    if not context.analysed:
        lines.append(
            "本检查未进行AI分析：不要写任何所见为有或无，所见部分写“未经AI评估”。"
            if zh
            else "No AI analysis ran for this study: state no finding as present or absent; "
            "say the findings were not assessed by AI."
        )
        return lines
    names = (" ".join(_MODEL_NAME.sub(" ", m).split())[:60] for m in context.models)
    models = ", ".join(n for n in names if n) or ("未知" if zh else "unknown")
    lines.append(f"AI分析结果，模型 {models}：" if zh else f"AI findings, model {models}:")
    lines.extend(_finding_line(f, language) for f in context.findings)
    if not context.findings:
        lines.append("- 无" if zh else "- none reported")
    if context.is_demo:
        lines.append(
            "注意：以上结果来自用合成图像训练的演示模型，不可用于临床。"
            if zh
            else "Note: these findings come from a demonstration model trained on synthetic "
            "images; not for clinical use."
        )
    return lines


def _task(mode: DraftMode, language: str, selection: str | None) -> str:
    headings = SECTION_HEADINGS[language]
    if language == "zh-CN":
        if mode is DraftMode.REPORT:
            listed = "\n".join(f"{headings[s]}：" for s in MODEL_SECTIONS)
            return (
                f"{_GIVEN[language]}\n请只写以下三个部分，每个标题单独成行，后接该部分内容：\n"
                f"{listed}\n没有建议时在建议下写“无。”"
            )
        if mode is DraftMode.IMPRESSION:
            return "只写诊断意见：一至三句，概括阳性所见（无阳性所见时写正常），不要标题。"
        return (
            "请按放射科报告文风改写下面的文字，保持原意和每一项所见不变，只回答改写后的文字。\n\n"
            f"原文：\n{selection}"
        )
    if mode is DraftMode.REPORT:
        listed = "\n".join(f"{headings[s]}:" for s in MODEL_SECTIONS)
        return (
            f"{_GIVEN[language]}\nWrite only these three sections, each heading on its own "
            f"line followed by its text:\n{listed}\nWrite 'None.' under Recommendations when "
            "there is nothing to recommend."
        )
    if mode is DraftMode.IMPRESSION:
        return (
            "Write only the impression: one to three short sentences summarising the positive "
            "findings (or a normal study), without a heading."
        )
    return (
        "Rewrite the text below in clear radiology report style, keeping its meaning and "
        f"every finding as it is; answer with the rewritten text only.\n\nText:\n{selection}"
    )


def _check_language(language: object) -> str:
    if not isinstance(language, str):
        raise TypeError(f"language must be a str, found {type(language).__name__}")
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, found {language!r}")
    return language


def _check_mode_selection(mode: object, selection: object) -> DraftMode:
    try:
        draft_mode = DraftMode(mode)  # type: ignore[arg-type]
    except ValueError:
        names = ", ".join(m.value for m in DraftMode)
        raise ValueError(f"mode must be one of {names}, found {mode!r}") from None
    if selection is not None and not isinstance(selection, str):
        raise TypeError(f"selection must be a str or None, found {type(selection).__name__}")
    if draft_mode is DraftMode.REWRITE and not (selection and selection.strip()):
        raise ValueError("a rewrite needs the selected text (selection is empty)")
    return draft_mode


def build_messages(
    context: ReportContext,
    mode: DraftMode,
    language: str,
    selection: str | None = None,
) -> list[dict[str, str]]:
    """The chat messages (system, user) that ask for a draft.

    They hold coded facts only (see the module's docstring): modality, body part,
    view, sex, age group, the technique's numbers, the findings in words and the
    models' names; never a description, comment, name, ID, date, UID or other identifier.

    Parameters
    ----------
    context : ReportContext
    mode : DraftMode
        REPORT asks for the sections of :data:`MODEL_SECTIONS` under their
        :data:`SECTION_HEADINGS` (the others come from the study records); IMPRESSION
        for the impression alone; REWRITE for ``selection`` rewritten.
    language : {"en", "zh-CN"}
    selection : str, optional
        The text to rewrite (required for REWRITE); a free-text value of the study
        found in it is replaced by a placeholder.

    Returns
    -------
    list of dict
        ``[{"role": "system", "content": ...}, {"role": "user", "content": ...}]``,
        for the tokenizer's chat template (or :func:`render_plain_prompt`).
    """
    if not isinstance(context, ReportContext):
        raise TypeError(f"context must be a ReportContext, found {type(context).__name__}")
    language = _check_language(language)
    draft_mode = _check_mode_selection(mode, selection)
    if selection is not None:
        selection = _redact(selection, context.study)
    user = "\n".join([*_facts(context, language), "", _task(draft_mode, language, selection)])
    return [
        {"role": "system", "content": _SYSTEM[language]},
        {"role": "user", "content": user.strip()},
    ]


def render_plain_prompt(messages: Sequence[Mapping[str, str]]) -> str:
    """A prompt for a model without a chat template: the messages, then the answer's cue."""
    parts = [str(m["content"]).strip() for m in messages if m.get("role") != "assistant"]
    return "\n\n".join(parts) + "\n\n"
