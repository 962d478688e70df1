"""The synchronised time plots: drawing a trial, one cursor, linked zoom, keyboard, series."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.core.trial import Event, ForcePlate, MarkerSet, Trial
from gaitlab.gui.views.signal_plots import BUILTIN_PLOTS, SignalPlotsView
from gaitlab.session import LoadedTrial, Session

# The demo treadmill trial (data/README.md): Z up, running +X, one plate at
# 1000 Hz, markers at 200 Hz, 10 steps.
UP, FORWARD = 2, 0
MARKER_RATE, ANALOG_RATE = 200.0, 1000.0
STRIDE_S = 0.69126  # the demo runner's true stride (about 10 steps in 3.455 s)


def seconds_per_pixel(row) -> float:
    return abs(row.plot.getViewBox().viewPixelSize()[0])


def show(qtbot, view: SignalPlotsView, session: Session, trial_id: str) -> LoadedTrial:
    """Select a trial the way the shell does: prepare, show_prepared, session.show."""
    loaded = session.load(trial_id)
    prepared = SignalPlotsView.prepare(loaded)
    with qtbot.waitSignal(view.drawn, timeout=5000):
        view.show_prepared(loaded, prepared)
        session.show(loaded)
    return loaded


@pytest.fixture
def treadmill(qtbot, plots: SignalPlotsView, session: Session) -> LoadedTrial:
    return show(qtbot, plots, session, "demo_treadmill_run")


def test_showing_a_trial_draws_every_plot(plots, treadmill, monkeypatch):
    plate = treadmill.trial.forceplates[0]
    rows = {row.key: row for row in plots.rows()}
    assert list(rows) == [
        *(key for key, _ in BUILTIN_PLOTS),
        "Centre of mass, vertical",
        "Centre of mass, anteroposterior (lab position)",
        "Lean angles (from vertical, + forward)",
    ]
    vertical = rows["grf_vertical"].curves["FP1"].getOriginalDataset()
    np.testing.assert_allclose(vertical[0], np.arange(plate.n_samples) / ANALOG_RATE)
    np.testing.assert_allclose(vertical[1], plate.force[:, UP], atol=1e-3)
    ap = rows["grf_ap"].curves["FP1"].getOriginalDataset()[1]
    np.testing.assert_allclose(ap, plate.force[:, FORWARD], atol=1e-3)
    com = treadmill.results["center_of_mass"].series["com"].values
    height = rows["Centre of mass, vertical"].curves["COM"].getOriginalDataset()[1]
    np.testing.assert_allclose(height, com[:, UP], atol=1e-6)
    trunk = (
        rows["Lean angles (from vertical, + forward)"]
        .curves["trunk"]
        .getOriginalDataset()[1]
    )
    np.testing.assert_allclose(
        trunk, treadmill.results["lean"].series["trunk_lean"].values, atol=1e-5
    )
    for row in plots.rows():
        assert all(
            len(item.getOriginalDataset()[1]) > 0 for item in row.curves.values()
        )
        # data/README.md: 10 steps, so 10 stance phases and 20 events
        assert row.stance.n_regions == len(treadmill.contacts) == 10
        assert row.events.n_lines == len(treadmill.gait_events) == 20
        assert row.curves  # every built-in plot has lines for this trial
    # the displayed (downsampled, clipped) data is what pyqtgraph draws
    shown_x = rows["grf_vertical"].curves["FP1"].getData()[0]
    assert shown_x[0] <= 0.01
    assert shown_x[-1] >= 3.4
    # trial_loaded after show_prepared for the same LoadedTrial does not prepare again
    calls = []
    monkeypatch.setattr(
        SignalPlotsView, "prepare", staticmethod(lambda loaded: calls.append(1))
    )
    plots.session.show(treadmill)
    assert calls == []


def test_trial_shown_without_prepared_data_is_prepared_in_place(qtbot, plots, session):
    loaded = session.load("demo_overground_run")
    with qtbot.waitSignal(plots.drawn, timeout=5000):
        session.show(loaded)
    grf = plots.row("grf_vertical")
    # four plates overground (data/README.md), each drawn, plus their sum
    assert set(grf.curves) == {"FP1", "FP2", "FP3", "FP4", "Σ plates"}
    total = sum(p.force[:, 1] for p in loaded.trial.forceplates)  # Y up in this file
    np.testing.assert_allclose(
        grf.curves["Σ plates"].getOriginalDataset()[1], total, atol=1e-2
    )
    # running -X: the AP (forward) component is minus the lab X component
    ap = plots.row("grf_ap").curves["FP2"].getOriginalDataset()[1]
    np.testing.assert_allclose(ap, -loaded.trial.forceplates[1].force[:, 0], atol=1e-3)


def test_moving_the_cursor_moves_every_cursor_line_and_readout(
    plots, treadmill, session
):
    session.set_cursor(1.0)
    lines = [plots.ruler.cursor] + [row.cursor for row in plots.rows()]
    assert all(line.value() == pytest.approx(1.0) for line in lines)
    expected = treadmill.trial.forceplates[0].force[1000, UP]  # 1.0 s at 1000 Hz
    assert f"FP1 {expected:.0f} N" in plots.row("grf_vertical").title.text()
    trunk = (
        treadmill.results["lean"].series["trunk_lean"].values[200]
    )  # 1.0 s at 200 Hz
    assert f"trunk {trunk:.1f}°" in plots.row("lean").title.text()
    session.set_cursor(1.5)
    assert f"FP1 {treadmill.trial.forceplates[0].force[1500, UP]:.0f} N" in (
        plots.row("grf_vertical").title.text()
    )


def test_dragging_a_cursor_line_moves_the_session_cursor(
    plots, treadmill, session, mouse
):
    session.set_cursor(1.0)
    row = plots.row("cop")
    mouse.drag(row, 1.0, 1.6)
    assert session.cursor_s == pytest.approx(1.6, abs=2 * seconds_per_pixel(row))
    assert all(r.cursor.value() == session.cursor_s for r in plots.rows())


def test_clicking_a_plot_moves_the_cursor_there(
    qtbot, plots, treadmill, session, mouse
):
    row = plots.row("com_vertical")
    qtbot.mouseClick(
        row.widget.viewport(),
        QtCore.Qt.MouseButton.LeftButton,
        pos=mouse.pixel(row, 2.2).toPoint(),
    )
    assert session.cursor_s == pytest.approx(2.2, abs=2 * seconds_per_pixel(row))


def test_arrow_keys_step_one_marker_frame_and_ten_with_shift(
    qtbot, plots, treadmill, session
):
    session.set_cursor(1.0)
    widget = plots.row("grf_ap").widget
    qtbot.keyClick(widget, QtCore.Qt.Key.Key_Right)
    assert session.cursor_s == pytest.approx(1.0 + 1 / MARKER_RATE)
    qtbot.keyClick(
        widget, QtCore.Qt.Key.Key_Left, QtCore.Qt.KeyboardModifier.ShiftModifier
    )
    assert session.cursor_s == pytest.approx(1.0 + 1 / MARKER_RATE - 10 / MARKER_RATE)
    qtbot.keyClick(widget, QtCore.Qt.Key.Key_Home)
    assert session.cursor_s == 0.0


def test_zoom_in_one_plot_zooms_all(qtbot, plots, treadmill, mouse):
    plots.row("lean").plot.setXRange(1.0, 1.5, padding=0)
    for row in [plots.ruler, *plots.rows()]:
        assert row.plot.getViewBox().viewRange()[0] == pytest.approx(
            [1.0, 1.5], abs=1e-9
        )
    # a wheel turn over another plot zooms every plot's time axis in
    row = plots.row("grf_ml")
    before = np.diff(plots.row("cop").plot.getViewBox().viewRange()[0])[0]
    centre = mouse.pixel(row, 1.25)
    wheel = QtGui.QWheelEvent(
        centre,
        row.widget.mapToGlobal(centre),
        QtCore.QPoint(0, 0),
        QtCore.QPoint(0, 120),
        QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
        QtCore.Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QtWidgets.QApplication.sendEvent(row.widget.viewport(), wheel)
    after = plots.row("cop").plot.getViewBox().viewRange()[0]
    assert np.diff(after)[0] < 0.95 * before
    assert after == pytest.approx(row.plot.getViewBox().viewRange()[0])
    plots.show_whole_trial()
    assert plots.row("cop").plot.getViewBox().viewRange()[0] == pytest.approx(
        [0.0, 3.455]
    )


def test_choosing_a_plugin_series_adds_a_plot(qtbot, plots, treadmill):
    assert ("center_of_mass", "com_velocity") in plots.available_series()
    count = len(plots.rows())
    plots.set_series_choice([("center_of_mass", "com_velocity")])
    rows = plots.rows()
    assert len(rows) == count + 1
    velocity = treadmill.results["center_of_mass"].series["com_velocity"].values
    added = rows[-1]
    assert added.key == "center_of_mass/com_velocity"
    np.testing.assert_allclose(
        added.curves["AP"].getOriginalDataset()[1], velocity[:, FORWARD], atol=1e-5
    )
    np.testing.assert_allclose(
        added.curves["vertical"].getOriginalDataset()[1], velocity[:, UP], atol=1e-5
    )
    assert added.cursor.value() == plots.ruler.cursor.value()
    # ... and unticking it in the series list removes it again
    tree = plots._chooser
    item = next(
        tree.topLevelItem(i).child(j)
        for i in range(tree.topLevelItemCount())
        for j in range(tree.topLevelItem(i).childCount())
        if tree.topLevelItem(i).child(j).text(0).startswith("com_velocity")
    )
    assert item.checkState(0) == QtCore.Qt.CheckState.Checked
    item.setCheckState(0, QtCore.Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: len(plots.rows()) == count)
    assert plots.series_choice() == []


def test_hiding_a_builtin_plot_and_the_time_axis_on_the_last_plot(plots, treadmill):
    plots.set_plot_visible("lean", False)
    rows = plots.rows()
    assert "lean" not in [row.key for row in rows]
    assert rows[-1].plot.getAxis("bottom").style["showValues"]
    assert not any(row.plot.getAxis("bottom").style["showValues"] for row in rows[:-1])


def test_clicking_a_line_name_hides_the_line(qtbot, plots, treadmill):
    lean = plots.row("lean")
    qtbot.waitUntil(lambda: not lean.title.curve_rect("trunk").isEmpty())
    name = lean.title.curve_rect("trunk").center().toPoint()
    qtbot.mouseClick(lean.title, QtCore.Qt.MouseButton.LeftButton, pos=name)
    assert not lean.curves["trunk"].isVisible()
    assert "trunk (hidden)" in lean.title.text()
    qtbot.mouseClick(lean.title, QtCore.Qt.MouseButton.LeftButton, pos=name)
    assert lean.curves["trunk"].isVisible()


def _long_trial(loaded: LoadedTrial, repeats: int, n_plates: int) -> LoadedTrial:
    """The demo trial repeated ``repeats`` times, its force shared by ``n_plates`` plates."""
    trial = loaded.trial
    markers = trial.markers
    period = markers.n_frames / markers.rate_hz
    plate = trial.forceplates[0]
    force = np.tile(plate.force, (repeats, 1))
    cop = np.tile(plate.cop, (repeats, 1))
    plates = tuple(
        ForcePlate(
            force / n_plates,
            np.zeros_like(force),
            cop,
            np.zeros(len(force)),
            plate.corners,
            plate.rate_hz,
        )
        for _ in range(n_plates)
    )
    events = tuple(
        Event(e.time_s + k * period, e.label, e.context)
        for k in range(repeats)
        for e in loaded.gait_events
    )
    long = dataclasses.replace(
        trial,
        markers=MarkerSet(
            np.tile(markers.data, (repeats, 1, 1)), markers.labels, markers.rate_hz
        ),
        analogs=dataclasses.replace(
            trial.analogs, data=np.zeros((len(force), 0)), labels=(), units=()
        ),
        forceplates=plates,
        events=events,
    )
    assert isinstance(long, Trial)
    return LoadedTrial("long", long, {}, {}, specs=loaded.specs)


def test_a_two_minute_trial_with_many_plates_shows(qtbot, plots, treadmill, session):
    repeats = int(np.ceil(120 / 3.455))
    loaded = _long_trial(treadmill, repeats, n_plates=6)
    with qtbot.waitSignal(plots.drawn, timeout=10_000):
        session.show(loaded)
    grf = plots.row("grf_vertical")
    total = grf.curves["Σ plates"]
    summed = next(c for c in grf.spec.curves if c.name == "Σ plates")
    assert len(summed.values) == repeats * 3455
    assert grf.events.n_lines == 20 * repeats
    assert grf.stance.n_regions == 10 * repeats
    # a long trial opens on four strides at the cursor; the whole trial is one
    # click away
    assert grf.plot.getViewBox().viewRange()[0] == pytest.approx(
        [0.0, 4 * STRIDE_S], abs=1e-3
    )
    with qtbot.waitSignal(grf.plot.getViewBox().sigXRangeChanged):
        plots.show_whole_trial()
    # a few points per pixel column are drawn, not the ~120 samples per column
    width_px = grf.plot.getViewBox().width()
    assert len(summed.values) > 100 * width_px
    assert len(total.getData()[0]) <= 4 * width_px
    # this far out, lines are drawn from their min/max envelope: the COP, NaN in
    # every flight, still shows its range (peak downsampling alone would blank it)
    cop = plots.row("cop")
    assert cop.detail["AP"] > 0
    shown = cop.curves["AP"].getData()[1]
    assert np.isfinite(shown).mean() > 0.5  # flights (~1 px here) stay as gaps
    ap = next(c for c in cop.spec.curves if c.name == "AP").values  # every sample
    assert np.nanmax(shown) == pytest.approx(np.nanmax(ap), abs=1e-6)
    assert np.nanmin(shown) == pytest.approx(np.nanmin(ap), abs=1e-6)
    # no results yet: the banner says so, the result plots say why they are empty
    assert plots.banner.isVisible()
    assert "run the pipeline" in plots.banner.text()
    assert "no centre of mass" in plots.row("com_vertical").title.text()
    session.set_cursor(100.0)
    assert grf.cursor.value() == pytest.approx(100.0)
    grf.plot.setXRange(99.0, 101.0, padding=0)
    assert plots.row("cop").plot.getViewBox().viewRange()[0] == pytest.approx(
        [99.0, 101.0]
    )
    assert cop.detail["AP"] == 0  # zoomed in: the samples themselves
    x_shown = total.getData()[0]
    assert x_shown[0] >= 98.9
    assert x_shown[-1] <= 101.1
    # the Y axis fits the visible data of every line, with 6 % margins
    lows, highs = [], []
    for item in grf.curves.values():
        time, values = item.getOriginalDataset()
        visible = values[(time >= 99.0 - 1e-3) & (time <= 101.0 + 1e-3)]
        lows.append(np.nanmin(visible))
        highs.append(np.nanmax(visible))
    span = max(highs) - min(lows)
    expected = [min(lows) - 0.06 * span, max(highs) + 0.06 * span]
    assert grf.plot.getViewBox().viewRange()[1] == pytest.approx(expected, rel=1e-3)


def test_a_30_s_trial_opens_on_a_few_strides_around_the_cursor(
    qtbot, plots, treadmill, session
):
    """Issue 17 item 12: 30 s of running opened whole, as solid bands."""
    loaded = _long_trial(treadmill, 9, n_plates=1)  # 31 s, 90 steps
    with qtbot.waitSignal(plots.drawn, timeout=10_000):
        session.show(loaded)
    grf = plots.row("grf_vertical")
    view = grf.plot.getViewBox()
    start, stop = view.viewRange()[0]
    assert (start, stop) == pytest.approx((0.0, 4 * STRIDE_S), abs=1e-3)
    # readable: each stance phase is tens of pixels wide, its events labelled
    stance_px = 0.23 * view.width() / (stop - start)
    assert stance_px > 40
    # the whole trial: a button, a shortcut, a menu action away; and back
    plots.whole_action.trigger()
    assert view.viewRange()[0] == pytest.approx([0.0, 9 * 3.455], abs=1e-3)
    session.set_cursor(20.0)
    plots.strides_action.trigger()
    assert view.viewRange()[0] == pytest.approx(
        [20.0 - 2 * STRIDE_S, 20.0 + 2 * STRIDE_S], abs=1e-3
    )
    assert plots.whole_action.shortcut().toString() == "Ctrl+0"
    assert plots.strides_action.shortcut().toString() == "Ctrl+1"
    grf.widget.setFocus()
    qtbot.keyClick(
        grf.widget, QtCore.Qt.Key.Key_0, QtCore.Qt.KeyboardModifier.ControlModifier
    )
    assert view.viewRange()[0] == pytest.approx([0.0, 9 * 3.455], abs=1e-3)
    plots.show_strides(5.0)
    # the window follows a cursor that leaves it (keys, play, a chosen step)
    session.set_cursor(12.0)
    start, stop = view.viewRange()[0]
    assert 0.5 * (start + stop) == pytest.approx(12.0, abs=1e-6)
    assert stop - start == pytest.approx(4 * STRIDE_S, abs=1e-3)
    plots.centre_on(0.3)  # clamped to the trial's start
    assert view.viewRange()[0] == pytest.approx([0.0, 4 * STRIDE_S], abs=1e-3)


def test_a_short_trial_opens_whole(plots, treadmill):
    view = plots.row("grf_vertical").plot.getViewBox()
    assert view.viewRange()[0] == pytest.approx([0.0, 3.455], abs=1e-3)


def test_a_third_party_plugin_series_is_in_the_default_layout(
    qtbot, plots, treadmill, session
):
    from gaitlab.core.results import Result, SeriesSpec
    from gaitlab.pipeline.spec import PluginSpec

    declared = (
        SeriesSpec("knee_flexion", "deg", label="knee", plot="Knee", colour="#112233"),
        SeriesSpec("knee_velocity", "deg", plot="Knee", visible=False),
    )
    spec = PluginSpec(
        "knee",
        "1.0",
        "Knee",
        "test",
        "",
        lambda view: Result(),
        (),
        (),
        (),
        declared,
        (),
    )
    result = Result()
    wave = np.sin(np.linspace(0, 6, 300))
    result.add_series("knee_flexion", wave, rate_hz=MARKER_RATE)
    result.add_series("knee_velocity", 2 * wave, rate_hz=MARKER_RATE)
    loaded = dataclasses.replace(
        treadmill,
        results={**treadmill.results, "knee": result},
        specs={**treadmill.specs, "knee": spec},
    )
    with qtbot.waitSignal(plots.drawn, timeout=5000):
        plots.show_prepared(loaded, SignalPlotsView.prepare(loaded))
        session.show(loaded)
    keys = [row.key for row in plots.rows()]
    # after the built-in plugins' plots (pipeline order), like theirs
    assert keys[-1] == "Knee"
    assert keys.index("Lean angles (from vertical, + forward)") < keys.index("Knee")
    knee = plots.row("Knee")
    np.testing.assert_allclose(
        knee.curves["knee"].getOriginalDataset()[1], wave, atol=1e-6
    )
    assert knee.curves["knee"].opts["pen"].color().name() == "#112233"
    assert knee.curves["knee"].isVisible()
    assert not knee.curves["knee_velocity"].isVisible()  # declared visible=False
    assert "knee_velocity (hidden)" in knee.title.text()
    # the Plots & series list offers it with the other plots
    tree = plots._chooser
    titles = [
        tree.topLevelItem(0).child(i).text(0)
        for i in range(tree.topLevelItem(0).childCount())
    ]
    assert "Knee" in titles
