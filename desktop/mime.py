"""Drag-and-drop formats the window's parts share (one owner: the browser drags, viewports drop)."""

from __future__ import annotations

from typing import Final

__all__ = ["SERIES_MIME_TYPE"]

#: A series row dragged from the study browser; the data is the series key (UTF-8).
SERIES_MIME_TYPE: Final = "application/x-radassist-series"
