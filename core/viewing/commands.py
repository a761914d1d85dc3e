"""``radassist render``: one image, or a reformatted plane or slab of a series, to a PNG.

Without ``--plane`` it renders one frame of a file (or of a folder's first image
series) through the display pipeline, as ``core.cli.cmd_render`` always has. With
``--plane axial|coronal|sagittal`` it loads the largest image series of PATH,
reformats it (:mod:`core.viewing.mpr`: radiological convention, patient's right on
the image's left, head at the top of coronal and sagittal), optionally as a slab
(``--slab MM --mode mip|minip|avg``), resamples it to square pixels, applies the
series' default window (or ``--window C W``) and writes an 8-bit PNG, owner-only.

Light to import (``core.cli`` loads it at every start): the engines are imported
when the command runs. Exit codes are ``core.cli``'s: 2 usage, 3 nothing readable
(or a series that cannot be reformatted: the reason is printed), 4 not written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.errors import UsageError
from core.i18n import _

PLANE_CHOICES = ("axial", "coronal", "sagittal")
MODE_CHOICES = ("mip", "minip", "avg")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``render`` command to ``core.cli``'s parser."""
    render = sub.add_parser(
        "render",
        help=_("render one image, or a reformatted plane or slab, to a PNG"),
        description=_(
            "Render one frame through the display pipeline, or (with --plane) an "
            "axial, coronal or sagittal plane or slab of the largest series, in patient mm."
        ),
    )
    render.add_argument("path", help=_("a DICOM file (or a folder: its first image series)"))
    render.add_argument("--out", required=True, help=_("PNG file to write"))
    render.add_argument("--frame", type=int, default=0, help=_("frame number, from 0"))
    render.add_argument(
        "--window", type=float, nargs=2, metavar=("CENTER", "WIDTH"), help=_("override the VOI")
    )
    mpr = render.add_argument_group(_("reformatting (the largest series of PATH)"))
    mpr.add_argument("--plane", choices=PLANE_CHOICES, help=_("reformat into this patient plane"))
    mpr.add_argument(
        "--position",
        type=float,
        metavar="MM",
        help=_("the plane's patient coordinate in mm (z, y or x; default: the middle)"),
    )
    mpr.add_argument("--slab", type=float, metavar="MM", help=_("slab thickness in mm"))
    mpr.add_argument("--mode", choices=MODE_CHOICES, help=_("slab projection (default: mip)"))


def run(args: argparse.Namespace) -> int:
    """Run ``radassist render``; return the exit code."""
    if args.plane is None:
        for option in ("position", "slab", "mode"):
            if getattr(args, option) is not None:
                raise UsageError(f"--{option} needs --plane")
        # per-command import: the single-frame renderer lives with the other commands
        from core.cli import cmd_render

        return cmd_render(args)
    return _render_plane(args)


def _render_plane(args: argparse.Namespace) -> int:
    # per-command imports: core.cli loads this module at every start
    import numpy as np
    from PIL import Image

    from core.cli import EXIT_OK, NothingReadableError, _index_or_fail, _pick_series, _save_image
    from core.dicom.display import (
        apply_window,
        choose_default_window,
        is_series_inverted,
        padding_value_of,
    )
    from core.dicom.lut import VoiPreset
    from core.dicom.volume import load_series
    from core.jobs import run_job
    from core.viewing.mpr import MprVolume, resample_square

    if args.frame != 0:
        raise UsageError("--frame does not apply with --plane (use --position MM)")
    if args.window is not None and args.window[1] < 1:
        raise UsageError(f"--window width must be at least 1, not {args.window[1]}")
    if args.slab is not None and not args.slab > 0:
        raise UsageError(f"--slab must be more than 0 mm, not {args.slab:g}")
    if args.mode is not None and args.slab is None:
        raise UsageError("--mode needs --slab MM")
    series = _pick_series(_index_or_fail(args.path), None)
    volume = run_job(load_series(series))
    if not bool(np.any(volume.loaded)):
        raise NothingReadableError(f"{args.path}: no frame of the series could be read")
    mpr = MprVolume(volume)
    try:
        image = mpr.plane(args.plane, args.position, slab=args.slab or 0.0, mode=args.mode or "mip")
    except ValueError as error:
        raise UsageError(str(error)) from None
    square = resample_square(image)
    if args.window is not None:
        preset = VoiPreset(name="Custom", center=float(args.window[0]), width=float(args.window[1]))
    else:
        preset = choose_default_window(series, volume.geometry, square.pixels)
    grey = apply_window(
        square.pixels,
        preset,
        inverted=is_series_inverted(series),
        padding=padding_value_of(series) if image.mode != "avg" else None,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _save_image(Image.fromarray(np.ascontiguousarray(grey)), out)
    for warning in mpr.warnings:
        print(f"radassist: warning: {warning}", file=sys.stderr)
    labels = square.labels
    what = (
        f"{image.mode} slab {image.slab:.1f} mm ({image.slices} slices)"
        if image.slices > 1
        else "plane"
    )
    print(
        f"wrote {out} ({grey.shape[1]}x{grey.shape[0]}, {square.col_spacing:.3g} mm pixels, "
        f"{args.plane} {what} at {image.position:.1f} mm; "
        f"left {labels.left}, right {labels.right}, top {labels.top}, bottom {labels.bottom})"
    )
    return int(EXIT_OK)
