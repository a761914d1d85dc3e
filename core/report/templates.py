"""Template drafts: a structured report from the study and the findings, without a model.

The wording lives in data files a site can edit: ``resources/report_templates/en.json``
and ``zh-CN.json`` ship with the app; a site's copy in
``user_data_dir()/report_templates/<language>.json`` overrides them entry by entry (it
may hold the whole set or only what it changes; ``null`` removes an entry). Every
file is checked when it is loaded: an unknown key, a missing entry or a placeholder
a slot does not offer is refused with a :class:`TemplateError` naming the file and
the place in it.

A draft reads like a structured radiology report (RSNA RadReport's chest radiograph
template, PowerScribe's normal templates): the technique from modality, body part,
view and exposure; the findings organ by organ, positive findings with their side
and zone ("There is a nodule in the right upper zone."), indeterminate ones hedged
("Possible ..."), negative ones as grouped pertinent negatives ("No pleural effusion
or pneumothorax."); an impression of the positive and indeterminate findings (most
urgent first, the file's ``impression_order``) or the normal-study wording; a
recommendation where the template has one for a finding (a nodule: CT and follow-up
per the Fleischner Society guidelines). Without an analysis the findings section
says the images were not assessed by AI, and no negative is invented.

Every sentence is :attr:`~core.report.document.Origin.TEMPLATE`, unreviewed, with
the template set's name (``"radassist-default@1.0"``, ``+site`` when a site file
contributed) as its source.
"""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from core.errors import SourcedError
from core.paths import user_data_dir
from core.report.document import (
    LANGUAGES,
    SECTION_ORDER,
    FindingFact,
    Origin,
    Report,
    ReportContext,
    Section,
    Sentence,
    new_report,
)
from core.resources import resource_path

logger = logging.getLogger(__name__)

__all__ = [
    "TEMPLATE_FORMAT",
    "FindingTemplate",
    "TemplateError",
    "TemplateSet",
    "bundled_templates_dir",
    "draft_template_report",
    "draft_template_sections",
    "load_templates",
    "normalise_language",
    "site_templates_dir",
]

#: Version of the template files' layout (their ``"format"``).
TEMPLATE_FORMAT: Final = 1

_DIR_NAME: Final = "report_templates"
_SIDES: Final = ("right", "left")
_ZONES: Final = ("upper", "middle", "lower")
_FINDING_FIELDS: Final = frozenset({"side", "zone", "term"})
#: What a Comparison template may name of the prior (PriorComparison): date, modality
#: word, body part word and description.
_PRIOR_FIELDS: Final = frozenset(
    {"prior_date", "prior_modality", "prior_body", "prior_description"}
)
#: The Comparison sentence when there is a prior and the language's file has no wording
#: for one (its "comparison" alternatives use none of the fields above): the first
#: whose fields are all known is used.
_PRIOR_COMPARISON: Final[Mapping[str, tuple[str, ...]]] = {
    "en": (
        "{prior_modality} {prior_body} {prior_date}.",
        "{prior_description} {prior_date}.",
        "{prior_modality} {prior_date}.",
        "{prior_description}.",
    ),
    "zh-CN": (
        "对比 {prior_date} {prior_modality} {prior_body}。",
        "对比 {prior_date} {prior_description}。",
        "对比 {prior_date} {prior_modality}。",
        "对比 {prior_description}。",
    ),
}
_TOP_KEYS: Final = frozenset(
    {
        "format",
        "id",
        "version",
        "language",
        "description",
        "terms",
        "sections",
        "groups",
        "impression_order",
        "findings",
        "fallback",
    }
)
_TERM_KEYS: Final = frozenset(
    {"side", "zone", "sex", "list", "modality", "body_part", "view", "technique_words"}
)
_SECTION_KEYS: Final = frozenset(
    {
        "clinical_information",
        "technique",
        "technique_parameters",
        "comparison",
        "not_assessed",
        "normal_impression",
    }
)
_FINDING_KEYS: Final = frozenset(
    {
        "group",
        "present",
        "indeterminate",
        "negative",
        "negative_sentence",
        "impression",
        "impression_indeterminate",
        "recommendation",
        "recommendation_indeterminate",
    }
)
_REQUIRED_FINDING_KEYS: Final = (
    "group",
    "present",
    "indeterminate",
    "impression",
    "impression_indeterminate",
)
_REQUIRED_TOP_KEYS: Final = (
    "format",
    "id",
    "version",
    "language",
    "terms",
    "sections",
    "groups",
    "findings",
    "fallback",
)


class TemplateError(SourcedError):
    """A template file is missing, unreadable or wrong.

    Attributes
    ----------
    source : str
        The file.
    problem : str
        Where in the file and what was expected and found.
    """

    @property
    def problem(self) -> str:
        return self.reason


def normalise_language(language: str) -> str:
    """A report language code: ``"zh"`` (and ``"zh-cn"``, ``"zh_CN"``) → ``"zh-CN"``.

    Raises
    ------
    TypeError
        ``language`` is not a str.
    ValueError
        Not English or simplified Chinese.
    """
    if not isinstance(language, str):
        raise TypeError(f"language must be a str, found {type(language).__name__}")
    key = language.strip().replace("_", "-").lower()
    if key in ("en", "en-gb", "en-us"):
        return "en"
    if key in ("zh", "zh-cn", "zh-hans"):
        return "zh-CN"
    raise ValueError(f"language must be one of {LANGUAGES} (or 'zh'), found {language!r}")


def bundled_templates_dir() -> Path:
    """The bundled report templates (``report_templates`` under the resources folder).

    :func:`core.resources.resources_dir` decides where that is (source tree, PyInstaller
    bundle, or ``<prefix>/share/radassist`` of a wheel install).
    """
    return resource_path(_DIR_NAME)


def site_templates_dir() -> Path:
    """Where a site keeps its edited templates (``user_data_dir()/report_templates``).

    Not created here: the folder only matters once a site puts a file in it.
    """
    return user_data_dir() / _DIR_NAME


def _label_key(label: str) -> str:
    return " ".join(label.replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class FindingTemplate:
    """The wording of one finding label.

    Every ``tuple of str`` holds alternatives: the first whose placeholders
    (``{side}``, ``{zone}``, ``{term}``) are all known is used.

    Attributes
    ----------
    label : str
        The label as the file names it.
    group : str
        The organ group its sentences belong to (lungs, pleura, heart...).
    present, indeterminate : tuple of str
        Findings sentences for a positive and an indeterminate verdict.
    negative : str or None
        The term listed in the group's pertinent negatives ("pleural effusion");
        None: a negative verdict is not mentioned.
    negative_sentence : str or None
        A sentence of its own for a negative verdict ("Heart size is normal.").
    impression, impression_indeterminate : tuple of str
    recommendation, recommendation_indeterminate : tuple of str
        Empty: no recommendation.
    """

    label: str
    group: str
    present: tuple[str, ...]
    indeterminate: tuple[str, ...]
    impression: tuple[str, ...]
    impression_indeterminate: tuple[str, ...]
    negative: str | None = None
    negative_sentence: str | None = None
    recommendation: tuple[str, ...] = ()
    recommendation_indeterminate: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class TemplateSet:
    """One language's templates, checked and ready to draft with.

    Build it with :func:`load_templates`.

    Attributes
    ----------
    language : str
        "en" or "zh-CN".
    template_id, version : str
    terms : mapping of str to mapping of str to str
        Words for side, zone, sex, modality, body part, view, technique words.
    list_separator, list_last : str
        How pertinent negatives are listed ("a, b or c"; "甲、乙及丙").
    clinical_information, technique_parameters, comparison, not_assessed : tuple of str
    technique, normal_impression : mapping of str to tuple of str
        Keyed by modality / body part, with a ``"default"``.
    groups : tuple of (str, str)
        Organ groups in report order: id and the negative-list sentence.
    findings : mapping of str to FindingTemplate
        Keyed by the label, casefolded with ``_`` read as a space; in the file's
        order, which is the order within a group of the findings section.
    impression_order : tuple of str
        Label keys in the impression's order (most urgent first); labels not
        listed follow in the file's order.
    fallback : FindingTemplate
        For labels the file does not know (``{term}`` is the label).
    sources : tuple of Path
        The bundled file, and the site's when it contributed.
    site_edited : bool
    """

    language: str
    template_id: str
    version: str
    terms: Mapping[str, Mapping[str, str]]
    list_separator: str
    list_last: str
    clinical_information: tuple[str, ...]
    technique: Mapping[str, tuple[str, ...]]
    technique_parameters: tuple[str, ...]
    comparison: tuple[str, ...]
    not_assessed: tuple[str, ...]
    normal_impression: Mapping[str, tuple[str, ...]]
    groups: tuple[tuple[str, str], ...]
    findings: Mapping[str, FindingTemplate]
    impression_order: tuple[str, ...]
    fallback: FindingTemplate
    sources: tuple[Path, ...] = field(default=())
    site_edited: bool = False

    @property
    def name(self) -> str:
        """``"id@version"`` (``+site`` when a site file contributed): the sentences' source."""
        return f"{self.template_id}@{self.version}" + ("+site" if self.site_edited else "")

    def template_for(self, label: str) -> FindingTemplate:
        """The wording of ``label`` (case and ``_`` ignored), else the fallback."""
        found = self.findings.get(_label_key(label))
        return found if found is not None else replace(self.fallback, label=label)

    def term_for(self, label: str) -> str:
        """How the text names ``label`` (the negative term, else the label itself)."""
        found = self.findings.get(_label_key(label))
        if found is not None and found.negative:
            return found.negative
        text = " ".join(label.replace("_", " ").split())
        return text.lower() if self.language == "en" else text


# --------------------------------------------------------------------------- reading files


def _read_json(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise TemplateError(str(path), f"cannot be read ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TemplateError(str(path), f"is not UTF-8 text (byte {error.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TemplateError(
            str(path), f"is not valid JSON: line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    if not isinstance(data, dict):
        raise TemplateError(str(path), f"must hold a JSON object, found {type(data).__name__}")
    return data


def _merge(base: Any, override: Any) -> Any:
    """``override`` over ``base``: objects merge key by key, ``null`` removes, else replace."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = _merge(merged[key], value)
            else:
                merged[key] = value
        return merged
    return override


class _Checker:
    """Reads a parsed template file, raising TemplateError with the place of a problem."""

    _formatter = string.Formatter()

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> TemplateError:
        return TemplateError(self.source, f"{where}: {problem}")

    def obj(self, value: Any, where: str, allowed: frozenset[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, found {_json_type(value)}")
        if allowed is not None:
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise self.fail(
                    where,
                    f"unknown key {unknown[0]!r} (expected one of {', '.join(sorted(allowed))})",
                )
        return value

    def require(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in data:
            raise self.fail(where, f"missing {key!r}")
        return data[key]

    def text(self, value: Any, where: str, allowed: frozenset[str] = frozenset()) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty string, found {_json_type(value)}")
        try:
            parsed = list(self._formatter.parse(value))
        except ValueError as error:
            raise self.fail(where, f"bad braces in {value!r} ({error})") from None
        for _literal, name, spec, conversion in parsed:
            if name is None:
                continue
            if name not in allowed:
                offered = ", ".join("{" + n + "}" for n in sorted(allowed)) or "none"
                raise self.fail(
                    where, f"unknown placeholder {{{name}}} in {value!r} (allowed: {offered})"
                )
            if spec or conversion:
                raise self.fail(where, f"placeholder {{{name}}} must not have a format spec")
        return value

    def alternatives(
        self, value: Any, where: str, allowed: frozenset[str] = frozenset()
    ) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.fail(
                where,
                f"expected a string or a non-empty list of strings, found {_json_type(value)}",
            )
        return tuple(self.text(item, f"{where}[{i}]", allowed) for i, item in enumerate(items))

    def words(self, value: Any, where: str, required: Sequence[str] = ()) -> dict[str, str]:
        data = self.obj(value, where)
        for key in required:
            self.require(data, key, where)
        return {str(k): self.text(v, f"{where}.{k}") for k, v in data.items()}

    def keyed_alternatives(
        self, value: Any, where: str, allowed: frozenset[str]
    ) -> dict[str, tuple[str, ...]]:
        data = self.obj(value, where)
        self.require(data, "default", where)
        return {
            str(k).upper() if k != "default" else "default": self.alternatives(
                v, f"{where}.{k}", allowed
            )
            for k, v in data.items()
        }

    def finding(self, label: str, value: Any, where: str, groups: set[str]) -> FindingTemplate:
        data = self.obj(value, where, _FINDING_KEYS)
        for key in _REQUIRED_FINDING_KEYS:
            self.require(data, key, where)
        group = self.text(data["group"], f"{where}.group")
        if group not in groups:
            raise self.fail(
                f"{where}.group", f"unknown group {group!r} (groups: {', '.join(sorted(groups))})"
            )
        negative = data.get("negative")
        sentence = data.get("negative_sentence")
        return FindingTemplate(
            label=label,
            group=group,
            present=self.alternatives(data["present"], f"{where}.present", _FINDING_FIELDS),
            indeterminate=self.alternatives(
                data["indeterminate"], f"{where}.indeterminate", _FINDING_FIELDS
            ),
            impression=self.alternatives(
                data["impression"], f"{where}.impression", _FINDING_FIELDS
            ),
            impression_indeterminate=self.alternatives(
                data["impression_indeterminate"],
                f"{where}.impression_indeterminate",
                _FINDING_FIELDS,
            ),
            negative=None if negative is None else self.text(negative, f"{where}.negative"),
            negative_sentence=None
            if sentence is None
            else self.text(sentence, f"{where}.negative_sentence"),
            recommendation=self.alternatives(
                data["recommendation"], f"{where}.recommendation", _FINDING_FIELDS
            )
            if "recommendation" in data
            else (),
            recommendation_indeterminate=self.alternatives(
                data["recommendation_indeterminate"],
                f"{where}.recommendation_indeterminate",
                _FINDING_FIELDS,
            )
            if "recommendation_indeterminate" in data
            else (),
        )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _build_set(
    data: Mapping[str, Any], source: str, language: str, sources: tuple[Path, ...], site: bool
) -> TemplateSet:
    check = _Checker(source)
    top = check.obj(data, "file", _TOP_KEYS)
    for key in _REQUIRED_TOP_KEYS:
        check.require(top, key, "file")
    if top["format"] != TEMPLATE_FORMAT:
        raise check.fail("format", f"expected {TEMPLATE_FORMAT}, found {top['format']!r}")
    if top["language"] != language:
        raise check.fail("language", f"expected {language!r}, found {top['language']!r}")

    terms_data = check.obj(top["terms"], "terms", _TERM_KEYS)
    for key in ("side", "zone", "sex", "list", "modality", "body_part", "view"):
        check.require(terms_data, key, "terms")
    terms = {
        "side": check.words(terms_data["side"], "terms.side", _SIDES),
        "zone": check.words(terms_data["zone"], "terms.zone", _ZONES),
        "sex": check.words(terms_data["sex"], "terms.sex"),
        "modality": check.words(terms_data["modality"], "terms.modality"),
        "body_part": check.words(terms_data["body_part"], "terms.body_part"),
        "view": check.words(terms_data["view"], "terms.view"),
        "technique_words": check.words(
            terms_data.get("technique_words", {}), "terms.technique_words"
        ),
    }
    for key in ("sex", "modality", "body_part", "view"):
        terms[key] = {k.upper(): v for k, v in terms[key].items()}
    listing = check.obj(terms_data["list"], "terms.list", frozenset({"separator", "last"}))
    separator = check.require(listing, "separator", "terms.list")
    last = check.require(listing, "last", "terms.list")
    if not isinstance(separator, str) or not isinstance(last, str) or not last:
        raise check.fail("terms.list", "separator and last must be strings (last not empty)")

    sections = check.obj(top["sections"], "sections", _SECTION_KEYS)
    for key in sorted(_SECTION_KEYS):
        check.require(sections, key, "sections")

    groups_data = top["groups"]
    if not isinstance(groups_data, list) or not groups_data:
        raise check.fail("groups", f"expected a non-empty list, found {_json_type(groups_data)}")
    groups: list[tuple[str, str]] = []
    for i, item in enumerate(groups_data):
        entry = check.obj(item, f"groups[{i}]", frozenset({"id", "negative"}))
        group_id = check.text(check.require(entry, "id", f"groups[{i}]"), f"groups[{i}].id")
        if any(group_id == g for g, _ in groups):
            raise check.fail(f"groups[{i}].id", f"duplicate group {group_id!r}")
        negative = check.text(
            check.require(entry, "negative", f"groups[{i}]"),
            f"groups[{i}].negative",
            frozenset({"terms"}),
        )
        if "{terms}" not in negative:
            raise check.fail(f"groups[{i}].negative", "must contain {terms}")
        groups.append((group_id, negative))
    group_ids = {g for g, _ in groups}

    findings_data = check.obj(top["findings"], "findings")
    findings: dict[str, FindingTemplate] = {}
    for label, value in findings_data.items():
        key = _label_key(str(label))
        if key in findings:
            raise check.fail(f"findings.{label}", "the same label appears twice")
        findings[key] = check.finding(str(label), value, f"findings.{label}", group_ids)

    order_data = top.get("impression_order", [])
    if not isinstance(order_data, list):
        raise check.fail("impression_order", f"expected a list, found {_json_type(order_data)}")
    impression_order = tuple(
        _label_key(check.text(item, f"impression_order[{i}]")) for i, item in enumerate(order_data)
    )

    return TemplateSet(
        language=language,
        template_id=check.text(top["id"], "id"),
        version=check.text(top["version"], "version"),
        terms=terms,
        list_separator=separator,
        list_last=last,
        clinical_information=check.alternatives(
            sections["clinical_information"],
            "sections.clinical_information",
            frozenset({"age", "sex"}),
        ),
        technique=check.keyed_alternatives(
            sections["technique"], "sections.technique", frozenset({"view", "body", "modality"})
        ),
        technique_parameters=check.alternatives(
            sections["technique_parameters"],
            "sections.technique_parameters",
            frozenset({"technique"}),
        ),
        comparison=check.alternatives(sections["comparison"], "sections.comparison", _PRIOR_FIELDS),
        not_assessed=check.alternatives(sections["not_assessed"], "sections.not_assessed"),
        normal_impression=check.keyed_alternatives(
            sections["normal_impression"], "sections.normal_impression", frozenset()
        ),
        groups=tuple(groups),
        findings=findings,
        impression_order=impression_order,
        fallback=check.finding("", top["fallback"], "fallback", group_ids),
        sources=sources,
        site_edited=site,
    )


def load_templates(language: str, *, site_dir: str | Path | None = None) -> TemplateSet:
    """Load and check one language's templates.

    Parameters
    ----------
    language : str
        "en" or "zh-CN" ("zh" is read as "zh-CN").
    site_dir : str or Path, optional
        Folder of a site's edited templates; default :func:`site_templates_dir`.
        Its ``<language>.json``, when present, overrides the bundled file entry by
        entry.

    Returns
    -------
    TemplateSet

    Raises
    ------
    TypeError, ValueError
        ``language`` is not a supported language.
    TemplateError
        A file is missing, unreadable, not JSON, or wrong; the message names the
        file and the place in it (e.g. ``findings.Nodule.present[0]``).
    """
    language = normalise_language(language)
    bundled = bundled_templates_dir() / f"{language}.json"
    if not bundled.is_file():
        raise TemplateError(str(bundled), "the bundled report templates are missing")
    base = _read_json(bundled)
    template_set = _build_set(base, str(bundled), language, (bundled,), site=False)
    folder = Path(site_dir) if site_dir is not None else site_templates_dir()
    site_file = folder / f"{language}.json"
    if not site_file.exists():
        return template_set
    if not site_file.is_file():
        raise TemplateError(str(site_file), "is not a file")
    merged = _merge(base, _read_json(site_file))
    logger.info("report templates for %s edited by the site file %s", language, site_file)
    return _build_set(merged, str(site_file), language, (bundled, site_file), site=True)


# --------------------------------------------------------------------------- drafting


def _fill(alternatives: Sequence[str], values: Mapping[str, str], language: str) -> str:
    """The first alternative whose placeholders are all known, filled; "" when none is."""
    for pattern in alternatives:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
        if all(values.get(name) for name in names):
            text = " ".join(pattern.format_map({n: values[n] for n in names}).split())
            if language == "en" and text[:1].islower():
                text = text[0].upper() + text[1:]
            return text
    return ""


def _join_terms(terms: Sequence[str], templates: TemplateSet) -> str:
    if len(terms) == 1:
        return terms[0]
    return templates.list_separator.join(terms[:-1]) + templates.list_last + terms[-1]


def _study_values(context: ReportContext, templates: TemplateSet) -> dict[str, str]:
    study = context.study
    terms = templates.terms
    values = {
        "modality": terms["modality"].get(study.modality.upper(), ""),
        "body": terms["body_part"].get(study.body_part.upper(), ""),
        "view": terms["view"].get(study.view_position.upper(), ""),
        "sex": terms["sex"].get(study.patient_sex.upper(), ""),
        # Under one year the age in years says nothing useful; leave it out.
        "age": str(study.patient_age_years) if study.patient_age_years else "",
    }
    technique = study.technique.strip().rstrip(".。").strip()
    for old, new in terms["technique_words"].items():
        technique = technique.replace(old, new)
    values["technique"] = technique
    return values


def _comparison_sentence(context: ReportContext, templates: TemplateSet) -> str:
    """The Comparison section: the prior compared with, else the file's "none" wording.

    The file's alternatives come first when they can name a prior (a site may word
    it); otherwise the built-in wording of :data:`_PRIOR_COMPARISON` names it. The
    words for modality and body part are the file's terms (so "CT 胸部" in Chinese);
    the date is ISO 8601, as the prior's date is kept.
    """
    language = templates.language
    prior = context.study.comparison
    if prior is None:
        none = [p for p in templates.comparison if not _placeholders(p) & _PRIOR_FIELDS]
        return _fill(none, {}, language)
    terms = templates.terms
    body = terms["body_part"].get(prior.body_part.upper(), "")
    if language == "en":
        body = body[:1].upper() + body[1:]  # "CT Chest 2024-03-02."
    values = {
        "prior_date": prior.study_date,
        "prior_modality": terms["modality"].get(prior.modality.upper(), prior.modality),
        "prior_body": body,
        "prior_description": prior.description,
    }
    own = [p for p in templates.comparison if _placeholders(p) & _PRIOR_FIELDS]
    return _fill(own, values, language) or _fill(
        _PRIOR_COMPARISON.get(language, _PRIOR_COMPARISON["en"]), values, language
    )


def _placeholders(pattern: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(pattern) if name}


def _finding_values(fact: FindingFact, templates: TemplateSet) -> dict[str, str]:
    return {
        "side": templates.terms["side"].get(fact.side, "") if fact.side else "",
        "zone": templates.terms["zone"].get(fact.zone, "") if fact.zone else "",
        "term": templates.term_for(fact.label),
    }


def _keyed(options: Mapping[str, tuple[str, ...]], key: str) -> tuple[str, ...]:
    return options.get(key.upper(), options["default"])


def _ordered_facts(
    context: ReportContext, templates: TemplateSet
) -> list[tuple[FindingFact, FindingTemplate]]:
    order = {key: i for i, key in enumerate(templates.findings)}
    # build_report_context keeps one fact per label; a context from elsewhere may not.
    unique: dict[str, FindingFact] = {}
    for fact in context.findings:
        unique.setdefault(_label_key(fact.label), fact)
    facts = list(unique.values())
    facts.sort(key=lambda f: order.get(_label_key(f.label), len(order)))
    return [(fact, templates.template_for(fact.label)) for fact in facts]


def draft_template_sections(
    context: ReportContext, templates: TemplateSet
) -> dict[Section, list[str]]:
    """The text of every section, as sentences, from the context and the templates.

    Parameters
    ----------
    context : ReportContext
    templates : TemplateSet

    Returns
    -------
    dict of Section to list of str
        Every section in :data:`~core.report.document.SECTION_ORDER`, possibly empty
        (no age or sex: no clinical information; nothing to recommend: no
        recommendation).
    """
    if not isinstance(context, ReportContext):
        raise TypeError(f"context must be a ReportContext, found {type(context).__name__}")
    if not isinstance(templates, TemplateSet):
        raise TypeError(f"templates must be a TemplateSet, found {type(templates).__name__}")
    language = templates.language
    study = _study_values(context, templates)
    out: dict[Section, list[str]] = {section: [] for section in SECTION_ORDER}

    def add(section: Section, text: str) -> None:
        if text and text not in out[section]:
            out[section].append(text)

    add(Section.CLINICAL_INFORMATION, _fill(templates.clinical_information, study, language))
    add(
        Section.TECHNIQUE,
        _fill(_keyed(templates.technique, context.study.modality), study, language),
    )
    add(Section.TECHNIQUE, _fill(templates.technique_parameters, study, language))
    add(Section.COMPARISON, _comparison_sentence(context, templates))

    ordered = _ordered_facts(context, templates)
    if not context.analysed or not ordered:
        # No analysis: say so, and claim nothing either way.
        add(Section.FINDINGS, _fill(templates.not_assessed, study, language))
        return out

    for group, negative_pattern in templates.groups:
        members = [(f, t) for f, t in ordered if t.group == group]
        negatives: list[str] = []
        for verdict in ("positive", "indeterminate"):
            for fact, template in members:
                if fact.verdict == verdict:
                    values = _finding_values(fact, templates)
                    wording = template.present if verdict == "positive" else template.indeterminate
                    add(Section.FINDINGS, _fill(wording, values, language))
        sentences: list[str] = []
        for fact, template in members:
            if fact.verdict != "negative":
                continue
            if template.negative_sentence:
                sentences.append(template.negative_sentence)
            elif template.negative and template.negative not in negatives:
                negatives.append(template.negative)
        if negatives:
            add(
                Section.FINDINGS,
                _fill((negative_pattern,), {"terms": _join_terms(negatives, templates)}, language),
            )
        for sentence in sentences:
            add(Section.FINDINGS, _fill((sentence,), {}, language))

    ranked = {key: i for i, key in enumerate(templates.impression_order)}
    by_urgency = sorted(
        ordered, key=lambda item: ranked.get(_label_key(item[0].label), len(ranked))
    )
    for verdict in ("positive", "indeterminate"):
        for fact, template in by_urgency:
            if fact.verdict != verdict:
                continue
            values = _finding_values(fact, templates)
            if verdict == "positive":
                add(Section.IMPRESSION, _fill(template.impression, values, language))
                add(Section.RECOMMENDATIONS, _fill(template.recommendation, values, language))
            else:
                add(Section.IMPRESSION, _fill(template.impression_indeterminate, values, language))
                add(
                    Section.RECOMMENDATIONS,
                    _fill(template.recommendation_indeterminate, values, language),
                )
    if not out[Section.IMPRESSION]:
        normal = _keyed(templates.normal_impression, context.study.body_part)
        add(Section.IMPRESSION, _fill(normal, study, language))
    return out


def draft_template_report(
    context: ReportContext, language: str = "en", *, templates: TemplateSet | None = None
) -> Report:
    """A new draft report written from the templates.

    Parameters
    ----------
    context : ReportContext
        The study and the findings (see :mod:`core.report.context`).
    language : str
        "en" or "zh-CN" ("zh" is read as "zh-CN").
    templates : TemplateSet, optional
        Default ``load_templates(language)``; its language must be ``language``.

    Returns
    -------
    Report
        A draft (revision 0) whose sentences are all
        :attr:`~core.report.document.Origin.TEMPLATE`, unreviewed, with
        ``templates.name`` as their source; ``engines`` names the template set.

    Raises
    ------
    TypeError
        Wrong argument types.
    ValueError
        Unsupported language, or ``templates`` of another language.
    TemplateError
        The template files are broken.

    Examples
    --------
    >>> from core.report.document import FindingFact, ReportContext, StudyContext
    >>> context = ReportContext(
    ...     StudyContext("1.2.3", modality="DX", body_part="CHEST", view_position="PA"),
    ...     findings=(FindingFact("Nodule", "positive", 0.9, 0.5, side="right", zone="upper"),),
    ...     analysed=True,
    ... )
    >>> draft_template_report(context).section_text(Section.FINDINGS)
    'There is a nodule in the right upper zone.'
    """
    if not isinstance(context, ReportContext):
        raise TypeError(f"context must be a ReportContext, found {type(context).__name__}")
    language = normalise_language(language)
    if templates is None:
        templates = load_templates(language)
    elif not isinstance(templates, TemplateSet):
        raise TypeError(f"templates must be a TemplateSet, found {type(templates).__name__}")
    elif templates.language != language:
        raise ValueError(f"templates are for {templates.language!r}, the report is in {language!r}")
    texts = draft_template_sections(context, templates)
    sections = {
        section: tuple(Sentence(text, Origin.TEMPLATE, source=templates.name) for text in items)
        for section, items in texts.items()
    }
    report = new_report(context, language)
    engines = (f"{Origin.TEMPLATE.value}:{templates.name}",) if any(sections.values()) else ()
    # A fresh draft, not an edit: revision 0, like new_report's.
    return replace(report, sections=sections, engines=engines)
