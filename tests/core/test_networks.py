"""Built-in networks: torchvision's parameter names, strict safetensors loading."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from safetensors.torch import save_file  # noqa: E402

from core.analysis.architectures import check_architecture_options  # noqa: E402
from core.analysis.errors import (  # noqa: E402
    ModelPackageError,
    UnsafeWeightsError,
    WeightsMismatchError,
)
from core.analysis.networks import build_network, load_weights  # noqa: E402

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _bn(prefix: str) -> list[str]:
    return [f"{prefix}.{name}" for name in BN]


def expected_densenet121_keys() -> list[str]:
    """torchvision.models.densenet121's state-dict keys, written out from its definition."""
    keys = ["features.conv0.weight", *_bn("features.norm0")]
    for block, layers in enumerate((6, 12, 24, 16), start=1):
        for layer in range(1, layers + 1):
            p = f"features.denseblock{block}.denselayer{layer}"
            keys += [
                *_bn(f"{p}.norm1"),
                f"{p}.conv1.weight",
                *_bn(f"{p}.norm2"),
                f"{p}.conv2.weight",
            ]
        if block < 4:
            keys += [
                *_bn(f"features.transition{block}.norm"),
                f"features.transition{block}.conv.weight",
            ]
    return [*keys, *_bn("features.norm5"), "classifier.weight", "classifier.bias"]


def expected_resnet50_keys() -> list[str]:
    """torchvision.models.resnet50's state-dict keys (blocks 3/4/6/3)."""
    keys = ["conv1.weight", *_bn("bn1")]
    for layer, blocks in enumerate((3, 4, 6, 3), start=1):
        for block in range(blocks):
            p = f"layer{layer}.{block}"
            for i in (1, 2, 3):
                keys += [f"{p}.conv{i}.weight", *_bn(f"{p}.bn{i}")]
            if block == 0:
                keys += [f"{p}.downsample.0.weight", *_bn(f"{p}.downsample.1")]
    return [*keys, "fc.weight", "fc.bias"]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Iterator[None]:
    # Tests share two cores with other work; torch's spinning threads then slow it badly.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def densenet121() -> torch.nn.Module:
    return build_network("densenet121", 18)


def test_densenet121_has_torchvision_names_and_shapes(densenet121: torch.nn.Module) -> None:
    state = densenet121.state_dict()
    assert list(state) == expected_densenet121_keys()
    assert len(state) == 727
    assert tuple(state["features.conv0.weight"].shape) == (64, 1, 7, 7)
    assert tuple(state["features.denseblock1.denselayer1.conv1.weight"].shape) == (128, 64, 1, 1)
    assert tuple(state["features.denseblock1.denselayer1.conv2.weight"].shape) == (32, 128, 3, 3)
    assert tuple(state["features.transition1.conv.weight"].shape) == (128, 256, 1, 1)
    assert tuple(state["features.denseblock4.denselayer16.conv2.weight"].shape) == (32, 128, 3, 3)
    assert tuple(state["features.norm5.weight"].shape) == (1024,)
    assert tuple(state["classifier.weight"].shape) == (18, 1024)
    # torchvision's densenet121 has 7,978,856 parameters with 3 channels and 1000 classes;
    # one input channel and 18 heads (TorchXRayVision's) leave 6,966,034.
    assert sum(p.numel() for p in densenet121.parameters()) == 6_966_034


def test_densenet121_forward_and_features(densenet121: torch.nn.Module) -> None:
    x = torch.randn(2, 1, 64, 64)
    with torch.no_grad():
        logits = densenet121(x)
        features = densenet121.forward_features(x)
        head = densenet121.forward_head(features)
    assert logits.shape == (2, 18)
    assert features.shape == (2, 1024, 2, 2)
    assert torch.allclose(head, logits)
    assert bool((features >= 0).all())
    assert densenet121.feature_layer == "features.norm5"
    assert (densenet121.architecture, densenet121.num_labels, densenet121.in_channels) == (
        "densenet121",
        18,
        1,
    )


def test_feature_layer_hook_sees_what_forward_features_returns() -> None:
    # Grad-CAM hooks the feature layer and applies the ReLU itself: that must match.
    net = build_network("densenet-small", 3)
    seen: list[torch.Tensor] = []
    layer = net.get_submodule(net.feature_layer)
    handle = layer.register_forward_hook(lambda _m, _i, out: seen.append(out.detach().clone()))
    x = torch.randn(1, 1, 64, 64)
    with torch.no_grad():
        features = net.forward_features(x)
    handle.remove()
    assert torch.equal(torch.relu(seen[0]), features)


def test_resnet50_has_torchvision_names() -> None:
    net = build_network("resnet50", 18)
    state = net.state_dict()
    assert list(state) == expected_resnet50_keys()
    assert tuple(state["conv1.weight"].shape) == (64, 1, 7, 7)
    assert tuple(state["layer1.0.conv3.weight"].shape) == (256, 64, 1, 1)
    assert tuple(state["layer2.0.conv2.weight"].shape) == (128, 128, 3, 3)  # v1.5: stride here
    assert tuple(state["fc.weight"].shape) == (18, 2048)
    # torchvision's resnet50: 25,557,032 parameters (3 channels, 1000 classes).
    assert sum(p.numel() for p in net.parameters()) == 23_538_642
    with torch.no_grad():
        assert net(torch.randn(1, 1, 64, 64)).shape == (1, 18)
        assert net.forward_features(torch.randn(1, 1, 64, 64)).shape == (1, 2048, 2, 2)
    assert net.feature_layer == "layer4"


def test_resnet50_second_layer_stride_in_3x3_conv() -> None:
    net = build_network("resnet50", 2)
    assert net.layer2[0].conv1.stride == (1, 1)
    assert net.layer2[0].conv2.stride == (2, 2)
    assert net.layer2[0].downsample[0].stride == (2, 2)


def test_densenet_small_is_configurable_and_named_alike() -> None:
    net = build_network(
        "densenet-small", 6, growth_rate=8, block_config=(2, 3), num_init_features=16
    )
    keys = list(net.state_dict())
    assert keys[0] == "features.conv0.weight"
    assert "features.denseblock2.denselayer3.conv2.weight" in keys
    assert "features.transition1.conv.weight" in keys
    assert "features.transition2.conv.weight" not in keys
    # 16 + 2*8 = 32 -> transition 16 -> + 3*8 = 40 features.
    assert tuple(net.state_dict()["classifier.weight"].shape) == (6, 40)
    with torch.no_grad():
        assert net(torch.randn(3, 1, 64, 64)).shape == (3, 6)
    three = build_network("densenet-small", 2, in_channels=3)
    assert three.state_dict()["features.conv0.weight"].shape[1] == 3


def test_built_network_is_in_eval_mode() -> None:
    assert build_network("densenet-small", 2).training is False


@pytest.mark.parametrize(
    ("arch", "options", "error"),
    [
        ("vgg16", {}, ValueError),
        ("densenet121", {"growth_rate": 12}, ValueError),
        ("densenet-small", {"growth_rate": 0}, ValueError),
        ("densenet-small", {"growth_rate": 1.5}, TypeError),
        ("densenet-small", {"block_config": "444"}, TypeError),
        ("densenet-small", {"block_config": ()}, TypeError),
        ("densenet-small", {"drop_rate": 1.0}, ValueError),
        ("densenet-small", {"pooling": "max"}, ValueError),
        ("resnet50", {"drop_rate": 0.1}, ValueError),
    ],
)
def test_bad_architecture_or_option_is_refused(
    arch: str, options: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        check_architecture_options(arch, options)


def test_bad_label_count_is_refused() -> None:
    with pytest.raises(ValueError, match="num_labels"):
        build_network("densenet-small", 0)
    with pytest.raises(TypeError, match="num_labels"):
        build_network("densenet-small", True)


def test_check_architecture_options_fills_defaults() -> None:
    merged = check_architecture_options("densenet-small", {"block_config": [2, 2]})
    assert merged["block_config"] == (2, 2)
    assert merged["growth_rate"] == 12


def test_lse_pooling_lets_a_small_region_drive_its_label(tmp_path: Path) -> None:
    avg = build_network("densenet-small", 2, block_config=(2,), growth_rate=8)
    lse = build_network("densenet-small", 2, block_config=(2,), growth_rate=8, pooling="lse")
    lse.load_state_dict({**avg.state_dict(), "pool_sharpness": torch.ones(2)})
    background = torch.zeros(1, avg.num_features, 16, 16)
    spot = background.clone()
    spot[0, :, 7, 9] = 4.0  # one feature cell of 256 lights up: a nodule-sized region
    with torch.no_grad():
        for net in (avg, lse):
            net.classifier.weight.fill_(0.5)
            net.classifier.bias.zero_()
        rise_avg = float((avg.forward_head(spot) - avg.forward_head(background))[0, 0])
        rise_lse = float((lse.forward_head(spot) - lse.forward_head(background))[0, 0])
        # Averaged over the grid the cell counts 1/256; the soft maximum lets it count.
        assert rise_lse > 10 * rise_avg > 0
        # A small sharpness is the mean again, a large one the maximum of the map.
        lse.pool_sharpness.fill_(1e-3)
        assert torch.allclose(lse.forward_head(spot), avg.forward_head(spot), atol=0.05)
        lse.pool_sharpness.fill_(50.0)
        peak = 0.5 * 4.0 * avg.num_features
        assert float(lse.forward_head(spot)[0, 0]) == pytest.approx(peak, rel=0.05)
    # The sharpness is part of the weights: saved, loaded strictly, refused when missing.
    path = _save(lse, tmp_path / "lse.safetensors")
    again = build_network("densenet-small", 2, block_config=(2,), growth_rate=8, pooling="lse")
    load_weights(again, path)
    assert float(again.pool_sharpness[0]) == pytest.approx(50.0)
    with pytest.raises(WeightsMismatchError):
        load_weights(again, _save(avg, tmp_path / "avg.safetensors"))


def _save(net: torch.nn.Module, path: Path, rename: str = "") -> Path:
    save_file({rename + k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return path


def test_load_weights_round_trip(tmp_path: Path) -> None:
    source = build_network("densenet-small", 4)
    with torch.no_grad():
        for p in source.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    path = _save(source, tmp_path / "w.safetensors")
    target = build_network("densenet-small", 4)
    load_weights(target, path)
    x = torch.randn(2, 1, 64, 64)
    with torch.no_grad():
        assert torch.allclose(source(x), target(x), atol=1e-6)


def test_load_weights_refuses_a_label_count_mismatch(tmp_path: Path) -> None:
    path = _save(build_network("densenet-small", 5), tmp_path / "w.safetensors")
    with pytest.raises(WeightsMismatchError, match=r"label count mismatch.*5 outputs.*4 labels"):
        load_weights(build_network("densenet-small", 4), path)


def test_load_weights_refuses_other_tensors_and_hints_the_prefix(tmp_path: Path) -> None:
    path = _save(build_network("densenet-small", 2), tmp_path / "w.safetensors", rename="model.")
    with pytest.raises(WeightsMismatchError, match=r"missing tensor.*unexpected.*'model\.'"):
        load_weights(build_network("densenet-small", 2), path)


def test_load_weights_refuses_another_architecture(tmp_path: Path) -> None:
    small = build_network("densenet-small", 2, growth_rate=8, block_config=(2, 2))
    path = _save(small, tmp_path / "w.safetensors")
    with pytest.raises(WeightsMismatchError, match="do not fit densenet-small"):
        load_weights(build_network("densenet-small", 2), path)


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".bin", ".ckpt"])
def test_load_weights_never_opens_pickles(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("torch.load must never be called")

    monkeypatch.setattr(torch, "load", forbidden)
    path = tmp_path / f"weights{suffix}"
    path.write_bytes(b"\x80\x04not really a pickle")
    with pytest.raises(UnsafeWeightsError, match="never loaded"):
        load_weights(build_network("densenet-small", 2), path)


def test_load_weights_reports_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(ModelPackageError, match="not a readable safetensors"):
        load_weights(build_network("densenet-small", 2), path)
    with pytest.raises(ModelPackageError, match="not found"):
        load_weights(build_network("densenet-small", 2), tmp_path / "absent.safetensors")


# -- the README's TorchXRayVision conversion, run against a stand-in module -------------

NIH_LABELS = [
    "Atelectasis", "Consolidation", "Infiltration", "Pneumothorax", "Edema", "Emphysema",
    "Fibrosis", "Effusion", "Pneumonia", "Pleural_Thickening", "Cardiomegaly", "Nodule", "Mass",
    "Hernia", "", "", "", "",
]  # fmt: skip


def _readme_conversion_code() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Converting TorchXRayVision weights", 1)[1]
    return section.split("```python", 1)[1].split("```", 1)[0]


def test_readme_conversion_yields_a_loadable_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import math
    import sys
    import types

    from core.analysis.manifest import verify_package
    from core.analysis.networks import build_network_for_manifest

    source = build_network("densenet121", 18)
    with torch.no_grad():
        source.classifier.weight.normal_()

    class StandInDenseNet:
        # TorchXRayVision's DenseNet: torchvision names plus an op_threshs buffer.
        def __init__(self, weights: str) -> None:
            self.weights = weights

        def state_dict(self) -> dict[str, torch.Tensor]:
            return {**source.state_dict(), "op_threshs": torch.zeros(18)}

    thresholds = [0.01 * (i + 1) for i in range(14)] + [math.nan] * 4
    fake = types.ModuleType("torchxrayvision")
    fake.__version__ = "1.3.4"  # type: ignore[attr-defined]
    fake.models = types.SimpleNamespace(  # type: ignore[attr-defined]
        DenseNet=StandInDenseNet,
        ResNet=None,
        model_urls={"densenet121-res224-all": {"labels": NIH_LABELS, "op_threshs": thresholds}},
    )
    monkeypatch.setitem(sys.modules, "torchxrayvision", fake)
    monkeypatch.chdir(tmp_path)
    exec(compile(_readme_conversion_code(), "README.md", "exec"), {"__name__": "readme"})

    package = verify_package(tmp_path / "xrv-densenet121-res224-all")
    manifest = package.manifest
    assert manifest.architecture == "densenet121" and manifest.input.size == 224
    assert manifest.labels[:14] == tuple(NIH_LABELS[:14])
    assert manifest.hidden_labels == ("unused-14", "unused-15", "unused-16", "unused-17")
    assert manifest.thresholds["Atelectasis"] == pytest.approx(0.01)
    net = build_network_for_manifest(manifest)
    load_weights(net, package.weights_path)
    x = torch.randn(1, 1, 64, 64)
    with torch.no_grad():
        assert torch.allclose(net(x), source(x), atol=1e-5)
