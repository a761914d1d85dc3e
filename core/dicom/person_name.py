"""Person Name (PN) values as a person should read them, in any character set.

A PN value (PS3.5 6.2.1) holds up to three component groups separated by
``=``: alphabetic, ideographic and phonetic. Chinese, Japanese and Korean names
usually carry the ideographic form, which is the one the patient and the
radiologist know; the alphabetic form is a transliteration. Each group holds up
to five components separated by ``^``: family, given, middle, prefix, suffix.

Values in ISO 2022 character sets (PS3.5 6.1.2.5) switch code sets with escape
sequences. pydicom decodes them with the Specific Character Set (0008,0005),
but for ISO 2022 IR 58 (GB2312) and for values whose file omits the
declaration, escape sequences survive decoding. Nothing this module returns
ever holds an escape sequence or another control character.

:func:`decode_person_name` gives the clean PN string (all groups, ``^`` and
``=`` kept), which is what the study index records; :func:`format_person_name`
gives the display form every view and export uses.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from collections.abc import Sequence
from typing import Any

logger = logging.getLogger(__name__)

__all__ = [
    "decode_person_name",
    "format_person_name",
    "format_person_name_of",
    "person_name_groups",
]

# ISO 2022 escape sequence: ESC, intermediate bytes 0x20-0x2F, one final byte 0x30-0x7E.
_ESCAPE_SEQUENCE = re.compile("\x1b[\x20-\x2f]*[\x30-\x7e]")
_ESCAPE_BYTES = re.compile(b"\x1b[\x20-\x2f]*[\x30-\x7e]")
# Joiners shape Arabic and Indic script; every other format or control character goes.
_KEPT_FORMAT_CHARACTERS = frozenset("\u200c\u200d")


def _strip_controls(text: str) -> str:
    text = _ESCAPE_SEQUENCE.sub("", text)
    return "".join(
        ch
        for ch in text
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co") or ch in _KEPT_FORMAT_CHARACTERS
    )


def _charset_list(character_sets: str | Sequence[str] | None) -> list[str]:
    if character_sets is None:
        return []
    if isinstance(character_sets, str):
        return [character_sets]
    if isinstance(character_sets, Sequence):
        return [str(c) for c in character_sets]
    raise TypeError(
        f"character_sets must be a str, a sequence of str or None, "
        f"found {type(character_sets).__name__}"
    )


def _decode_bytes(raw: bytes, character_sets: list[str]) -> str:
    """Decode ``raw`` with the declared sets, plus those its escape sequences designate.

    A file that switches code sets without declaring them in Specific Character
    Set is common enough (PS3.5 6.1.2.5.3 requires the declaration); the escape
    sequence itself says which set follows, so it is honoured.
    """
    from pydicom import charset

    encodings = list(charset.convert_encodings(character_sets or [""]))
    for escape in _ESCAPE_BYTES.findall(raw):
        for length in (4, 3):
            encoding = charset.CODES_TO_ENCODINGS.get(escape[:length])
            if encoding and encoding not in encodings:
                encodings.append(encoding)
                break
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pydicom_logger = logging.getLogger("pydicom")
        was_disabled = pydicom_logger.disabled
        pydicom_logger.disabled = True  # its warnings quote the value
        try:
            return charset.decode_bytes(raw, encodings, {ord("^"), ord("=")})
        except Exception:
            return raw.decode("latin-1", errors="replace")
        finally:
            pydicom_logger.disabled = was_disabled


def decode_person_name(value: Any, character_sets: str | Sequence[str] | None = None) -> str:
    """The PN value as clean text: ``"Wang^XiaoDong=王^小东"``.

    Parameters
    ----------
    value : str, bytes, pydicom.valuerep.PersonName or None
        The value as read. Bytes (and a PersonName that kept its original bytes)
        are decoded with ``character_sets`` or the PersonName's own encodings;
        a str that still holds ISO 2022 escape sequences (pydicom's fallback
        decodes an undeclared set byte by byte) is decoded again from its bytes.
    character_sets : str or sequence of str, optional
        The dataset's Specific Character Set (0008,0005) values.

    Returns
    -------
    str
        All component groups, ``=`` and ``^`` kept, trailing empty groups and
        components dropped, no escape sequences or control characters.
    """
    if value is None:
        return ""
    declared = _charset_list(character_sets)
    raw: bytes | None = None
    text: str
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
    elif isinstance(value, str):
        text = value
    else:
        original = getattr(value, "original_string", None)
        if isinstance(original, bytes | bytearray) and b"\x1b" in original:
            raw = bytes(original)
            if not declared:
                encodings = getattr(value, "encodings", None) or []
                declared = [_python_to_dicom(e) for e in encodings]
        try:
            text = str(value)
        except Exception:
            text = ""
    if raw is None and "\x1b" in text:
        try:
            # pydicom's fallback for an unknown escape decodes latin-1: undo it, decode again
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            raw = None
    if raw is not None:
        text = _decode_bytes(raw, declared)
    groups = [_clean_group(g) for g in _strip_controls(text).split("=")[:3]]
    while groups and not groups[-1]:
        groups.pop()
    return "=".join(groups)


def _python_to_dicom(encoding: str) -> str:
    """The Specific Character Set term for a Python encoding pydicom chose."""
    from pydicom import charset

    for term, python_name in charset.python_encoding.items():
        if python_name == encoding:
            return term
    return encoding


def _clean_group(group: str) -> str:
    parts = [p.strip() for p in group.split("^")[:5]]
    while parts and not parts[-1]:
        parts.pop()
    return "^".join(parts)


def person_name_groups(
    value: Any, character_sets: str | Sequence[str] | None = None
) -> tuple[str, str, str]:
    """The alphabetic, ideographic and phonetic groups, each in its display form.

    Alphabetic names read ``"Family, Given Middle"``; ideographic and phonetic
    ones (and East Asian script in the first group) are written the way the
    script writes them, family name first and no space between East Asian wide
    characters (``"王小东"``, ``"홍길동"``).
    """
    groups = decode_person_name(value, character_sets).split("=")
    groups += [""] * (3 - len(groups))
    return (
        _alphabetic_form(groups[0]),
        _native_form(groups[1]),
        _native_form(groups[2]),
    )


def _components(group: str) -> tuple[str, str, str, str, str]:
    parts = [p.strip() for p in group.split("^")] + [""] * 5
    return parts[0], parts[1], parts[2], parts[3], parts[4]


def _alphabetic_form(group: str) -> str:
    if any(_is_wide(ch) for ch in group):
        return _native_form(group)  # kana or hangul written in the first group
    family, given, middle, prefix, suffix = _components(group)
    given_names = " ".join(p for p in (prefix, given, middle) if p)
    name = f"{family}, {given_names}" if family and given_names else family or given_names
    return f"{name} {suffix}" if name and suffix else name or suffix


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _native_form(group: str) -> str:
    family, given, middle, prefix, suffix = _components(group)
    text = ""
    for part in (prefix, family, given, middle, suffix):
        if not part:
            continue
        if text and not (_is_wide(text[-1]) and _is_wide(part[0])):
            text += " "
        text += part
    return text


def format_person_name(value: Any, character_sets: str | Sequence[str] | None = None) -> str:
    """A Person Name as a person reads it: ``"王小东 (Wang, XiaoDong)"``.

    The ideographic form comes first when there is one, with the alphabetic
    form beside it in brackets (the phonetic form where there is no alphabetic
    one); a name with only an alphabetic group reads ``"Family, Given Middle"``.

    Parameters
    ----------
    value : str, bytes, pydicom.valuerep.PersonName or None
        The value, as :func:`decode_person_name` takes it.
    character_sets : str or sequence of str, optional
        The dataset's Specific Character Set (0008,0005) values.

    Returns
    -------
    str
        The display form, ``""`` for an empty name; never an escape sequence or
        control character.
    """
    alphabetic, ideographic, phonetic = person_name_groups(value, character_sets)
    main = ideographic or phonetic or alphabetic
    beside = alphabetic if ideographic or phonetic else ""
    if ideographic and not alphabetic:
        beside = phonetic
    if beside and beside != main:
        return f"{main} ({beside})"
    return main


def format_person_name_of(ds: Any, keyword: str = "PatientName") -> str:
    """:func:`format_person_name` of a dataset's PN element; ``""`` when absent or unreadable.

    The dataset's Specific Character Set is the one pydicom decoded the value with.
    """
    if not isinstance(keyword, str):
        raise TypeError(f"keyword must be a str, found {type(keyword).__name__}")
    try:
        return format_person_name(ds.get(keyword))
    except TypeError:
        raise
    except Exception:  # a value pydicom cannot convert costs the name, not the caller
        return ""
