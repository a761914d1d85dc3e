"""Measurements edited without a widget: add, draw, move, delete, undo and redo."""

from __future__ import annotations

import pytest

from core.dicom.measure import DistanceMeasurement, RoiStatistics
from core.viewing.measurements import (
    TOOLS,
    Added,
    Deleted,
    Measurement,
    MeasurementEditor,
    Moved,
    update_result,
)
from tests.core.viewing_helpers import make_ct_volume as _volume


@pytest.fixture
def editor() -> MeasurementEditor:
    editor = MeasurementEditor()
    editor.show(_volume(), "HU")
    return editor


def _length(m: Measurement) -> float:
    assert isinstance(m.result, DistanceMeasurement)
    return m.result.length


def test_add_measures_selects_and_undo_redo_take_it_away_and_back(
    editor: MeasurementEditor,
) -> None:
    first = editor.add("distance", [(0, 0), (30, 40)], frame=1)
    assert _length(first) == pytest.approx(25.0)  # 50 px at 0.5 mm
    assert first.series_key == "1.2.3" and editor.selected is first
    second = editor.add("rectangle", [(10, 10), (30, 20)], frame=1)
    assert isinstance(second.result, RoiStatistics)
    assert second.result.mean == pytest.approx(100.0) and second.result.area == pytest.approx(50)
    assert editor.on_frame(1) == [first, second] and editor.on_frame(0) == []
    assert editor.undo() and editor.measurements == [first]
    assert editor.selected is None  # the undone one was selected
    assert editor.undo() and editor.measurements == [] and not editor.can_undo
    assert not editor.undo()
    assert editor.redo() and editor.measurements == [first]
    assert editor.redo() and editor.measurements == [first, second]
    assert not editor.redo() and editor.can_undo


def test_delete_undo_puts_it_back_where_it_was_and_redo_deletes_again(
    editor: MeasurementEditor,
) -> None:
    a, b, c = (editor.add("distance", [(0, i), (10, i)], frame=0) for i in range(3))
    editor.selected = b
    assert editor.delete_selected()
    assert editor.measurements == [a, c] and editor.selected is None
    assert not editor.delete_selected()  # nothing selected
    assert editor.undo()
    assert editor.measurements == [a, b, c]  # at its old place, not at the end
    assert editor.redo()
    assert editor.measurements == [a, c]


def test_moving_a_body_or_a_handle_is_one_undoable_step_with_both_ends_kept(
    editor: MeasurementEditor,
) -> None:
    m = editor.add("distance", [(10, 10), (40, 10)], frame=0)
    editor.begin_move(m)
    editor.move_by(2, 1)
    editor.move_by(5, 3)  # from where the move started, not cumulative
    assert editor.finish_move()
    assert m.points == [(15, 13), (45, 13)] and _length(m) == pytest.approx(15.0)
    editor.begin_move(m, 1)
    editor.move_by(15, 0)
    assert editor.finish_move()
    assert m.points == [(15, 13), (60, 13)] and _length(m) == pytest.approx(22.5)
    editor.begin_move(m, 0)
    assert not editor.finish_move()  # a click without a move is no change
    assert editor.undo()
    assert m.points == [(15, 13), (45, 13)] and _length(m) == pytest.approx(15.0)
    assert editor.undo()
    assert m.points == [(10, 10), (40, 10)]
    assert editor.redo() and editor.redo()
    assert m.points == [(15, 13), (60, 13)] and _length(m) == pytest.approx(22.5)
    with pytest.raises(ValueError, match="handle"):
        editor.begin_move(m, 2)


def test_history_records_are_small_frozen_values(editor: MeasurementEditor) -> None:
    m = editor.add("distance", [(0, 0), (10, 0)], frame=0)
    editor.begin_move(m)
    editor.move_by(1, 0)
    editor.finish_move()
    editor.delete_selected()
    assert editor.history == (
        Added(m, 0),
        Moved(m, ((0.0, 0.0), (10.0, 0.0)), ((1.0, 0.0), (11.0, 0.0))),
        Deleted(m, 0),
    )
    with pytest.raises(AttributeError):
        editor.history[0].index = 3  # type: ignore[misc]
    editor.undo()
    assert editor.history[-1] == Moved(m, ((0.0, 0.0), (10.0, 0.0)), ((1.0, 0.0), (11.0, 0.0)))


def test_a_new_change_after_undo_forgets_what_could_be_redone(
    editor: MeasurementEditor,
) -> None:
    editor.add("distance", [(0, 0), (10, 0)], frame=0)
    editor.undo()
    assert editor.can_redo
    other = editor.add("distance", [(0, 5), (10, 5)], frame=0)
    assert not editor.can_redo and not editor.redo()
    assert editor.measurements == [other]


def test_drawing_an_angle_takes_two_arms_and_a_zero_arm_is_dropped(
    editor: MeasurementEditor,
) -> None:
    editor.begin_drawing("angle", 2, (0.0, 20.0))
    editor.drag_drawing_to((20.0, 20.0))
    editor.begin_second_arm((20.0, 20.0))
    assert editor.drawing_second_arm and editor.measurements == []
    editor.drag_drawing_to((20.0, 0.0))
    m = editor.commit_drawing()
    assert m is not None and m.points == [(0.0, 20.0), (20.0, 20.0), (20.0, 0.0)]
    assert m.label_lines == ("90.0°",) and m.frame == 2 and editor.selected is m
    assert editor.drawing is None and editor.measurements == [m]
    editor.begin_drawing("angle", 2, (5.0, 5.0))
    editor.begin_second_arm((5.0, 5.0))  # a first arm of no length
    assert editor.commit_drawing((9.0, 9.0)) is None and editor.measurements == [m]
    editor.begin_drawing("distance", 0, (1.0, 1.0))
    assert editor.cancel_drawing() and not editor.cancel_drawing()
    assert editor.undo() and editor.measurements == []  # the angle, drawn, undone


def test_each_series_keeps_its_own_list_and_a_new_series_starts_a_new_history() -> None:
    editor = MeasurementEditor()
    chest, spine = _volume("chest"), _volume("spine", spacing=1.0)
    editor.show(chest)
    on_chest = editor.add("distance", [(0, 0), (0, 10)], frame=0)
    editor.show(spine)
    assert editor.measurements == [] and not editor.can_undo
    on_spine = editor.add("distance", [(0, 0), (0, 10)], frame=0)
    assert _length(on_spine) == pytest.approx(10.0)
    editor.show(chest)
    assert editor.measurements == [on_chest] and _length(on_chest) == pytest.approx(5.0)
    editor.show(None)
    assert editor.measurements == []
    with pytest.raises(ValueError, match="no series"):
        editor.add("distance", [(0, 0), (1, 1)], frame=0)


def test_replace_measures_again_and_forgets_history_of_what_is_gone(
    editor: MeasurementEditor,
) -> None:
    kept = editor.add("distance", [(0, 0), (10, 0)], frame=0)
    gone = editor.add("distance", [(0, 5), (10, 5)], frame=0)
    restored = Measurement("distance", 1, [(0.0, 0.0), (0.0, 20.0)])
    editor.replace([kept, restored])
    assert editor.measurements == [kept, restored] and editor.selected is None
    assert restored.series_key == "1.2.3" and _length(restored) == pytest.approx(10.0)
    assert editor.undo() and editor.measurements == [restored]  # kept's add; gone's forgotten
    assert not editor.undo()
    assert gone not in editor.measurements


def test_pick_order_puts_the_selected_first_then_the_latest(
    editor: MeasurementEditor,
) -> None:
    a, b, c = (editor.add("distance", [(0, i), (10, i)], frame=0) for i in range(3))
    editor.selected = a
    assert editor.pick_order(0) == [a, c, b]
    assert editor.pick_order(1) == []


def test_bad_input_is_refused_with_what_was_found(editor: MeasurementEditor) -> None:
    assert TOOLS == ("none", "distance", "angle", "rectangle", "ellipse")
    with pytest.raises(ValueError, match="kind must be"):
        editor.add("polygon", [(0, 0), (1, 1)], frame=0)
    with pytest.raises(ValueError, match="needs 3 points, found 2"):
        editor.add("angle", [(0, 0), (1, 1)], frame=0)


def test_update_result_on_a_zero_length_arm_gives_none() -> None:
    m = Measurement("angle", 0, [(1.0, 1.0), (1.0, 1.0), (5.0, 1.0)])
    update_result(m, _volume())
    assert m.result is None
