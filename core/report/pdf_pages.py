"""What every page of a PDF report carries, and the fonts it is set in.

:func:`identification_header` is the block of patient and examination
identification (:mod:`core.report.identification`) drawn at the top of every page,
so a page that comes loose from the others still says whose it is.
:func:`numbered_canvas` makes the canvas that numbers the pages "Page X of Y"
once the document's length is known. :func:`find_cjk_font` and
:func:`register_cjk_font` choose the font Chinese is set in.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from core.resources import resource_path

logger = logging.getLogger(__name__)

__all__ = [
    "CJK_FONT_CANDIDATES",
    "find_cjk_font",
    "identification_header",
    "numbered_canvas",
    "register_cjk_font",
]

#: CJK fonts looked for, in order, when ``RADASSIST_CJK_FONT`` names none: Debian/Ubuntu
#: packages (fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk), Windows, macOS.
CJK_FONT_CANDIDATES: Final = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


def find_cjk_font() -> Path | None:
    """The TrueType font the PDF sets Chinese in.

    ``RADASSIST_CJK_FONT``, else the font the installer bundles (``fonts/`` under
    :func:`core.resources.resources_dir`), else a known system font.
    """
    configured = os.environ.get("RADASSIST_CJK_FONT")
    bundled = str(resource_path("fonts", "wqy-microhei.ttc"))
    for candidate in ((configured,) if configured else ()) + (bundled, *CJK_FONT_CANDIDATES):
        path = Path(candidate)
        if path.is_file():
            return path
    return None


@functools.lru_cache(maxsize=1)
def register_cjk_font() -> str:
    """Register the CJK font with reportlab (once) and return its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    path = find_cjk_font()
    if path is not None:
        try:
            pdfmetrics.registerFont(TTFont("RadAssist-CJK", str(path), subfontIndex=0))
            return "RadAssist-CJK"
        except Exception as exc:  # a broken or PostScript-outline font: use the CID font
            logger.warning("cannot embed %s (%s); Chinese set in STSong-Light", path, exc)
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def identification_header(
    fields: Sequence[tuple[str, str]], width: float, *, font: str, cjk: bool
) -> Any:
    """The identification as a two-column table of label and value, ``width`` points wide.

    Values wrap rather than being cut: an identifier is never shortened. Build it
    anew for each page (a reportlab table is drawn once).
    """
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table, TableStyle

    wrap = "CJK" if cjk else None
    label = ParagraphStyle(
        "id-label", fontName=font, fontSize=7, leading=9, textColor=colors.grey, wordWrap=wrap
    )
    value = ParagraphStyle("id-value", fontName=font, fontSize=8.5, leading=10.5, wordWrap=wrap)
    cells = [(Paragraph(escape(k), label), Paragraph(escape(v), value)) for k, v in fields]
    rows = [
        [*cells[i], *(cells[i + 1] if i + 1 < len(cells) else ("", ""))]
        for i in range(0, len(cells), 2)
    ]
    label_width = 0.15 * width
    table = Table(rows, colWidths=[label_width, width / 2 - label_width] * 2)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f4f6f8")),
            ]
        )
    )
    return table


def numbered_canvas(
    draw_number: Callable[[Any, int, int], None],
) -> type[Any]:
    """A reportlab canvas class that calls ``draw_number(canvas, page, pages)`` on each page.

    Pages are kept until the document is saved, when their count is known
    ("Page 2 of 5"); give it to ``SimpleDocTemplate.build(canvasmaker=...)``.
    """
    from reportlab.pdfgen.canvas import Canvas

    class _NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no types
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._kept_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._kept_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            pages = len(self._kept_pages)
            for number, state in enumerate(self._kept_pages, start=1):
                self.__dict__.update(state)
                draw_number(self, number, pages)
                super().showPage()
            super().save()

    return _NumberedCanvas
