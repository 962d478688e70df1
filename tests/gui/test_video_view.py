"""The video view: the frame nearest the cursor, decoded off the GUI thread."""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import pytest

from gaitlab.gui.views.video_view import EventChoice, VideoView


class FakeVideo:
    """Frames whose red channel is their index; irregular timestamps (VFR)."""

    def __init__(self, timestamps, fail_at=()):
        self.timestamps_s = np.asarray(timestamps, float)
        self.fail_at = set(fail_at)
        self.threads: set[str] = set()
        self.decoded: list[int] = []

    def frame(self, index):
        self.threads.add(threading.current_thread().name)
        self.decoded.append(index)
        if index in self.fail_at:
            raise ValueError("damaged packet")
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[..., 0] = index
        return frame


@pytest.fixture
def video():
    rng = np.random.default_rng(3)
    return FakeVideo(np.cumsum(rng.uniform(0.005, 0.015, 200)))


@pytest.fixture
def view(qtbot, video):
    cursor = []
    widget = VideoView("side", video, offset_s=0.25, move_cursor=cursor.append)
    widget.cursor_moves = cursor
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    yield widget
    widget.close_source()


def shown_red(view) -> int:
    image = view.image.pixmap().toImage()
    return image.pixelColor(5, 5).red()


def test_the_frame_shown_is_the_one_nearest_cursor_plus_offset(qtbot, view, video):
    """Random cursor times on a variable-frame-rate video: the frame shown
    carries the index of the timestamp nearest t + offset; decoding runs on
    a worker thread, never the GUI thread."""
    rng = np.random.default_rng(0)
    for t in rng.uniform(-0.3, video.timestamps_s[-1], 15):
        expected = int(np.argmin(np.abs(video.timestamps_s - (t + 0.25))))
        with (
            qtbot.waitSignal(view.frame_shown, timeout=5000)
            if expected != view.shown
            else contextlib.nullcontext()
        ):
            view.show_time(t)
        assert view.shown == expected
        assert shown_red(view) == expected
    assert threading.main_thread().name not in video.threads


def test_scrubbing_decodes_only_the_latest_wanted_frame(qtbot, view, video):
    """Fifty cursor moves while a decode runs: the view ends on the last
    one and decodes far fewer frames than it was asked for."""
    for t in np.linspace(0.0, 1.0, 50):
        view.show_time(float(t))
    last = view.index_at(1.0)
    qtbot.waitUntil(lambda: view.shown == last, timeout=5000)
    assert len(video.decoded) < 50


def test_stepping_moves_the_cursor_to_the_next_video_frame(qtbot, view, video):
    view.show_time(0.5)
    index = view.wanted
    view.step(1)
    assert view.cursor_moves[-1] == pytest.approx(video.timestamps_s[index + 1] - 0.25)
    view.step(-3)
    assert view.cursor_moves[-1] == pytest.approx(video.timestamps_s[index - 3] - 0.25)


def test_sync_to_an_event_sets_the_offset_from_the_frame_on_screen(qtbot, video):
    saved = []
    cursor = []
    view = VideoView("side", video, 0.0, cursor.append, set_offset=saved.append)
    qtbot.addWidget(view)
    view.show_time(1.0)  # the strike is seen at this frame
    frame_time = video.timestamps_s[view.wanted]
    view.set_events([EventChoice("Foot Strike Left", 0.8)])
    assert view.sync.count() == 2
    view._on_sync_chosen(1)
    assert saved == [pytest.approx(frame_time - 0.8)]
    assert view.index_at(0.8) == int(np.argmin(np.abs(video.timestamps_s - frame_time)))
    assert cursor[-1] == 0.8
    view.close_source()


def test_a_frame_that_cannot_be_decoded_is_said_and_the_view_goes_on(qtbot, video):
    broken = FakeVideo(video.timestamps_s, fail_at={10})
    view = VideoView("front", broken, 0.0, lambda t: None)
    qtbot.addWidget(view)
    view.show_time(float(broken.timestamps_s[10]))
    qtbot.waitUntil(lambda: "cannot be shown" in view.status.text(), timeout=5000)
    assert "damaged packet" in view.status.text()
    with qtbot.waitSignal(view.frame_shown, timeout=5000):
        view.show_time(float(broken.timestamps_s[20]))
    assert shown_red(view) == 20
    view.close_source()


def test_zoom_and_fit(qtbot, view):
    view.show_time(0.0)
    qtbot.waitUntil(lambda: view.shown >= 0, timeout=5000)
    before = view.view.transform().m11()
    view.view.zoom(2.0)
    assert view.view.transform().m11() == pytest.approx(2 * before)
    view.view.fit()
    assert view.view.transform().m11() == pytest.approx(before, rel=0.05)
