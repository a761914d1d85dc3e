"""Errors about one file or folder say which, and survive the trip between processes."""

from __future__ import annotations

import pickle

import pytest

from core.analysis.errors import HashMismatchError, ModelPackageError
from core.errors import DicomReadError, RadAssistError, SourcedError
from core.report.llm import ModelTooLargeError, PickleWeightsError
from core.report.templates import TemplateError


@pytest.mark.parametrize(
    "error",
    [
        DicomReadError("/data/a.dcm", "no preamble"),
        HashMismatchError("/models/x", "model.safetensors: SHA-256 differs"),
        PickleWeightsError("/lm/tiny", "only pytorch_model.bin"),
        TemplateError("/sites/en.json", "findings.Nodule: unknown placeholder {lobe}"),
    ],
)
def test_sourced_errors_name_the_source_and_pickle(error: SourcedError) -> None:
    assert isinstance(error, RadAssistError)
    assert str(error) == f"{error.source}: {error.reason}"
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    assert (copy.source, copy.reason) == (error.source, error.reason)


def test_the_old_field_names_still_read() -> None:
    assert ModelPackageError("/models/x", "bad").package == "/models/x"
    assert PickleWeightsError("/lm/tiny", "bad").folder == "/lm/tiny"
    assert TemplateError("/sites/en.json", "bad").problem == "bad"
    large = pickle.loads(pickle.dumps(ModelTooLargeError("/lm/big", "needs 9 GiB", 9, 4)))
    assert (large.folder, large.needed, large.available) == ("/lm/big", 9, 4)
