"""Structured output's two forms of the sections rule, and the JSON read back as text.

The schema and the grammar come from the same section list; the reader turns the JSON a
schema-held server streams into the text the panel shows and the parser reads, whatever
the chunk boundaries, escapes (Chinese included) or where the stream was cut off.
"""

from __future__ import annotations

import json

import pytest

from core.report.document import SECTION_HEADINGS, Section
from core.report.llm import DraftMode, draft_sections
from core.report.llm.engines import STRUCTURED_CHOICES, EngineSpec
from core.report.llm.gguf import report_grammar
from core.report.llm.structured import SectionsReader, report_constraints, report_schema
from core.report.prompt import MODEL_SECTIONS

EN_VALUES = {
    "findings": 'A 12 mm "nodule"\\ in the right upper zone.\nNo effusion — café.',
    "impression": "Right upper zone nodule.",
    "recommendations": "CT chest in 3 months.\tFollow up.",
}
ZH_VALUES = {
    "findings": "右肺上野见一结节，约12毫米。\n无胸腔积液。😀",
    "impression": "右肺上野结节。",
    "recommendations": "建议3个月后复查胸部CT。",
}


def _expected(values: dict[str, str], language: str) -> str:
    colon = "：" if language == "zh-CN" else ":"
    headings = SECTION_HEADINGS[language]
    return "\n".join(
        f"{headings[section]}{colon}\n{values[str(section)]}" for section in MODEL_SECTIONS
    )


def _read(chunks: list[str], mode: DraftMode = DraftMode.REPORT, language: str = "en") -> str:
    reader = SectionsReader(mode, language)
    streamed = "".join(reader.feed(chunk) for chunk in chunks)
    assert streamed == reader.text
    return streamed


def test_the_schema_and_the_grammar_come_from_the_same_sections() -> None:
    schema = report_schema(DraftMode.REPORT)
    assert schema is not None
    names = [str(section) for section in MODEL_SECTIONS]
    assert list(schema["properties"]) == names and schema["required"] == names
    assert schema["additionalProperties"] is False
    assert all(spec == {"type": "string"} for spec in schema["properties"].values())
    grammar = report_grammar(DraftMode.REPORT, "en")
    assert all(f'{SECTION_HEADINGS["en"][s]}:\\n"' in grammar for s in MODEL_SECTIONS)
    assert report_schema(DraftMode.IMPRESSION) == {
        "type": "object",
        "properties": {"impression": {"type": "string"}},
        "required": ["impression"],
        "additionalProperties": False,
    }
    assert report_schema(DraftMode.REWRITE) is None
    constraints = report_constraints(DraftMode.REPORT, "zh-CN")
    assert constraints.grammar == report_grammar(DraftMode.REPORT, "zh-CN")
    fmt = constraints.response_format()
    assert fmt is not None and fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True and fmt["json_schema"]["schema"] == schema
    assert not report_constraints(DraftMode.REWRITE, "en").any


@pytest.mark.parametrize(
    ("values", "language", "ascii_only"),
    [(EN_VALUES, "en", True), (ZH_VALUES, "zh-CN", True), (ZH_VALUES, "zh-CN", False)],
    ids=["english", "chinese-escaped", "chinese-raw"],
)
def test_any_chunk_boundary_gives_the_same_sections(
    values: dict[str, str], language: str, ascii_only: bool
) -> None:
    document = json.dumps(values, ensure_ascii=ascii_only)
    expected = _expected(values, language)
    assert _read([document], language=language) == expected
    assert _read(list(document), language=language) == expected  # a character at a time
    for cut in range(len(document) + 1):
        assert _read([document[:cut], document[cut:]], language=language) == expected, cut
    for cut in range(1, len(document), 7):
        pieces = [document[:cut], document[cut : cut + 3], document[cut + 3 :]]
        assert _read(pieces, language=language) == expected, cut


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_cut_off_stream_ends_cleanly_with_what_was_complete(language: str) -> None:
    values = EN_VALUES if language == "en" else ZH_VALUES
    document = json.dumps(values, ensure_ascii=True)
    expected = _expected(values, language)
    for cut in range(len(document) + 1):
        text = _read([document[:cut]], language=language)
        assert expected.startswith(text), (cut, text)
        assert "\\u" not in text  # no half escape leaks
    # Stopped in the middle of an escape: the escape is dropped, the rest is there.
    half = json.dumps({"findings": "Line one.\u5f71"}, ensure_ascii=True)[:-5]
    assert _read([half]) == "Findings:\nLine one."


def test_the_text_is_what_the_strict_parser_reads() -> None:
    document = json.dumps(ZH_VALUES, ensure_ascii=True)
    text = _read([document[i : i + 5] for i in range(0, len(document), 5)], language="zh-CN")
    sections = draft_sections(text, DraftMode.REPORT, "zh-CN", "tiny")
    assert set(sections) == set(MODEL_SECTIONS)
    assert "右肺上野结节" in sections[Section.IMPRESSION][0].text


def test_an_impression_has_no_heading_and_unknown_properties_are_skipped() -> None:
    document = '{"note": {"a": [1, "}\\"]"]}, "n": 3, "impression": "Normal \\u0063hest."}'
    for cut in range(len(document) + 1):
        assert _read([document[:cut], document[cut:]], DraftMode.IMPRESSION) == "Normal chest."


def test_a_server_that_ignored_the_schema_passes_through_as_plain_text() -> None:
    reader = SectionsReader(DraftMode.REPORT, "en")
    assert reader.feed("  ") == ""
    assert reader.feed("Findings: a nodule {x}") == "Findings: a nodule {x}"
    assert reader.feed('"more"') == '"more"'
    assert reader.plain and not reader.saw_json
    assert reader.text == "Findings: a nodule {x}" + '"more"'


def test_an_endpoint_keeps_its_structured_setting() -> None:
    assert STRUCTURED_CHOICES == ("auto", "grammar", "json_schema", "none")
    assert EngineSpec.endpoint("http://127.0.0.1:1", "m").structured == "auto"
    assert EngineSpec.endpoint("http://127.0.0.1:1", "m", structured="json-schema").structured == (
        "json_schema"
    )
    with pytest.raises(ValueError, match="structured must be one of"):
        EngineSpec.endpoint("http://127.0.0.1:1", "m", structured="xml")
