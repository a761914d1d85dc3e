"""Structured output: what a draft is held to, and the JSON a schema-held server writes,
read back into sections as it streams.

A whole-report draft is the sections of :data:`~core.report.prompt.MODEL_SECTIONS`
(the other three come from DICOM). Two forms of the same rule follow from that one list:

- the GBNF grammar of :func:`~core.report.llm.gguf.report_grammar` (llama.cpp, in process
  and at llama.cpp's servers): the text itself, headings and paragraphs;
- the JSON schema of :func:`report_schema` (OpenAI's ``response_format`` with
  ``type: json_schema``, which vLLM, Ollama's ``/v1``, LM Studio and OpenAI honour): an
  object with one required string per section, nothing else.

:class:`SectionsReader` turns that JSON back into the text the grammar would have given
(each heading, from :data:`~core.report.document.SECTION_HEADINGS`, on a line of its
own followed by its paragraph) chunk by chunk, so the panel streams a readable draft and
the strict parser (:func:`~core.report.llm.parsing.draft_sections`) reads it unchanged;
whatever arrived before Stop or a cut-off ends cleanly.

:data:`STRUCTURED_CHOICES` names the constraints an endpoint may be given
(:attr:`~core.report.llm.engines.EngineSpec.structured`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from core.report.document import SECTION_HEADINGS, Section
from core.report.llm.engines import STRUCTURED_CHOICES
from core.report.llm.gguf import report_grammar
from core.report.prompt import MODEL_SECTIONS, DraftMode

logger = logging.getLogger(__name__)

__all__ = [
    "CONSTRAINT_NAMES",
    "STRUCTURED_CHOICES",
    "ReportConstraints",
    "SectionsReader",
    "report_constraints",
    "report_schema",
]

#: What logs, the command line and reports call each constraint (not translated: the
#: desktop has its own words for them).
CONSTRAINT_NAMES: Final[Mapping[str, str]] = {
    "grammar": "GBNF grammar",
    "json_schema": "JSON schema",
    "none": "none",
}
#: The name the schema goes by in the request (OpenAI asks for one).
SCHEMA_NAME: Final = "radiology_report_sections"


def _colon(language: str) -> str:
    # As the prompt asks for the headings (and the grammar holds them).
    return "：" if language == "zh-CN" else ":"


def _schema_sections(mode: DraftMode) -> tuple[Section, ...]:
    if mode is DraftMode.REPORT:
        return tuple(MODEL_SECTIONS)
    if mode is DraftMode.IMPRESSION:
        return (Section.IMPRESSION,)
    return ()


def report_schema(mode: DraftMode) -> dict[str, Any] | None:
    """The JSON schema a draft is held to, or None (a rewrite is free text).

    A whole report: an object with a required string for each of
    :data:`~core.report.prompt.MODEL_SECTIONS`, in order, keyed by the section's name
    (``findings``, ``impression``, ``recommendations``), no other property. An
    impression: the same with ``impression`` only (it is written without a heading).
    """
    sections = _schema_sections(mode)
    if not sections:
        return None
    return {
        "type": "object",
        "properties": {str(section): {"type": "string"} for section in sections},
        "required": [str(section) for section in sections],
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class ReportConstraints:
    """Both forms of the rule a draft is held to (from the same section list).

    Attributes
    ----------
    mode : DraftMode
    language : str
    grammar : str
        GBNF (:func:`~core.report.llm.gguf.report_grammar`); "" for none.
    schema : dict or None
        JSON schema (:func:`report_schema`); None for none.
    """

    mode: DraftMode
    language: str
    grammar: str = ""
    schema: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def any(self) -> bool:
        """There is something to hold the text to."""
        return bool(self.grammar) or self.schema is not None

    def response_format(self) -> dict[str, Any] | None:
        """OpenAI's ``response_format`` for the schema (None without one)."""
        if self.schema is None:
            return None
        return {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": self.schema},
        }

    def reader(self) -> SectionsReader:
        """A fresh reader of the JSON the schema asks for."""
        return SectionsReader(self.mode, self.language)


def report_constraints(mode: DraftMode, language: str) -> ReportConstraints:
    """The grammar and the schema of a draft in ``mode`` and ``language``."""
    return ReportConstraints(mode, language, report_grammar(mode, language), report_schema(mode))


_ESCAPES: Final[Mapping[str, str]] = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


class SectionsReader:
    """Reads a schema-held draft's JSON as it streams; gives the section text back.

    :meth:`feed` takes each chunk as it arrives (a chunk may end anywhere: inside a
    key, a value, an escape or a ``\\uXXXX`` sequence) and returns the text it adds:
    a section's heading line when its value begins (``"Findings:\\n"``, a line break
    before every heading but the first; none for an impression), then the value's
    characters, escapes decoded. :attr:`text` is everything so far: a draft stopped or
    cut off mid-value ends cleanly with what was complete (a half escape is dropped).

    A server that ignored the schema writes plain text: when the first character that
    is not white space is not ``{``, everything passes through as it came
    (:attr:`plain` is True then). Properties the schema does not name are skipped.
    """

    def __init__(self, mode: DraftMode, language: str) -> None:
        self._headings = SECTION_HEADINGS.get(language, SECTION_HEADINGS["en"])
        self._colon = _colon(language)
        self._with_headings = mode is DraftMode.REPORT
        self._names = {str(section): section for section in _schema_sections(mode)}
        # begin → key → colon → value → (string|scalar) → comma → key ... → done
        self._state = "begin"
        self._depth = 0  # nesting inside a skipped object/array value
        self._key: list[str] = []
        self._section: Section | None = None
        self._emit = False
        self._escape = ""  # an escape being read: "\\", "\\u12", ...
        self._high = ""  # a high surrogate waiting for its pair
        self._in_skipped_string = False
        self._sections_seen = 0
        self._pieces: list[str] = []
        self.plain = False

    @property
    def text(self) -> str:
        """The text so far."""
        return "".join(self._pieces)

    @property
    def saw_json(self) -> bool:
        """The answer is JSON (the server honoured the schema, as far as it went)."""
        return self._state != "begin" and not self.plain

    def feed(self, chunk: str) -> str:
        """Read ``chunk``; the text it adds ("" when it adds none)."""
        if self.plain:
            self._pieces.append(chunk)
            return chunk
        out: list[str] = []
        for index, char in enumerate(chunk):
            if self._state == "begin":
                if char.isspace():
                    continue
                if char != "{":
                    self.plain = True
                    rest = chunk[index:]
                    self._pieces.append(rest)
                    return "".join(out) + rest
                self._state = "key"
                continue
            self._step(char, out)
        added = "".join(out)
        if added:
            self._pieces.append(added)
        return added

    def _step(self, char: str, out: list[str]) -> None:
        state = self._state
        if state == "key":
            if char == '"':
                self._key = []
                self._state = "key_string"
            elif char == "}":
                self._state = "done"
            return
        if state == "key_string":
            if self._escape or char == "\\":
                decoded = self._read_escape(char)
                if decoded:
                    self._key.append(decoded)
            elif char == '"':
                self._state = "colon"
            else:
                self._key.append(char)
            return
        if state == "colon":
            if char == ":":
                self._state = "value"
            return
        if state == "value":
            if char.isspace():
                return
            self._section = self._names.get("".join(self._key))
            if char == '"':
                self._begin_value(out)
                self._state = "string"
            elif char in "{[":
                self._depth = 1
                self._state = "skip"
            else:
                self._state = "scalar"
            return
        if state == "string":
            self._string_char(char, out)
            return
        if state == "scalar":
            if char == ",":
                self._state = "key"
            elif char == "}":
                self._state = "done"
            return
        if state == "skip":
            self._skip_char(char)
            return
        if state == "after":
            if char == ",":
                self._state = "key"
            elif char == "}":
                self._state = "done"

    def _begin_value(self, out: list[str]) -> None:
        self._emit = self._section is not None
        if self._emit and self._with_headings and self._section is not None:
            lead = "\n" if self._sections_seen else ""
            out.append(f"{lead}{self._headings[self._section]}{self._colon}\n")
        if self._emit:
            self._sections_seen += 1

    def _string_char(self, char: str, out: list[str]) -> None:
        if self._escape or char == "\\":
            decoded = self._read_escape(char)
            if decoded and self._emit:
                out.append(decoded)
            return
        if char == '"':
            self._high = ""
            self._state = "after"
            return
        self._high = ""
        if self._emit:
            out.append(char)

    def _read_escape(self, char: str) -> str:
        """One character of an escape; the decoded text once it is complete."""
        self._escape += char
        escape = self._escape
        if len(escape) == 1:
            return ""
        if escape[1] != "u":
            self._escape = ""
            return _ESCAPES.get(escape[1], escape[1])
        if len(escape) < 6:
            return ""
        self._escape = ""
        try:
            code = int(escape[2:], 16)
        except ValueError:
            return ""
        if 0xD800 <= code < 0xDC00:  # a high surrogate: its pair follows
            self._high = chr(code)
            return ""
        if 0xDC00 <= code < 0xE000:
            if not self._high:
                return ""
            high, self._high = self._high, ""
            return (high + chr(code)).encode("utf-16", "surrogatepass").decode("utf-16")
        return chr(code)

    def _skip_char(self, char: str) -> None:
        if self._in_skipped_string:
            if self._escape:
                self._escape = ""
            elif char == "\\":
                self._escape = "\\"
            elif char == '"':
                self._in_skipped_string = False
            return
        if char == '"':
            self._in_skipped_string = True
        elif char in "{[":
            self._depth += 1
        elif char in "}]":
            self._depth -= 1
            if self._depth == 0:
                self._state = "after"
