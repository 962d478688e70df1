"""Editing gait events on the plots: add, move, delete; undo in the session; stale results."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from gaitlab.core.contacts import FOOT_OFF, FOOT_STRIKE
from gaitlab.gui.views.signal_plots import SignalPlotsView
from gaitlab.session import LoadedTrial, Session

ANALOG_RATE = 1000.0  # the demo treadmill trial's force plate (data/README.md)


def gait_events(loaded: LoadedTrial) -> list[tuple[float, str, str]]:
    return [(e.time_s, e.label, e.context) for e in loaded.gait_events]


@pytest.fixture
def plots(
    plots: SignalPlotsView, qtbot, session: Session, monkeypatch
) -> SignalPlotsView:
    """The plots showing the demo treadmill trial, its results fresh."""
    monkeypatch.setattr(QtWidgets.QMenu, "popup", lambda *args: None)  # no menus
    loaded = session.load("demo_treadmill_run")
    with qtbot.waitSignal(plots.drawn, timeout=5000):
        plots.show_prepared(loaded, SignalPlotsView.prepare(loaded))
        session.show(loaded)
    assert session.status(loaded.trial_id) == "fresh"
    return plots


def test_add_an_event_from_the_plot_menu_then_undo(plots, session):
    loaded = session.current
    before = gait_events(loaded)
    menu = plots.context_menu(1.2346)
    action = next(a for a in menu.actions() if a.text() == "Add Foot Strike (Left)")
    action.trigger()
    after = gait_events(loaded)
    assert len(after) == len(before) + 1
    # snapped to the 1000 Hz force-plate samples
    assert (1.235, FOOT_STRIKE, "Left") in [
        (round(t, 6), lab, c) for t, lab, c in after
    ]
    assert session.undo_text == "add Foot Strike Left at 1.235 s"
    for row in plots.rows():
        assert row.events.n_lines == len(before) + 1
    assert session.status(loaded.trial_id) == "stale"
    assert plots.banner.isVisible()
    assert "out of date" in plots.banner.text()
    assert "(out of date)" in plots.row("lean").title.text()
    assert "(out of date)" not in plots.row("grf_vertical").title.text()
    session.undo()
    assert gait_events(loaded) == before
    assert all(row.events.n_lines == len(before) for row in plots.rows())
    assert session.redo_text == "add Foot Strike Left at 1.235 s"


def test_adding_a_foot_off_adds_a_stance_phase(plots, session):
    loaded = session.current
    contacts = len(loaded.contacts)
    # a left strike and toe-off inside the flight between two right-foot events
    strike, off = 1.34, 1.42
    flight = [c for c in loaded.contacts if c.ic_s > off or c.to_s < strike]
    assert len(flight) == contacts  # the interval is outside every stance
    plots.event_editor.add(FOOT_STRIKE, "Right", strike)
    plots.event_editor.add(FOOT_OFF, "Right", off)
    assert len(loaded.contacts) == contacts + 1
    assert plots.row("cop").stance.n_regions == contacts + 1


def test_drag_an_event_line_moves_the_event_in_one_edit(plots, session, mouse):
    loaded = session.current
    before = gait_events(loaded)
    row = plots.row("grf_vertical")
    row.plot.setXRange(0.3, 0.8, padding=0)
    strike = next(
        e for e in loaded.gait_events if e.label == FOOT_STRIKE and e.context == "Left"
    )
    target = strike.time_s + 0.05
    mouse.drag(row, strike.time_s, target)
    moved = next(
        e for e in loaded.gait_events if e.label == FOOT_STRIKE and e.context == "Left"
    )
    one_pixel = abs(row.plot.getViewBox().viewPixelSize()[0])
    assert moved.time_s == pytest.approx(target, abs=one_pixel + 1 / ANALOG_RATE)
    assert moved.time_s * ANALOG_RATE == pytest.approx(
        round(moved.time_s * ANALOG_RATE)
    )
    assert session.undo_text == (
        f"move Foot Strike Left at {strike.time_s:.3f} s → {moved.time_s:.3f} s"
    )
    assert len(gait_events(loaded)) == len(before)
    assert session.status(loaded.trial_id) == "stale"
    session.undo()  # one drag is one edit
    assert gait_events(loaded) == before
    assert session.undo_text == ""


def test_dragging_the_plot_away_from_events_pans_instead(plots, session, mouse):
    row = plots.row("com_ap")
    row.plot.setXRange(1.0, 2.0, padding=0)
    loaded = session.current
    before = gait_events(loaded)
    start = 1.383  # mid-flight, away from every event line
    assert min(abs(t - start) for t, _l, _c in before) > 0.04
    mouse.drag(row, start, start - 0.2)
    assert gait_events(loaded) == before
    assert row.plot.getViewBox().viewRange()[0] == pytest.approx([1.2, 2.2], abs=0.02)
    assert plots.row("lean").plot.getViewBox().viewRange()[0] == pytest.approx(
        [1.2, 2.2], abs=0.02
    )


def test_delete_an_event_from_its_line_menu(plots, session):
    loaded = session.current
    before = gait_events(loaded)
    row = plots.row("cop")
    index = 3
    time_s, label, side = before[index]
    menu = row.events.context_menu(index)
    (action,) = menu.actions()
    assert action.text() == f"Delete {label} {side} at {time_s:.3f} s"
    action.trigger()
    assert gait_events(loaded) == before[:index] + before[index + 1 :]
    assert session.undo_text == f"delete {label} {side} at {time_s:.3f} s"


def test_select_an_event_line_and_press_delete(qtbot, plots, session, mouse):
    loaded = session.current
    before = gait_events(loaded)
    row = plots.row("grf_ap")
    row.plot.setXRange(0.0, 1.0, padding=0)
    time_s = before[1][0]
    mouse.hover_and_click(qtbot, row, time_s)
    assert plots.event_track.selected == 1
    assert session.cursor_s == 0.0  # clicking a line selects it, the cursor stays
    qtbot.keyClick(row.widget, QtCore.Qt.Key.Key_Delete)
    assert gait_events(loaded) == before[:1] + before[2:]
    assert plots.event_track.selected is None


def test_right_click_on_a_line_offers_its_deletion(
    qtbot, plots, session, monkeypatch, mouse
):
    shown = []
    monkeypatch.setattr(plots, "popup_menu", lambda menu, pos: shown.append(menu))
    row = plots.row("grf_ml")
    row.plot.setXRange(0.0, 1.0, padding=0)
    time_s = session.current.gait_events[2].time_s
    mouse.hover_and_click(qtbot, row, time_s, QtCore.Qt.MouseButton.RightButton)
    assert next(a.text() for a in shown[-1].actions()).startswith("Delete ")
    mouse.hover_and_click(
        qtbot, row, 0.33, QtCore.Qt.MouseButton.RightButton
    )  # away from lines
    texts = [a.text() for a in shown[-1].actions()]
    assert "Add Foot Strike (Left)" in texts
    assert "Add Foot Off (Right)" in texts


def test_running_the_pipeline_after_an_edit_redraws_fresh_results(
    qtbot, plots, session
):
    loaded = session.current
    lean = plots.row("lean").curves["trunk"]
    # a strike moved late by 30 ms changes the stance phases the lean series follow
    index = next(i for i, e in enumerate(loaded.gait_events) if e.label == FOOT_STRIKE)
    plots.event_editor.move(index, loaded.gait_events[index].time_s + 0.03)
    assert plots.banner.isVisible()
    leg_before = plots.row("lean").curves["leg line"].getOriginalDataset()[1].copy()
    with qtbot.waitSignal(plots.drawn, timeout=10_000):
        for event in session.run([loaded.trial_id], workers=1):
            session.apply(event)
    assert session.status(loaded.trial_id) == "fresh"
    assert not plots.banner.isVisible()
    assert "(out of date)" not in plots.row("lean").title.text()
    leg_after = plots.row("lean").curves["leg line"].getOriginalDataset()[1]
    expected = loaded.results["lean"].series["leg_line"].values
    np.testing.assert_allclose(leg_after, expected, atol=1e-5, equal_nan=True)
    assert not np.allclose(leg_after, leg_before, equal_nan=True)
    assert lean.isVisible()


def test_event_labels_of_two_feet_at_one_instant_do_not_overlap(plots):
    """Issue 17 item 13: the labels of two sides' events at one instant overlapped."""
    from gaitlab.core.trial import Event

    plots.event_track.set_events(
        [
            Event(1.0, FOOT_OFF, "Left"),  # one foot leaves as the other lands
            Event(1.0, FOOT_STRIKE, "Right"),
            Event(2.0, FOOT_STRIKE, "Left"),  # both feet land at once
            Event(2.0, FOOT_STRIKE, "Right"),
            Event(2.6, FOOT_OFF, "Left"),
            Event(2.6, FOOT_OFF, "Right"),
        ]
    )
    ruler = plots.ruler
    view = ruler.plot.getViewBox()
    left, right = view.viewRange()[0]
    scale = view.width() / (right - left)
    rects = ruler.events.label_rects(scale, -left * scale, 0.0, view.height())
    assert len(rects) == 6  # every label shown
    for i, (_a, first) in enumerate(rects):
        assert first.top() >= 0
        assert first.bottom() <= view.height() + 1
        for _b, second in rects[i + 1 :]:
            assert not first.intersects(second)
    # a Foot Strike's label is right of its line, a Foot Off's left of it
    events = plots.event_track.events
    for index, rect in rects:
        x = (events[index].time_s - left) * scale
        if events[index].label == FOOT_STRIKE:
            assert rect.left() > x
        else:
            assert rect.right() < x
