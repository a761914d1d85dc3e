"""Built-in networks for model packages (there is no torchvision in the bundle).

Parameter names follow torchvision's definitions exactly, so a state dict saved
from torchvision or TorchXRayVision (converted to safetensors, see the README)
loads without renaming:

``"densenet121"``
    DenseNet-121 (growth 32, blocks 6/12/24/16, 64 initial features):
    ``features.conv0``, ``features.norm0``,
    ``features.denseblock1.denselayer1.norm1/conv1/norm2/conv2``,
    ``features.transition1.norm/conv``, ..., ``features.norm5``, ``classifier``.
    TorchXRayVision's ``densenet121-res224-*`` models (one input channel, 18 heads).
``"densenet-small"``
    The same DenseNet with configurable ``growth_rate``, ``block_config``,
    ``num_init_features`` and ``bn_size`` (the demo model), and ``pooling``: torchvision's
    global average (``"avg"``), or log-sum-exp pooling of the class-activation maps
    (``"lse"``, one more tensor ``pool_sharpness``: a learned sharpness per label), which
    lets a lesion a few feature cells wide carry its label.
``"resnet50"``
    ResNet-50 (v1.5, stride in the 3x3 conv): ``conv1``, ``bn1``,
    ``layer1.0.conv1`` ... ``layer4.2.bn3``, ``layerN.0.downsample.0/1``, ``fc``.
    TorchXRayVision's ``resnet50-res512-all`` once its ``model.`` prefix is stripped.

Every built network has ``forward_features(x)`` (the last convolutional feature
maps, after their ReLU — what Grad-CAM weighs), ``forward_head(features)`` (logits)
and ``forward(x) = forward_head(forward_features(x))``, returning logits (no
sigmoid). Its attributes ``architecture``, ``num_labels``, ``in_channels`` and
``feature_layer`` (the dotted name of the module whose output, after a ReLU, is the
feature map: ``"features.norm5"`` or ``"layer4"``) describe it.

torch is imported inside the functions, so importing this module stays cheap
(house rule 2); the ``nn.Module`` classes are defined on first use. The architectures
as data (names, options, classifier and feature-layer names) are the torch-free
:mod:`core.analysis.architectures`, which manifests are checked against.
"""

from __future__ import annotations

import functools
import logging
import math
from collections import OrderedDict
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.analysis.architectures import (
    CLASSIFIER_WEIGHT,
    FEATURE_LAYER,
    check_architecture_options,
    check_positive_int,
)
from core.analysis.errors import ModelPackageError, UnsafeWeightsError, WeightsMismatchError
from core.i18n import _
from core.model_files import PICKLE_SUFFIXES

if TYPE_CHECKING:
    from torch import nn

    from core.analysis.manifest import ModelManifest


logger = logging.getLogger(__name__)


@functools.cache
def _network_classes() -> dict[str, type[nn.Module]]:
    """Define the nn.Module classes once torch is wanted."""
    import torch
    import torch.nn.functional as F  # noqa: N812
    from torch import Tensor, nn

    class _DenseLayer(nn.Module):
        def __init__(
            self, num_input_features: int, growth_rate: int, bn_size: int, drop_rate: float
        ) -> None:
            super().__init__()
            self.norm1 = nn.BatchNorm2d(num_input_features)
            self.relu1 = nn.ReLU(inplace=True)
            self.conv1 = nn.Conv2d(
                num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False
            )
            self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
            self.relu2 = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(
                bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False
            )
            self.drop_rate = float(drop_rate)

        def forward(self, inputs: list[Tensor]) -> Tensor:
            concatenated = torch.cat(inputs, 1)
            out: Tensor = self.conv1(self.relu1(self.norm1(concatenated)))
            out = self.conv2(self.relu2(self.norm2(out)))
            if self.drop_rate > 0:
                out = F.dropout(out, p=self.drop_rate, training=self.training)
            return out

    class _DenseBlock(nn.ModuleDict):
        def __init__(
            self,
            num_layers: int,
            num_input_features: int,
            bn_size: int,
            growth_rate: int,
            drop_rate: float,
        ) -> None:
            super().__init__()
            for i in range(num_layers):
                layer = _DenseLayer(
                    num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate
                )
                self.add_module(f"denselayer{i + 1}", layer)

        def forward(self, init_features: Tensor) -> Tensor:
            features = [init_features]
            for layer in self.values():
                features.append(layer(features))
            return torch.cat(features, 1)

    class _Transition(nn.Sequential):
        def __init__(self, num_input_features: int, num_output_features: int) -> None:
            super().__init__()
            self.add_module("norm", nn.BatchNorm2d(num_input_features))
            self.add_module("relu", nn.ReLU(inplace=True))
            self.add_module(
                "conv",
                nn.Conv2d(
                    num_input_features, num_output_features, kernel_size=1, stride=1, bias=False
                ),
            )
            self.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))

    class DenseNet(nn.Module):
        """torchvision's DenseNet (memory-efficient mode off), logits out."""

        def __init__(
            self,
            architecture: str,
            num_labels: int,
            in_channels: int,
            growth_rate: int,
            block_config: tuple[int, ...],
            num_init_features: int,
            bn_size: int,
            drop_rate: float,
            pooling: str = "avg",
        ) -> None:
            super().__init__()
            self.architecture = architecture
            self.pooling = pooling
            self.num_labels = num_labels
            self.in_channels = in_channels
            self.feature_layer = FEATURE_LAYER[architecture]
            layers: OrderedDict[str, nn.Module] = OrderedDict(
                [
                    (
                        "conv0",
                        nn.Conv2d(
                            in_channels,
                            num_init_features,
                            kernel_size=7,
                            stride=2,
                            padding=3,
                            bias=False,
                        ),
                    ),
                    ("norm0", nn.BatchNorm2d(num_init_features)),
                    ("relu0", nn.ReLU(inplace=True)),
                    ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
                ]
            )
            num_features = num_init_features
            for i, num_layers in enumerate(block_config):
                layers[f"denseblock{i + 1}"] = _DenseBlock(
                    num_layers, num_features, bn_size, growth_rate, drop_rate
                )
                num_features += num_layers * growth_rate
                if i != len(block_config) - 1:
                    layers[f"transition{i + 1}"] = _Transition(num_features, num_features // 2)
                    num_features //= 2
            layers["norm5"] = nn.BatchNorm2d(num_features)
            self.features = nn.Sequential(layers)
            self.classifier = nn.Linear(num_features, num_labels)
            if pooling == "lse":
                # Per label; calibration folds its scale in (sharpness / a).
                self.pool_sharpness = nn.Parameter(torch.ones(num_labels))
            self.num_features = num_features
            for module in self.modules():
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_normal_(module.weight)
                elif isinstance(module, nn.BatchNorm2d):
                    nn.init.constant_(module.weight, 1)
                    nn.init.constant_(module.bias, 0)
                elif isinstance(module, nn.Linear):
                    nn.init.constant_(module.bias, 0)

        def forward_features(self, x: Tensor) -> Tensor:
            # torchvision applies this ReLU functionally and in place; a fresh tensor here
            # keeps a hook on features.norm5 free to read its own output.
            return F.relu(self.features(x))

        def forward_head(self, features: Tensor) -> Tensor:
            if self.pooling == "lse":
                return self._lse_head(features)
            pooled = torch.flatten(F.adaptive_avg_pool2d(features, (1, 1)), 1)
            return self.classifier(pooled)  # type: ignore[no-any-return]

        def _lse_head(self, features: Tensor) -> Tensor:
            """Log-sum-exp pooling of each label's class-activation map.

            ``(log mean exp(r * cam)) / r`` per label: the mean of the map for a small
            sharpness ``r``, its maximum for a large one. The classifier's weights and
            bias make the map, so Grad-CAM and the class-activation map stay the same
            picture.
            """
            cam = torch.einsum("kc,bchw->bkhw", self.classifier.weight, features)
            cam = cam + self.classifier.bias[None, :, None, None]
            sharpness = self.pool_sharpness.clamp(min=1e-3)[None, :, None]
            cells = cam.shape[-1] * cam.shape[-2]
            scaled = cam.flatten(2) * sharpness
            pooled = (torch.logsumexp(scaled, dim=-1) - math.log(cells)) / sharpness[..., 0]
            return pooled

        def forward(self, x: Tensor) -> Tensor:
            return self.forward_head(self.forward_features(x))

    class _Bottleneck(nn.Module):
        expansion = 4

        def __init__(
            self, inplanes: int, planes: int, stride: int, downsample: nn.Module | None
        ) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(
                planes, planes, kernel_size=3, stride=stride, padding=1, bias=False
            )
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv3 = nn.Conv2d(planes, planes * self.expansion, kernel_size=1, bias=False)
            self.bn3 = nn.BatchNorm2d(planes * self.expansion)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample

        def forward(self, x: Tensor) -> Tensor:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            return self.relu(out + identity)  # type: ignore[no-any-return]

    class ResNet(nn.Module):
        """torchvision's ResNet-50 (v1.5), logits out."""

        def __init__(self, architecture: str, num_labels: int, in_channels: int) -> None:
            super().__init__()
            self.architecture = architecture
            self.num_labels = num_labels
            self.in_channels = in_channels
            self.feature_layer = FEATURE_LAYER[architecture]
            self.inplanes = 64
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(64, 3, stride=1)
            self.layer2 = self._make_layer(128, 4, stride=2)
            self.layer3 = self._make_layer(256, 6, stride=2)
            self.layer4 = self._make_layer(512, 3, stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.num_features = 512 * _Bottleneck.expansion
            self.fc = nn.Linear(self.num_features, num_labels)
            for module in self.modules():
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(module, nn.BatchNorm2d):
                    nn.init.constant_(module.weight, 1)
                    nn.init.constant_(module.bias, 0)

        def _make_layer(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
            downsample: nn.Module | None = None
            if stride != 1 or self.inplanes != planes * _Bottleneck.expansion:
                downsample = nn.Sequential(
                    nn.Conv2d(
                        self.inplanes,
                        planes * _Bottleneck.expansion,
                        kernel_size=1,
                        stride=stride,
                        bias=False,
                    ),
                    nn.BatchNorm2d(planes * _Bottleneck.expansion),
                )
            layers = [_Bottleneck(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes * _Bottleneck.expansion
            layers += [_Bottleneck(self.inplanes, planes, 1, None) for _block in range(1, blocks)]
            return nn.Sequential(*layers)

        def forward_features(self, x: Tensor) -> Tensor:
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            return self.layer4(self.layer3(self.layer2(self.layer1(x))))  # type: ignore[no-any-return]

        def forward_head(self, features: Tensor) -> Tensor:
            return self.fc(torch.flatten(self.avgpool(features), 1))  # type: ignore[no-any-return]

        def forward(self, x: Tensor) -> Tensor:
            return self.forward_head(self.forward_features(x))

    for cls in (DenseNet, ResNet):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
    return {"DenseNet": DenseNet, "ResNet": ResNet}


def build_network(
    architecture: str, num_labels: int, *, in_channels: int = 1, **options: Any
) -> nn.Module:
    """Build a built-in network with random weights, in eval mode.

    Parameters
    ----------
    architecture : {"densenet121", "densenet-small", "resnet50"}
        Which network (see the module docstring for its parameter names).
    num_labels : int
        Outputs of the classifier (one logit per label).
    in_channels : int, optional
        Image channels the first convolution takes (1 for TorchXRayVision models,
        3 for ImageNet ones).
    **options
        Architecture options
        (:data:`~core.analysis.architectures.ARCHITECTURE_OPTIONS`), e.g.
        ``growth_rate=12, block_config=(4, 8, 8)`` for ``"densenet-small"``.

    Returns
    -------
    torch.nn.Module
        Logits out; ``forward_features``/``forward_head`` and ``feature_layer`` as
        described in the module docstring.

    Raises
    ------
    TypeError, ValueError
        Unknown architecture or option, or a bad count.
    """
    merged = check_architecture_options(architecture, options)
    check_positive_int("num_labels", num_labels)
    check_positive_int("in_channels", in_channels)
    classes = _network_classes()
    module: nn.Module
    if architecture == "densenet121":
        module = classes["DenseNet"](
            architecture,
            num_labels,
            in_channels,
            growth_rate=32,
            block_config=(6, 12, 24, 16),
            num_init_features=64,
            bn_size=4,
            drop_rate=merged["drop_rate"],
        )
    elif architecture == "densenet-small":
        module = classes["DenseNet"](architecture, num_labels, in_channels, **merged)
    else:
        module = classes["ResNet"](architecture, num_labels, in_channels)
    module.eval()
    logger.debug(
        "built %s with %d labels, %d input channels", architecture, num_labels, in_channels
    )
    return module


def build_network_for_manifest(manifest: ModelManifest) -> nn.Module:
    """Build the network a manifest describes (random weights; see :func:`load_weights`)."""
    return build_network(
        manifest.architecture,
        len(manifest.labels),
        in_channels=manifest.input.channels,
        **manifest.architecture_options,
    )


def load_weights(module: nn.Module, path: str | PathLike[str]) -> None:
    """Load safetensors weights into a built network, strictly.

    Every tensor of the network must be in the file with the same shape, and the
    file must hold nothing else. Pickle-based files are refused without being
    opened (house rule 7).

    Parameters
    ----------
    module : torch.nn.Module
        A network from :func:`build_network`.
    path : str or Path
        The ``.safetensors`` file.

    Raises
    ------
    UnsafeWeightsError
        The file is not ``.safetensors`` (e.g. ``.pt``, ``.pth``, ``.bin``, ``.ckpt``).
    WeightsMismatchError
        The label count differs (the classifier has another number of outputs than
        the network), or tensors are missing, unexpected or of another shape.
    ModelPackageError
        The file is missing or is not readable safetensors.
    """
    from torch import nn

    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, found {type(module).__name__}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES or suffix != ".safetensors":
        raise UnsafeWeightsError(
            str(path),
            _(
                "weights must be .safetensors, found {suffix}; pickle-based weights are never "
                "loaded (convert them, see the README)"
            ).format(suffix=suffix or _("no suffix")),
        )
    if not path.is_file():
        raise ModelPackageError(str(path), _("weights file not found"))
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelPackageError(
            str(path), _("not a readable safetensors file ({problem})").format(problem=exc)
        ) from exc
    expected = module.state_dict()
    architecture = getattr(module, "architecture", None)
    classifier_key = CLASSIFIER_WEIGHT.get(architecture) if isinstance(architecture, str) else None
    if classifier_key and classifier_key in tensors and classifier_key in expected:
        found_labels = tensors[classifier_key].shape[0]
        want_labels = expected[classifier_key].shape[0]
        if found_labels != want_labels:
            raise WeightsMismatchError(
                str(path),
                _(
                    "label count mismatch: the weights have {found} outputs ({key} {shape}) "
                    "but the network has {count} labels"
                ).format(
                    found=found_labels,
                    key=classifier_key,
                    shape=tuple(tensors[classifier_key].shape),
                    count=want_labels,
                ),
            )
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong_shape = sorted(
        _("{key} {shape} (network {expected})").format(
            key=key, shape=tuple(tensors[key].shape), expected=tuple(expected[key].shape)
        )
        for key in set(expected) & set(tensors)
        if tensors[key].shape != expected[key].shape
    )
    if missing or unexpected or wrong_shape:
        parts = []
        if missing:
            parts.append(
                _("{count} missing tensor(s): {names}").format(
                    count=len(missing), names=_first(missing)
                )
            )
        if unexpected:
            parts.append(
                _("{count} unexpected tensor(s): {names}").format(
                    count=len(unexpected), names=_first(unexpected)
                )
            )
        if wrong_shape:
            parts.append(
                _("{count} tensor(s) of another shape: {names}").format(
                    count=len(wrong_shape), names=_first(wrong_shape)
                )
            )
        prefixes = {key.split(".", 1)[0] for key in unexpected}
        if prefixes & {"model", "module"}:
            parts.append(_("strip the 'model.'/'module.' prefix when converting (see the README)"))
        raise WeightsMismatchError(
            str(path),
            _("weights do not fit {network}: {problems}").format(
                network=architecture or type(module).__name__, problems="; ".join(parts)
            ),
        )
    module.load_state_dict(tensors, strict=True)
    logger.debug("loaded %d tensors into %s", len(tensors), architecture)


def _first(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", … (+{len(items) - limit})" if len(items) > limit else "")
