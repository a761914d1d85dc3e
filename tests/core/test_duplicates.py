"""Two copies of one image: the one that decodes is kept, the other is set aside with why."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGBaseline8Bit, RLELossless

from core.dicom import duplicates
from core.dicom.duplicates import choose_copies, copy_identity
from core.dicom.index import scan
from core.dicom.records import StudyIndex
from core.dicom.volume import load_series
from core.jobs import run_job
from tests.core.test_index import make_image, write

SOP = "1.2.826.0.1.3680043.8.498.55"


def _native(**extra: object) -> object:
    ds = make_image(sop=SOP, rows=16, columns=16, **extra)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.PixelData = np.arange(256, dtype=np.uint8).tobytes()
    return ds


def _broken_jpeg() -> object:
    """The same object as a JPEG whose stream is damaged: it cannot be decoded."""
    ds = _native()
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xdb" + bytes(200)])
    ds["PixelData"].VR = "OB"
    return ds


def _kept_and_set_aside(index: StudyIndex) -> tuple[list[str], dict[str, str]]:
    kept = [Path(i.ref.path).name for s in index.all_series() for i in s.instances]
    aside = {Path(u.ref.path).name: u.reason for u in index.unreadable}
    return kept, aside


def test_the_copy_that_decodes_is_kept_even_when_it_comes_second(tmp_path: Path) -> None:
    write(_broken_jpeg(), tmp_path / "a_first.dcm")
    write(_native(), tmp_path / "b_second.dcm")
    index = scan(tmp_path)
    kept, aside = _kept_and_set_aside(index)
    assert kept == ["b_second.dcm"]  # was a_first.dcm, which then loaded as a black frame
    assert list(aside) == ["a_first.dcm"]
    assert aside["a_first.dcm"].startswith(
        f"same SOP Instance UID as {tmp_path / 'b_second.dcm'}, which was kept: "
        "this copy does not decode ("
    )
    volume = run_job(load_series(index.all_series()[0]))
    assert volume.failures == ()
    assert volume.array[0].max() == 255


def test_of_copies_that_all_decode_the_first_is_kept_and_nothing_is_decoded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(_native(), tmp_path / "a.dcm")
    write(_native(), tmp_path / "b.dcm")
    with caplog.at_level(logging.INFO, logger="core.dicom.duplicates"):
        kept, aside = _kept_and_set_aside(scan(tmp_path))
    assert kept == ["a.dcm"]
    assert aside == {
        "b.dcm": f"same SOP Instance UID as {tmp_path / 'a.dcm'}: a copy of an object "
        "already indexed, not shown twice"
    }
    assert "1 objects with copies: 0 copies decoded to choose, 1 set aside" in caplog.text


def test_a_compressed_first_copy_is_decoded_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    compressed = _native()
    compressed.compress(RLELossless, generate_instance_uid=False)
    write(compressed, tmp_path / "a_rle.dcm")
    write(_native(), tmp_path / "b_native.dcm")
    with caplog.at_level(logging.INFO, logger="core.dicom.duplicates"):
        kept, aside = _kept_and_set_aside(scan(tmp_path))
    assert kept == ["a_rle.dcm"]
    assert aside["b_native.dcm"].endswith("a copy of an object already indexed, not shown twice")
    assert "1 copies decoded to choose" in caplog.text


def test_when_no_copy_decodes_the_first_stays(tmp_path: Path) -> None:
    write(_broken_jpeg(), tmp_path / "a.dcm")
    write(_broken_jpeg(), tmp_path / "b.dcm")
    kept, aside = _kept_and_set_aside(scan(tmp_path))
    assert kept == ["a.dcm"]
    assert aside["b.dcm"].startswith(f"same SOP Instance UID as {tmp_path / 'a.dcm'}: a copy")


def test_without_duplicates_nothing_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("no copy should be decoded without duplicates")

    monkeypatch.setattr(duplicates, "run_isolated", refuse)
    for number in range(3):
        write(make_image(position=(0, 0, number), instance_number=number), tmp_path / f"{number}")
    index = scan(tmp_path)
    assert len(index.all_series()[0].instances) == 3
    assert choose_copies([]) == {}


def test_a_uid_clash_between_different_images_is_not_a_copy(tmp_path: Path) -> None:
    write(_native(), tmp_path / "a.dcm")
    other = make_image(sop=SOP, rows=8, columns=8)
    write(other, tmp_path / "b.dcm")
    kept, aside = _kept_and_set_aside(scan(tmp_path))
    assert sorted(kept) == ["a.dcm", "b.dcm"] and aside == {}
    with pytest.raises(TypeError, match="InstanceRecord"):
        copy_identity("a.dcm")  # type: ignore[arg-type]
