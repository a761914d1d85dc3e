"""The language-model engine end to end with a tiny model the tests build and save.

Streaming, stop at once, greedy determinism, the three modes, a prompt without
identifiers, and a clear error for every folder that must be refused (missing, pickle
weights, corrupt config, custom code, too large for memory, weights that do not fit).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.errors import RadAssistError
from core.jobs import CancelToken, Progress, run_job
from core.report.document import (
    FindingFact,
    Origin,
    ReportContext,
    Section,
    new_report,
)
from core.report.llm import (
    SECTION_HEADINGS,
    DraftMode,
    GenerationSettings,
    LanguageModelDraft,
    LanguageModelError,
    ModelConfigError,
    ModelFolderError,
    ModelFolderNotFoundError,
    ModelLoadError,
    ModelTooLargeError,
    PickleWeightsError,
    RemoteCodeError,
    TextChunk,
    apply_language_model_draft,
    build_messages,
    draft_with_language_model,
    get_language_model_process,
    inspect_model_folder,
    parse_sections,
    render_plain_prompt,
    shutdown_language_model_process,
)
from core.report.llm_models import seal_language_model
from core.report.prompt import MODEL_SECTIONS
from tests.core.llm_helpers import (
    make_corrupt_config_model,
    make_huge_model,
    make_pickle_only_model,
    make_remote_code_model,
    make_tiny_causal_lm,
    write_safetensors_header,
)
from tests.core.report_helpers import make_report_context

ROOT = Path(__file__).resolve().parents[2]
SHORT = GenerationSettings(max_new_tokens=16)
EVERY_TOKEN = GenerationSettings(max_new_tokens=16, chunk_interval_s=0.0)
COALESCED = GenerationSettings(max_new_tokens=48, chunk_interval_s=0.05)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    base = tmp_path_factory.mktemp("llm")
    folders = {
        "tiny": make_tiny_causal_lm(base / "tiny-lm"),
        "plain": make_tiny_causal_lm(base / "plain-lm", chat_template=False, seed=1),
    }
    yield folders
    shutdown_language_model_process()


def _context(**study: Any) -> ReportContext:
    return make_report_context(
        **study,
        findings=(
            FindingFact("Nodule", "positive", 0.81, 0.5, side="right", zone="upper", model="m 1"),
            FindingFact("Effusion", "negative", 0.04, 0.29, model="m 1"),
            FindingFact("Pneumothorax", "indeterminate", 0.4, 0.45, model="m 1"),
        ),
        models=("m 1",),
    )


def _drive(job: Any, on_event: Any = None) -> tuple[list[Any], LanguageModelDraft]:
    events: list[Any] = []
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return events, stop.value
        events.append(event)
        if on_event is not None:
            on_event(event)


# --------------------------------------------------------------------------- inspection


def test_inspection_reads_the_folder_without_torch(models: dict[str, Path]) -> None:
    from safetensors.numpy import load_file

    folder = models["tiny"]
    info = inspect_model_folder(folder)
    weights = load_file(str(folder / "model.safetensors"))
    assert info.parameters == sum(array.size for array in weights.values())
    assert info.weights_bytes == 4 * info.parameters  # float32
    assert info.memory_needed > info.weights_bytes
    assert (info.name, info.model_type, info.architectures) == (
        "tiny-lm",
        "llama",
        ("LlamaForCausalLM",),
    )
    assert info.weight_files == ("model.safetensors",)
    assert info.has_chat_template and info.context_length == 4096
    assert not inspect_model_folder(models["plain"]).has_chat_template
    code = (
        "import sys; from core.report.llm import inspect_model_folder; "
        f"info = inspect_model_folder({str(folder)!r}); "
        "print(info.parameters, sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('torch', 'transformers', 'tokenizers')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(None, 1) == [str(info.parameters), "[]\n"]


def _no_tokenizer(folder: Path) -> Path:
    make_remote_code_model(folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(architectures=["LlamaForCausalLM"], model_type="llama")
    del config["auto_map"]
    (folder / "config.json").write_text(json.dumps(config))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).unlink()
    return folder


def _safetensors_pickle(folder: Path) -> Path:
    make_pickle_only_model(folder)
    os.replace(folder / "pytorch_model.bin", folder / "model.safetensors")
    return folder


def _not_causal(folder: Path) -> Path:
    make_pickle_only_model(folder)
    (folder / "config.json").write_text(
        json.dumps({"architectures": ["BertForMaskedLM"], "model_type": "bert"})
    )
    return folder


@pytest.mark.parametrize(
    ("build", "error", "pattern"),
    [
        (lambda p: p / "nowhere", ModelFolderNotFoundError, "does not exist"),
        (make_pickle_only_model, PickleWeightsError, r"pickle files \(pytorch_model\.bin\)"),
        (_safetensors_pickle, PickleWeightsError, r"model\.safetensors is a pickle"),
        (make_corrupt_config_model, ModelConfigError, r"config\.json is not valid JSON \(line"),
        (_not_causal, ModelConfigError, "BertForMaskedLM, not a causal language model"),
        (make_remote_code_model, RemoteCodeError, "auto_map: the model needs its own Python"),
        (make_huge_model, ModelTooLargeError, r"needs 55\d\.\d GiB of memory, .* available"),
        (_no_tokenizer, ModelFolderError, "no tokenizer"),
    ],
    ids=[
        "missing",
        "pickle",
        "pickle-named-safetensors",
        "corrupt-config",
        "not-causal",
        "remote-code",
        "too-large",
        "no-tokenizer",
    ],
)
def test_unusable_folders_are_refused_with_their_reason(
    tmp_path: Path, build: Any, error: type[LanguageModelError], pattern: str
) -> None:
    folder = build(tmp_path / "model")
    with pytest.raises(error, match=pattern) as caught:
        inspect_model_folder(folder)
    assert str(folder) in str(caught.value)  # the message names the folder
    # The job says the same before any process starts or any weight is read.
    with pytest.raises(error, match=pattern):
        run_job(draft_with_language_model(folder, _context(), DraftMode.REPORT, "en"))


def test_memory_check_uses_what_is_available(models: dict[str, Path]) -> None:
    with pytest.raises(ModelTooLargeError, match=r"needs 0\.5 GiB of memory, 0\.1 GiB") as caught:
        inspect_model_folder(models["tiny"], available_memory_bytes=100 << 20)
    assert caught.value.available == 100 << 20 and caught.value.needed > 512 << 20
    assert inspect_model_folder(models["tiny"], available_memory_bytes=-1).memory_available == -1


# --------------------------------------------------------------------------- the prompt


def test_prompt_holds_no_identifier() -> None:
    from pydicom.dataset import Dataset

    from core.report.context import study_context_from_dataset

    ds = Dataset()
    identifiers = {
        "PatientName": "Doe^Jane^Q",
        "PatientID": "PID-7731942",
        "OtherPatientIDs": "MRN88812345",
        "PatientBirthDate": "19700214",
        "AccessionNumber": "ACC20240117",
        "StudyInstanceUID": "1.2.826.0.1.3680043.8.498.4242",
        "SeriesInstanceUID": "1.2.826.0.1.3680043.8.498.4243",
        "SOPInstanceUID": "1.2.826.0.1.3680043.8.498.4244",
        "StudyID": "ST99812",
        "InstitutionName": "Saint Elsewhere Hospital",
        "ReferringPhysicianName": "House^Gregory",
        "PatientAddress": "12 Baker Street",
        "PatientTelephoneNumbers": "555-0199",
    }
    for keyword, value in identifiers.items():
        setattr(ds, keyword, value)
    ds.Modality, ds.BodyPartExamined, ds.ViewPosition = "DX", "CHEST", "PA"
    ds.PatientSex, ds.StudyDate = "F", "20240117"
    # Sites leak numbers into descriptions; the prompt drops anything number-like.
    ds.StudyDescription = "CHEST PA ACC20240117 7731942"
    ds.SeriesDescription = "PA 1.2.826.0.1.3680043.8.498.4243"
    context = make_report_context(
        study=study_context_from_dataset(ds), findings=_context().findings
    )
    assert context.study.patient_age_years == 53  # from the birth date, which is not kept
    forbidden = [*identifiers.values(), "Doe", "Jane", "Gregory", "19700214", "1970", "7731942"]
    for mode, selection in (
        (DraftMode.REPORT, None),
        (DraftMode.IMPRESSION, None),
        (DraftMode.REWRITE, "There is a nodule."),
    ):
        for language in ("en", "zh-CN"):
            text = "\n".join(
                m["content"] for m in build_messages(context, mode, language, selection)
            )
            for value in forbidden:
                assert value.lower() not in text.lower(), (mode, language, value)
            # coded facts only: the examination and the age group, never the description
            assert "DX CHEST, PA" in text and ("50–59" in text) and "ACC" not in text


def test_prompt_holds_the_findings_and_the_task() -> None:
    context = _context(patient_age_years=93)
    messages = build_messages(context, DraftMode.REPORT, "en")
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    # Facts in words: nothing a small model could copy into the report as it is.
    assert "- Nodule: present, right upper zone\n" in user
    assert "- Effusion: absent\n" in user
    assert "- Pneumothorax: possible\n" in user
    for copied in ("probability", "threshold", "0.81", "0.50", "0.04", "word it as", "("):
        assert copied not in user, copied
    assert "90 or older" in user and "93" not in user
    assert "120 kV, 2.5 mAs" in user
    # The model writes findings, impression and recommendations; the other sections
    # come from the study records, and the prompt says so instead of asking for them.
    headings = SECTION_HEADINGS["en"]
    asked = [h for s, h in headings.items() if f"\n{h}:\n" in user or user.endswith(f"{h}:")]
    assert asked == ["Findings", "Impression", "Recommendations"]
    assert "do not write them" in user and "do not mention a history" in user
    for given in ("Clinical information:", "Technique:\n", "Comparison:"):
        assert given not in user

    zh = build_messages(context, DraftMode.REPORT, "zh-CN")[1]["content"]
    assert "- 结节：有，右肺上野\n" in zh and "- 胸腔积液：无\n" in zh and "- 气胸：可能\n" in zh
    assert "90岁及以上" in zh and "概率" not in zh and "阈值" not in zh and "（" not in zh
    assert all(f"\n{SECTION_HEADINGS['zh-CN'][s]}：\n" in zh for s in MODEL_SECTIONS)
    assert "\n临床资料：" not in zh and "\n对比：" not in zh and "不要书写" in zh

    impression = build_messages(context, DraftMode.IMPRESSION, "en")[1]["content"]
    assert "only the impression" in impression and "Findings:" not in impression
    rewrite = build_messages(context, DraftMode.REWRITE, "en", "Big nodule right.")
    assert rewrite[1]["content"].endswith("Text:\nBig nodule right.")

    unanalysed = make_report_context(study=context.study, analysed=False)
    text = build_messages(unanalysed, DraftMode.REPORT, "en")[1]["content"]
    assert "No AI analysis ran" in text and "Nodule" not in text
    assert render_plain_prompt(messages) == f"{messages[0]['content']}\n\n{user}\n\n"


def test_wrong_arguments_fail_at_once(models: dict[str, Path]) -> None:
    context = _context()
    with pytest.raises(ValueError, match="needs the selected text"):
        draft_with_language_model(models["tiny"], context, DraftMode.REWRITE, "en")
    with pytest.raises(ValueError, match="language must be one of"):
        build_messages(context, DraftMode.REPORT, "fr")
    with pytest.raises(ValueError, match="mode must be one of report, rewrite, impression"):
        build_messages(context, "summary", "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="context must be a ReportContext"):
        draft_with_language_model(models["tiny"], {}, DraftMode.REPORT, "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="settings must be GenerationSettings"):
        draft_with_language_model(models["tiny"], context, "report", "en", {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="temperature must be 0 to 5, found -1"):
        GenerationSettings(temperature=-1)
    with pytest.raises(ValueError, match="max_new_tokens must be 1 to 32768, found 0"):
        GenerationSettings(max_new_tokens=0)
    with pytest.raises(ValueError, match="top_p"):
        GenerationSettings(top_p=0.0)
    with pytest.raises(ValueError, match="chunk_interval_s must be 0 to 1, found 5"):
        GenerationSettings(chunk_interval_s=5)
    with pytest.raises(TypeError, match="max_new_tokens must be an int"):
        GenerationSettings(max_new_tokens=1.5)  # type: ignore[arg-type]
    assert GenerationSettings().greedy and not GenerationSettings(temperature=0.7).greedy


# --------------------------------------------------------------------------- parsing


def test_sections_are_parsed_from_headings_in_both_languages() -> None:
    text = (
        "<think>the user wants a report</think>\n"
        "## Clinical history\nCough.\n"
        "**Technique:** PA chest radiograph.\n"
        "Comparison: None.\n"
        "FINDINGS:\n- There is a nodule in the right upper zone.\n"
        "- No pleural effusion. Findings show no pneumothorax.\n"
        "Conclusion: Right upper zone nodule.\n"
        "Recommendations\n1. Follow-up CT in 3 months."
    )
    assert parse_sections(text, "en") == {
        Section.CLINICAL_INFORMATION: ["Cough."],
        Section.TECHNIQUE: ["PA chest radiograph."],
        Section.COMPARISON: ["None."],
        Section.FINDINGS: [
            "There is a nodule in the right upper zone.",
            "No pleural effusion.",
            "Findings show no pneumothorax.",
        ],
        Section.IMPRESSION: ["Right upper zone nodule."],
        Section.RECOMMENDATIONS: ["Follow-up CT in 3 months."],
    }
    zh = (
        "【影像所见】\n右肺上野见结节影。未见胸腔积液及气胸。\n"
        "诊断意见：右肺上野结节。\n建议：胸部CT随访。"
    )
    assert parse_sections(zh, "zh-CN") == {
        Section.FINDINGS: ["右肺上野见结节影。", "未见胸腔积液及气胸。"],
        Section.IMPRESSION: ["右肺上野结节。"],
        Section.RECOMMENDATIONS: ["胸部CT随访。"],
    }
    # Text before any heading goes to the default section (or is dropped).
    assert parse_sections("Small nodule. Impression: Nodule.", "en") == {
        Section.FINDINGS: ["Small nodule.", "Impression: Nodule."]
    }
    assert parse_sections("Preamble.\nImpression: Nodule.", "en", default=None) == {
        Section.IMPRESSION: ["Nodule."]
    }
    assert parse_sections("<think>unfinished", "en") == {}


def test_a_draft_goes_into_the_report() -> None:
    from core.report.llm import draft_sections

    text = "Findings: Nodule right. No effusion.\nImpression: Nodule."
    draft = LanguageModelDraft(
        text=text,
        sections=draft_sections(text, DraftMode.REPORT, "en", "tiny-lm"),
        stopped=False,
        new_tokens=12,
        seconds=0.1,
        time_to_first_token=0.01,
        model_name="tiny-lm",
    )
    report = apply_language_model_draft(new_report(_context()), draft)
    assert [s.text for s in report.sentences(Section.FINDINGS)] == ["Nodule right.", "No effusion."]
    assert report.section_text(Section.IMPRESSION) == "Nodule."
    written = [*report.sentences(Section.FINDINGS), *report.sentences(Section.IMPRESSION)]
    assert all(s.origin is Origin.LANGUAGE_MODEL and s.needs_review for s in written)
    # The sections the model does not write come from the study records (the template).
    assert report.section_text(Section.TECHNIQUE).startswith("PA chest radiograph.")
    assert report.section_text(Section.COMPARISON) == "None available."
    given = [*report.sentences(Section.TECHNIQUE), *report.sentences(Section.COMPARISON)]
    assert all(s.origin is Origin.TEMPLATE for s in given)
    assert report.engines[0] == "language_model:tiny-lm"
    assert [e.split(":")[0] for e in report.engines] == ["language_model", "template"]
    assert draft.tokens_per_second == pytest.approx(120.0)
    rewrite = LanguageModelDraft(**{**draft.__dict__, "mode": DraftMode.REWRITE})
    with pytest.raises(ValueError, match="replace_sentence_text"):
        apply_language_model_draft(report, rewrite)


def test_a_draft_leaves_the_comparison_the_archive_named() -> None:
    """The model never hears of the prior (dates stay out of the prompt): its Comparison
    cannot be right, so the archive's stays."""
    from core.report.document import PriorComparison
    from core.report.llm import draft_sections
    from core.report.templates import draft_template_report

    prior = PriorComparison("2024-03-02", "CR", "CHEST", "CHEST PA")
    report = draft_template_report(_context(comparison=prior), "en")
    named = report.section_text(Section.COMPARISON)
    assert "2024-03-02" in named
    text = "Comparison: None available.\nFindings: Nodule right.\nImpression: Nodule."
    draft = LanguageModelDraft(
        text=text,
        sections=draft_sections(text, DraftMode.REPORT, "en", "tiny-lm"),
        stopped=False,
        new_tokens=12,
        seconds=0.1,
        time_to_first_token=0.01,
        model_name="tiny-lm",
    )
    assert draft.sections[Section.COMPARISON]  # the model did write one
    drafted = apply_language_model_draft(report, draft)
    assert drafted.section_text(Section.COMPARISON) == named
    assert drafted.section_text(Section.FINDINGS) == "Nodule right."
    without = apply_language_model_draft(draft_template_report(_context(), "en"), draft)
    assert without.section_text(Section.COMPARISON) == "None available."


def test_a_draft_keeps_the_given_facts_of_clinical_information_and_technique() -> None:
    """What the model writes under the given sections never replaces the facts (or a
    person's text); with nothing given, the template's wording stands."""
    from core.report.llm import draft_sections
    from core.report.templates import draft_template_report

    text = (
        "Clinical information: 67-year-old smoker with cough.\n"
        "Technique: CT chest with contrast.\n"
        "Comparison: Compared with the prior of 2023-01-05.\n"
        "Findings: Nodule right.\nImpression: Nodule."
    )
    draft = LanguageModelDraft(
        text=text,
        sections=draft_sections(text, DraftMode.REPORT, "en", "tiny-lm"),
        stopped=False,
        new_tokens=12,
        seconds=0.1,
        time_to_first_token=0.01,
        model_name="tiny-lm",
    )
    template = draft_template_report(_context(patient_age_years=67, patient_sex="F"), "en")
    drafted = apply_language_model_draft(template, draft)
    for section in (Section.CLINICAL_INFORMATION, Section.TECHNIQUE, Section.COMPARISON):
        assert drafted.sections[section] == template.sections[section]
    assert drafted.section_text(Section.CLINICAL_INFORMATION) == "67-year-old female."
    assert "smoker" not in " ".join(s.text for s in drafted.sentences())

    typed = template.with_section_text(Section.CLINICAL_INFORMATION, "Cough for 3 weeks.")
    kept = apply_language_model_draft(typed, draft)
    assert kept.section_text(Section.CLINICAL_INFORMATION) == "Cough for 3 weeks."

    # Nothing given and no template wording (no age, no sex): the section stays empty.
    bare = apply_language_model_draft(
        new_report(_context(patient_age_years=None, patient_sex="")), draft
    )
    assert bare.section_text(Section.CLINICAL_INFORMATION) == ""
    assert bare.section_text(Section.COMPARISON) == "None available."


# --------------------------------------------------------------------------- drafting


def test_tokens_stream_as_they_arrive(models: dict[str, Path]) -> None:
    process = get_language_model_process()
    job = draft_with_language_model(models["tiny"], _context(), DraftMode.REPORT, "en", EVERY_TOKEN)
    events, draft = _drive(job)
    messages = [e.message for e in events if isinstance(e, Progress)]
    assert messages[0] == "Starting the language model process"
    assert any(m.startswith("Loading model tiny-lm") for m in messages)
    chunks = [e for e in events if isinstance(e, TextChunk)]
    assert len(chunks) >= 8  # one per token (the tiny model's tokens are whole characters)
    assert "".join(c.text for c in chunks) == draft.text and draft.text.strip()
    assert sum(c.tokens for c in chunks) == draft.new_tokens == 16
    assert not draft.stopped and draft.chat_template and draft.prompt_tokens > 100
    assert draft.model_name == "tiny-lm" and draft.load_seconds > 0
    assert 0 < draft.time_to_first_token <= draft.seconds
    sentences = draft.sentences
    assert sentences and all(
        s.origin is Origin.LANGUAGE_MODEL and s.source == "tiny-lm" and not s.reviewed
        for s in sentences
    )
    assert process.is_alive and process.pid != os.getpid()


def test_greedy_drafts_repeat_and_the_model_stays_loaded(models: dict[str, Path]) -> None:
    def draft() -> tuple[list[Any], LanguageModelDraft]:
        job = draft_with_language_model(models["tiny"], _context(), DraftMode.REPORT, "en", SHORT)
        return _drive(job)

    first_events, first = draft()
    second_events, second = draft()
    assert first.text == second.text and first.new_tokens == second.new_tokens == 16
    # Asked to, tokens that come faster than 50 ms apart travel together.
    events, third = _drive(
        draft_with_language_model(models["tiny"], _context(), DraftMode.REPORT, "en", COALESCED)
    )
    chunks = [e for e in events if isinstance(e, TextChunk)]
    assert third.text.startswith(first.text) and "".join(c.text for c in chunks) == third.text
    assert sum(c.tokens for c in chunks) == 48
    # Eight at once, then at most one per 50 ms, and what is left at the end.
    assert len(chunks) <= 8 + third.generate_seconds / 0.05 + 1
    for events in (first_events, second_events):  # cached: no loading any more
        assert not any(isinstance(e, Progress) and "Loading" in e.message for e in events)
    assert second.load_seconds == 0.0
    sampled = run_job(
        draft_with_language_model(
            models["tiny"],
            _context(),
            DraftMode.REPORT,
            "en",
            GenerationSettings(max_new_tokens=16, temperature=1.5, top_p=0.9),
        )
    )
    assert sampled.new_tokens == 16 and not sampled.stopped


def test_a_loaded_model_counts_its_own_memory_as_available(
    models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.report.llm import drafting, inspection

    run_job(draft_with_language_model(models["tiny"], _context(), DraftMode.REPORT, "en", SHORT))
    for module in (inspection, drafting):
        monkeypatch.setattr(module, "available_memory", lambda: 100 << 20)
    with pytest.raises(ModelTooLargeError, match=r"0\.1 GiB available"):
        inspect_model_folder(models["tiny"])
    # Loaded already: what it uses is not needed again.
    again = run_job(
        draft_with_language_model(models["tiny"], _context(), DraftMode.REPORT, "en", SHORT)
    )
    assert again.new_tokens == 16 and again.load_seconds == 0.0


def test_stop_works_at_once(models: dict[str, Path]) -> None:
    token = CancelToken()
    settings = GenerationSettings(max_new_tokens=3000)  # a minute of tokens if not stopped
    received: list[str] = []

    def on_event(event: Any) -> None:
        if isinstance(event, TextChunk):
            received.append(event.text)
            if len(received) == 3:
                token.cancel()

    job = draft_with_language_model(
        models["tiny"], _context(), DraftMode.REPORT, "en", settings, token
    )
    start = time.perf_counter()
    _, draft = _drive(job, on_event)
    assert draft.stopped and draft.text == "".join(received) and len(received) == 3
    assert draft.new_tokens == 3
    # The child stopped too: the next draft is not queued behind 3000 tokens.
    after = run_job(
        draft_with_language_model(models["tiny"], _context(), DraftMode.REPORT, "en", SHORT)
    )
    assert after.new_tokens == 16 and not after.stopped
    assert time.perf_counter() - start < 10.0


def test_impression_and_rewrite_modes(models: dict[str, Path]) -> None:
    impression = run_job(
        draft_with_language_model(models["tiny"], _context(), DraftMode.IMPRESSION, "zh-CN", SHORT)
    )
    assert impression.mode is DraftMode.IMPRESSION and impression.language == "zh-CN"
    assert list(impression.sections) == [Section.IMPRESSION]
    rewrite = run_job(
        draft_with_language_model(
            models["tiny"],
            _context(),
            DraftMode.REWRITE,
            "en",
            SHORT,
            selection="Big nodule right top.",
        )
    )
    assert rewrite.mode is DraftMode.REWRITE and rewrite.sentences
    # Same findings, different task: a different prompt.
    assert rewrite.prompt_tokens != impression.prompt_tokens
    plain = run_job(
        draft_with_language_model(models["plain"], _context(), DraftMode.REPORT, "en", SHORT)
    )
    assert not plain.chat_template and plain.new_tokens == 16 and plain.model_name == "plain-lm"


def test_a_model_that_fails_to_load_says_why(models: dict[str, Path], tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    folder = tmp_path / "broken-lm"
    shutil.copytree(models["tiny"], folder)
    weights = load_file(str(folder / "model.safetensors"))
    del weights["model.layers.0.mlp.gate_proj.weight"]
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    seal_language_model(folder)  # imported as it is: the loader, not the hashes, refuses it
    with pytest.raises(ModelLoadError, match=r"lack 1 tensor\(s\).*gate_proj") as caught:
        run_job(draft_with_language_model(folder, _context(), DraftMode.REPORT, "en", SHORT))
    assert isinstance(caught.value, RadAssistError) and str(folder) in str(caught.value)

    # A header that names tensors the file does not hold: transformers' own error, typed.
    write_safetensors_header(folder / "model.safetensors", {"lm_head.weight": ("F32", [400, 32])})
    seal_language_model(folder)
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        run_job(draft_with_language_model(folder, _context(), DraftMode.REPORT, "en", SHORT))
    assert get_language_model_process().is_alive  # a refusal is an answer, not a crash
    after = run_job(
        draft_with_language_model(models["tiny"], _context(), DraftMode.REPORT, "en", SHORT)
    )
    assert after.new_tokens == 16 and math.isfinite(after.time_to_first_token)
