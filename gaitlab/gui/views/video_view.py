"""A camera's video beside the data, following the one time cursor.

One :class:`VideoView` per camera of the shown trial (the main window puts
each in a dock). The frame shown at cursor time ``t`` (trial clock, s) is
the frame whose timestamp is nearest ``t + offset`` on the video's own
clock, so variable-frame-rate files are shown frame-accurately
(:func:`gaitlab.video.frame_index_at`).

Frames are decoded off the GUI thread, one at a time, the latest request
winning: while a frame decodes, cursor moves only update the wanted index,
and the next decode starts from it, so scrubbing never queues up work and
the view shows the frame at the cursor as soon as it is decoded. The
reader's own cache (bounded by a frame count) makes stepping back and forth
cheap.

The view offers: stepping frame by frame (the cursor moves to the next or
previous video frame), zoom (mouse wheel; double-click fits the image) and
pan (drag), and *Sync to event*: with the frame where an event happens on
screen (e.g. a foot strike), choosing that event sets the offset so that
this frame and the event coincide. Playback is the body view's (the video
follows the cursor it moves).

With a 2D calibration of the camera (:class:`gaitlab.video.PlaneCalibration`),
the body view's lines at the cursor (lean lines, leg line, trunk, GRF) and
the COM are drawn over the frame in their body-view colours
(:meth:`VideoView.show_figure`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gaitlab.gui.body.figure import Figure
from gaitlab.video import PlaneCalibration, frame_index_at

ZOOM_STEP = 1.25
"""Zoom factor of one mouse-wheel notch."""

OVERLAY_WIDTH_PX = 3.0
"""Width of the lines drawn over a calibrated camera's frames, screen px."""

COM_RADIUS_PX = 7.0
"""Radius of the COM drawn over a calibrated camera's frames, image px."""


class FrameSource(Protocol):
    """What the view needs of a video: frame timestamps and decoded frames."""

    @property
    def timestamps_s(self) -> np.ndarray:
        """Presentation time of each frame on the video's clock, s, sorted."""
        ...

    def frame(self, index: int) -> np.ndarray:
        """The frame as an (height, width, 3) uint8 RGB array."""
        ...


@dataclass(frozen=True)
class EventChoice:
    """An event the offset can be synchronised to."""

    label: str
    time_s: float


class _Signals(QObject):
    decoded = Signal(int, object)  # index, RGB array (or an Exception)


class _ZoomView(QGraphicsView):
    """An image view zoomed with the wheel, panned by dragging, fitted on double-click."""

    picked = Signal(float, float)
    """A click on the image while :attr:`picking` (image pixels u, v)."""

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.fitted = True
        self.picking = False

    def set_picking(self, on: bool) -> None:
        """Clicks give image points (:attr:`picked`) instead of panning."""
        self.picking = on
        self.setDragMode(
            QGraphicsView.DragMode.NoDrag
            if on
            else QGraphicsView.DragMode.ScrollHandDrag
        )
        self.viewport().setCursor(
            Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor
        )

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        if self.picking and event.button() == Qt.MouseButton.LeftButton:
            point = self.mapToScene(event.position().toPoint())
            self.picked.emit(point.x(), point.y())
            return
        super().mousePressEvent(event)

    def wheelEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        factor = ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP
        self.zoom(factor)

    def zoom(self, factor: float) -> None:
        """Scale the image by ``factor`` (> 1 zooms in)."""
        self.fitted = False
        self.scale(factor, factor)

    def fit(self) -> None:
        """Show the whole image."""
        self.fitted = True
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        self.fit()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        if self.fitted:
            self.fit()


class VideoView(QWidget):
    """One camera's frames at the time cursor.

    Parameters
    ----------
    camera : str
        The camera's name (shown in the title line).
    source : FrameSource
        The video's timestamps and frames.
    offset_s : float
        Video time minus trial time, s: the frame shown at cursor time ``t``
        is the one nearest ``t + offset_s`` on the video's clock.
    move_cursor : callable
        ``move_cursor(time_s)``: moves the session's cursor (trial clock).
    set_offset : callable or None
        ``set_offset(offset_s)``: saves a new offset (Sync to event); None
        hides the control.
    calibration : PlaneCalibration or None
        The camera's 2D calibration: with one, :meth:`show_figure` draws the
        body view's lines over the frames.
    set_calibration : callable or None
        ``set_calibration(calibration or None)``: saves the camera's
        calibration made in the *2D…* dialog; None hides the button.
    make_copy : callable or None
        ``make_copy()``: makes the video's scrubbing copy
        (:mod:`gaitlab.video.proxy`); None hides the button.
    """

    frame_shown = Signal(int)
    """A decoded frame is on screen (its index)."""

    def __init__(
        self,
        camera: str,
        source: FrameSource,
        offset_s: float,
        move_cursor: Callable[[float], None],
        set_offset: Callable[[float], None] | None = None,
        parent: QWidget | None = None,
        calibration: PlaneCalibration | None = None,
        set_calibration: Callable[[PlaneCalibration | None], None] | None = None,
        make_copy: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.camera = camera
        self.calibration = calibration
        self._set_calibration = set_calibration
        self._figure: tuple[Figure | None, dict[str, str]] = (None, {})
        self.overlay: list[QGraphicsItem] = []
        """The lines and COM drawn over the frame (empty without a calibration)."""
        self.source = source
        self.offset_s = float(offset_s)
        self._move_cursor = move_cursor
        self._set_offset = set_offset
        self._timestamps = np.asarray(source.timestamps_s, dtype=float)
        self.wanted = -1
        self.shown = -1
        self._cursor_s = 0.0
        self._events: list[EventChoice] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="video")
        self._pending: Future[None] | None = None
        self._lock = threading.Lock()
        self._signals = _Signals(self)
        self._signals.decoded.connect(self._on_decoded)

        self.scene = QGraphicsScene(self)
        self.image = QGraphicsPixmapItem()
        self.scene.addItem(self.image)
        self.view = _ZoomView(self.scene)
        self.view.setMinimumSize(160, 120)
        self.status = QLabel()
        self.status.setStyleSheet("color: #555;")
        self.back = QPushButton("◀")
        self.back.setToolTip("Previous video frame")
        self.back.clicked.connect(lambda: self.step(-1))
        self.forward = QPushButton("▶")
        self.forward.setToolTip("Next video frame")
        self.forward.clicked.connect(lambda: self.step(1))
        for button in (self.back, self.forward):
            button.setFixedWidth(32)
        self.sync = QComboBox()
        self.sync.setToolTip(
            "With the frame where an event happens on screen, choose the event: "
            "the offset is set so that they coincide"
        )
        self.sync.activated.connect(self._on_sync_chosen)
        self.sync.setVisible(set_offset is not None)
        self.calibrate = QPushButton("2D…")
        self.calibrate.setToolTip(
            "Calibrate this side camera from known points (body points at the "
            "cursor clicked on the frame): the body view's lines are then drawn "
            "over the video"
        )
        self.calibrate.clicked.connect(self.show_calibration_dialog)
        self.calibrate.setVisible(set_calibration is not None)
        self.make_copy = QPushButton("Quick jumps…")
        self.make_copy.setToolTip(
            "Make a scrubbing copy of this video (every frame at its time, a "
            "keyframe every few frames) in your cache folder: jumping to any "
            "frame then takes a few milliseconds"
        )
        self._make_copy = make_copy
        self.make_copy.clicked.connect(self._on_make_copy)
        self.make_copy.setVisible(make_copy is not None)
        controls = QHBoxLayout()
        controls.addWidget(self.back)
        controls.addWidget(self.forward)
        controls.addWidget(self.status, 1)
        controls.addWidget(self.make_copy)
        controls.addWidget(self.calibrate)
        controls.addWidget(self.sync)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.view, 1)
        layout.addLayout(controls)
        self._update_status()

    # ---- public

    def index_at(self, time_s: float) -> int:
        """Index of the frame nearest ``time_s + offset_s`` (trial time ``time_s``, s)."""
        return frame_index_at(self._timestamps, time_s + self.offset_s)

    def show_time(self, time_s: float) -> None:
        """Show the frame at cursor time ``time_s`` (decoded off the GUI thread)."""
        self._cursor_s = float(time_s)
        if not len(self._timestamps):
            return
        self.wanted = self.index_at(time_s)
        self._update_status()
        if self.wanted != self.shown:
            self._request()

    def step(self, frames: int) -> None:
        """Move the cursor to the video frame ``frames`` after (or before) the shown one."""
        if not len(self._timestamps):
            return
        current = self.wanted if self.wanted >= 0 else self.index_at(self._cursor_s)
        target = int(np.clip(current + frames, 0, len(self._timestamps) - 1))
        self._move_cursor(float(self._timestamps[target]) - self.offset_s)

    def show_figure(self, figure: Figure | None, colours: dict[str, str]) -> None:
        """Draw a body-view figure's lines and COM over the frame (calibrated
        cameras only; None clears them).

        Parameters
        ----------
        figure : Figure or None
            Its ``lines`` (key → sagittal ends, m) and ``com``.
        colours : dict of str to str
            Colour of each line by key (the body view's).
        """
        self._figure = (figure, colours)
        for item in self.overlay:
            self.scene.removeItem(item)
        self.overlay = []
        if self.calibration is None or figure is None:
            return
        for key, ends in figure.lines.items():
            (u0, v0), (u1, v1) = self.calibration.to_image(np.asarray(ends))
            if not np.isfinite([u0, v0, u1, v1]).all():
                continue
            pen = QPen(QColor(colours.get(key, "#FFFFFF")), OVERLAY_WIDTH_PX)
            pen.setCosmetic(True)  # the same width at every zoom
            line = QGraphicsLineItem(u0, v0, u1, v1)
            line.setPen(pen)
            self.overlay.append(line)
        com = np.asarray(figure.com, dtype=float)
        if np.isfinite(com).all():
            u, v = self.calibration.to_image(com[None])[0]
            r = COM_RADIUS_PX
            dot = QGraphicsEllipseItem(u - r, v - r, 2 * r, 2 * r)
            dot.setPen(QPen(QColor("#000000"), 1.5))
            dot.setBrush(QBrush(QColor("#FFFFFF")))
            self.overlay.append(dot)
        for item in self.overlay:
            item.setZValue(1)
            self.scene.addItem(item)

    @property
    def figure(self) -> Figure | None:
        """The body-view figure at the cursor, as last given to :meth:`show_figure`."""
        return self._figure[0]

    def save_calibration(self, calibration: PlaneCalibration | None) -> None:
        """Use and save a new calibration (None: none); redraw the overlay."""
        self.calibration = calibration
        if self._set_calibration is not None:
            self._set_calibration(calibration)
        self.show_figure(*self._figure)

    def show_calibration_dialog(self) -> QWidget:
        """Open the *2D…* dialog (not modal) on this camera; return it."""
        from gaitlab.gui.views.calibration_dialog import CalibrationDialog

        dialog = CalibrationDialog(self)
        dialog.show()
        return dialog

    def set_events(self, events: Sequence[EventChoice]) -> None:
        """Events offered by *Sync to event* (the current trial's)."""
        self._events = list(events)
        self.sync.clear()
        self.sync.addItem("Sync to event…")
        for event in self._events:
            self.sync.addItem(f"{event.label} at {event.time_s:.3f} s")

    def sync_to(self, event: EventChoice) -> float:
        """Set the offset so that the frame now shown falls on ``event``; returns it (s)."""
        index = self.wanted if self.wanted >= 0 else self.index_at(self._cursor_s)
        self.offset_s = float(self._timestamps[index]) - event.time_s
        if self._set_offset is not None:
            self._set_offset(self.offset_s)
        self._move_cursor(event.time_s)
        self.show_time(event.time_s)
        return self.offset_s

    def close_source(self) -> None:
        """Stop decoding (the widget is going away)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        close = getattr(self.source, "close", None)
        if close is not None:
            close()

    # ---- decoding

    def _request(self) -> None:
        with self._lock:
            if self._pending is not None and not self._pending.done():
                return  # the running decode asks for the latest index when done
            index = self.wanted
            self._pending = self._pool.submit(self._decode, index)

    def _decode(self, index: int) -> None:
        try:
            frame: Any = self.source.frame(index)
        # Isolation boundary: a damaged file fails in the decoder (PyAV raises
        # its own errors); the view says so and the app keeps running.
        except Exception as error:
            frame = error
        self._signals.decoded.emit(index, frame)

    def _on_decoded(self, index: int, frame: Any) -> None:
        if isinstance(frame, Exception):
            self.status.setText(
                f"{self.camera}: frame {index} cannot be shown: {frame}"
            )
        else:
            self._show_frame(index, np.ascontiguousarray(frame))
        if self.wanted != index:
            self._request()

    def _show_frame(self, index: int, rgb: np.ndarray) -> None:
        height, width = rgb.shape[:2]
        image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        first = self.image.pixmap().isNull()
        self.image.setPixmap(QPixmap.fromImage(image.copy()))
        if first:
            self.scene.setSceneRect(QRectF(0, 0, width, height))
            self.view.fit()
        self.shown = index
        self._update_status()
        self.frame_shown.emit(index)

    def _on_make_copy(self) -> None:
        if self._make_copy is not None:
            self._make_copy()

    def _on_sync_chosen(self, row: int) -> None:
        if row >= 1:
            self.sync_to(self._events[row - 1])
        self.sync.setCurrentIndex(0)

    def _update_status(self) -> None:
        n = len(self._timestamps)
        if not n:
            self.status.setText(f"{self.camera}: no frames")
            return
        index = max(self.wanted, 0)
        self.status.setText(
            f"{self.camera} · frame {index + 1}/{n} · video {self._timestamps[index]:.3f} s"
            f" · offset {self.offset_s:+.3f} s"
        )
