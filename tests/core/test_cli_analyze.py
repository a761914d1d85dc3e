"""`radassist analyze PATH [--model NAME_OR_DIR] [--json] [--heatmap-dir DIR]`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.analysis.manifest import ModelPackage
from core.cli import COMMANDS, main
from core.synthetic import make_study_context, write_cxr
from tests.core.model_helpers import make_package, soften

pytestmark = pytest.mark.usefixtures("fresh_analysis")


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModelPackage:
    return make_package(
        tmp_path_factory.mktemp("models") / "cli-model",
        name="cli-model",
        labels=("Nodule", "Effusion"),
        thresholds={"Nodule": 0.0, "Effusion": 1.0},
        edit=soften,
    )


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("study")
    rng = np.random.default_rng(11)
    context = make_study_context(rng)
    write_cxr(folder / "pa.dcm", rng, view="PA", size=(70, 56), study=context)
    write_cxr(folder / "ll.dcm", rng, view="LL", size=(70, 56), study=context, series_number=2)
    return folder


def test_json_lists_every_image_with_findings_and_peaks(
    package: ModelPackage, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "analyze" in COMMANDS
    heatmaps = tmp_path / "heatmaps"
    model = str(package.folder)
    code = main(["analyze", str(study), "--model", model, "--json", "--heatmap-dir", str(heatmaps)])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == 2
    by_name = {Path(item["path"]).name: item for item in data}
    for item in data:
        assert item["model"]["name"] == "cli-model" and item["model"]["version"] == "1.0.0"
        assert item["model"]["sha256"] == package.sha256
    assert by_name["ll.dcm"]["skipped"] == "lateral view" and by_name["ll.dcm"]["findings"] == []
    pa = by_name["pa.dcm"]
    assert pa["skipped"] is None
    assert [f["label"] for f in pa["findings"]] == sorted(
        (f["label"] for f in pa["findings"]),
        key=lambda label: -next(f["probability"] for f in pa["findings"] if f["label"] == label),
    )
    nodule = next(f for f in pa["findings"] if f["label"] == "Nodule")
    effusion = next(f for f in pa["findings"] if f["label"] == "Effusion")
    assert set(nodule) >= {"label", "probability", "threshold", "verdict", "heatmap_peak"}
    assert pa["heatmap_method"] == "gradcam"
    # The map states how faithful it is: the score with its top 10 % masked.
    assert nodule["faithfulness"]["masked_fraction"] == 0.1
    assert nodule["faithfulness"]["drop"] == pytest.approx(
        nodule["faithfulness"]["probability"] - nodule["faithfulness"]["masked_probability"],
        abs=1e-5,
    )
    assert nodule["verdict"] == "positive" and nodule["threshold"] == 0.0
    row, col = nodule["heatmap_peak"]
    assert 0 <= row < 70 and 0 <= col < 56
    assert effusion["verdict"] == "negative" and effusion["heatmap_peak"] is None
    png = Path(nodule["heatmap_png"])
    assert png.parent == heatmaps and png.is_file()
    from PIL import Image

    assert Image.open(png).size == (56, 70)
    assert [p.name for p in heatmaps.iterdir()] == [png.name]


def test_text_output_single_file_export_and_default_model(
    package: ModelPackage,
    study: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import core.analysis.registry as registry

    monkeypatch.setattr(registry, "bundled_models_dir", lambda: package.folder.parent)
    code = main(["analyze", str(study / "pa.dcm"), "--export"])
    out = capsys.readouterr().out
    assert code == 0
    assert "cli-model 1.0.0" in out and "Nodule" in out and "positive" in out
    assert "Grad-CAM peak (row" in out and "masking the top 10% of the map: p " in out
    exports = tmp_path / "data" / "exports"
    written = sorted(p.name[:3] for p in exports.iterdir())
    assert written == ["HM_", "SR_"]
    code = main(["analyze", str(study / "ll.dcm"), "--model", "cli-model"])
    assert code == 0 and "not analysed: lateral view" in capsys.readouterr().out


def test_errors_exit_with_one_line(
    package: ModelPackage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(tmp_path / "missing"), "--model", str(package.folder)]) == 2
    assert "no such file" in capsys.readouterr().err
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"nothing")
    assert main(["analyze", str(junk), "--model", "no-such-model"]) == 2
    err = capsys.readouterr().err
    assert "no-such-model" in err and len(err.strip().splitlines()) == 1
    assert main(["analyze", str(junk), "--model", str(package.folder)]) == 3
    assert "no image could be read" in capsys.readouterr().err


def test_every_method_can_be_asked_for(
    package: ModelPackage, study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for method in ("occlusion", "kernelshap"):
        code = main(
            [
                "analyze",
                str(study / "pa.dcm"),
                "--model",
                str(package.folder),
                "--json",
                "--method",
                method,
            ]
        )
        assert code == 0
        (pa,) = json.loads(capsys.readouterr().out)
        assert pa["heatmap_method"] == method
        nodule = next(f for f in pa["findings"] if f["label"] == "Nodule")
        # A map with its faithfulness, or no peak and the reason: never a silent flat map.
        assert ("faithfulness" in nodule) != ("explanation" in nodule)
        assert (nodule["heatmap_peak"] is None) == ("explanation" in nodule)
