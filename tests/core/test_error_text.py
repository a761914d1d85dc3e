"""A library's exception text never carries a value read from a file into our messages."""

from __future__ import annotations

from core.dicom.isolated_read import describe_failure
from core.errors import library_reason, redact_values


def test_quoted_values_are_taken_out_of_library_messages() -> None:
    error = ValueError("Expected 'DICM' but received b'DOE^JANE' at\n offset 12 \"1957\"")
    assert library_reason(error) == "ValueError: Expected '…' but received '…' at offset 12 '…'"
    assert "DOE" not in describe_failure(error) and "1957" not in describe_failure(error)
    assert redact_values("no quotes here") == "no quotes here"
    assert library_reason(KeyError()) == "KeyError"
    assert len(library_reason(ValueError("x" * 500), 40)) == len("ValueError: ") + 40
