"""Train the bundled demo model, radassist-demo-cxr, on synthetic chest radiographs.

Usage::

    .venv/bin/python scripts/train_demo_model.py            # full run, writes the package
    .venv/bin/python scripts/train_demo_model.py --quick    # small smoke run into /tmp

The data are :mod:`scripts.demo_data`'s cases: chest radiographs written by
``core.synthetic.write_cxr`` and read back through the viewer's pixel pipeline, then
preprocessed exactly as the app does for this package (TorchXRayVision's recipe,
:func:`core.analysis.preprocess.apply_xrv_preprocessing`). Preprocessed tensors are
cached under ``bench-data/demo-model/`` (git-ignored), keyed by a hash of the code
that makes them.

The network is the built-in ``densenet-small`` with a log-sum-exp-pooled head (one
dense block, so the Grad-CAM grid is 64 x 64 over a 256-pixel input). The loss is
the multi-label binary cross-entropy plus an auxiliary localisation term: for each
label present in an image, the class activation map of that label (the classifier's
weights applied to the last feature maps, which is what Grad-CAM shows) is turned
into a spatial softmax, and the term is minus the log of its mass inside the
lesion's disc from the generator's ground truth. Operating thresholds
are chosen per label on a validation split (Youden's J). The package is written
with :func:`core.analysis.manifest.seal_package` (SHA-256 of every file), then
evaluated on held-out cases by ``scripts/evaluate_demo_model.py``, which writes
the model card.

CPU only; two threads; see ``training.json`` in the package for the figures of the
run that produced it.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_data
from evaluate_demo_model import compute_auc

from core.analysis.manifest import DEMO_BANNER, seal_package
from core.analysis.preprocess import apply_xrv_preprocessing
from core.synthetic import LESION_LABELS

logger = logging.getLogger("train_demo_model")

Array = npt.NDArray[Any]

ROOT: Final = Path(__file__).resolve().parents[1]
PACKAGE_DIR: Final = ROOT / "resources" / "models" / "radassist-demo-cxr"
CACHE_DIR: Final = ROOT / "bench-data" / "demo-model"
WEIGHTS_NAME: Final = "model.safetensors"

NAME: Final = "radassist-demo-cxr"
#: 2.0.0: 256-px input (a nodule 6-14 px across, not 3-7) and log-sum-exp pooling, so
#: that every heatmap method points at small lesions (issue 10).
VERSION: Final = "2.0.0"
INPUT_SIZE: Final = 256
ARCHITECTURE: Final = "densenet-small"
ARCHITECTURE_OPTIONS: Final[dict[str, Any]] = {
    "growth_rate": 16,
    "block_config": [8],
    "num_init_features": 24,
    "bn_size": 2,
    "pooling": "lse",
}
INDETERMINATE_MARGIN: Final = 0.05
INTENDED_USE: Final = (
    "Demonstrates RadAssist's local analysis on synthetic chest radiographs "
    "(core.synthetic phantoms, frontal CR/DX views of adults): six findings with "
    f"Grad-CAM heatmaps. {DEMO_BANNER}."
)


# --------------------------------------------------------------------------- data


def code_fingerprint(size: int = INPUT_SIZE) -> str:
    """Hash of the code that makes the cached tensors; a change invalidates the cache."""
    digest = hashlib.sha256()
    synthetic = sorted((ROOT / "core" / "synthetic").glob("*.py"))
    for path in (ROOT / "scripts/demo_data.py", *synthetic, ROOT / "core/analysis/preprocess.py"):
        digest.update(path.read_bytes())
    digest.update(f"{size}".encode())
    return digest.hexdigest()[:12]


def prepare_case(case: demo_data.Case, size: int) -> tuple[Array, Array, Array]:
    """Network input, targets and lesion discs of one case.

    Returns
    -------
    x : float16 ``(1, size, size)``
        The preprocessed image, as the app feeds the network.
    y : uint8 ``(6,)``
        Multi-hot targets in LESION_LABELS order.
    discs : float32 ``(6, 3)``
        Per label: centre row, centre column and radius of the lesion's disc in the
        input's normalised coordinates (-1 .. 1 across the input, pixel centres at
        ``2 * (i + 0.5) / size - 1``); NaN where the label is absent.
    """
    image = case.image
    x, geometry = apply_xrv_preprocessing(image.values, image.bits_stored, size)
    discs = np.full((len(LESION_LABELS), 3), np.nan, dtype=np.float32)
    for lesion in case.truth.lesions:
        row, col = geometry.image_to_model(lesion.center)
        k = LESION_LABELS.index(lesion.label)
        discs[k] = (
            2 * (row + 0.5) / size - 1,
            2 * (col + 0.5) / size - 1,
            2 * lesion.radius / geometry.scale[0] / size,
        )
    return x.astype(np.float16), case.targets, discs


def load_split(
    split: str, count: int, cache_dir: Path, workers: int, size: int = INPUT_SIZE
) -> tuple[Array, Array, Array, float]:
    """The split's arrays, from the cache or rendered now; and the seconds it took."""
    path = cache_dir / f"{split}-n{count}-s{size}-{code_fingerprint(size)}.npz"
    started = time.perf_counter()
    if path.is_file():
        with np.load(path) as data:
            arrays = data["x"], data["y"], data["discs"]
        logger.info("%s: %d cases from %s", split, count, path.name)
    else:
        logger.info("%s: rendering %d cases with %d worker(s)", split, count, workers)
        prepare = functools.partial(prepare_case, size=size)
        arrays = demo_data.build_arrays(split, count, prepare, workers=workers)  # type: ignore[assignment]
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, x=arrays[0], y=arrays[1], discs=arrays[2])
        os.replace(tmp, path)
    seconds = time.perf_counter() - started
    logger.info("%s: %d cases ready in %.0f s", split, count, seconds)
    return arrays[0], arrays[1], arrays[2], seconds


# --------------------------------------------------------------------------- training


def choose_threshold(targets: Array, scores: Array) -> tuple[float, float, float]:
    """Youden's J operating point: ``(threshold, sensitivity, specificity)``.

    The threshold is placed half-way between the lowest score kept positive and the
    next lower score, so that it does not sit on a validation case.
    """
    targets = np.asarray(targets).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    candidates = np.unique(scores)[::-1]
    best = (-2.0, 0.5, 0.0, 0.0)
    for i, cut in enumerate(candidates):
        sens = float((scores[targets] >= cut).mean())
        spec = float((scores[~targets] < cut).mean())
        if sens + spec - 1 > best[0]:
            below = candidates[i + 1] if i + 1 < candidates.size else 0.0
            best = (sens + spec - 1, (cut + below) / 2, sens, spec)
    return best[1], best[2], best[3]


def augment(torch: Any, x: Any, discs: Any, generator: Any) -> tuple[Any, Any]:
    """Random scale (±6 %), shift (±3 % of the side), gain (±10 %) and offset (±80)."""
    F = torch.nn.functional  # noqa: N806
    b = x.shape[0]

    def uniform(low: float, high: float, *shape: int) -> Any:
        return torch.rand(*shape, generator=generator) * (high - low) + low

    scale = uniform(0.94, 1.06, b)
    shift = uniform(-0.06, 0.06, b, 2)  # (x, y) in normalised coordinates
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = scale
    theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Padding with -1024 (no signal), as TorchXRayVision's resize pads with zeros.
    x = F.grid_sample(x + 1024.0, grid, align_corners=False, padding_mode="zeros") - 1024.0
    x = x * uniform(0.9, 1.1, b, 1, 1, 1) + uniform(-80.0, 80.0, b, 1, 1, 1)
    # The grid maps output to input coordinates: input = scale * output + shift.
    moved = discs.clone()
    moved[:, :, 0] = (discs[:, :, 0] - shift[:, None, 1]) / scale[:, None]
    moved[:, :, 1] = (discs[:, :, 1] - shift[:, None, 0]) / scale[:, None]
    moved[:, :, 2] = discs[:, :, 2] / scale[:, None]
    return x, moved


#: Labels whose lesion is gone when the explanations' baseline covers most of it: every
#: one-sided finding. The mirrored other side of a heart is still a heart.
REMOVABLE: Final = ("Nodule", "Mass", "Effusion", "Pneumothorax", "Consolidation")
#: Share of a lesion's disc that must be replaced for it to count as removed.
REMOVED_COVERAGE: Final = 0.5


def gaussian_blur(torch: Any, x: Any, sigma: float) -> Any:
    """:func:`core.analysis.perturb.blurred_baseline` for a batch ``(B, C, H, W)``."""
    import math

    F = torch.nn.functional  # noqa: N806
    radius = max(1, math.ceil(3.0 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = (kernel / kernel.sum()).float()
    b, c, h, w = x.shape
    flat = x.reshape(b * c, 1, h, w)
    flat = F.conv2d(F.pad(flat, (0, 0, radius, radius), mode="reflect"), kernel.view(1, 1, -1, 1))
    flat = F.conv2d(F.pad(flat, (radius, radius, 0, 0), mode="reflect"), kernel.view(1, 1, 1, -1))
    return flat.reshape(b, c, h, w)


def remove_regions(
    torch: Any, x: Any, y: Any, discs: Any, generator: Any, probability: float = 0.5
) -> tuple[Any, Any, Any]:
    """Replace random regions with the explanations' baseline; a lesion so removed is absent.

    Perturbation explanations (occlusion, Kernel SHAP) ask the network what it says
    when part of a frontal chest radiograph is replaced by the same place on the other
    side (:func:`core.analysis.perturb.mirrored_baseline`). A network that never saw
    such an image reads the seams as findings, and the explanations point anywhere
    (a replaced square of lung raised the mass probability from 0.23 to 0.9). So a
    share of the training images get the same perturbations -- squares of 4-40 pixels
    (half of them over a lesion) or a random subset of grid cells, as Kernel SHAP's
    coalitions remove superpixels -- and a one-sided lesion (:data:`REMOVABLE`) whose
    disc is mostly replaced by normal tissue loses its label and its localisation
    target. The network learns that a lesion's evidence is the lesion.
    """
    b, _, h, w = x.shape
    fill = x.flip(-1)
    rows = torch.arange(h).view(h, 1).float()
    cols = torch.arange(w).view(1, w).float()
    masks = torch.zeros(b, h, w, dtype=torch.bool)

    def rand() -> float:
        return float(torch.rand(1, generator=generator))

    centre_r = (discs[:, :, 0] + 1) * h / 2 - 0.5
    centre_c = (discs[:, :, 1] + 1) * w / 2 - 0.5
    for i in range(b):
        if rand() >= probability:
            continue
        if rand() < 0.5:
            present = [k for k in range(discs.shape[1]) if not bool(torch.isnan(discs[i, k, 0]))]
            for _ in range(1 + int(rand() * 3)):
                side = 4 + int(rand() * 37)
                if present and rand() < 0.5:
                    k = present[int(rand() * len(present))]
                    top = float(centre_r[i, k]) - side / 2 + (rand() - 0.5) * side * 0.6
                    left = float(centre_c[i, k]) - side / 2 + (rand() - 0.5) * side * 0.6
                else:
                    top, left = rand() * (h - side), rand() * (w - side)
                top, left = int(max(0, min(h - side, top))), int(max(0, min(w - side, left)))
                masks[i, top : top + side, left : left + side] = True
        else:
            cell = (6, 8, 12, 16)[int(rand() * 4)]
            keep = 0.2 + 0.7 * rand()
            grid = torch.rand(h // cell + 2, w // cell + 2, generator=generator) >= keep
            dr, dc = int(rand() * cell), int(rand() * cell)
            masks[i] = grid[((rows + dr) // cell).long(), ((cols + dc) // cell).long()]
    x = torch.where(masks[:, None], fill, x)
    radius = discs[:, :, 2] * h / 2
    dist = torch.sqrt(
        (rows[None, None] - centre_r[:, :, None, None]) ** 2
        + (cols[None, None] - centre_c[:, :, None, None]) ** 2
    )
    inside = dist <= torch.nan_to_num(radius, 0.0).clamp(min=0.75)[:, :, None, None]
    covered = (inside & masks[:, None]).flatten(2).sum(-1) / inside.flatten(2).sum(-1).clamp(min=1)
    removable = torch.tensor([label in REMOVABLE for label in LESION_LABELS])
    removed = (covered >= REMOVED_COVERAGE) & removable[None] & (y > 0)
    y = torch.where(removed, torch.zeros_like(y), y)
    discs = discs.clone()
    discs[removed] = float("nan")
    return x, y, discs


def localization_loss(torch: Any, network: Any, features: Any, discs: Any, targets: Any) -> Any:
    """Minus the log of each present label's class-activation mass inside its disc."""
    F = torch.nn.functional  # noqa: N806
    cam = torch.einsum("kc,bchw->bkhw", network.classifier.weight, features)
    b, k, h, w = cam.shape
    rows = (2 * (torch.arange(h) + 0.5) / h - 1).view(1, 1, h, 1)
    cols = (2 * (torch.arange(w) + 0.5) / w - 1).view(1, 1, 1, w)
    centre_r = torch.nan_to_num(discs[:, :, 0], 1e3)[:, :, None, None]
    centre_c = torch.nan_to_num(discs[:, :, 1], 1e3)[:, :, None, None]
    radius = torch.nan_to_num(discs[:, :, 2], 0.0)[:, :, None, None]
    dist = torch.sqrt((rows - centre_r) ** 2 + (cols - centre_c) ** 2)
    inside = dist <= radius
    # A lesion smaller than a cell still owns the cell nearest its centre.
    nearest = F.one_hot(dist.flatten(2).argmin(-1), h * w).view(b, k, h, w).bool()
    inside = inside | nearest
    log_p = F.log_softmax(cam.flatten(2), dim=-1).view(b, k, h, w)
    mass = torch.logsumexp(log_p.masked_fill(~inside, -1e4).flatten(2), dim=-1)
    present = targets > 0
    if not bool(present.any()):
        return cam.sum() * 0.0
    return -mass[present].mean()


def train(
    x_train: Array,
    y_train: Array,
    d_train: Array,
    x_val: Array,
    y_val: Array,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    loc_weight: float,
    mil_weight: float,
    nonnegative_head: bool,
    seed: int,
    options: dict[str, Any],
    pos_weight_power: float = 0.0,
    removal: float = 0.0,
    lse_sharpness: float = 1.0,
) -> tuple[Any, list[dict[str, float]], Array]:
    """Train the network; returns it (eval mode), the per-epoch log and validation logits."""
    import torch
    import torch.nn.functional as F  # noqa: N812

    from core.analysis.networks import build_network

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    network = build_network(ARCHITECTURE, len(LESION_LABELS), **options)
    if getattr(network, "pooling", "avg") == "lse":
        with torch.no_grad():
            network.pool_sharpness.fill_(lse_sharpness)
    network = network.to(memory_format=torch.channels_last)
    xt = torch.from_numpy(x_train)
    yt = torch.from_numpy(y_train.astype(np.float32))
    dt = torch.from_numpy(d_train)
    xv = torch.from_numpy(x_val)
    positives = yt.sum(0).clamp(min=1.0)
    pos_weight = ((len(yt) - positives) / positives) ** pos_weight_power
    steps_per_epoch = (len(xt) + batch_size - 1) // batch_size
    # The max-pooled head of the MIL term has its own bias: it is calibrated differently.
    mil_bias = torch.nn.Parameter(torch.zeros(len(LESION_LABELS)))
    optimizer = torch.optim.AdamW(
        [*network.parameters(), mil_bias], lr=learning_rate, weight_decay=1e-4
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=learning_rate, total_steps=epochs * steps_per_epoch, pct_start=0.15
    )
    log: list[dict[str, float]] = []
    started = time.perf_counter()
    scores = np.zeros(y_val.shape, dtype=np.float64)
    for epoch in range(epochs):
        network.train()
        order = torch.randperm(len(xt), generator=generator)
        sums = {"bce": 0.0, "loc": 0.0, "mil": 0.0}
        for first in range(0, len(xt), batch_size):
            idx = order[first : first + batch_size]
            x, discs = augment(torch, xt[idx].float(), dt[idx], generator)
            y = yt[idx]
            if removal > 0:
                x, y, discs = remove_regions(torch, x, y, discs, generator, removal)
            features = network.forward_features(x.contiguous(memory_format=torch.channels_last))
            bce = F.binary_cross_entropy_with_logits(
                network.forward_head(features), y, pos_weight=pos_weight
            )
            loc = localization_loss(torch, network, features, discs, y)
            loss = bce + loc_weight * loc
            if mil_weight > 0:
                cam = torch.einsum("kc,bchw->bkhw", network.classifier.weight, features)
                mil = F.binary_cross_entropy_with_logits(cam.flatten(2).amax(-1) + mil_bias, y)
                loss = loss + mil_weight * mil
                sums["mil"] += mil.item() * len(idx)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            if nonnegative_head:
                with torch.no_grad():
                    network.classifier.weight.clamp_(min=0.0)
            sums["bce"] += bce.item() * len(idx)
            sums["loc"] += loc.item() * len(idx)
        network.eval()
        with torch.inference_mode():
            scores = np.concatenate(
                [network(xv[i : i + 200].float()).double().numpy() for i in range(0, len(xv), 200)]
            )
        aucs = [compute_auc(y_val[:, k], scores[:, k]) for k in range(len(LESION_LABELS))]
        entry = {
            "epoch": epoch + 1,
            "bce": sums["bce"] / len(xt),
            "loc": sums["loc"] / len(xt),
            "mil": sums["mil"] / len(xt),
            "val_mean_auc": float(np.mean(aucs)),
            **{f"val_auc_{label}": auc for label, auc in zip(LESION_LABELS, aucs, strict=True)},
            "seconds": time.perf_counter() - started,
        }
        log.append(entry)
        logger.info(
            "epoch %d/%d: bce %.4f loc %.3f mil %.3f | val AUC %s | mean %.3f | %.0f s",
            epoch + 1,
            epochs,
            entry["bce"],
            entry["loc"],
            entry["mil"],
            " ".join(f"{a:.3f}" for a in aucs),
            entry["val_mean_auc"],
            entry["seconds"],
        )
    return network, log, scores


def fit_platt_scaling(targets: Array, logits: Array, iterations: int = 50) -> tuple[float, float]:
    """``(a, c)`` minimising the cross-entropy of ``sigmoid(a * logit + c)`` (Newton steps)."""
    y = np.asarray(targets, dtype=np.float64)
    z = np.asarray(logits, dtype=np.float64)
    features = np.stack([z, np.ones_like(z)], axis=1)
    params = np.array([1.0, 0.0])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(features @ params)))
        gradient = features.T @ (p - y)
        hessian = features.T @ (features * (p * (1 - p))[:, None]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        params -= step
        if np.abs(step).max() < 1e-10:
            break
    return float(params[0]), float(params[1])


def calibrate_head(network: Any, targets: Array, logits: Array) -> tuple[Array, list[list[float]]]:
    """Fold per-label Platt scaling into the classifier; returns calibrated probabilities.

    ``a * (W f + b) + c`` is again a linear layer, so the package stays a plain
    network; ``a > 0`` keeps the ranking (AUC) and the Grad-CAM maps unchanged. With
    log-sum-exp pooling, ``a * LSE_r(W f + b) + c = LSE_(r / a)(a W f + a b + c)``: the
    label's sharpness is divided by ``a`` as well.
    """
    import torch

    weight = network.classifier.weight
    bias = network.classifier.bias
    fitted = []
    probabilities = np.zeros_like(logits)
    with torch.no_grad():
        for k in range(logits.shape[1]):
            a, c = fit_platt_scaling(targets[:, k], logits[:, k])
            if a <= 0:
                raise RuntimeError(f"{LESION_LABELS[k]}: Platt slope {a:.3g} is not positive")
            weight[k] *= a
            bias[k] = bias[k] * a + c
            if getattr(network, "pooling", "avg") == "lse":
                network.pool_sharpness[k] /= a
            probabilities[:, k] = 1.0 / (1.0 + np.exp(-(a * logits[:, k] + c)))
            fitted.append([a, c])
    return probabilities, fitted


# --------------------------------------------------------------------------- package


def manifest_data(
    thresholds: dict[str, float], options: dict[str, Any], size: int = INPUT_SIZE
) -> dict[str, Any]:
    """Every manifest field but ``files`` (seal_package adds the hashes)."""
    return {
        "name": NAME,
        "version": VERSION,
        "task": "classification",
        "description": "Demo: six findings on synthetic chest radiographs, with Grad-CAM",
        "architecture": ARCHITECTURE,
        "architecture_options": options,
        "input": {"size": size, "channels": 1, "preprocessing": "xrv", "crop": "center"},
        "labels": list(LESION_LABELS),
        "thresholds": thresholds,
        "indeterminate_margin": INDETERMINATE_MARGIN,
        "applies_to": {
            "modality": ["CR", "DX"],
            "body_part": ["CHEST"],
            "view_position": ["PA", "AP"],
            "min_age_years": 18,
        },
        "intended_use": INTENDED_USE,
        "disclaimer": DEMO_BANNER,
        "demo": True,
        "weights": WEIGHTS_NAME,
        "model_card": "MODEL_CARD.md",
    }


def write_package(
    out: Path,
    network: Any,
    thresholds: dict[str, float],
    options: dict[str, Any],
    record: dict[str, Any],
    size: int = INPUT_SIZE,
) -> None:
    """Weights, training record, a placeholder card, and the sealed manifest."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in network.state_dict().items()}
    save_file(state, str(out / WEIGHTS_NAME), metadata={"format": "pt", "name": NAME})
    (out / "training.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    card = out / "MODEL_CARD.md"
    if not card.exists():
        card.write_text(f"# {NAME}\n\nNot evaluated yet.\n", encoding="utf-8")
    seal_package(out, manifest_data(thresholds, options, size))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=PACKAGE_DIR, help="package folder")
    parser.add_argument("--cache", type=Path, default=CACHE_DIR, help="tensor cache folder")
    parser.add_argument("--train-count", type=int, default=4000)
    parser.add_argument("--val-count", type=int, default=600)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--input-size", type=int, default=INPUT_SIZE, help="network input side")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--loc-weight", type=float, default=0.5)
    parser.add_argument("--mil-weight", type=float, default=0.0)
    parser.add_argument(
        "--pos-weight-power",
        type=float,
        default=0.0,
        help="BCE positive weight (negatives / positives) ** power per label",
    )
    parser.add_argument(
        "--arch-options", type=json.loads, default=None, help="JSON densenet-small options"
    )
    parser.add_argument(
        "--signed-head", action="store_true", help="allow negative classifier weights"
    )
    parser.add_argument(
        "--removal",
        type=float,
        default=0.0,
        help="share of training images with regions replaced by the explanations' baseline "
        "(off: at 128 px it did not make occlusion or Kernel SHAP point better; see the "
        "model card's Explanations section)",
    )
    parser.add_argument(
        "--lse-sharpness",
        type=float,
        default=1.0,
        help="starting sharpness of the log-sum-exp pooling (learned per label)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="processes rendering cases")
    parser.add_argument("--eval-count", type=int, default=200)
    parser.add_argument("--no-evaluate", action="store_true", help="skip the model card")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 300/100 cases, 2 epochs, into /tmp"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if args.quick:
        args.train_count, args.val_count, args.epochs, args.eval_count = 300, 100, 2, 40
        if args.out == PACKAGE_DIR:
            args.out = Path("/tmp/radassist-demo-cxr-quick")

    import torch

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    size = args.input_size
    x_train, y_train, d_train, train_s = load_split(
        "train", args.train_count, args.cache, args.workers, size
    )
    x_val, y_val, _, val_s = load_split(
        "validation", args.val_count, args.cache, args.workers, size
    )
    options = dict(ARCHITECTURE_OPTIONS if args.arch_options is None else args.arch_options)
    fit_started = time.perf_counter()
    network, log, val_logits = train(
        x_train,
        y_train,
        d_train,
        x_val,
        y_val,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        loc_weight=args.loc_weight,
        mil_weight=args.mil_weight,
        nonnegative_head=not args.signed_head,
        seed=args.seed,
        options=options,
        pos_weight_power=args.pos_weight_power,
        removal=args.removal,
        lse_sharpness=args.lse_sharpness,
    )
    fit_s = time.perf_counter() - fit_started
    val_scores, platt = calibrate_head(network, y_val, val_logits)
    thresholds: dict[str, float] = {}
    operating: dict[str, dict[str, float]] = {}
    for k, label in enumerate(LESION_LABELS):
        cut, sens, spec = choose_threshold(y_val[:, k], val_scores[:, k])
        thresholds[label] = round(float(cut), 4)
        operating[label] = {
            "threshold": thresholds[label],
            "sensitivity": sens,
            "specificity": spec,
            "auc": compute_auc(y_val[:, k], val_scores[:, k]),
            "positives": int(y_val[:, k].sum()),
        }
    record = {
        "data": {
            "generator": "scripts/demo_data.py (core.synthetic.write_cxr, read back as DICOM)",
            "entropy": demo_data.ENTROPY,
            "split_salts": demo_data.SPLIT_SALT,
            "train_cases": args.train_count,
            "validation_cases": args.val_count,
            "train_positives": dict(
                zip(LESION_LABELS, (int(n) for n in y_train.sum(0)), strict=True)
            ),
            "code_fingerprint": code_fingerprint(size),
        },
        "training": {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "learning_rate": args.lr,
            "schedule": "AdamW (weight decay 1e-4), one-cycle, 15 % warm-up",
            "loss": "BCE + loc_weight * localisation (class-activation mass in the lesion disc)",
            "loc_weight": args.loc_weight,
            "mil_weight": args.mil_weight,
            "pos_weight_power": args.pos_weight_power,
            "nonnegative_head": not args.signed_head,
            "augmentation": "scale ±6 %, shift ±3 %, gain ±10 %, offset ±80 (of ±1024)",
            **(
                {
                    "removal": f"{args.removal:.0%} of images: squares or grid cells replaced "
                    "by the explanations' baseline (the mirrored other side); a one-sided "
                    f"lesion replaced >= {REMOVED_COVERAGE:.0%} becomes absent"
                }
                if args.removal > 0
                else {}
            ),
            "seed": args.seed,
            "threads": args.threads,
            "torch": torch.__version__,
            "machine": platform.machine(),
            "log": log,
        },
        "validation": operating,
        "calibration": {
            "method": "Platt scaling per label on the validation split, folded into the "
            "classifier (weight * a, bias * a + c)",
            "a_c": dict(zip(LESION_LABELS, platt, strict=True)),
        },
        "seconds": {
            "render_train": round(train_s, 1),
            "render_validation": round(val_s, 1),
            "fit": round(fit_s, 1),
        },
    }
    write_package(args.out, network, thresholds, options, record, size)
    logger.info(
        "wrote %s (%d bytes of weights) after %.0f s",
        args.out,
        (args.out / WEIGHTS_NAME).stat().st_size,
        time.perf_counter() - started,
    )
    if args.no_evaluate:
        return 0
    import evaluate_demo_model

    return evaluate_demo_model.main(
        ["--model", str(args.out), "--count", str(args.eval_count), "--write-card"]
    )


if __name__ == "__main__":
    sys.exit(main())
