"""The window a viewer shows, the cine clock, and which frame can be shown: no widget."""

from __future__ import annotations

import numpy as np
import pytest

from core.dicom.lut import VoiFunction, VoiPreset
from core.dicom.records import UnreadableFile
from core.viewing.cine import CineClock, check_fps, count_skipped
from core.viewing.frames import FrameState, frame_state, nearest_frame
from core.viewing.window import COLOUR_WINDOW, WindowState, drag_window
from tests.core.viewing_helpers import make_ct_volume as _volume


def test_a_series_opens_with_its_default_and_presets_apply_by_name() -> None:
    state = WindowState()
    volume = _volume()
    state.show(volume)
    assert state.default is not None and state.current is state.default
    assert not state.pending and not state.inverted
    names = [name for name, _, _ in state.listed()]
    assert names and all(isinstance(name, str) for name in names)
    first = state.presets[0]
    assert state.preset_named(first.name.upper(), None) is first  # any case
    with pytest.raises(ValueError, match="no window preset named 'Nope'"):
        state.preset_named("Nope", None)
    assert state.preset_named("auto", None) is None  # no frame: nothing to compute on
    values = np.arange(1000, dtype=np.int16).reshape(10, 100)
    full = state.preset_named("Full range", values)
    assert full is not None and (full.center, full.width) == pytest.approx((499.5, 1000.0), abs=1)
    auto = state.auto(values)
    assert auto is not None and 900 < auto.width < 1000  # 1st to 99th percentile


def test_a_custom_window_keeps_the_function_and_a_minimum_width() -> None:
    state = WindowState()
    state.show(_volume())
    custom = state.custom(40, 0.2)
    assert (custom.name, custom.center, custom.width) == ("Custom", 40.0, 1.0)  # LINEAR: >= 1
    assert state.set(custom) and state.window == (40.0, 1.0)
    assert not state.set(VoiPreset(name="Same greys", center=40.0, width=1.0))
    assert state.current.name == "Same greys"  # renamed, no new picture needed
    state.current = VoiPreset(
        name="Map", center=0.002, width=0.003, function=VoiFunction.LINEAR_EXACT
    )
    assert state.custom(0.002, 1e-6).width == 1e-6  # a float map's window may be narrow
    with pytest.raises(TypeError, match="window center must be a number"):
        state.custom("40", 400)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window width must be finite"):
        state.custom(40, float("nan"))


def test_invert_and_reset_and_the_lut_follows_the_window() -> None:
    state = WindowState()
    state.show(_volume())
    lut = state.lut(np.int16)
    assert lut is not None and state.lut(np.int16) is lut  # built once
    assert state.lut(np.float32) is None  # float values are windowed directly
    state.toggle_invert()
    assert state.inverted and state.lut(np.int16) is not lut
    state.set(state.custom(500, 100))
    assert state.reset() and not state.inverted and state.current is state.default
    assert not state.reset()  # nothing left to change


def test_a_colour_series_shows_its_values_and_has_no_presets() -> None:
    volume = _volume()
    volume.array = np.zeros((3, 64, 64, 3), np.uint8)
    state = WindowState()
    state.show(volume)
    assert state.current is COLOUR_WINDOW and state.presets == ()


def test_dragging_the_window_moves_a_share_of_it_per_pixel() -> None:
    assert drag_window((40.0, 400.0), 25, -50, integer_values=True) == (-40.0, 440.0)
    # A narrow integer window still widens 0.08 per pixel; a float one by its own share.
    assert drag_window((0.0, 2.0), 10, 0, integer_values=True) == pytest.approx((0.0, 2.8))
    assert drag_window((0.0, 2.0), 10, 0, integer_values=False) == pytest.approx((0.0, 2.08))
    assert drag_window((0.0, 2.0), -1000, 0, integer_values=False)[1] == pytest.approx(0.008)


def test_the_cine_clock_shows_what_is_due_and_counts_what_it_skipped() -> None:
    clock = CineClock(fps=20.0, start=3, started_at=100.0)
    assert clock.tick_ms == 25
    assert clock.due(100.0, 10) == 3
    assert clock.due(100.26, 10) == 8  # 5 images later
    assert clock.due(100.51, 10) == 3  # 10 later: round the loop
    assert count_skipped(3, 8, 10) == 4
    assert count_skipped(8, 3, 10) == 4  # across the end of the loop
    assert count_skipped(3, 4, 10) == 0
    assert check_fps(np.float32(12.5)) == 12.5
    with pytest.raises(ValueError, match=r"fps must be 0\.5 to 120"):
        check_fps(121)
    with pytest.raises(TypeError, match="fps must be a number"):
        check_fps(True)


def test_frame_states_of_a_volume_still_filling() -> None:
    volume = _volume(frames=3)
    volume.loaded[:] = (True, False, False)
    volume.failures = (UnreadableFile(volume.geometry.frames[2].instance.ref, "bad"),)
    assert frame_state(volume, 0) is FrameState.LOADED
    assert frame_state(volume, 1) is FrameState.LOADING
    assert frame_state(volume, 2) is FrameState.FAILED
    volume.total_s = 1.0  # the load ended: what is not there will not come
    assert frame_state(volume, 1) == "failed"
    assert frame_state(None, 0) is FrameState.LOADING


def test_the_nearest_frame_to_a_position_along_the_normal() -> None:
    volume = _volume(frames=5)  # z = 0, 2, 4, 6, 8
    positions = volume.geometry.slice_positions
    assert positions is not None
    index = nearest_frame(volume, positions[3] + 0.7)
    assert index == 3
    assert nearest_frame(volume, max(positions) + 1.9) == int(np.argmax(positions))
    assert nearest_frame(volume, max(positions) + 2.5) is None  # beyond one step
