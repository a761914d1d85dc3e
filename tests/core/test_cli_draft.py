"""`radassist draft PATH [--engine template|llm] [--model DIR] [--lang en|zh] [--json] [--out]`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from core.analysis.manifest import DEMO_BANNER, ModelPackage
from core.cli import COMMANDS, main
from core.synthetic import make_study_context, write_cxr
from tests.core.model_helpers import make_package, soften

pytestmark = pytest.mark.usefixtures("fresh_analysis")

LABELS = ("Nodule", "Effusion", "Cardiomegaly")


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModelPackage:
    # Threshold 0 makes Nodule positive on every image, 1 makes the others negative.
    return make_package(
        tmp_path_factory.mktemp("models") / "draft-model",
        name="draft-model",
        labels=LABELS,
        thresholds={"Nodule": 0.0, "Effusion": 1.0, "Cardiomegaly": 1.0},
        edit=soften,
        demo=True,
    )


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("study")
    rng = np.random.default_rng(5)
    context = make_study_context(rng, description="CHEST 2 VIEWS")
    write_cxr(folder / "pa.dcm", rng, view="PA", size=(70, 56), study=context)
    write_cxr(folder / "ll.dcm", rng, view="LL", size=(70, 56), study=context, series_number=2)
    return folder


def _draft(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(["draft", *args])
    except SystemExit as stop:  # argparse refuses an argument
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_has_sentences_origins_grounding_models_and_the_demo_banner(
    package: ModelPackage, study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "draft" in COMMANDS
    code, out, err = _draft(capsys, str(study), "--analysis-model", str(package.folder), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["engine"] == "template" and data["language"] == "en"
    assert data["state"] == "draft" and data["analysed"] is True
    assert data["models"] == ["draft-model 1.0.0"]
    assert data["demo_banner"] == DEMO_BANNER
    assert data["engines"] == ["template:radassist-default@1.0"]
    findings = {f["label"]: f for f in data["findings"]}
    assert set(findings) == set(LABELS)
    nodule = findings["Nodule"]
    assert nodule["verdict"] == "positive" and nodule["side"] in ("right", "left")
    assert findings["Effusion"]["verdict"] == "negative"
    sections = data["sections"]
    assert list(sections) == [
        "clinical_information",
        "technique",
        "comparison",
        "findings",
        "impression",
        "recommendations",
    ]
    for sentences in sections.values():
        for sentence in sentences:
            assert set(sentence) == {"id", "text", "origin", "source", "reviewed", "grounding"}
            assert sentence["origin"] == "template" and sentence["reviewed"] is False
            assert sentence["grounding"] == []
    texts = [s["text"] for s in sections["findings"]]
    assert texts[0].startswith(f"There is a nodule in the {nodule['side']} ")
    assert "No pleural effusion." in texts
    assert "Heart size is normal." in texts
    # The analysed PA image describes the study, not the lateral one.
    assert sections["technique"][0]["text"] == "PA chest radiograph."
    assert data["issues"] == []
    assert "lateral" not in err  # one image applied: nothing to say


def test_text_in_chinese_with_the_grounding_line(
    package: ModelPackage, study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _draft(
        capsys, str(study), "--analysis-model", str(package.folder), "--lang", "zh"
    )
    assert code == 0
    assert "影像所见" in out and "诊断意见" in out
    assert re.search(r"[右左]肺[上中下]野见结节影。", out)
    assert "未见胸腔积液。" in out and "心影不大。" in out
    assert "draft-model 1.0.0" in out
    assert out.rstrip().endswith("Review: nothing at odds with the AI findings")
    assert "Patient ID: " in out or "患者ID" in out  # the draft names whom it is about


def test_out_writes_the_file_atomically_and_never_into_the_source(
    package: ModelPackage, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "reports" / "draft.json"
    args = [str(study), "--analysis-model", str(package.folder), "--json", "--out", str(target)]
    code, out, _ = _draft(capsys, *args)
    assert code == 0 and out.strip() == f"wrote {target}"
    assert json.loads(target.read_text(encoding="utf-8"))["engine"] == "template"
    assert [p.name for p in target.parent.iterdir()] == ["draft.json"]  # no temporary left
    before = sorted(p.name for p in study.iterdir())
    for inside in (study / "draft.txt", study / "sub" / "draft.txt"):
        code, _, err = _draft(capsys, str(study), "--out", str(inside))
        assert code == 2 and "inside the source folder" in err
    code, _, err = _draft(capsys, str(study / "pa.dcm"), "--out", str(study / "x.txt"))
    assert code == 2 and "inside the source folder" in err
    assert sorted(p.name for p in study.iterdir()) == before


def test_the_first_of_several_studies_is_drafted(
    package: ModelPackage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(8)
    for name in ("a", "b"):
        context = make_study_context(rng, description=f"STUDY {name.upper()}")
        write_cxr(tmp_path / "two" / f"{name}.dcm", rng, size=(64, 48), study=context)
    code, out, err = _draft(
        capsys, str(tmp_path / "two"), "--analysis-model", str(package.folder), "--json"
    )
    assert code == 0
    assert "2 studies found; drafting the first" in err
    assert len(err.strip().splitlines()) == 1
    assert "PHANTOM" not in err  # no patient data on stderr
    # position, modality and series count only: never the (free-text) description
    assert "drafting the first of 2 (" in err and "1 series)" in err
    assert "STUDY A" not in err and "STUDY B" not in err
    assert json.loads(out)["analysed"] is True


def test_without_a_usable_model_the_draft_says_findings_were_not_assessed(
    package: ModelPackage,
    study: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import core.analysis.registry as registry

    monkeypatch.setattr(registry, "bundled_models_dir", lambda: tmp_path / "no-models")
    code, out, err = _draft(capsys, str(study), "--json")
    assert code == 0
    assert "no model package is installed; drafting without AI findings" in err
    data = json.loads(out)
    assert data["analysed"] is False and data["models"] == [] and data["demo_banner"] is None
    assert [s["text"] for s in data["sections"]["findings"]] == [
        "The images were not assessed by AI analysis; findings are to be reported by the "
        "radiologist."
    ]
    assert data["sections"]["impression"] == []
    # Only a lateral view: the model does not apply, and the draft says so.
    code, out, err = _draft(capsys, str(study / "ll.dcm"), "--analysis-model", str(package.folder))
    assert code == 0
    assert "draft-model did not apply to any image (lateral view)" in err
    assert "Left lateral chest radiograph." in out
    assert "Review: nothing at odds with itself (no AI findings)" in out


def test_usage_errors_exit_2_and_unreadable_input_exits_3(
    package: ModelPackage, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        ([str(study), "--engine", "llm"], "--engine llm needs --model"),
        ([str(study), "--model", str(tmp_path)], "use it with --engine llm"),
        ([str(tmp_path / "missing")], "no such file or folder"),
        ([str(study), "--analysis-model", "no-such-model"], "no-such-model"),
        ([str(study), "--lang", "fr"], "invalid choice: 'fr'"),
    ]
    for args, message in cases:
        code, _, err = _draft(capsys, *args)
        assert code == 2, args
        assert message in err and len(err.strip().splitlines()) == 1
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("not dicom")
    code, _, err = _draft(capsys, str(junk))
    assert code == 3 and "nothing readable" in err


def test_language_model_folders_that_are_refused_exit_2(
    study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.core.llm_helpers import make_corrupt_config_model, make_pickle_only_model

    for folder, message in (
        (tmp_path / "absent", "absent"),
        (make_pickle_only_model(tmp_path / "pickle"), "pickle"),
        (make_corrupt_config_model(tmp_path / "corrupt"), "config.json"),
    ):
        code, _, err = _draft(capsys, str(study), "--engine", "llm", "--model", str(folder))
        assert code == 2, err
        assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_language_model_draft_end_to_end(
    package: ModelPackage, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.core.llm_helpers import make_tiny_causal_lm

    model = make_tiny_causal_lm(tmp_path / "tiny-lm")
    code, out, err = _draft(
        capsys,
        str(study),
        "--engine",
        "llm",
        "--model",
        str(model),
        "--analysis-model",
        str(package.folder),
        "--max-new-tokens",
        "24",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["engine"] == "llm"
    info = data["language_model"]
    assert info["model_name"] == "tiny-lm" and info["new_tokens"] == 24
    assert info["stopped"] is False and info["chat_template"] is True
    # The model writes findings, impression and recommendations; clinical information,
    # technique and comparison are the study records' (the template's wording).
    given = ("clinical_information", "technique", "comparison")
    sentences = [s for name, items in data["sections"].items() if name not in given for s in items]
    assert sentences, "the model wrote nothing"
    for sentence in sentences:
        assert sentence["origin"] == "language_model" and sentence["reviewed"] is False
        assert sentence["source"] == "tiny-lm"
    assert data["sections"]["comparison"][0]["text"] == "None available."
    for name in given:
        assert all(s["origin"] == "template" for s in data["sections"][name]), name
    assert "language_model:tiny-lm" in data["engines"]
    assert "radassist:" in err  # the loading progress went to stderr


def test_the_comparison_names_the_prior_the_archive_holds(
    package: ModelPackage,
    study: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With an archive holding an earlier chest radiograph of the same patient, the
    drafted report's Comparison names it (date and description), not "None available."."""
    import datetime as dt

    import pydicom

    from core.archive import Archive
    from tests.core.archive.helpers import tiny_image

    monkeypatch.setenv("RADASSIST_DATA_DIR", str(tmp_path / "data"))
    code, out, _ = _draft(capsys, str(study), "--analysis-model", str(package.folder))
    assert code == 0 and "None available." in out  # no archive: no prior, and none made
    assert not (tmp_path / "data" / "archive").exists()
    current = pydicom.dcmread(study / "pa.dcm", stop_before_pixels=True)
    earlier = dt.datetime.strptime(current.StudyDate, "%Y%m%d").date() - dt.timedelta(days=400)
    prior = tiny_image(
        patient_id=current.PatientID,
        study_date=earlier.strftime("%Y%m%d"),
        modality=current.Modality,
        description="CHEST PA PRIOR",
    )
    prior.BodyPartExamined = current.BodyPartExamined
    with Archive() as archive:
        assert archive.accept(prior, source="test")
    code, out, _ = _draft(capsys, str(study), "--analysis-model", str(package.folder))
    assert code == 0
    assert earlier.isoformat() in out and "None available." not in out
