"""core.i18n: messages of core and the CLI in the chosen language (gettext, no Qt).

What a person reads in Chinese: the CLI's help and usage errors, the self-test's lines
(aligned, with translated names and statuses, the JSON unchanged), an unreadable file's
reason, a grounding reason. The compiled catalogue is built first when missing or stale.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core import i18n
from core.analysis.errors import HashMismatchError, ManifestError
from core.analysis.manifest import verify_package
from core.cli import main as cli_main
from core.dicom.geometry import compute_geometry
from core.dicom.measure import DistanceMeasurement, RoiStatistics
from core.dicom.overlays import DisplayHeader, OverlayText, compose_overlay, format_window
from core.dicom.records import FileRef, FrameInfo, GeometryProblem, InstanceRecord, SeriesRecord
from core.report.document import FindingFact, Origin, Section, Sentence, new_report
from core.report.grounding import GroundingIssue, check_grounding, describe
from core.selftest import CheckResult, SelfTestReport, Status, SubResult, format_check
from tests.core.package_helpers import make_package
from tests.core.report_helpers import make_report_context
from tests.i18n_helpers import children_speaking

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def built_catalogue() -> None:
    spec = importlib.util.spec_from_file_location(
        "radassist_translations_core", ROOT / "scripts" / "translations.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script
    spec.loader.exec_module(script)
    script.build()


@pytest.fixture
def chinese(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(i18n.LANGUAGE_VARIABLE, raising=False)
    assert i18n.set_language("zh-CN") == "zh-CN"
    yield
    i18n.set_language("en", export=False)
    os.environ.pop(i18n.LANGUAGE_VARIABLE, None)


@pytest.mark.parametrize(
    ("spelling", "language"),
    [
        ("zh-CN", "zh-CN"),
        ("zh_CN.UTF-8", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("en_GB.UTF-8", "en"),
        ("C", "en"),
        ("fr_FR", None),
        ("", None),
        (None, None),
    ],
)
def test_language_spellings(spelling: str | None, language: str | None) -> None:
    assert i18n.normalize_language(spelling) == language


def test_english_is_the_source_and_an_unknown_language_falls_back_to_it() -> None:
    assert i18n.set_language("fr", export=False) == "en"
    assert i18n._("no DICOM elements found") == "no DICOM elements found"
    assert i18n.ngettext("{n} study", "{n} studies", 2).format(n=2) == "2 studies"


def test_chinese_messages_and_plurals(chinese: None) -> None:
    assert i18n.current_language() == "zh-CN"
    assert i18n._("no DICOM elements found") == "未找到 DICOM 数据元素"
    assert i18n.ngettext("{n} study", "{n} studies", 1).format(n=1) == "1 项检查"
    assert os.environ[i18n.LANGUAGE_VARIABLE] == "zh-CN"  # child processes follow


def test_the_cli_language_comes_from_the_variable_then_settings_then_the_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv(i18n.LANGUAGE_VARIABLE, raising=False)
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.language_from_environment() == "zh-CN"  # the system's
    ini = tmp_path / "RadAssist" / "RadAssist.ini"
    ini.parent.mkdir()
    ini.write_text("[interface]\nlanguage=en\n", encoding="utf-8")
    assert i18n.settings_file() == ini
    assert i18n.language_from_environment() == "en"  # Settings → Language wins
    monkeypatch.setenv(i18n.LANGUAGE_VARIABLE, "zh-CN")
    assert i18n.language_from_environment() == "zh-CN"  # the variable wins


def test_cli_help_and_usage_errors_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(i18n.LANGUAGE_VARIABLE, "en")  # the default, whatever this system's is
    try:
        with pytest.raises(SystemExit) as exited:
            cli_main(["--lang", "zh-CN", "self-test", "--help"])
        assert exited.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("用法：radassist self-test")
        assert "显示此帮助信息并退出" in out and "跳过窗口检查" in out
        os.environ[i18n.LANGUAGE_VARIABLE] = "en"  # what the first command exported: undone
        with pytest.raises(SystemExit) as exited:
            cli_main(["scan", ".", "--bogus", "--lang=zh-CN"])  # after the command: not ours
        assert exited.value.code == 2
        err = capsys.readouterr().err  # scan has no --lang of its own: English, refused
        assert err.startswith("radassist: usage error: unrecognized arguments: --bogus"), err
    finally:
        i18n.set_language("en", export=False)
        os.environ.pop(i18n.LANGUAGE_VARIABLE, None)


def test_cli_usage_error_in_chinese_from_the_variable() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LANG"}
    env[i18n.LANGUAGE_VARIABLE] = "zh-CN"
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "scan"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "radassist：用法错误：缺少必需的参数：path"


def test_self_test_lines_in_chinese_are_aligned_and_the_json_is_not_translated(
    chinese: None,
) -> None:
    checks = (
        CheckResult("scan", Status.OK, 0.25, "1 位患者"),
        CheckResult("decoders", Status.OK, 1.5, "…", (SubResult("RLE", "not encoded", "x"),)),
        CheckResult("window", Status.SKIPPED, 0.0, "已指定 --no-window"),
    )
    report = SelfTestReport(checks, 2.0)
    lines = report.lines()
    assert lines[0].startswith("通过    扫描")
    assert lines[-1] == "自检通过：3 项检查，用时 2.0 s（跳过 1 项）"
    assert format_check(checks[1])[1].strip().startswith("未编码")
    # Columns line up in a terminal: the time column ends at the same display column.
    from core.selftest.framework import display_width

    ends = [display_width(line.split(" ms")[0]) for line in (lines[0], lines[3])]
    assert len(set(ends)) == 1, lines
    data = report.to_json()
    assert [c["name"] for c in data["checks"]] == ["scan", "decoders", "window"]
    assert {c["status"] for c in data["checks"]} == {"ok", "skipped"}


def test_an_unreadable_file_reason_in_chinese(chinese: None, tmp_path: Path) -> None:
    """Headers are read in the decoder worker processes: they speak Chinese too."""
    from core.dicom.index import scan

    (tmp_path / "empty.dcm").write_bytes(b"")
    (tmp_path / "cut.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\x00x")
    with children_speaking("zh-CN"):
        index = scan(str(tmp_path))
    reasons = {u.ref.display_name.rsplit("/", 1)[-1]: u.reason for u in index.unreadable}
    skipped = {u.ref.display_name.rsplit("/", 1)[-1]: u.reason for u in index.skipped}
    assert skipped["empty.dcm"] == "不是 DICOM：空文件"
    assert "文件" in reasons["cut.dcm"], reasons


def test_a_grounding_reason_in_chinese(chinese: None) -> None:
    fact = FindingFact("Effusion", "positive", 0.81, 0.3, side="left", zone="lower")
    context = make_report_context("1.2.826.0.1.3680043.8.498.7", findings=(fact,))
    report = new_report(context, "en").with_sentences(
        Section.FINDINGS, [Sentence("There is a right pleural effusion.", Origin.PERSON)]
    )
    reasons = [issue.reason for issue in check_grounding(report)]
    assert "将胸腔积液定位于右侧；分析结果位于左侧（p=0.81，阈值 0.30）" in reasons, reasons


# ----------------------------------------------------------- T5: the viewer's words, refusals


def _axial_series(frames: int = 3) -> SeriesRecord:
    """A 3-slice axial CT series of header records only (no file is read)."""
    info = [
        FrameInfo(
            position=(0.0, 0.0, 2.5 * i),
            orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
            pixel_spacing=(0.5, 0.5),
            slice_thickness=1.25,
        )
        for i in range(frames)
    ]
    instances = tuple(
        InstanceRecord(
            ref=FileRef(f"/nowhere/{i}.dcm"),
            sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
            sop_instance_uid=f"1.2.{i}",
            transfer_syntax_uid="1.2.840.10008.1.2.1",
            modality="CT",
            instance_number=i + 1,
            rows=8,
            columns=8,
            number_of_frames=1,
            samples_per_pixel=1,
            photometric_interpretation="MONOCHROME2",
            bits_allocated=16,
            bits_stored=12,
            pixel_representation=0,
            frames=(info[i],),
        )
        for i in range(frames)
    )
    return SeriesRecord("k", "1.2", "CT", "AXIAL", 1, instances)


def _corners() -> OverlayText:
    header = DisplayHeader(
        patient_name="Doe, Jane",
        patient_id="ID7",
        study_date="20240131",
        study_description="CT CHEST",
        series_description="AXIAL 2mm",
        series_number=3,
        modality="CT",
    )
    geometry = compute_geometry(_axial_series())
    gap = replace(geometry, problems=(GeometryProblem("gap", "a gap"),))
    return compose_overlay(
        header, gap, 1, (40.0, 400.0), 1.5, frame_state="loading", cine_fps=25, inverted=True
    )


def test_the_corner_texts_are_made_in_chinese_where_they_are_made(chinese: None) -> None:
    """compose_overlay (the viewport's and ``radassist render``'s words) in the CLI's zh-CN."""
    text = _corners()
    assert text.top_left == ("Doe, Jane", "ID7")  # patient data as DICOM has it
    assert text.top_right == ("2024-01-31 CT CHEST", "序列 3：AXIAL 2mm", "CT")
    assert text.bottom_left == (
        "图像 2/3",
        "位置 2.5 mm",
        "层厚 1.25 mm",
        "正在加载…",
        "⚠ 层面缺失",
    )
    assert text.bottom_right == ("W:400 L:40  反相", "缩放 150%", "电影回放 25 fps")
    roi = RoiStatistics(40.06, 5.0, -3.0, 80.0, 12, 12.0, "px²", "HU", False)
    assert roi.label_lines == (
        "均值 40.1 HU  标准差 5.0",
        "最小 -3.0  最大 80.0",
        "面积 12.0 px²（未校准）",
    )
    assert DistanceMeasurement(12.5, "px", False, 12.5).label == "12.5 px（未校准）"


def test_the_corner_texts_in_english_are_as_they_always_were() -> None:
    text = _corners()
    assert text.top_right == ("2024-01-31 CT CHEST", "Se 3: AXIAL 2mm", "CT")
    assert text.bottom_left == ("Im 2/3", "Pos 2.5 mm", "Th 1.25 mm", "Loading…", "⚠ gap")
    assert text.bottom_right == ("W 400 L 40  inverted", "Zoom 150%", "Cine 25 fps")
    assert format_window(0.00175, 0.00245) == "W 0.00245 L 0.00175"


def test_a_tampered_model_package_is_refused_in_chinese(chinese: None, tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg")
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(HashMismatchError) as refused:
        verify_package(folder)
    reason = refused.value.reason
    assert reason.startswith("model.safetensors 的 SHA-256 为 "), reason
    assert reason.endswith("…（文件已被改动或已损坏）"), reason
    (folder / "manifest.json").write_text('{"name": "x"', encoding="utf-8")
    with pytest.raises(ManifestError) as broken:
        verify_package(folder)
    assert broken.value.reason.startswith("清单文件无效：不是有效的 JSON（第 1 行："), broken.value


def test_sign_off_tells_an_omission_from_a_conflict_by_its_kind_not_its_words(
    chinese: None,
) -> None:
    fact = FindingFact("Nodule", "positive", 0.91, 0.4, side="right", zone="upper")
    context = make_report_context("1.2.826.0.1.3680043.8.498.7", findings=(fact,))
    report = new_report(context, "en").with_sentences(
        Section.FINDINGS, [Sentence("No pneumothorax.", Origin.PERSON, reviewed=True)]
    )
    lines = [describe(issue) for issue in check_grounding(report)]
    assert len(lines) == 1 and lines[0].startswith("未提及：")
    assert report.signing_blockers(lines) == (lines[0],)  # listed as it is, not as a conflict
    assert report.signing_blockers(["Findings: x"]) == ("冲突：Findings: x",)


def test_a_plugged_command_help_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        with pytest.raises(SystemExit) as exited:
            cli_main(["--lang", "zh-CN", "render", "--help"])
        assert exited.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("用法：radassist render")
        assert "要写入的 PNG 文件" in out and "重建（PATH 中最大的序列）" in out
        with pytest.raises(SystemExit):
            cli_main(["--lang", "zh-CN", "anonymize", "--help"])
        assert "保留选项（可重复）：" in capsys.readouterr().out
    finally:
        i18n.set_language("en", export=False)
        os.environ.pop(i18n.LANGUAGE_VARIABLE, None)


# ------------------------------------------- T7: labels, the demo banner, captions, blockers


def test_a_finding_label_is_named_in_chinese_and_stays_a_key(chinese: None) -> None:
    from core.analysis.labels import label_name

    assert label_name("Effusion") == "胸腔积液"
    assert label_name("pleural_effusion") == "胸腔积液"  # as the templates key labels
    assert [label_name(x) for x in ("Nodule", "Mass", "Pneumothorax")] == ["结节", "肿块", "气胸"]
    assert label_name("Cardiomegaly") == "心影增大" and label_name("Consolidation") == "实变"
    assert label_name("Site_Finding_7") == "Site_Finding_7"  # a site's own model: as written
    assert label_name("Effusion", "en") == "Effusion"
    i18n.set_language("en", export=False)
    assert label_name("Pleural_Thickening") == "Pleural_Thickening"  # English: the manifest's
    assert label_name("Effusion", "zh") == "胸腔积液"  # another language than the current one


def test_label_names_are_the_words_of_the_chinese_report_templates(tmp_path: Path) -> None:
    from core.analysis.labels import KNOWN_LABELS, label_name
    from core.report.templates import load_templates

    templates = load_templates("zh-CN", site_dir=tmp_path)  # the bundled file only
    named = {key: t.negative for key, t in templates.findings.items() if t.negative}
    assert len(named) >= 6
    for key, term in named.items():
        assert key in KNOWN_LABELS
        assert label_name(key, "zh-CN") == term, key
    assert set(templates.findings) <= set(KNOWN_LABELS)  # every template finding has a name


def test_the_demo_banner_heatmap_caption_and_flat_map_note_in_chinese(chinese: None) -> None:
    from core.analysis.heatmaps import describe_heatmap
    from core.analysis.manifest import DEMO_BANNER, demo_banner
    from core.analysis.perturb import Faithfulness, find_flat_reason

    assert demo_banner() == "演示模型（以合成图像训练）— 不可用于临床"
    assert DEMO_BANNER == "Demo model trained on synthetic images — not for clinical use"
    score = Faithfulness(0.1, 0.62, 0.21)
    assert score.describe() == "遮盖热图最强的 10% 区域后：p 0.62 → 0.21"
    # What a derived DICOM object records stays English.
    english = "masking the top 10% of the map: p 0.62 → 0.21"
    assert score.describe(translate=False) == english
    assert describe_heatmap("gradcam", score).endswith(english)
    flat = np.ones((8, 8))
    assert (
        find_flat_reason(flat, 0.5, "Grad-CAM")
        == "无解释：Grad-CAM 热图在图像 100% 的范围内均匀一致"
    )
    i18n.set_language("en", export=False)
    assert score.describe() == english
    assert find_flat_reason(flat, 0.5, "Grad-CAM") == (
        "no explanation: the Grad-CAM map is flat over 100% of the image"
    )


def _denied_effusion() -> list[GroundingIssue]:
    fact = FindingFact("Effusion", "positive", 0.81, 0.3, side="left", zone="lower")
    context = make_report_context("1.2.826.0.1.3680043.8.498.7", findings=(fact,))
    report = new_report(context, "zh-CN").with_sentences(
        Section.FINDINGS, [Sentence("未见胸腔积液。", Origin.PERSON)]
    )
    return list(check_grounding(report))


def test_a_sign_blocker_names_the_section_and_the_finding_in_chinese(chinese: None) -> None:
    (issue,) = _denied_effusion()
    assert issue.label == "Effusion"  # the key, in any language
    line = describe(issue, "zh-CN")
    assert line == "影像所见：“未见胸腔积液。”否定胸腔积液；分析结果为阳性（p=0.81，阈值 0.30）"
    assert describe(issue) == line  # the interface's language by default
    assert describe(issue, "en").startswith("Findings：“")  # the report's headings


def test_a_sign_blocker_in_english_is_as_it_always_was() -> None:
    (issue,) = _denied_effusion()
    assert describe(issue) == (
        'Findings: "未见胸腔积液。" denies Effusion; the analysis found it positive '
        "(p=0.81, threshold 0.30)"
    )


def test_the_corner_says_the_patient_sex_as_the_browser_does(chinese: None) -> None:
    from core.dicom.overlays import sex_word

    header = DisplayHeader(patient_name="Doe, Jane", patient_id="ID7", patient_sex="F")
    geometry = compute_geometry(_axial_series())
    assert compose_overlay(header, geometry, 0, (40.0, 400.0), 1.0).top_left == (
        "Doe, Jane",
        "ID7  女",
    )
    assert [sex_word(x) for x in ("M", "f", "O", "X", "")] == ["男", "女", "其他", "X", ""]
    i18n.set_language("en", export=False)
    assert compose_overlay(header, geometry, 0, (40.0, 400.0), 1.0).top_left[-1] == "ID7  F"
    assert [sex_word(x) for x in ("M", "f", "O")] == ["M", "f", "O"]  # as DICOM has it
