"""The built-in architectures as data: names, options, and the tensors a package must hold.

Torch-free, so that a manifest can be checked (:mod:`core.analysis.manifest`) without
the networks themselves (:mod:`core.analysis.networks`, which builds them with torch).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

logger = logging.getLogger(__name__)

#: Architectures :func:`core.analysis.networks.build_network` knows.
ARCHITECTURES: tuple[str, ...] = ("densenet121", "densenet-small", "resnet50")

#: The tensor whose first dimension is the number of labels, per architecture.
CLASSIFIER_WEIGHT: Mapping[str, str] = {
    "densenet121": "classifier.weight",
    "densenet-small": "classifier.weight",
    "resnet50": "fc.weight",
}

#: The module whose output (after a ReLU) is the last feature map, per architecture.
FEATURE_LAYER: Mapping[str, str] = {
    "densenet121": "features.norm5",
    "densenet-small": "features.norm5",
    "resnet50": "layer4",
}

#: The first weight tensor, whose second dimension is the input channel count.
FIRST_CONV_WEIGHT: Mapping[str, str] = {
    "densenet121": "features.conv0.weight",
    "densenet-small": "features.conv0.weight",
    "resnet50": "conv1.weight",
}

#: How a DenseNet's head pools its class-activation maps: ``"avg"`` is torchvision's
#: global average; ``"lse"`` is log-sum-exp pooling (a soft maximum with a learned
#: sharpness per label, ``pool_sharpness``), which lets a lesion a few cells wide drive
#: its label instead of being averaged away over the whole grid (Wang et al., ChestX-ray8,
#: CVPR 2017).
POOLINGS: tuple[str, ...] = ("avg", "lse")

#: Options each architecture accepts in :func:`~core.analysis.networks.build_network` (and
#: a manifest's ``architecture_options``), with their defaults.
ARCHITECTURE_OPTIONS: Mapping[str, Mapping[str, Any]] = {
    "densenet121": {"drop_rate": 0.0},
    "densenet-small": {
        "growth_rate": 12,
        "block_config": (4, 8, 8),
        "num_init_features": 32,
        "bn_size": 4,
        "drop_rate": 0.0,
        "pooling": "avg",
    },
    "resnet50": {},
}


def check_positive_int(name: str, value: object) -> int:
    """``value`` when it is an int of at least 1 (``name`` is for the message)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, found {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, found {value}")
    return value


def check_architecture_options(architecture: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Validate architecture options and fill in defaults.

    Parameters
    ----------
    architecture : str
        One of :data:`ARCHITECTURES`.
    options : mapping
        Option names to values (see :data:`ARCHITECTURE_OPTIONS`).

    Returns
    -------
    dict
        Every option of the architecture, given or default; ``block_config`` as a tuple.

    Raises
    ------
    TypeError, ValueError
        Unknown architecture or option, or a value of the wrong type or range.
    """
    if not isinstance(architecture, str):
        raise TypeError(f"architecture must be a str, found {type(architecture).__name__}")
    if architecture not in ARCHITECTURE_OPTIONS:
        raise ValueError(
            f"unknown architecture {architecture!r}; known: {', '.join(ARCHITECTURES)}"
        )
    allowed = ARCHITECTURE_OPTIONS[architecture]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(
            f"{architecture} takes no option(s) {', '.join(unknown)}; "
            f"it takes: {', '.join(allowed) or 'none'}"
        )
    merged = {**allowed, **options}
    for name in ("growth_rate", "num_init_features", "bn_size"):
        if name in merged:
            check_positive_int(name, merged[name])
    if "block_config" in merged:
        blocks = merged["block_config"]
        if isinstance(blocks, str) or not isinstance(blocks, Sequence) or not blocks:
            raise TypeError(f"block_config must be a non-empty sequence of ints, found {blocks!r}")
        merged["block_config"] = tuple(check_positive_int("block_config[]", n) for n in blocks)
    if "drop_rate" in merged:
        rate = merged["drop_rate"]
        if isinstance(rate, bool) or not isinstance(rate, int | float):
            raise TypeError(f"drop_rate must be a float, found {type(rate).__name__}")
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"drop_rate must be in [0, 1), found {rate}")
        merged["drop_rate"] = float(rate)
    if "pooling" in merged and merged["pooling"] not in POOLINGS:
        raise ValueError(
            f"pooling must be one of {', '.join(POOLINGS)}, found {merged['pooling']!r}"
        )
    return merged
