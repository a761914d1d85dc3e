"""A DICOM dataset as a flat, searchable list of rows, for a tag browser.

:func:`dataset_rows` walks a dataset (file meta first, then the data set) in tag
order and flattens nested sequences depth-first: a sequence row, then one row
per item ("Item 1", "Item 2"...), then the item's elements one level deeper
(PS3.5 7.5). :func:`filter_rows` keeps the rows that match a search and the
rows they sit in, so a match deep in a sequence is shown with its path.
:func:`read_tag_rows` is the job that reads a file's header for it.

Rows hold what the file holds, patient data included, because a person asked
to see it; nothing here logs a value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydicom import dcmread
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag, Tag
from pydicom.uid import UID

from core.dicom.headers import quiet_pydicom
from core.dicom.limits import is_deflated, read_dataset_bounded
from core.dicom.person_name import decode_person_name
from core.dicom.records import FileRef
from core.errors import DicomReadError, NotDicomError
from core.i18n import _
from core.jobs import CancelToken, Progress

logger = logging.getLogger(__name__)

__all__ = [
    "TagRow",
    "dataset_rows",
    "filter_rows",
    "format_tag",
    "match_rows",
    "read_tag_rows",
]

#: VRs whose values are bytes, shown by their length (PS3.5 6.2).
_BINARY_VRS: Final = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "UN", "OB or OW", "US or OW"})
#: Longest value text kept in a row; the whole text is kept in ``full_value``.
MAX_VALUE_CHARS: Final = 200
#: How many values of a multi-valued element are listed before "…".
MAX_LISTED_VALUES: Final = 16
#: Values longer than this stay on disk when a file is read for its tags.
_DEFER_SIZE: Final = 64 * 1024
_ITEM_TAG: Final = "(FFFE,E000)"
_HEX_QUERY = re.compile(r"^[0-9a-f]{2,8}$")


@dataclass(frozen=True)
class TagRow:
    """One row of a tag tree: an element, a sequence, or a sequence item.

    Attributes
    ----------
    depth : int
        0 for the top level; an item is one deeper than its sequence, the
        item's elements one deeper than the item.
    tag : str
        ``"(0010,0010)"``; ``"(FFFE,E000)"`` for an item.
    keyword : str
        The DICOM keyword (``"PatientName"``); empty for private and unknown
        tags; ``"Item 1"``... for items.
    name : str
        The attribute name from the data dictionary; for a private tag, the name
        in pydicom's private dictionary under its Private Creator when known
        (``"[Full fidelity]"``), else ``"Private tag data"``/``"Unknown"``.
    vr : str
        Value Representation; empty for items.
    value : str
        The value as text, at most :data:`MAX_VALUE_CHARS` characters; binary
        values as ``"<n bytes>"``; sequences as ``"n items"``.
    path : str
        Where the row is: keywords (or tags) and items joined by ``" / "``,
        e.g. ``"ContentSequence / Item 2 / ValueType"``. Unique in a dataset.
    kind : str
        ``"element"``, ``"sequence"`` or ``"item"``.
    full_value : str or None
        The whole value text when ``value`` had to be shortened, else None.
    """

    depth: int
    tag: str
    keyword: str
    name: str
    vr: str
    value: str
    path: str
    kind: str = "element"
    full_value: str | None = None

    @property
    def copy_text(self) -> str:
        """The text to put on the clipboard for this row's value."""
        return self.full_value if self.full_value is not None else self.value


def format_tag(tag: int) -> str:
    """``(gggg,eeee)`` in upper-case hex, as PS3.6 writes tags.

    Raises
    ------
    TypeError
        When ``tag`` is not an int.
    ValueError
        When ``tag`` is not a 32-bit value.
    """
    if isinstance(tag, bool) or not isinstance(tag, int):
        raise TypeError(f"tag must be an int, found {type(tag).__name__}")
    if not 0 <= tag <= 0xFFFFFFFF:
        raise ValueError(f"tag must be a 32-bit value, found {tag:#x}")
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def dataset_rows(ds: Dataset, *, include_meta: bool = True) -> list[TagRow]:
    """Flatten a dataset into rows, nested sequences depth-first.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A dataset as read by ``dcmread`` (values that were deferred are shown by
        their length and not read).
    include_meta : bool, optional
        Put the File Meta Information (group 0002) first, when the dataset has it.

    Returns
    -------
    list of TagRow
        In tag order within each level. An element whose value cannot be
        converted gets a row saying so instead of stopping the walk.

    Raises
    ------
    TypeError
        When ``ds`` is not a pydicom Dataset.
    """
    if not isinstance(ds, Dataset):
        raise TypeError(f"expected a pydicom Dataset, found {type(ds).__name__}")
    rows: list[TagRow] = []
    meta = getattr(ds, "file_meta", None)
    # pydicom's warnings about odd values quote the values (patient data): keep them quiet.
    with quiet_pydicom():
        if include_meta and isinstance(meta, Dataset):
            _walk(meta, 0, (), rows)
        _walk(ds, 0, (), rows)
    return rows


def _walk(ds: Dataset, depth: int, parents: tuple[str, ...], rows: list[TagRow]) -> None:
    for tag in sorted(ds.keys()):
        try:
            raw: Any = ds.get_item(tag, keep_deferred=True)
            if (
                isinstance(raw, RawDataElement)
                and raw.value is None
                and raw.length
                and _raw_vr(raw) != "SQ"  # a deferred sequence is read: it is the tree
            ):
                rows.append(_deferred_row(ds, raw, depth, parents))
                continue
            element = ds[tag]
        except Exception as exc:  # a malformed value must not hide the rest of the file
            rows.append(_broken_row(Tag(tag), depth, parents, exc))
            continue
        label = element.keyword or format_tag(element.tag)
        path = (*parents, label)
        if element.VR == "SQ":
            items = list(element.value or ())
            count = len(items)
            rows.append(
                TagRow(
                    depth=depth,
                    tag=format_tag(element.tag),
                    keyword=element.keyword,
                    name=element.name,
                    vr="SQ",
                    value=f"{count} item" if count == 1 else f"{count} items",
                    path=" / ".join(path),
                    kind="sequence",
                )
            )
            for number, item in enumerate(items, start=1):
                item_path = (*path, f"Item {number}")
                size = len(item)
                rows.append(
                    TagRow(
                        depth=depth + 1,
                        tag=_ITEM_TAG,
                        keyword=f"Item {number}",
                        name=f"Item {number}",
                        vr="",
                        value=f"{size} element" if size == 1 else f"{size} elements",
                        path=" / ".join(item_path),
                        kind="item",
                    )
                )
                _walk(item, depth + 2, item_path, rows)
            continue
        text = _value_text(element)
        short = _shorten(text)
        rows.append(
            TagRow(
                depth=depth,
                tag=format_tag(element.tag),
                keyword=element.keyword,
                name=element.name,
                vr=str(element.VR),
                value=short,
                path=" / ".join(path),
                full_value=text if short != text else None,
            )
        )


def _raw_vr(raw: RawDataElement) -> str:
    if raw.VR:
        return str(raw.VR)
    try:  # implicit VR: the data dictionary says
        return str(dictionary_VR(raw.tag))
    except KeyError:
        return ""


def _deferred_row(ds: Dataset, raw: RawDataElement, depth: int, parents: tuple[str, ...]) -> TagRow:
    # The value stayed on disk; name the element without reading it.
    element = DataElement(raw.tag, raw.VR or "UN", None)
    keyword = element.keyword
    return TagRow(
        depth=depth,
        tag=format_tag(raw.tag),
        keyword=keyword,
        name=element.name if not raw.tag.is_private else "Private tag data",
        vr=_raw_vr(raw),
        value=f"<{raw.length} bytes>",
        path=" / ".join((*parents, keyword or format_tag(raw.tag))),
    )


def _broken_row(tag: BaseTag, depth: int, parents: tuple[str, ...], exc: Exception) -> TagRow:
    element = DataElement(tag, "UN", None)
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return TagRow(
        depth=depth,
        tag=format_tag(tag),
        keyword=element.keyword,
        name=element.name,
        vr="",
        value=_shorten(f"<unreadable value: {reason}>"),
        path=" / ".join((*parents, element.keyword or format_tag(tag))),
    )


def _value_text(element: DataElement) -> str:
    """One element's value as text (not shortened)."""
    value = element.value
    vr = str(element.VR)
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>" if len(value) else ""
    if vr in _BINARY_VRS and not isinstance(value, str):
        # Some binary VRs come back as lists of numbers (e.g. an OB read as UN with a known VR).
        count = len(value) if isinstance(value, MultiValue | list | tuple) else 1
        return f"<{count} values>"
    if isinstance(value, MultiValue | list | tuple):
        values = list(value)
        listed = [_single_text(v, vr) for v in values[:MAX_LISTED_VALUES]]
        text = "\\".join(listed)
        if len(values) > MAX_LISTED_VALUES:
            text += f"\\… ({len(values)} values)"
        return text
    return _single_text(value, vr)


def _single_text(value: Any, vr: str) -> str:
    if vr == "AT" and isinstance(value, int):
        return format_tag(int(value))
    if isinstance(value, UID):
        name = value.name
        return f"{value} ({name})" if name and name != str(value) else str(value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if vr == "PN":
        # All component groups, but never the ISO 2022 escape sequences pydicom leaves in.
        return decode_person_name(value)
    text = str(value)
    # Control characters (LT/ST/UT line breaks) would break a one-line row.
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip() if vr in ("LT", "ST", "UT") else text


def _is_deflated_file(path: str) -> bool:
    with open(path, "rb") as stream:
        return is_deflated(stream)


def _shorten(text: str) -> str:
    flat = text.replace("\r", " ").replace("\n", " ")
    if len(flat) <= MAX_VALUE_CHARS:
        return flat
    return flat[: MAX_VALUE_CHARS - 1] + "…"


def _tag_digits(tag: str) -> str:
    return tag.replace("(", "").replace(")", "").replace(",", "").lower()


def match_rows(rows: Sequence[TagRow], text: str) -> list[bool]:
    """Which rows :func:`filter_rows` keeps, as a mask parallel to ``rows``.

    Parameters
    ----------
    rows : sequence of TagRow
        Rows in the order :func:`dataset_rows` gives (parents before children).
    text : str
        Case-insensitive search. Matches a tag number (``"0010,0010"``,
        ``"(0010,0010)"``, ``"00100010"`` or a part such as ``"7fe0"``), a
        keyword, a name, or a value. Blank text keeps everything.

    Raises
    ------
    TypeError
        When ``text`` is not a str or a row is not a TagRow.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, found {type(text).__name__}")
    query = text.strip().lower()
    if not query:
        return [True] * len(rows)
    digits = re.sub(r"[\s(),]", "", query)
    as_tag = digits if _HEX_QUERY.match(digits) else None
    keep = [False] * len(rows)
    # Open ancestors: stack[d] is the index of the last row seen at depth d.
    stack: list[int] = []
    for i, row in enumerate(rows):
        if not isinstance(row, TagRow):
            raise TypeError(f"rows must hold TagRow objects, found {type(row).__name__}")
        del stack[row.depth :]
        matched = (
            query in row.keyword.lower()
            or query in row.name.lower()
            or query in row.value.lower()
            or (row.full_value is not None and query in row.full_value.lower())
            or query in row.tag.lower()
            or (as_tag is not None and row.kind != "item" and as_tag in _tag_digits(row.tag))
        )
        if matched:
            keep[i] = True
            for parent in stack:
                keep[parent] = True
        stack.append(i)
    return keep


def filter_rows(rows: Sequence[TagRow], text: str) -> list[TagRow]:
    """The rows that match ``text`` and every row they are nested in, in order.

    See :func:`match_rows` for what matches. A match inside a sequence item
    keeps the item row and the sequence row above it, so the tree still shows
    where the match is.
    """
    return [row for row, kept in zip(rows, match_rows(rows, text), strict=True) if kept]


def read_tag_rows(
    ref: FileRef, token: CancelToken | None = None
) -> Generator[Progress, None, list[TagRow]]:
    """Read a file's header and return its rows (a job; see :mod:`core.jobs`).

    Values longer than 64 KiB (pixel data, for one) are not read: their rows give
    the length only.

    Parameters
    ----------
    ref : FileRef
        The object (a file, or a member of a zip archive).
    token : CancelToken, optional
        Checked before the read and before the rows are made.

    Yields
    ------
    Progress
        Before reading and when done.

    Returns
    -------
    list of TagRow

    Raises
    ------
    TypeError
        When ``ref`` is not a FileRef.
    core.errors.NotDicomError, core.errors.DicomReadError
        When the file cannot be parsed; the message names the file, not its contents.
    """
    if not isinstance(ref, FileRef):
        raise TypeError(f"ref must be a FileRef, found {type(ref).__name__}")
    token = token or CancelToken()
    token.raise_if_cancelled()
    yield Progress(0, 1, "reading header")
    try:
        with quiet_pydicom():
            if ref.member is None and not _is_deflated_file(ref.path):
                ds = dcmread(ref.path, force=True, defer_size=_DEFER_SIZE)
            else:  # a zip member (read under a cap) or deflated (inflated up to the pixels)
                with ref.open() as stream:
                    ds = read_dataset_bounded(
                        stream, source=ref.display_name, stop_before_pixels=is_deflated(stream)
                    )
    except OSError as exc:
        raise DicomReadError(
            ref.display_name, _("cannot open the file ({reason})").format(reason=exc.strerror)
        ) from None
    except Exception as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DicomReadError(
            ref.display_name, _("cannot parse the header: {detail}").format(detail=detail)
        ) from None
    if len(ds) == 0 and len(getattr(ds, "file_meta", None) or ()) == 0:
        raise NotDicomError(ref.display_name, _("no DICOM elements found"))
    token.raise_if_cancelled()
    rows = dataset_rows(ds)
    yield Progress(1, 1, "header read")
    return rows
