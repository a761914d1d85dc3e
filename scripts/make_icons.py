"""Draw the RadAssist icon and write it in every size and format the packages need.

Usage::

    .venv/bin/python scripts/make_icons.py [--out resources/icons]

The mark: a rounded dark-blue square holding a stylised chest radiograph -- a spine and
ribs in film white over two faint lung fields -- framed by the cyan corner brackets of a
finding box (the analysis). Every size is drawn on its own, supersampled, with less detail
as it gets smaller, so that 16 px still reads as a ribcage rather than a smudge.

Writes ``radassist.png`` (256 px), ``radassist-48.png``, ``radassist-32.png``,
``radassist-16.png``, ``radassist.ico`` (16-256 px, for Windows) and ``radassist.icns``
(32-1024 px, for macOS).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

OUT_DIR = Path(__file__).resolve().parents[1] / "resources" / "icons"
SUPERSAMPLE = 4

TOP = (30, 94, 156)  # background gradient, top
BOTTOM = (9, 37, 72)  # ... bottom
LUNG = (64, 124, 184)
BONE = (236, 243, 250)
ACCENT = (56, 214, 228)


def _detail(size: int) -> dict[str, float]:
    """Geometry as fractions of the icon's side; fewer, bolder strokes when small."""
    if size <= 32:
        return {"ribs": 3, "rib_width": 0.085, "spine_width": 0.11, "lungs": 0, "brackets": 1}
    if size <= 48:
        return {"ribs": 3, "rib_width": 0.07, "spine_width": 0.09, "lungs": 1, "brackets": 1}
    return {"ribs": 4, "rib_width": 0.05, "spine_width": 0.075, "lungs": 1, "brackets": 1}


def _background(side: int, margin: int) -> Image.Image:
    gradient = Image.new("RGB", (1, side))
    for y in range(side):
        t = y / max(1, side - 1)
        gradient.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM, strict=True))
        )
    gradient = gradient.resize((side, side))
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (margin, margin, side - 1 - margin, side - 1 - margin), radius=round(side * 0.2), fill=255
    )
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    image.paste(gradient, (0, 0), mask)
    return image


#: At 16 px the bones are placed pixel by pixel: spine columns 7-8, three pairs of ribs that
#: rise toward it (left side; the right side mirrors it).
_RIB_PIXELS_16 = ((6, 0), (5, 0), (4, 0), (3, 1), (2, 2))
_RIB_ROWS_16 = (3, 6, 9)


def _draw_16() -> Image.Image:
    image = _background(16 * SUPERSAMPLE, 0).resize((16, 16), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(image)
    draw.rectangle((7, 2, 8, 13), fill=BONE)
    for row in _RIB_ROWS_16:
        for dx, dy in _RIB_PIXELS_16:
            draw.point([(dx, row + dy), (15 - dx, row + dy)], fill=BONE)
    return image


def draw_icon(size: int) -> Image.Image:
    """The icon at ``size`` x ``size`` pixels (RGBA)."""
    if size <= 16:
        return _draw_16()
    d = _detail(size)
    s = size * SUPERSAMPLE
    margin = round(s * (0.0 if size <= 32 else 0.03))
    image = _background(s, margin)
    cx = s / 2

    if d["lungs"]:  # two soft lung fields behind the ribs
        lungs = Image.new("RGBA", (s, s), (0, 0, 0, 0))
        draw = ImageDraw.Draw(lungs)
        for sign in (-1, 1):
            x0, x1 = sorted((cx + sign * s * 0.07, cx + sign * s * 0.33))
            draw.ellipse((x0, s * 0.24, x1, s * 0.80), fill=(*LUNG, 150))
        lungs = lungs.filter(ImageFilter.GaussianBlur(s * 0.02))
        image.alpha_composite(lungs)

    draw = ImageDraw.Draw(image)
    ribs = int(d["ribs"])
    rib_width = max(1, round(s * d["rib_width"]))
    top, bottom = 0.27, 0.72  # where the ribs sit (fractions of the side)
    for i in range(ribs):
        t = i / max(1, ribs - 1)
        y = s * (top + (bottom - top - 0.12) * t)  # the rib's highest point, at the spine
        half_width = s * (0.25 + 0.07 * t)
        depth = s * (0.16 + 0.03 * t)
        box = (cx - half_width, y, cx + half_width, y + 2 * depth)
        # The upper arc of an ellipse, cut at the spine: each side rib rises toward the spine.
        draw.arc(box, 180 + 12, 270 - 16, fill=BONE, width=rib_width)
        draw.arc(box, 270 + 16, 360 - 12, fill=BONE, width=rib_width)

    spine_half = s * d["spine_width"] / 2
    spine_top, spine_bottom = s * 0.2, s * 0.8
    if size <= 32:
        draw.rounded_rectangle(
            (cx - spine_half, spine_top, cx + spine_half, spine_bottom),
            radius=spine_half,
            fill=BONE,
        )
    else:  # vertebrae
        count = 7
        pitch = (spine_bottom - spine_top) / count
        for i in range(count):
            y0 = spine_top + i * pitch
            draw.rounded_rectangle(
                (cx - spine_half, y0, cx + spine_half, y0 + pitch * 0.78),
                radius=spine_half * 0.45,
                fill=BONE,
            )

    if d["brackets"]:  # the finding box's corners
        width = max(1, round(s * (0.035 if size > 32 else 0.05)))
        lo, hi, arm = s * 0.12, s * 0.88, s * 0.14
        corners = ((lo, lo, 1, 1), (hi, lo, -1, 1), (lo, hi, 1, -1), (hi, hi, -1, -1))
        for x, y, dx, dy in corners:
            draw.line([(x + dx * arm, y), (x, y), (x, y + dy * arm)], fill=ACCENT, width=width)
            r = width / 2
            for px, py in ((x + dx * arm, y), (x, y + dy * arm), (x, y)):
                draw.ellipse((px - r, py - r, px + r, py + r), fill=ACCENT)

    return image.resize((size, size), Image.Resampling.LANCZOS)


def write_icons(out_dir: Path) -> list[Path]:
    """Write every icon file into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    icons = {size: draw_icon(size) for size in (16, 24, 32, 48, 64, 128, 256, 512, 1024)}
    written = []
    for name, size in (
        ("radassist.png", 256),
        ("radassist-48.png", 48),
        ("radassist-32.png", 32),
        ("radassist-16.png", 16),
    ):
        path = out_dir / name
        icons[size].save(path, optimize=True)
        written.append(path)

    ico_sizes = (16, 24, 32, 48, 64, 128, 256)
    ico = out_dir / "radassist.ico"
    icons[256].save(
        ico,
        sizes=[(n, n) for n in ico_sizes],
        append_images=[icons[n] for n in ico_sizes if n != 256],
    )
    written.append(ico)

    # 256-colour PNGs inside the .icns: the 512 and 1024 px entries would be ~300 KiB as
    # RGBA; as a palette with alpha they look the same and take a tenth.
    icns = out_dir / "radassist.icns"
    palette = {
        n: icons[n].quantize(256, method=Image.Quantize.FASTOCTREE)
        for n in (32, 64, 128, 256, 512, 1024)
    }
    palette[1024].save(icns, append_images=[palette[n] for n in (32, 64, 128, 256, 512)])
    written.append(icns)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"folder (default {OUT_DIR})")
    args = parser.parse_args()
    for path in write_icons(args.out):
        print(f"{path}  {path.stat().st_size // 1024 or 1} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
