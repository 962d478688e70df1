"""Video docks in the main window: one per camera, following the cursor."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel

from gaitlab.gui.views.video_view import VideoView
from gaitlab.pipeline.videos import attach_video, trial_videos
from gaitlab.video.synthetic import read_index, write_video

FPS = 50


@pytest.fixture
def treadmill_id(session) -> str:
    return next(t for t in session.project.trial_ids if "treadmill_run" in t)


def shown_index(view: VideoView) -> int:
    image = view.image.pixmap().toImage()
    rgb = np.array(
        [
            [image.pixelColor(x, y).getRgb()[:3] for x in range(image.width())]
            for y in range(image.height())
        ],
        dtype=np.uint8,
    )
    return read_index(rgb)


def test_a_trial_shows_its_cameras_in_step_with_the_cursor(
    qtbot, window, session, show_trial, treadmill_id, tmp_path
):
    """An attached side camera (50 fps, offset 0.1 s) gets a dock; at each
    cursor time the frame shown is the one nearest cursor + offset (read
    back from the picture); Sync to event saves the new offset in the
    project."""
    video = write_video(tmp_path / "side.mp4", frames=150, fps=FPS)
    attach_video(session.project, treadmill_id, video, camera="side", offset_s=0.1)
    show_trial(treadmill_id)
    assert [d.windowTitle() for d in window.videos.docks] == ["Video: side"]
    view = window.videos.views["side"]
    for t in (0.0, 0.5, 1.234, 2.5):
        expected = int(np.clip(round((t + 0.1) * FPS), 0, 149))
        session.set_cursor(t)
        qtbot.waitUntil(lambda e=expected: view.shown == e, timeout=5000)
        assert shown_index(view) == expected
    assert view.sync.count() > 1  # the trial's gait events are offered
    view._on_sync_chosen(1)
    saved = trial_videos(session.project, treadmill_id)[0].offset_s
    assert saved == pytest.approx(view.offset_s)


def test_a_missing_video_gets_a_dock_that_says_so(
    qtbot, window, session, show_trial, treadmill_id, tmp_path
):
    video = write_video(tmp_path / "front.mp4", frames=10, fps=FPS)
    attach_video(session.project, treadmill_id, video, camera="front")
    video.unlink()
    show_trial(treadmill_id)
    (dock,) = window.videos.docks
    label = dock.widget()
    assert isinstance(label, QLabel)
    assert "missing" in label.text()
    assert "gaitlab video" in label.text()


def test_dropping_a_video_attaches_it_to_the_trial_shown(
    qtbot, window, session, show_trial, treadmill_id, tmp_path
):
    show_trial(treadmill_id)
    video = write_video(tmp_path / "demo_treadmill_run_side.mp4", frames=20, fps=FPS)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(video))])
    event = QDropEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    records = trial_videos(session.project, treadmill_id)
    assert [r.camera for r in records] == ["side"]
    assert records[0].resolved(session.project.path).resolve() == video.resolve()
    assert [d.windowTitle() for d in window.videos.docks] == ["Video: side"]


def test_the_docks_follow_the_trial_shown(
    qtbot, window, session, show_trial, treadmill_id, tmp_path
):
    video = write_video(tmp_path / "side.mp4", frames=10, fps=FPS)
    attach_video(session.project, treadmill_id, video, camera="side")
    show_trial(treadmill_id)
    assert window.videos.docks
    other = next(t for t in session.project.trial_ids if "overground" in t)
    show_trial(other)
    assert window.videos.docks == []


def test_a_calibrated_camera_shows_the_body_view_s_lines(
    qtbot, window, session, show_trial, treadmill_id, tmp_path
):
    """A side camera calibrated from two floor points (200 px/m): at the
    cursor, each body-view line is drawn over its frame at the pixels the
    calibration gives, with the COM; an uncalibrated camera gets none."""
    from PySide6.QtWidgets import QGraphicsLineItem

    from gaitlab.pipeline.videos import set_video_calibration
    from gaitlab.video import PlaneCalibration

    side = write_video(tmp_path / "side.mp4", frames=150, fps=FPS)
    front = write_video(tmp_path / "front.mp4", frames=150, fps=FPS)
    attach_video(session.project, treadmill_id, side, camera="side")
    attach_video(session.project, treadmill_id, front, camera="front")
    calibration = PlaneCalibration(((0.0, 0.0, 40.0, 220.0), (1.0, 0.0, 240.0, 220.0)))
    set_video_calibration(session.project, treadmill_id, "side", calibration)
    show_trial(treadmill_id)
    view, plain = window.videos.views["side"], window.videos.views["front"]
    loaded = session.current
    contact = loaded.contacts[2]
    for t in (contact.ic_s + 0.05, contact.to_s + 0.03):
        session.set_cursor(t)
        figure = window.body.figure_item.figure
        assert figure is not None
        assert figure.time_s == pytest.approx(t)
        lines = [item for item in view.overlay if isinstance(item, QGraphicsLineItem)]
        assert len(lines) == len(figure.lines)
        for item, ends in zip(lines, figure.lines.values(), strict=True):
            drawn = item.line()
            expected = calibration.to_image(np.asarray(ends))
            np.testing.assert_allclose(
                [[drawn.x1(), drawn.y1()], [drawn.x2(), drawn.y2()]],
                expected,
                atol=1e-6,
            )
        assert len(view.overlay) == len(lines) + 1  # and the COM
        assert plain.overlay == []


def test_the_camera_is_calibrated_on_its_frame_from_body_points(
    qtbot, window, session, show_trial, treadmill_id, tmp_path
):
    """The 2D… dialog: two body points at the cursor added and clicked on the
    frame make a similarity; saved, it is stored with the video and the lines
    are drawn over the frame. One point cannot be saved, and says why;
    Remove calibration removes it."""
    from PySide6.QtWidgets import QDialogButtonBox

    side = write_video(tmp_path / "side.mp4", frames=150, fps=FPS)
    attach_video(session.project, treadmill_id, side, camera="side")
    show_trial(treadmill_id)
    view = window.videos.views["side"]
    qtbot.waitUntil(lambda: view.shown >= 0, timeout=5000)
    figure = view.figure
    assert figure is not None
    dialog = view.show_calibration_dialog()
    qtbot.addWidget(dialog)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    clicks = {"l_heel": (30.0, 100.0), "head_com": (60.0, 20.0)}
    for name, pixel in clicks.items():
        dialog.body_point.setCurrentIndex(dialog.body_point.findData(name))
        dialog.add_point()
        assert not save.isEnabled()  # the new point has no pixel yet
        at = view.view.mapFromScene(*pixel)
        qtbot.mouseClick(view.view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    rows = dialog.points()
    for (name, pixel), row in zip(clicks.items(), rows, strict=True):
        np.testing.assert_allclose(row[:2], figure.points[name], atol=1e-4)
        np.testing.assert_allclose(row[2:], pixel, atol=1.0)  # a screen pixel
    assert "2 points: similarity" in dialog.fit_label.text()
    assert dialog.save()
    stored = trial_videos(session.project, treadmill_id)[0].calibration
    assert stored is not None
    np.testing.assert_allclose(np.array(stored.points), np.array(rows), atol=1e-3)
    assert view.overlay  # the lines are drawn now

    again = view.show_calibration_dialog()
    qtbot.addWidget(again)
    assert len(again.points()) == 2  # the saved points come back
    again.table.removeRow(1)
    assert not again.save()
    assert "at least two points" in again.fit_label.text()
    again.clear()
    assert trial_videos(session.project, treadmill_id)[0].calibration is None
    assert view.overlay == []
    assert not view.view.picking  # clicks pan the frame again


def test_a_camera_with_a_scrubbing_copy_is_read_from_it(
    qtbot, window, session, show_trial, treadmill_id, tmp_path
):
    """The dock reads the copy (quicker jumps) and shows the same frames."""
    from gaitlab.video import content_hash
    from gaitlab.video.proxy import make_proxy

    video = write_video(tmp_path / "side.mp4", frames=150, fps=FPS, gop=60)
    copy = make_proxy(video, content_hash(video))
    attach_video(session.project, treadmill_id, video, camera="side", offset_s=0.1)
    show_trial(treadmill_id)
    view = window.videos.views["side"]
    assert view.source.path == copy
    for t in (0.3, 1.7, 0.9):
        expected = int(np.clip(round((t + 0.1) * FPS), 0, 149))
        session.set_cursor(t)
        qtbot.waitUntil(lambda e=expected: view.shown == e, timeout=5000)
        assert shown_index(view) == expected


def test_quick_jumps_makes_the_copy_and_the_dock_reads_it(
    qtbot, window, session, show_trial, treadmill_id, tmp_path
):
    from gaitlab.video import content_hash
    from gaitlab.video.proxy import existing_proxy

    video = write_video(tmp_path / "side.mp4", frames=100, fps=FPS, gop=50)
    attach_video(session.project, treadmill_id, video, camera="side")
    show_trial(treadmill_id)
    view = window.videos.views["side"]
    assert not view.make_copy.isHidden()
    record = trial_videos(session.project, treadmill_id)[0]
    call = window.videos.make_copy(record, video)
    assert call.wait(60)
    qtbot.waitUntil(lambda: window.videos.views["side"] is not view, timeout=10_000)
    copied = window.videos.views["side"]
    assert copied.source.path == existing_proxy(content_hash(video))
    assert copied.make_copy.isHidden()  # made: no button any more
    assert "Scrubbing copy of side made" in window.statusBar().currentMessage()
