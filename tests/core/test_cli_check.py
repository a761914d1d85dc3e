"""`radassist check PATH --report FILE [--lang en|zh] [--json]`: a report's text held
against the study's analysis; exit 0 clean, 1 items to review, 2 usage, 3 nothing readable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.analysis.manifest import DEMO_BANNER, ModelPackage
from core.cli import COMMANDS, main
from core.report.issues import ISSUE_KINDS
from core.synthetic import make_study_context, write_cxr
from tests.core.model_helpers import make_package, soften

pytestmark = pytest.mark.usefixtures("fresh_analysis")

LABELS = ("Nodule", "Effusion", "Cardiomegaly")


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModelPackage:
    # Threshold 0 makes Nodule positive on every image, 1 makes the others negative.
    return make_package(
        tmp_path_factory.mktemp("models") / "check-model",
        name="check-model",
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


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as stop:  # argparse refuses an argument
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _check(
    capsys: pytest.CaptureFixture[str],
    study: Path,
    package: ModelPackage,
    report: Path,
    *extra: str,
) -> tuple[int, str, str]:
    args = ["check", str(study), "--report", str(report), "--analysis-model", str(package.folder)]
    return _run(capsys, *args, *extra)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_every_item_is_printed_with_its_sentence_and_reason_and_exits_1(
    package: ModelPackage, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "check" in COMMANDS
    report = _write(
        tmp_path / "report.txt",
        "EXAM: CHEST PA\n\nFINDINGS:\nNo nodule. Large left pleural effusion.\n\n"
        "IMPRESSION: Normal chest.\n",
    )
    code, out, err = _check(capsys, study, package, report)
    assert code == 1, err
    assert f"*** {DEMO_BANNER} ***" in out
    assert "Sections: findings, impression" in out
    assert "Not checked: 1 line(s)" in out  # the EXAM line above the first heading
    lines = out.splitlines()
    flagged = {line.strip() for line in lines if line.startswith("  [")}
    assert '[contradicted] Findings: "No nodule."' in flagged
    assert '[unsupported] Findings: "Large left pleural effusion."' in flagged
    assert '[inconsistent] Impression: "Normal chest."' in flagged
    # Each item's reason on the line below it.
    reason = lines[lines.index('  [contradicted] Findings: "No nodule."') + 1]
    assert "denies Nodule" in reason and "positive" in reason
    assert out.count("  [") == len(flagged) and "To review: " in out
    assert "PHANTOM" not in err  # no patient data on stderr


def test_a_finding_left_out_is_listed_as_not_mentioned(
    package: ModelPackage, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _write(tmp_path / "r.txt", "Findings\nNo pleural effusion. Heart size is normal.\n")
    code, out, _ = _check(capsys, study, package, report, "--json")
    assert code == 1
    data = json.loads(out)
    (item,) = data["issues"]
    assert item["label"] == "Nodule" and item["sentence_id"] is None
    assert item["kind"] not in ("contradicted", "unsupported")  # reviewable, not a conflict
    code, out, _ = _check(capsys, study, package, report)
    assert f"[{item['kind']}] Nodule" in out


def test_json_shape(
    package: ModelPackage, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _write(
        tmp_path / "report.txt",
        "Clinical information: Cough.\nFindings: No nodule. No pleural effusion.\n"
        "Impression:\nNo acute disease.\n",
    )
    code, out, _ = _check(capsys, study, package, report, "--json")
    assert code == 1
    data = json.loads(out)
    assert set(data) == {
        "report",
        "language",
        "analysed",
        "note",
        "models",
        "images_analysed",
        "demo_banner",
        "findings",
        "headings",
        "lines_not_checked",
        "sections",
        "issues",
        "counts",
        "clean",
    }
    assert data["report"] == "report.txt" and data["language"] == "en"
    assert data["analysed"] is True and data["note"] is None
    assert data["models"] == ["check-model 1.0.0"] and data["images_analysed"] == 1
    assert data["demo_banner"] == DEMO_BANNER
    assert {f["label"]: f["verdict"] for f in data["findings"]}["Nodule"] == "positive"
    assert data["headings"] == ["clinical_information", "findings", "impression"]
    assert data["sections"]["findings"] == ["No nodule.", "No pleural effusion."]
    assert data["sections"]["clinical_information"] == ["Cough."]
    assert data["clean"] is False and data["issues"]
    for item in data["issues"]:
        assert {"key", "kind", "section", "label", "reason", "text", "sentence_id"} <= set(item)
        assert item["kind"] in ISSUE_KINDS
    items = {(i["section"], i["text"], i["kind"]) for i in data["issues"]}
    assert ("findings", "No nodule.", "contradicted") in items
    assert data["counts"] == {
        kind: sum(1 for i in data["issues"] if i["kind"] == kind)
        for kind in {i["kind"] for i in data["issues"]}
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_radassists_own_draft_reads_back_clean(
    lang: str,
    package: ModelPackage,
    study: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    draft = tmp_path / "out" / "draft.txt"
    code, _, err = _run(
        capsys,
        "draft",
        str(study),
        "--analysis-model",
        str(package.folder),
        "--lang",
        lang,
        "--out",
        str(draft),
    )
    assert code == 0, err
    code, out, err = _check(capsys, study, package, draft, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["clean"] is True and data["issues"] == []
    assert data["language"] == ("en" if lang == "en" else "zh-CN")
    assert data["sections"]["findings"] and data["sections"]["impression"]
    assert "impression" in data["headings"] and data["lines_not_checked"] > 0
    code, out, _ = _check(capsys, study, package, draft)
    assert code == 0 and out.rstrip().endswith("Clean: nothing to review.")


def test_a_chinese_report_typed_by_hand(
    package: ModelPackage, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        capsys, "draft", str(study), "--analysis-model", str(package.folder), "--json"
    )
    side = {f["label"]: f for f in json.loads(out)["findings"]}["Nodule"]["side"]
    where = {"right": "右", "left": "左"}[side]
    report = _write(
        tmp_path / "zh.txt",
        f"检查所见：\n{where}肺见结节影。未见胸腔积液。\n诊断意见：{where}肺结节。\n",
        encoding="gb18030",  # what a Chinese Windows editor saves
    )
    code, out, err = _check(capsys, study, package, report)
    assert code == 0, out + err
    assert "Report: zh.txt (zh-CN)" in out and "Clean: nothing to review." in out
    contradicting = _write(tmp_path / "zh2.txt", "影像所见\n未见结节。\n\n结论\n未见异常。")
    code, out, _ = _check(capsys, study, package, contradicting, "--lang", "zh", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["language"] == "zh-CN"
    assert ("findings", "未见结节。", "contradicted") in {
        (i["section"], i["text"], i["kind"]) for i in data["issues"]
    }


def test_without_a_model_the_sections_are_still_held_against_each_other(
    study: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import core.analysis.registry as registry

    monkeypatch.setattr(registry, "bundled_models_dir", lambda: tmp_path / "no-models")
    clean = _write(tmp_path / "clean.txt", "FINDINGS: No effusion.\nIMPRESSION: Normal chest.")
    code, out, err = _run(capsys, "check", str(study), "--report", str(clean))
    assert code == 0, out
    assert "no model package is installed; checking without AI findings" in err
    assert "AI findings: none (no model package is installed)" in out
    torn = _write(
        tmp_path / "torn.txt",
        "FINDINGS: No airspace consolidation.\nIMPRESSION: Airspace consolidation.",
    )
    code, out, _ = _run(capsys, "check", str(study), "--report", str(torn), "--json")
    data = json.loads(out)
    assert data["analysed"] is False and data["note"] == "no model package is installed"
    assert code == 1 and [i["kind"] for i in data["issues"]] == ["inconsistent"]


def test_usage_errors_exit_2_and_nothing_readable_exits_3(
    package: ModelPackage, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _write(tmp_path / "r.txt", "FINDINGS: No effusion.")
    cases = [
        (["check", str(study)], "--report"),
        (["check", str(study), "--report", str(tmp_path / "absent.txt")], "no such file"),
        (["check", str(study), "--report", str(tmp_path)], "is a folder"),
        (["check", str(tmp_path / "missing"), "--report", str(report)], "no such file or folder"),
        (["check", str(study), "--report", str(report), "--analysis-model", "nope"], "nope"),
        (["check", str(study), "--report", str(report), "--lang", "fr"], "invalid choice: 'fr'"),
    ]
    for args, message in cases:
        code, _, err = _run(capsys, *args)
        assert code == 2, args
        assert message in err and len(err.strip().splitlines()) == 1
    empty = _write(tmp_path / "empty.txt", "\n  \n")
    code, _, err = _check(capsys, study, package, empty)
    assert code == 3 and "no report text" in err
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    code, _, err = _check(capsys, study, package, binary)
    assert code == 3 and "not a text file" in err
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("not dicom")
    code, _, err = _run(capsys, "check", str(junk), "--report", str(report))
    assert code == 3 and "nothing readable" in err
