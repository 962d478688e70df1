"""The body view: the figure at the cursor, its angles, the GRF vector, play, 3D tab.

The angles and lines are those the plugins declare (``SeriesSpec.lines``); the
demo's are the ``lean`` plugin's, its COM the ``center_of_mass`` plugin's.
The Qt-free parts are tested in tests/gui_data/test_body_figure.py.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.core.errors import DamagedFileError
from gaitlab.core.geometry import GRAVITY
from gaitlab.core.results import Result, SeriesSpec
from gaitlab.gui.body.declared import declared_angles, declared_lines
from gaitlab.gui.body.painter import REBUILT_COLOUR
from gaitlab.gui.body.prepared import GRF_SCALE_M_PER_BW, body_caption, shown_angles
from gaitlab.gui.views.body_view import REBUILT_LEGEND, BodyView, rebuilt_3d
from gaitlab.pipeline.spec import plugin
from gaitlab.session import LoadedTrial, Session

# The demo treadmill trial (data/README.md): Z up, running +X, markers at 200 Hz,
# plate at 1000 Hz, 70 kg runner, trunk lean 5°.
MARKER_RATE, ANALOG_RATE = 200.0, 1000.0
SAGITTAL = [0, 2]  # (AP, vertical) = lab (X, Z)
LEAN_ANGLES = (
    "trunk_lean",
    "whole_body_lean",
    "whole_body_lean_ankle",
    "leg_line",
    "bend_index",
    "body_line",
)
"""The angles the body view showed before the lean plugin declared them (issue 11)."""


@pytest.fixture
def body(delete_widgets, qtbot, session: Session) -> BodyView:
    view = BodyView(session)
    delete_widgets(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


def show(qtbot, view: BodyView, session: Session, loaded: LoadedTrial) -> None:
    with qtbot.waitSignal(view.drawn, timeout=5000):
        view.show_prepared(loaded, BodyView.prepare(loaded))
        session.show(loaded)


@pytest.fixture
def treadmill(qtbot, body: BodyView, session: Session) -> LoadedTrial:
    loaded = session.load("demo_treadmill_run")
    show(qtbot, body, session, loaded)
    return loaded


def label(loaded: LoadedTrial, key: str) -> str:
    """The declared label of an angle."""
    labels = [a.label for a in declared_angles(loaded.specs) if a.key == key]
    assert labels, f"no plugin declares the angle {key!r} with lines"
    return labels[0]


def test_the_figure_is_the_marker_frame_at_the_cursor(body, treadmill, session):
    markers = treadmill.trial.markers
    for frame in (40, 151):
        session.set_cursor(frame / MARKER_RATE)
        assert body.frame_shown == frame
        drawn = body.figure_data()
        # raw markers: the heel is the LHEE marker, the head centre the mean of 4 markers
        np.testing.assert_allclose(
            drawn["l_heel"], markers["LHEE"][frame][SAGITTAL], atol=1e-9
        )
        head = np.mean(
            [markers[m][frame] for m in ("LFHD", "RFHD", "LBHD", "RBHD")], axis=0
        )
        np.testing.assert_allclose(drawn["head_com"], head[SAGITTAL], atol=1e-9)
        # the COM is the series declared with point="com": center_of_mass's
        com = treadmill.results["center_of_mass"].series["com"].values[frame]
        np.testing.assert_allclose(drawn["com"], com[SAGITTAL], atol=1e-9)
        assert body.figure_item.figure is not None
        assert body.figure_item.figure.frame == frame
    assert body.slider.value() == 151


def test_angles_at_the_cursor_are_the_declared_series_values(body, treadmill, session):
    lean = treadmill.results["lean"].series
    declared = shown_angles(treadmill)
    assert [a.key for a in declared if a.plugin == "lean"][:6] == list(LEAN_ANGLES)
    assert body.table.labels[: len(declared)] == [a.label for a in declared]
    for frame in (12, 57, 120, 333):
        session.set_cursor(frame / MARKER_RATE)
        angles = body.angles()
        for name in LEAN_ANGLES:
            value, source = angles[name]
            assert source == "lean result"
            expected = lean[name].values[frame]
            if np.isnan(expected):
                assert np.isnan(value)
            else:
                assert value == pytest.approx(expected, abs=1e-12)
        shown = body.table.value(label(treadmill, "trunk_lean"))
        assert shown == f"{lean['trunk_lean'].values[frame]:+.1f}°"


def test_angles_of_one_line_are_computed_without_a_stored_result(qtbot, body, session):
    loaded = session.load("demo_treadmill_run")
    del loaded.results["lean"]
    show(qtbot, body, session, loaded)
    contact = loaded.contacts[2]
    session.set_cursor(
        round(0.5 * (contact.ic_s + contact.to_s) * MARKER_RATE) / MARKER_RATE
    )
    angles = body.angles()
    for angle in shown_angles(loaded):
        one_line = len(angle.spec.lines) == 1
        expected = "computed from the markers" if one_line else "not available"
        assert angles[angle.key][1] == expected, angle.key
    # the synthetic runner leans its trunk 5° forward (data/README.md)
    assert angles["trunk_lean"][0] == pytest.approx(5.0, abs=0.05)
    points = body.figure_data()
    prefix = "l" if contact.side == "Left" else "r"
    ajc, com = points[f"{prefix}_ajc"], points["com"]
    expected = np.degrees(np.arctan2(com[0] - ajc[0], com[1] - ajc[1]))
    assert angles["whole_body_lean_ankle"][0] == pytest.approx(expected, abs=1e-9)
    hjc = points[f"{prefix}_hjc"]  # the stance side's joints
    expected = np.degrees(np.arctan2(hjc[0] - ajc[0], hjc[1] - ajc[1]))
    assert angles["leg_line"][0] == pytest.approx(expected, abs=1e-9)


def test_stance_leg_lines_are_absent_in_flight(body, treadmill, session):
    contacts = treadmill.contacts
    flight = 0.5 * (contacts[0].to_s + contacts[1].ic_s)
    session.set_cursor(round(flight * MARKER_RATE) / MARKER_RATE)
    figure = body.figure_item.figure
    assert figure.side == ""
    assert set(figure.lines) == {"midh-mids"}  # the trunk line
    assert np.isnan(body.angles()["leg_line"][0])
    assert body.table.value("Stance") == "flight"


def test_grf_vector_is_one_body_weight_per_half_metre(body, treadmill, session):
    contact = treadmill.contacts[1]
    time_s = round(0.5 * (contact.ic_s + contact.to_s) * MARKER_RATE) / MARKER_RATE
    session.set_cursor(time_s)
    figure = body.figure_item.figure
    cop, tip = figure.lines["grf"]
    plate = treadmill.trial.forceplates[0]
    sample = round(time_s * ANALOG_RATE)
    weight = treadmill.results["body_mass"].metric_values("body_mass")[0] * GRAVITY
    assert weight == pytest.approx(70.0 * GRAVITY, rel=0.01)  # the 70 kg runner
    np.testing.assert_allclose(cop, plate.cop[sample][SAGITTAL], atol=1e-9)
    np.testing.assert_allclose(
        tip - cop,
        plate.force[sample][SAGITTAL] / weight * GRF_SCALE_M_PER_BW,
        atol=1e-9,
    )
    assert "1 BW = 0.5 m" in [label.text for _sample, label in body._legend.items][-1]


def colour_pixels(view: BodyView, colour: str) -> int:
    """Pixels of the sagittal plot painted in a colour."""
    image = view.sagittal.grab().toImage().convertToFormat(QtGui.QImage.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine() // 4, 4
    )[:, : image.width(), :3]
    target = QtGui.QColor(colour)
    bgr = np.array([target.blue(), target.green(), target.red()])
    return int(np.sum(np.all(np.abs(pixels.astype(int) - bgr) <= 12, axis=-1)))


TILT_COLOUR = "#FF00FF"


@plugin(
    name="acme_tilt",
    version="1.0.0",
    series=[
        SeriesSpec(
            "pelvis_tilt",
            "deg",
            label="Acme tilt",
            colour=TILT_COLOUR,
            lines=(("cop", "mids"),),
        ),
        SeriesSpec("pelvis_bend", "deg", label="Acme bend", lines=(("cop", "midh"),)),
        SeriesSpec("speed", "m/s"),
    ],
)
def acme_tilt(trial, ctx):  # a third party's plugin (never run here)
    raise NotImplementedError


def test_a_third_party_angle_with_lines_is_listed_and_drawn(qtbot, body, session):
    """Issue 11 item 4: nothing in the body view names the lean plugin; another
    plugin's angle series with lines is shown and drawn the same way."""
    loaded = session.load("demo_treadmill_run")
    loaded.specs["acme_tilt"] = acme_tilt.__gaitlab_plugin__
    contact = loaded.contacts[2]
    time_s = round(0.5 * (contact.ic_s + contact.to_s) * MARKER_RATE) / MARKER_RATE
    stored = Result()
    tilt = np.linspace(-10.0, 10.0, loaded.trial.markers.n_frames)
    stored.add_series("pelvis_tilt", tilt, rate_hz=MARKER_RATE)
    loaded.results["acme_tilt"] = stored
    show(qtbot, body, session, loaded)
    session.set_cursor(time_s)
    frame = round(time_s * MARKER_RATE)
    angles = body.angles()
    assert angles["pelvis_tilt"] == (pytest.approx(tilt[frame]), "acme_tilt result")
    assert body.table.value("Acme tilt") == f"{tilt[frame]:+.1f}°"
    # no stored pelvis_bend: one line, computed from the drawn points
    points = body.figure_data()
    cop, midh = points["cop"], points["midh"]
    bend = np.degrees(np.arctan2(midh[0] - cop[0], midh[1] - cop[1]))
    assert angles["pelvis_bend"] == (pytest.approx(bend), "computed from the markers")
    assert body.table.value("Acme bend") == f"{bend:+.1f}°"
    lines = body.figure_item.figure.lines
    np.testing.assert_allclose(lines["cop-mids"][1], points["mids"])
    assert "cop-midh" in lines
    assert {"Acme tilt", "Acme bend"} <= set(body.legend_names())
    assert colour_pixels(body, TILT_COLOUR) > 50  # drawn in its declared colour
    assert "Acme tilt from the acme_tilt result" in body.source_label.text()


def test_without_declared_angles_the_table_lists_the_readouts_only(
    qtbot, body, session
):
    loaded = session.load("demo_treadmill_run")
    loaded.specs.clear()
    show(qtbot, body, session, loaded)
    assert body.table.labels == ["Stance", "COM height", "COM over feet", "GRF"]
    assert body.angles() == {}
    assert body.legend_names() == ["GRF at COP (1 BW = 0.5 m)"]
    assert body.source_label.text().startswith(
        "No plugin declares angles of the body. COM: computed here:"
    )


def test_play_runs_to_the_end_and_stops(qtbot, body, treadmill, session):
    start, stop = session.time_range()
    session.set_cursor(stop - 0.1)
    body.set_speed(1.0)
    body.play()
    assert body.is_playing
    assert body.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: not body.is_playing, timeout=3000)
    assert session.cursor_s == stop
    assert body.play_button.text() == "Play"
    # from the end, play starts again at the beginning
    body.set_speed(0.1)
    assert body.speed == 0.1
    assert body.speed_combo.currentText() == "1/10"
    body.play()
    assert session.cursor_s < start + 0.05
    qtbot.waitUntil(lambda: session.cursor_s > start, timeout=3000)
    body.pause()
    assert not body.is_playing
    with pytest.raises(ValueError, match="speed"):
        body.set_speed(3.0)


def test_the_slider_moves_the_cursor_by_frames(qtbot, body, treadmill, session):
    body.slider.setValue(100)
    assert session.cursor_s == pytest.approx(100 / MARKER_RATE)
    body.slider.setFocus()
    qtbot.keyClick(body.slider, QtCore.Qt.Key.Key_Right)
    assert session.cursor_s == pytest.approx(101 / MARKER_RATE)


def test_the_3d_tab_without_opengl_says_why(qtbot, body, treadmill):
    body.tabs.setCurrentIndex(1)
    widget = body.tabs.widget(1)
    # offscreen tests have no OpenGL: a note replaces the 3D view, nothing crashes
    assert isinstance(widget, QtWidgets.QLabel)
    assert widget.text().startswith("3D view unavailable")
    body.tabs.setCurrentIndex(0)
    assert body.tabs.currentWidget() is body.sagittal


# ---- what is drawn, the legend and the caption (issue 17 items 14, 15)

PELVIS_AND_FEET = ("LASI", "RASI", "LPSI", "RPSI", "LHEE", "RHEE", "LTOE", "RTOE")


def _with_markers(loaded: LoadedTrial, labels: tuple[str, ...]) -> LoadedTrial:
    """The trial with only these markers (a smaller marker set)."""
    markers = loaded.trial.markers
    keep = [markers.labels.index(label) for label in labels]
    subset = replace(
        markers,
        data=markers.data[:, keep, :],
        labels=labels,
        prefixes=tuple(markers.prefixes[i] for i in keep),
    )
    return replace(loaded, trial=replace(loaded.trial, markers=subset))


def test_a_pelvis_and_feet_marker_set_lists_only_the_lines_drawn(qtbot, body, session):
    full = session.load("demo_treadmill_run")
    del full.results["lean"]
    loaded = _with_markers(full, PELVIS_AND_FEET)
    show(qtbot, body, session, loaded)
    cop_com = label(loaded, "whole_body_lean")
    assert body.legend_names() == [cop_com, "GRF at COP (1 BW = 0.5 m)"]
    drawn: set[str] = set()
    for contact in loaded.contacts[:4]:
        session.set_cursor(0.5 * (contact.ic_s + contact.to_s))
        drawn |= set(body.figure_item.figure.lines)
    assert drawn == {"cop-com", "grf"}  # every line drawn is in the legend
    points = body.figure_data()
    assert {"l_heel", "r_ttip", "midh"} <= set(points)
    assert not {"mids", "l_ajc", "l_kjc", "head_com"} & set(points)
    angles = body.angles()
    assert angles["trunk_lean"][1] == "not available"
    assert body.table.value(label(loaded, "trunk_lean")) == "n/a"
    caption = body.source_label.text()
    assert caption.startswith(
        f"Angles from the vertical, + forward: {cop_com} computed from the markers "
        f"(no lean result); {label(loaded, 'trunk_lean')}, "
    )
    assert "COM: center_of_mass result (com). Not drawn: " in caption
    for key, why in (
        ("trunk_lean", "no shoulder markers"),
        ("leg_line", "no ankle and hip joint centres"),
        ("whole_body_lean_ankle", "no ankle joint centres"),
    ):
        assert f"{label(loaded, key)}" in caption.split("Not drawn: ")[1]
        assert f"({why})" in caption
    assert caption.endswith("Not in this marker set: knees, ankles, trunk, head, arms.")


def test_captions_say_where_angles_come_from(qtbot, body, session):
    loaded = session.load("demo_treadmill_run")
    show(qtbot, body, session, loaded)
    assert body.source_label.text() == (
        "Angles from the vertical, + forward, from the lean result. "
        "COM: center_of_mass result (com)."
    )
    lines = declared_lines(shown_angles(loaded))
    assert [line.key for line in lines][:4] == [
        "midh-mids",
        "cop-com",
        "ajc-com",
        "ajc-hjc",
    ]
    assert body.legend_names() == [
        *(line.owner.label for line in lines),
        "GRF at COP (1 BW = 0.5 m)",
    ]
    without_lean = session.load("demo_treadmill_run")
    del without_lean.results["lean"]
    show(qtbot, body, session, without_lean)
    caption = body.source_label.text()
    assert caption.startswith("Angles from the vertical, + forward: ")
    assert caption.endswith(
        "computed from the markers (no lean result); "
        f"{label(loaded, 'bend_index')} not available. "
        "COM: center_of_mass result (com)."
    )
    mixed = session.load("demo_treadmill_run")
    lean = mixed.results["lean"]
    series = {k: v for k, v in lean.series.items() if k != "trunk_lean"}
    mixed.results["lean"] = replace(lean, series=series)
    show(qtbot, body, session, mixed)
    assert body.source_label.text().endswith(
        f"from the lean result; {label(loaded, 'trunk_lean')} computed from the "
        "markers. COM: center_of_mass result (com)."
    )


REBUILT_POINTS = {
    f"{side}_{point}" for side in "lr" for point in ("kjc", "ajc", "heel", "ttip")
}


def test_landmarks_rebuilt_from_the_static_trial_are_drawn_and_named(
    qtbot, delete_widgets, cluster_project
):
    """Issue 16 item 3: a cluster protocol's knees, ankles and feet come from the
    static trial; before, the body view had none of them and no leg line."""
    path, case = cluster_project
    session = Session()
    session.open(path)
    view = BodyView(session)
    delete_widgets(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    loaded = session.load("cluster_run")
    assert loaded.static_id == "cluster_static"
    show(qtbot, view, session, loaded)
    frame = 150
    session.set_cursor(frame / MARKER_RATE)
    drawn = view.figure_data()
    for name in ("l_kjc", "r_kjc", "l_ajc", "r_ajc"):  # within 2 mm of the truth
        truth = getattr(case.points, name)[frame][SAGITTAL]
        np.testing.assert_allclose(drawn[name], truth, atol=0.002)
    assert view.figure_item.figure.rebuilt == REBUILT_POINTS
    assert set(drawn) >= REBUILT_POINTS
    assert label(loaded, "leg_line") in view.legend_names()
    assert view.legend_names()[-1] == REBUILT_LEGEND
    assert (
        "Knees, ankles, feet rebuilt from the static trial cluster_static "
        "(cluster markers): hollow diamonds, magenta points in 3D."
        in view.source_label.text()
    )
    assert colour_pixels(view, REBUILT_COLOUR) > 20
    # the 3D view's rebuilt landmarks: the static-only markers, carried along
    prepared = BodyView.prepare(loaded)
    assert set(prepared.rebuilt_labels) == set(case.truth)
    points_3d = rebuilt_3d(prepared, frame)
    truth_3d = np.array([case.truth[n][frame] for n in prepared.rebuilt_labels])
    np.testing.assert_allclose(points_3d, truth_3d @ prepared.display_axes, atol=0.002)


def test_a_trial_without_rebuilt_landmarks_draws_no_diamonds(qtbot, body, treadmill):
    assert not body.figure_item.figure.rebuilt
    assert REBUILT_LEGEND not in body.legend_names()
    assert "static trial" not in body.source_label.text()
    assert colour_pixels(body, REBUILT_COLOUR) == 0
    assert rebuilt_3d(BodyView.prepare(treadmill), 10).shape == (0, 3)


def test_the_caption_says_why_a_segment_was_not_rebuilt(cluster_project):
    """A shank cluster with 2 of its 4 markers cannot carry the malleoli: the left
    ankle is not drawn and the caption says why, the other points still are."""
    path, _case = cluster_project
    session = Session()
    session.open(path)
    full = session.load("cluster_run")
    labels = tuple(
        label for label in full.trial.markers.labels if label not in ("LSK1", "LSK2")
    )
    prepared = BodyView.prepare(_with_markers(full, labels))
    assert "l_ajc" not in prepared.points
    assert {"r_ajc", "l_kjc", "r_kjc"} <= prepared.rebuilt
    caption = body_caption(prepared)
    assert (
        "Knees, ankles, feet rebuilt from the static trial cluster_static "
        "(cluster markers): hollow diamonds, magenta points in 3D; not rebuilt: "
        "l_shank: " in caption
    )


def test_an_unreadable_static_trial_does_not_hide_the_trial(
    cluster_project, monkeypatch
):
    path, _case = cluster_project
    session = Session()
    session.open(path)
    project = session.project
    load_trial = project.load_trial

    def damaged(trial_id: str):
        if trial_id == "cluster_static":
            raise DamagedFileError(path / "cluster_static.h5", "truncated file")
        return load_trial(trial_id)

    monkeypatch.setattr(project, "load_trial", damaged)
    loaded = session.load("cluster_run")
    assert loaded.static is None
    assert loaded.static_id == "cluster_static"
    prepared = BodyView.prepare(loaded)
    assert not prepared.rebuilt
    assert "l_kjc" not in prepared.points
    assert (
        "Nothing rebuilt from the static trial: the static trial cluster_static "
        "could not be read (DamagedFileError: " in body_caption(prepared)
    )
    assert "cluster_static.h5" in body_caption(prepared)
    assert "truncated file" in body_caption(prepared)
