"""Template drafts: wording in both languages, the data files, a site's edits, errors."""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from core.report.document import (
    SECTION_ORDER,
    FindingFact,
    Origin,
    ReportContext,
    ReportState,
    Section,
    StudyContext,
)
from core.report.grounding import check_grounding
from core.report.templates import (
    TemplateError,
    TemplateSet,
    bundled_templates_dir,
    draft_template_report,
    draft_template_sections,
    load_templates,
    normalise_language,
    site_templates_dir,
)
from core.synthetic import LESION_LABELS
from tests.core.report_helpers import make_report_context, make_study

# A site folder of the test's own, so a developer's edits never leak in.
pytestmark = pytest.mark.usefixtures("private_data_dir")

ROOT = Path(__file__).resolve().parents[2]
SIX = ("Nodule", "Mass", "Effusion", "Pneumothorax", "Cardiomegaly", "Consolidation")


@pytest.fixture(scope="module")
def en() -> TemplateSet:
    return load_templates("en", site_dir=Path("/nonexistent-site"))


@pytest.fixture(scope="module")
def zh() -> TemplateSet:
    return load_templates("zh", site_dir=Path("/nonexistent-site"))


def _fact(
    label: str, verdict: str, side: str | None = None, zone: str | None = None
) -> FindingFact:
    probability = {"positive": 0.8, "indeterminate": 0.27, "negative": 0.03}[verdict]
    return FindingFact(label, verdict, probability, 0.3, side=side, zone=zone, model="demo 1.0")


def _context(*facts: FindingFact, study: StudyContext | None = None) -> ReportContext:
    return make_report_context(
        study=study, findings=facts, models=("demo 1.0",), analysed=bool(facts)
    )


def _all_negative(**overrides: str) -> tuple[FindingFact, ...]:
    return tuple(_fact(label, overrides.get(label, "negative")) for label in SIX)


def _text(context: ReportContext, language: str, section: Section) -> str:
    return draft_template_report(context, language).section_text(section)


def _texts(context: ReportContext, language: str, *sections: Section) -> list[str]:
    """The text of each of ``sections`` in one template draft."""
    report = draft_template_report(context, language)
    return [report.section_text(section) for section in sections]


FINDINGS_IMPRESSION = (Section.FINDINGS, Section.IMPRESSION)


# --------------------------------------------------------------------------- the files


def test_bundled_files_load_in_both_languages(en: TemplateSet, zh: TemplateSet) -> None:
    assert bundled_templates_dir() == ROOT / "resources" / "report_templates"
    assert en.language == "en" and zh.language == "zh-CN"
    assert en.name == zh.name == "radassist-default@1.0"
    assert not en.site_edited and en.sources == (bundled_templates_dir() / "en.json",)
    assert [g for g, _ in en.groups] == [g for g, _ in zh.groups]
    # Every label the models know has its own wording in both files, and the files agree.
    assert set(en.findings) == set(zh.findings)
    for label in LESION_LABELS:
        assert en.template_for(label).label == label
        assert zh.template_for(label).label == label
    for key, template in en.findings.items():
        other = zh.findings[key]
        assert template.group == other.group
        assert (template.negative is None) == (other.negative is None)
        assert bool(template.recommendation) == bool(other.recommendation)
    assert set(en.impression_order) == set(en.findings) == set(zh.impression_order)


def test_templates_ship_with_the_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"share/radassist/report_templates" = ["resources/report_templates/*.json"]' in (
        pyproject
    )
    assert {p.name for p in bundled_templates_dir().glob("*.json")} == {"en.json", "zh-CN.json"}


def test_bundled_folder_in_a_frozen_app_and_a_wheel_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import core.resources

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    assert bundled_templates_dir() == tmp_path / "bundle" / "resources" / "report_templates"
    monkeypatch.delattr(sys, "_MEIPASS")
    # A wheel install: no source tree beside the package; data files under the prefix.
    monkeypatch.setattr(core.resources, "_SOURCE_TREE", tmp_path / "site-packages" / "resources")
    installed = tmp_path / "prefix" / "share" / "radassist" / "report_templates"
    installed.mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert bundled_templates_dir() == installed


def test_languages_are_normalised() -> None:
    assert normalise_language("en") == "en"
    assert normalise_language("EN-gb") == "en"
    for value in ("zh", "zh-CN", "zh_cn", "ZH-Hans"):
        assert normalise_language(value) == "zh-CN"
    with pytest.raises(ValueError, match="'fr'"):
        normalise_language("fr")
    with pytest.raises(TypeError, match="int"):
        normalise_language(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the wording


def test_positive_finding_with_side_and_zone_in_both_languages() -> None:
    context = _context(
        *_all_negative(Nodule="positive")[1:], _fact("Nodule", "positive", "right", "upper")
    )
    report = draft_template_report(context, "en")
    assert (
        report.sentences(Section.FINDINGS)[0].text == "There is a nodule in the right upper zone."
    )
    assert report.section_text(Section.IMPRESSION) == "Right upper zone nodule."
    recommendation = report.section_text(Section.RECOMMENDATIONS)
    assert "CT of the chest" in recommendation and "Fleischner" in recommendation
    report = draft_template_report(context, "zh")
    assert report.language == "zh-CN"
    assert report.sentences(Section.FINDINGS)[0].text == "右肺上野见结节影。"
    assert report.section_text(Section.IMPRESSION) == "右肺上野结节。"
    assert "胸部CT" in report.section_text(Section.RECOMMENDATIONS)


def test_pertinent_negatives_are_grouped_by_organ() -> None:
    context = _context(*_all_negative())
    assert _text(context, "en", Section.FINDINGS) == (
        "No focal consolidation, nodule or mass. No pleural effusion or pneumothorax. "
        "Heart size is normal."
    )
    assert _text(context, "zh", Section.FINDINGS) == (
        "双肺未见实变、结节及肿块。未见胸腔积液及气胸。心影不大。"
    )
    assert _text(context, "en", Section.IMPRESSION) == "No acute cardiopulmonary abnormality."
    assert _text(context, "zh", Section.IMPRESSION) == "心肺未见明显异常。"
    assert _text(context, "en", Section.RECOMMENDATIONS) == ""


def test_findings_are_ordered_positive_then_hedged_then_negative_within_each_organ() -> None:
    context = _context(
        _fact("Mass", "negative"),
        _fact("Consolidation", "negative"),
        _fact("Pneumothorax", "negative"),
        _fact("Effusion", "indeterminate", "left", "lower"),
        _fact("Cardiomegaly", "positive"),
        _fact("Nodule", "positive", "right", "upper"),
    )
    assert _text(context, "en", Section.FINDINGS) == (
        "There is a nodule in the right upper zone. No focal consolidation or mass. "
        "Possible left pleural effusion. No pneumothorax. The heart is enlarged."
    )
    assert _text(context, "zh", Section.FINDINGS) == (
        "右肺上野见结节影。双肺未见实变及肿块。左侧胸腔可疑积液。未见气胸。心影增大。"
    )
    # Impression: most urgent first (the file's impression_order), hedged after definite.
    assert _text(context, "en", Section.IMPRESSION) == (
        "Right upper zone nodule. Cardiomegaly. Possible left pleural effusion."
    )
    assert _text(context, "zh", Section.IMPRESSION) == "右肺上野结节。心影增大。左侧胸腔可疑积液。"
    recommendations = draft_template_report(context, "en").sentences(Section.RECOMMENDATIONS)
    assert len(recommendations) == 2  # the nodule and the heart; none for a possible effusion
    assert "echocardiography" in recommendations[1].text.lower()


def test_urgent_findings_lead_the_impression() -> None:
    context = _context(
        _fact("Effusion", "positive", "right"),
        _fact("Pneumothorax", "positive", "left", "upper"),
    )
    assert _texts(context, "en", *FINDINGS_IMPRESSION, Section.RECOMMENDATIONS) == [
        "There is a right pleural effusion. There is a left pneumothorax.",
        "Left pneumothorax. Right pleural effusion.",
        "Urgent clinical review of the pneumothorax is recommended.",
    ]
    assert _texts(context, "zh", *FINDINGS_IMPRESSION) == [
        "右侧胸腔积液。左侧可见气胸。",
        "左侧气胸。右侧胸腔积液。",
    ]


@pytest.mark.parametrize(
    ("side", "zone", "en_text", "zh_text"),
    [
        ("left", "lower", "There is a nodule in the left lower zone.", "左肺下野见结节影。"),
        ("left", None, "There is a nodule in the left lung.", "左肺见结节影。"),
        (None, "middle", "There is a pulmonary nodule.", "肺内见结节影。"),
        (None, None, "There is a pulmonary nodule.", "肺内见结节影。"),
    ],
)
def test_wording_falls_back_to_what_is_known(
    side: str | None, zone: str | None, en_text: str, zh_text: str
) -> None:
    context = _context(_fact("Nodule", "positive", side, zone))
    assert _text(context, "en", Section.FINDINGS) == en_text
    assert _text(context, "zh", Section.FINDINGS) == zh_text


def test_indeterminate_findings_are_hedged() -> None:
    context = _context(
        _fact("Nodule", "indeterminate", "right", "middle"),
        _fact("Cardiomegaly", "indeterminate"),
        _fact("Effusion", "indeterminate"),
    )
    assert _texts(context, "en", *FINDINGS_IMPRESSION, Section.RECOMMENDATIONS) == [
        "Possible nodule in the right middle zone. Possible pleural effusion. "
        "The heart size is at the upper limit of normal.",
        "Possible right middle zone nodule. Possible pleural effusion. Borderline cardiomegaly.",
        "CT of the chest is recommended to evaluate the possible nodule.",
    ]
    assert _text(context, "zh", Section.FINDINGS) == "右肺中野可疑结节影。可疑胸腔积液。心影饱满。"


def test_without_analysis_nothing_is_claimed() -> None:
    for context in (
        make_report_context(analysed=False),
        make_report_context(),  # analysed, but every result was skipped
    ):
        report = draft_template_report(context, "en")
        assert report.section_text(Section.FINDINGS) == (
            "The images were not assessed by AI analysis; findings are to be reported by the "
            "radiologist."
        )
        assert report.sentences(Section.IMPRESSION) == ()
        assert report.sentences(Section.RECOMMENDATIONS) == ()
        assert not any(s.text.startswith("No ") for s in report.sentences())
        zh = draft_template_report(context, "zh")
        assert zh.section_text(Section.FINDINGS) == "本检查未经AI分析，影像所见待医师描述。"
        assert not any("未见" in s.text for s in zh.sentences())


def test_technique_clinical_information_and_comparison() -> None:
    context = _context(*_all_negative())
    sections = (Section.CLINICAL_INFORMATION, Section.TECHNIQUE, Section.COMPARISON)
    assert _texts(context, "en", *sections) == [
        "58-year-old female.",
        "PA chest radiograph. Acquisition parameters: 120 kV, 2.5 mAs.",
        "None available.",
    ]
    assert _texts(context, "zh", *sections) == [
        "女，58岁。",
        "胸部后前位X线片。检查参数：120 kV，2.5 mAs。",
        "无既往影像对比。",
    ]


@pytest.mark.parametrize(
    ("study", "en_text", "zh_text"),
    [
        (
            {"modality": "CR", "view_position": "LL", "technique": ""},
            "Left lateral chest radiograph.",
            "胸部左侧位X线片。",
        ),
        (
            {"view_position": "", "technique": "80 kV."},
            "Chest radiograph. Acquisition parameters: 80 kV.",
            "胸部X线片。检查参数：80 kV。",
        ),
        (
            {
                "modality": "CT",
                "view_position": "",
                "technique": "slice thickness 1.25 mm, contrast: iohexol, 3 series",
            },
            "CT of the chest. Acquisition parameters: slice thickness 1.25 mm, contrast: "
            "iohexol, 3 series.",
            "胸部CT检查。检查参数：层厚1.25 mm，对比剂：iohexol，3个序列。",
        ),
        (
            {"modality": "MR", "body_part": "BRAIN", "view_position": "", "technique": "3 T"},
            "MRI of the brain. Acquisition parameters: 3 T.",
            "头颅MRI检查。检查参数：3 T。",
        ),
        (
            {"modality": "DX", "body_part": "", "view_position": "", "technique": ""},
            "Radiograph.",
            "X线片。",
        ),
        (
            {"modality": "XA", "body_part": "HEART", "view_position": "", "technique": ""},
            "Heart angiogram.",
            "心脏血管造影检查。",
        ),
        ({"modality": "OT", "body_part": "", "view_position": "", "technique": ""}, "", ""),
    ],
)
def test_technique_of_other_studies(study: dict[str, Any], en_text: str, zh_text: str) -> None:
    context = _context(study=make_study(**study))
    assert _text(context, "en", Section.TECHNIQUE) == en_text
    assert _text(context, "zh", Section.TECHNIQUE) == zh_text


@pytest.mark.parametrize(
    ("sex", "age", "en_text", "zh_text"),
    [
        ("M", 71, "71-year-old male.", "男，71岁。"),
        ("", 40, "40-year-old patient.", "40岁。"),
        ("F", None, "Female patient.", "女。"),
        ("O", 0, "", ""),  # under one year and no sex in words: nothing to say
    ],
)
def test_clinical_information_from_age_and_sex(
    sex: str, age: int | None, en_text: str, zh_text: str
) -> None:
    context = _context(study=make_study(patient_sex=sex, patient_age_years=age))
    assert _text(context, "en", Section.CLINICAL_INFORMATION) == en_text
    assert _text(context, "zh", Section.CLINICAL_INFORMATION) == zh_text


def test_sentences_are_template_text_nobody_reviewed(en: TemplateSet) -> None:
    context = _context(*_all_negative(Nodule="positive"))
    report = draft_template_report(context, "en", templates=en)
    assert report.state is ReportState.DRAFT and report.revision == 0
    assert report.study_instance_uid == context.study.study_instance_uid
    assert report.context is context
    assert report.engines == ("template:radassist-default@1.0",)
    sentences = report.sentences()
    assert len(sentences) >= 8
    assert all(s.origin is Origin.TEMPLATE and not s.reviewed for s in sentences)
    assert {s.source for s in sentences} == {"radassist-default@1.0"}
    assert len({s.id for s in sentences}) == len(sentences)
    assert report.unreviewed() == sentences
    assert len(report.signing_blockers()) == len(sentences)


def test_other_model_labels_and_unknown_ones() -> None:
    context = _context(
        _fact("Pleural_Thickening", "positive", "left"),
        _fact("Atelectasis", "positive", "right", "lower"),
        _fact("Rib Notching", "positive"),
        _fact("Rib Notching", "negative"),  # a second model's duplicate: the first counts
        _fact("Emphysema", "negative"),  # not a pertinent negative: not mentioned
    )
    assert _texts(context, "en", *FINDINGS_IMPRESSION) == [
        "There is atelectasis in the right lower zone. There is left pleural thickening. "
        "There are features of rib notching.",
        "Right lower zone atelectasis. Left pleural thickening. Rib notching.",
    ]
    assert _text(context, "zh", Section.FINDINGS) == (
        "右肺下野见肺不张。左侧胸膜增厚。见Rib Notching征象。"
    )


def test_chinese_drafts_read_as_chinese() -> None:
    rng = random.Random(3)
    allowed = {"CT", "X", "Fleischner", "kV", "mAs", "AI"}
    for _ in range(40):
        facts = [
            _fact(
                label,
                rng.choice(("positive", "indeterminate", "negative")),
                rng.choice((None, "right", "left")),
                rng.choice((None, "upper", "middle", "lower")),
            )
            for label in LESION_LABELS
        ]
        report = draft_template_report(_context(*facts), "zh")
        words = set(re.findall(r"[A-Za-z]+", " ".join(s.text for s in report.sentences())))
        assert words <= allowed, words
        assert all(s.text.endswith("。") for s in report.sentences())


def test_every_template_draft_agrees_with_its_findings() -> None:
    """The grounding check finds nothing to object to in a template draft."""
    rng = random.Random(11)
    combos = list(itertools.product(("positive", "indeterminate", "negative"), repeat=6))
    for verdicts in rng.sample(combos, 120):
        facts = [
            _fact(
                label,
                verdict,
                rng.choice((None, "right", "left")),
                rng.choice((None, "upper", "middle", "lower")),
            )
            for label, verdict in zip(SIX, verdicts, strict=True)
        ]
        rng.shuffle(facts)
        for language in ("en", "zh-CN"):
            report = draft_template_report(_context(*facts), language)
            assert check_grounding(report) == (), (language, verdicts, report.sentences())


def test_sections_as_text(en: TemplateSet) -> None:
    sections = draft_template_sections(_context(*_all_negative()), en)
    assert list(sections) == list(SECTION_ORDER)
    assert sections[Section.FINDINGS][1] == "No pleural effusion or pneumothorax."


def test_wrong_arguments(en: TemplateSet) -> None:
    context = _context()
    with pytest.raises(TypeError, match="ReportContext"):
        draft_template_report("context")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'de'"):
        draft_template_report(context, "de")
    with pytest.raises(ValueError, match="templates are for 'en'"):
        draft_template_report(context, "zh", templates=en)
    with pytest.raises(TypeError, match="TemplateSet"):
        draft_template_report(context, "en", templates={})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="TemplateSet"):
        draft_template_sections(context, None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- a site's edits


def _write(folder: Path, name: str, data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_site_file_overrides_entry_by_entry(tmp_path: Path) -> None:
    site = tmp_path / "site"
    path = _write(
        site,
        "en.json",
        {
            "id": "st-elsewhere-cxr",
            "version": "3",
            "findings": {
                "Nodule": {"present": "A {side} {zone} zone nodule is seen."},
                "Fracture": None,  # removed: the fallback wording applies
            },
            "sections": {"comparison": "No prior imaging."},
        },
    )
    templates = load_templates("en", site_dir=site)
    assert templates.site_edited and templates.sources[-1] == path
    assert templates.name == "st-elsewhere-cxr@3+site"
    context = _context(_fact("Nodule", "positive", "left", "upper"), _fact("Fracture", "positive"))
    report = draft_template_report(context, "en", templates=templates)
    assert report.sentences(Section.FINDINGS)[0].text == "A left upper zone nodule is seen."
    assert "There are features of fracture." in report.section_text(Section.FINDINGS)
    assert report.section_text(Section.COMPARISON) == "No prior imaging."
    # What the site did not touch is the bundled wording.
    assert report.section_text(Section.IMPRESSION).startswith("Left upper zone nodule.")
    assert report.engines == ("template:st-elsewhere-cxr@3+site",)
    # Chinese is not affected by an English site file.
    assert not load_templates("zh", site_dir=site).site_edited


def test_the_site_folder_is_in_the_user_data_dir(tmp_path: Path) -> None:
    assert site_templates_dir() == tmp_path / "data" / "report_templates"
    _write(site_templates_dir(), "zh-CN.json", {"sections": {"comparison": "无。"}})
    templates = load_templates("zh-CN")
    assert templates.site_edited
    report = draft_template_report(_context(), "zh")  # loads the site's edits too
    assert report.section_text(Section.COMPARISON) == "无。"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{ not json", r"is not valid JSON: line 1 column 3"),
        ("[1, 2]", r"must hold a JSON object, found list"),
        (b"\xff\xfe\x00garbage", r"is not UTF-8 text"),
        ({"format": 2}, r"format: expected 1, found 2"),
        ({"language": "en"}, r"language: expected 'zh-CN', found 'en'"),
        ({"colour": "red"}, r"file: unknown key 'colour'"),
        (
            {"findings": {"Nodule": {"present": "Nodule in the {lobe}."}}},
            r"findings\.Nodule\.present\[0\]: unknown placeholder \{lobe\}.*allowed: "
            r"\{side\}, \{term\}, \{zone\}",
        ),
        (
            {"findings": {"Nodule": {"presnt": "x"}}},
            r"findings\.Nodule: unknown key 'presnt'",
        ),
        (
            {"findings": {"Nodule": {"group": "abdomen"}}},
            r"findings\.Nodule\.group: unknown group 'abdomen'",
        ),
        (
            {"findings": {"Cyst": {"group": "lungs", "present": "见囊肿。"}}},
            r"findings\.Cyst: missing 'indeterminate'",
        ),
        ({"findings": {"Mass": {"impression": []}}}, r"impression: expected a string or a "),
        ({"findings": {"Mass": {"impression": [""]}}}, r"impression\[0\]: expected a non-empty"),
        ({"findings": {"Mass": {"present": "{side:>5}"}}}, r"must not have a format spec"),
        ({"findings": {"Mass": {"present": "右{"}}}, r"bad braces"),
        ({"groups": [{"id": "lungs", "negative": "未见。"}]}, r"groups\[0\]\.negative: must "),
        ({"groups": []}, r"groups: expected a non-empty list"),
        ({"terms": {"side": {"left": None}}}, r"terms\.side: missing 'left'"),
        ({"sections": {"technique": {"default": None}}}, r"sections\.technique: missing 'default'"),
        (
            {"sections": {"technique_parameters": "参数：{kv}。"}},
            r"unknown placeholder \{kv\}.*allowed: \{technique\}",
        ),
        ({"impression_order": "Nodule"}, r"impression_order: expected a list"),
    ],
)
def test_a_broken_site_file_is_refused_naming_the_file_and_the_place(
    tmp_path: Path, content: Any, expected: str
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    path = site / "zh-CN.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        _write(site, "zh-CN.json", content)
    with pytest.raises(TemplateError, match=expected) as caught:
        load_templates("zh", site_dir=site)
    assert caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_a_folder_where_the_file_should_be_and_missing_bundled_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    (site / "en.json").mkdir(parents=True)
    with pytest.raises(TemplateError, match="is not a file"):
        load_templates("en", site_dir=site)
    import core.report.templates as templates

    monkeypatch.setattr(templates, "bundled_templates_dir", lambda: tmp_path / "empty")
    with pytest.raises(TemplateError, match="bundled report templates are missing") as caught:
        load_templates("en", site_dir=site)
    assert caught.value.source == str(tmp_path / "empty" / "en.json")


def test_template_errors_survive_pickling() -> None:
    import pickle

    error = TemplateError("/x/en.json", "format: expected 1, found 2")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.source, copy.problem, str(copy)) == (error.source, error.problem, str(error))


# --------------------------------------------------------------------------- comparison


def _archived_study(archive: Any, date: str, body_part: str = "CHEST", **values: Any) -> str:
    """A one-image CT study stored in ``archive``; its Study Instance UID."""
    from pydicom.uid import generate_uid

    from tests.core.archive.helpers import tiny_image

    uid = generate_uid()
    ds = tiny_image(uid, study_date=date, **values)
    ds.BodyPartExamined = body_part
    archive.accept(ds, source="test")
    return uid


def _workflow_context(archive: Any, uid: str) -> ReportContext:
    """The context the workflow builds for an archived study (no model installed)."""
    from core.report.workflow import analyse_study

    index = archive.study_index(uid)
    (patient,) = index.patients
    (study,) = patient.studies
    analysis = analyse_study(study, patient, None, archive=archive)
    return ReportContext(study=analysis.study)


@pytest.fixture
def archive(tmp_path: Path) -> Any:
    from core.archive import Archive

    opened = Archive(tmp_path / "archive")
    yield opened
    opened.close()


def test_comparison_names_the_most_recent_relevant_prior(archive: Any) -> None:
    current = _archived_study(archive, "20250502")
    _archived_study(archive, "20220110", description="CT CHEST OLD")
    _archived_study(archive, "20240302", description="CT CHEST W CONTRAST")
    _archived_study(archive, "20250101", body_part="HEAD", description="CT HEAD")

    context = _workflow_context(archive, current)

    assert context.study.comparison is not None
    assert context.study.comparison.description == "CT CHEST W CONTRAST"
    assert _text(context, "en", Section.COMPARISON) == "CT Chest 2024-03-02."
    assert _text(context, "zh", Section.COMPARISON) == "对比 2024-03-02 CT 胸部。"
    report = draft_template_report(context, "en")
    assert all(s.origin is Origin.TEMPLATE for s in report.sentences(Section.COMPARISON))


def test_without_a_relevant_prior_none_is_available(archive: Any) -> None:
    current = _archived_study(archive, "20250502")
    _archived_study(archive, "20250101", body_part="HEAD", description="CT HEAD")
    _archived_study(archive, "20240101", patient_id="SYN0002")  # another patient

    context = _workflow_context(archive, current)

    assert context.study.comparison is None
    assert _text(context, "en", Section.COMPARISON) == "None available."
    assert _text(context, "zh", Section.COMPARISON) == "无既往影像对比。"


def test_a_prior_without_a_known_body_part_word_is_named_by_its_description() -> None:
    from core.report.document import PriorComparison

    prior = PriorComparison("2023-11-30", "CT", "", "CT CHEST LOW DOSE")
    context = _context(study=make_study(modality="CT", comparison=prior))
    assert _text(context, "en", Section.COMPARISON) == "CT CHEST LOW DOSE 2023-11-30."
    assert _text(context, "zh", Section.COMPARISON) == "对比 2023-11-30 CT CHEST LOW DOSE。"


def test_a_site_file_may_word_the_comparison_with_a_prior(tmp_path: Path) -> None:
    from core.report.document import PriorComparison

    site = tmp_path / "site"
    wording = ["Compared with the {prior_modality} of {prior_date}.", "No prior imaging."]
    _write(site, "en.json", {"sections": {"comparison": wording}})
    templates = load_templates("en", site_dir=site)
    with_prior = _context(
        study=make_study(comparison=PriorComparison("2024-03-02", "CT", "CHEST", "CT CHEST"))
    )
    report = draft_template_report(with_prior, "en", templates=templates)
    assert report.section_text(Section.COMPARISON) == "Compared with the CT of 2024-03-02."
    report = draft_template_report(_context(), "en", templates=templates)
    assert report.section_text(Section.COMPARISON) == "No prior imaging."


def test_the_prior_never_reaches_a_prompt() -> None:
    from core.report.document import PriorComparison
    from core.report.prompt import DraftMode, build_messages

    prior = PriorComparison("2024-03-02", "CT", "CHEST", "CANARY DESCRIPTION")
    context = _context(*_all_negative(), study=make_study(comparison=prior))
    for language in ("en", "zh-CN"):
        for mode in (DraftMode.REPORT, DraftMode.IMPRESSION):
            text = json.dumps(build_messages(context, mode, language), ensure_ascii=False)
            assert "2024-03-02" not in text and "20240302" not in text
            assert "CANARY" not in text


def test_a_draft_keeps_its_comparison_when_saved_and_read() -> None:
    from core.report.document import PriorComparison, Report

    prior = PriorComparison("2024-03-02", "CT", "CHEST", "CT CHEST")
    report = draft_template_report(_context(study=make_study(comparison=prior)), "en")
    again = Report.from_json(json.loads(json.dumps(report.to_json())))
    assert again.context.study.comparison == prior
    older = report.to_json()
    del older["context"]["study"]["comparison"]  # a draft saved before priors existed
    assert Report.from_json(older).context.study.comparison is None
