"""Gait events and stance phases on the time plots, and editing them with the mouse.

Three pieces, used by :class:`gaitlab.gui.views.signal_plots.SignalPlotsView`:

:class:`EventTrack`
    The events drawn on every plot (one shared list), the selected event and
    the event being dragged. Every plot's :class:`EventLinesItem` repaints
    when it changes, so a drag shows in all plots at once.
:class:`EventEditor`
    Turns a user action into one call of :meth:`Session.edit_events
    <gaitlab.session.Session.edit_events>` (the session keeps the undo
    history and saves the events to the project): add an event at a time,
    move one, delete one. Times are snapped to the sample grid.
:class:`EventLinesItem`, :class:`StanceShadingItem`
    pyqtgraph items that draw all events (or stance phases) of a trial in
    one item per plot, culled to the visible and exposed time range, so a
    10-minute trial with thousands of steps pans and zooms smoothly (one
    ``InfiniteLine`` per event would not). The lines item also does the hit
    testing: hover highlights the nearest line within a few pixels, a drag
    moves it (one edit on release), a click selects it, a right click offers
    to delete it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.core.contacts import FOOT_OFF, FOOT_STRIKE, Contact
from gaitlab.core.trial import Event
from gaitlab.core.types import FloatArray
from gaitlab.gui import theme
from gaitlab.session import Session

__all__ = [
    "EDITABLE_EVENTS",
    "EventEditor",
    "EventLinesItem",
    "EventTrack",
    "StanceShadingItem",
    "describe_event",
]


EDITABLE_EVENTS = (
    (FOOT_STRIKE, "Left"),
    (FOOT_STRIKE, "Right"),
    (FOOT_OFF, "Left"),
    (FOOT_OFF, "Right"),
)
"""The (label, side) pairs offered by "Add ..." in the plots' context menu."""

DENSE_EVENTS_TEXT = "too many events to draw at this zoom: zoom in to see and edit them"

HIT_TOLERANCE_PX = 5.0
"""How close (in pixels) the mouse must be to an event line to grab it."""

MIN_LABEL_SPACING_PX = 34.0
"""Event labels are drawn only when the visible events are at least this far apart."""

MIN_EVENT_SPACING_PX = 3.0
"""Event lines are drawn only when the visible events are this far apart on average
(closer, they would paint the plot solid; the ruler then asks to zoom in)."""

MIN_STANCE_WIDTH_PX = 3.0
"""Stance phases are shaded only when a stance and a flight span this many pixels."""


def describe_event(event: Event) -> str:
    """Words for an event in an undo description ("Foot Strike Left at 1.234 s").

    Examples
    --------
    >>> describe_event(Event(1.2344, "Foot Strike", "Left"))
    'Foot Strike Left at 1.234 s'
    """
    side = f" {event.context}" if event.context in ("Left", "Right") else ""
    return f"{event.label}{side} at {event.time_s:.3f} s"


class EventTrack(QtCore.QObject):
    """The gait events shown on the plots, with the selection and the drag in progress.

    Events are kept sorted by time; an index refers to that order.
    """

    changed = QtCore.Signal()
    """Emitted when anything drawn changes (events, selection, drag position)."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.events: list[Event] = []
        self.times: FloatArray = np.zeros(0)
        self.selected: int | None = None
        self.dragging: int | None = None
        self.drag_time_s = 0.0

    def set_events(self, events: Sequence[Event]) -> None:
        """Show these events (the selection and any drag are dropped)."""
        self.events = sorted(events, key=lambda e: e.time_s)
        self.times = np.array([e.time_s for e in self.events], dtype=float)
        self.selected = None
        self.dragging = None
        self.changed.emit()

    def select(self, index: int | None) -> None:
        """Select an event (None: no selection)."""
        if index != self.selected:
            self.selected = index
            self.changed.emit()

    def nearest(self, time_s: float, tolerance_s: float) -> int | None:
        """Index of the event closest to ``time_s`` within ``tolerance_s``, or None."""
        if not len(self.times):
            return None
        i = int(np.searchsorted(self.times, time_s))
        candidates = [j for j in (i - 1, i) if 0 <= j < len(self.times)]
        best = min(candidates, key=lambda j: abs(self.times[j] - time_s))
        return best if abs(self.times[best] - time_s) <= tolerance_s else None

    def begin_drag(self, index: int) -> None:
        """Start moving an event (it is drawn at :attr:`drag_time_s` until the end)."""
        self.dragging = index
        self.selected = index
        self.drag_time_s = float(self.times[index])
        self.changed.emit()

    def drag_to(self, time_s: float) -> None:
        """Move the dragged event's drawing to a new time."""
        self.drag_time_s = float(time_s)
        self.changed.emit()

    def end_drag(self) -> tuple[int, float] | None:
        """Stop the drag; returns (index, time) of the dragged event, or None."""
        if self.dragging is None:
            return None
        index, time_s = self.dragging, self.drag_time_s
        self.dragging = None
        self.changed.emit()
        return index, time_s

    def drawn_time(self, index: int) -> float:
        """Where event ``index`` is drawn now (its drag position while dragged)."""
        return self.drag_time_s if index == self.dragging else float(self.times[index])


class EventEditor:
    """User edits of the current trial's gait events, each one undoable session edit.

    Parameters
    ----------
    session : Session
        Receives :meth:`~gaitlab.session.Session.edit_events` calls.
    track : EventTrack
        The events as drawn (indices refer to its order).
    """

    def __init__(self, session: Session, track: EventTrack) -> None:
        self._session = session
        self._track = track

    def snap(self, time_s: float) -> float:
        """A time rounded to the trial's finest sample grid and clamped to the trial, s."""
        current = self._session.current
        if current is None:
            return float(time_s)
        trial = current.trial
        plates = [p for p in trial.forceplates if p.n_samples > 0]
        if plates:
            rate, t0 = plates[0].rate_hz, plates[0].t0_s
        elif trial.analogs.n_samples and trial.analogs.rate_hz > trial.markers.rate_hz:
            rate, t0 = trial.analogs.rate_hz, trial.analogs.t0_s
        else:
            rate, t0 = trial.markers.rate_hz, trial.markers.t0_s
        start, stop = self._session.time_range()
        if rate > 0:
            time_s = t0 + round((time_s - t0) * rate) / rate
        return float(min(max(time_s, start), stop))

    def add(self, label: str, context: str, time_s: float) -> Event:
        """Add an event at a time (snapped); returns it."""
        event = Event(self.snap(time_s), label, context, "user")
        self._commit([*self._track.events, event], f"add {describe_event(event)}")
        return event

    def move(self, index: int, time_s: float) -> bool:
        """Move event ``index`` to a time (snapped); False when it would not move."""
        old = self._track.events[index]
        new_time = self.snap(time_s)
        if abs(new_time - old.time_s) < 1e-9:
            return False
        events = list(self._track.events)
        events[index] = Event(new_time, old.label, old.context, "user")
        self._commit(events, f"move {describe_event(old)} → {new_time:.3f} s")
        return True

    def delete(self, index: int) -> None:
        """Delete event ``index``."""
        events = list(self._track.events)
        removed = events.pop(index)
        self._commit(events, f"delete {describe_event(removed)}")

    def _commit(self, events: list[Event], description: str) -> None:
        self._session.edit_events(events, description)


class _ViewSpanningItem(pg.UIGraphicsItem):
    """An item whose bounds are the visible view, painted in device pixels.

    Its drawing is cached as a pixmap of the view (repainted when the view
    range changes or the item updates), so a moving cursor costs nothing here.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(
            QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True
        )
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def _device_span(
        self, painter: QtGui.QPainter, option: QtWidgets.QStyleOptionGraphicsItem
    ) -> tuple[float, float, QtGui.QTransform, float, float] | None:
        """Visible time range and the data→pixel mapping, or None when nothing shows.

        Returns (first time, last time, transform, top px, bottom px): the times
        cover the part of the view being repainted (the exposed rectangle), the
        transform maps data to viewport pixels.
        """
        view = self.viewRect()
        if view is None:
            return None
        exposed = option.exposedRect
        left = max(view.left(), exposed.left())
        right = min(view.right(), exposed.right())
        if right < left:
            return None
        transform = painter.transform()
        corner_a = transform.map(QtCore.QPointF(view.left(), view.top()))
        corner_b = transform.map(QtCore.QPointF(view.right(), view.bottom()))
        top, bottom = sorted((corner_a.y(), corner_b.y()))
        return left, right, transform, top, bottom


class StanceShadingItem(_ViewSpanningItem):
    """Stance phases as light bands of the side's colour, behind the curves."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(-100)
        self.starts: FloatArray = np.zeros(0)
        self.stops: FloatArray = np.zeros(0)
        self.sides: list[str] = []
        self._brushes = {side: theme.stance_brush(side) for side in theme.SIDE_COLOURS}

    @property
    def n_regions(self) -> int:
        """Number of stance phases drawn (one per contact)."""
        return len(self.starts)

    def set_contacts(self, contacts: Sequence[Contact]) -> None:
        """Shade these contacts (IC to TO, coloured by side)."""
        ordered = sorted(contacts, key=lambda c: c.ic_s)
        self.starts = np.array([c.ic_s for c in ordered], dtype=float)
        self.stops = np.array([c.to_s for c in ordered], dtype=float)
        self.sides = [c.context for c in ordered]
        # stops are not sorted when contacts overlap; the longest contact bounds the search
        self._max_duration = float(np.max(self.stops - self.starts)) if ordered else 0.0
        self.update()

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        if not len(self.starts):
            return
        span = self._device_span(painter, option)
        if span is None:
            return
        left, right, transform, top, bottom = span
        scale, offset = transform.m11(), transform.dx()
        if _too_dense(
            self.starts, self.viewRect(), abs(scale), MIN_STANCE_WIDTH_PX / 2
        ):
            return  # a band per pixel column says nothing: zoom in to see stances
        first = int(np.searchsorted(self.starts, left - self._max_duration))
        last = int(np.searchsorted(self.starts, right, side="right"))
        if last <= first:
            return
        x0 = self.starts[first:last] * scale + offset
        x1 = self.stops[first:last] * scale + offset
        rects: dict[str, list[QtCore.QRect]] = {}
        height = bottom - top
        for a, b, side in zip(x0, x1, self.sides[first:last], strict=True):
            if b > a:
                rects.setdefault(side, []).append(
                    QtCore.QRectF(a, top, b - a, height).toAlignedRect()
                )
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for side, group in rects.items():
            painter.setBrush(self._brushes[side])
            painter.drawRects(group)
        painter.restore()


def _too_dense(
    times: FloatArray, view: QtCore.QRectF | None, px_per_s: float, min_px: float
) -> bool:
    """True when the items at ``times`` in the view are closer than ``min_px`` on average."""
    if view is None or not len(times):
        return False
    first, last = np.searchsorted(times, [view.left(), view.right()])
    count = int(last - first)
    return count > 1 and view.width() * px_per_s / count < min_px


class EventLinesItem(_ViewSpanningItem):
    """All events of the track as vertical lines of one plot, editable with the mouse.

    Parameters
    ----------
    track : EventTrack
        The shared events (this item repaints when it changes).
    editor : EventEditor
        Commits moves and deletions.
    on_context_menu : callable
        ``on_context_menu(menu)`` shows a menu (the view owns the popup so tests
        can inspect it instead).
    """

    def __init__(
        self,
        track: EventTrack,
        editor: EventEditor,
        on_context_menu: Callable[[QtWidgets.QMenu, QtCore.QPoint], None],
    ) -> None:
        super().__init__()
        self.setZValue(50)
        self.track = track
        self.editor = editor
        self.show_labels = False
        self.hovered: int | None = None
        self._on_context_menu = on_context_menu
        self._font = theme.label_font(8.0, bold=True)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self._pens = {
            (label, side): theme.event_pen(label, side)
            for label in (FOOT_STRIKE, FOOT_OFF)
            for side in theme.SIDE_COLOURS
        }
        track.changed.connect(self.update)

    @property
    def n_lines(self) -> int:
        """Number of event lines (one per event of the track)."""
        return len(self.track.events)

    def _pen(self, event: Event, width: float | None = None) -> QtGui.QPen:
        side = event.context if event.context in theme.SIDE_COLOURS else "General"
        pen = self._pens.get((event.label, side))
        if pen is None:
            pen = theme.event_pen(event.label, side)
        if width is not None:
            pen = QtGui.QPen(pen)
            pen.setWidthF(width)
        return pen

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        track = self.track
        if not track.events:
            return
        span = self._device_span(painter, option)
        if span is None:
            return
        left, right, transform, top, bottom = span
        scale, offset = transform.m11(), transform.dx()
        if _too_dense(track.times, self.viewRect(), abs(scale), MIN_EVENT_SPACING_PX):
            if self.show_labels:
                painter.save()
                painter.resetTransform()
                view_left = self.viewRect().left() * scale + offset
                self._paint_text(
                    painter, DENSE_EVENTS_TEXT, view_left + 4, top + 2, theme.FOREGROUND
                )
                painter.restore()
            return
        margin = 2 * theme.SELECTED_EVENT_WIDTH / max(abs(scale), 1e-12)
        first = int(np.searchsorted(track.times, left - margin))
        last = int(np.searchsorted(track.times, right + margin, side="right"))
        special = {
            i for i in (track.selected, track.dragging, self.hovered) if i is not None
        }
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        lines: dict[tuple[str, str], list[QtCore.QLineF]] = {}
        for i in range(first, last):
            if i in special:
                continue
            event = track.events[i]
            x = track.times[i] * scale + offset
            key = (event.label, event.context)
            lines.setdefault(key, []).append(QtCore.QLineF(x, top, x, bottom))
        for key, group in lines.items():
            painter.setPen(self._pen(Event(0.0, *key)))
            painter.drawLines(group)
        for i in sorted(special):
            event = track.events[i]
            x = track.drawn_time(i) * scale + offset
            painter.setPen(self._pen(event, theme.SELECTED_EVENT_WIDTH))
            painter.drawLine(QtCore.QLineF(x, top, x, bottom))
        if self.show_labels:
            for index, rect in self.label_rects(scale, offset, top, bottom):
                event = track.events[index]
                self._paint_label(
                    painter,
                    theme.event_abbreviation(event.label, event.context),
                    rect,
                    theme.side_colour(event.context),
                )
        if track.dragging is not None:
            x = track.drag_time_s * scale + offset
            self._paint_text(
                painter, f"{track.drag_time_s:.3f} s", x, bottom - 16, "#000000"
            )
        painter.restore()

    def label_rects(
        self, scale: float, offset: float, top: float, bottom: float
    ) -> list[tuple[int, QtCore.QRectF]]:
        """Where the labels of the visible events go, in viewport pixels.

        A Foot Strike's label is right of its line (in the stance it starts), on
        the first text line; a Foot Off's left of its line (in the stance it
        ends), on the second: the labels of two feet at one instant (one foot's
        FO, the other's FS) never meet. A label that would overlap one already
        placed takes another text line, or is left out (zoom in to see it).
        Decided on the whole view, so that partial repaints agree. Returns
        (event index, rectangle) pairs; none when events are too dense.
        """
        track = self.track
        view = self.viewRect()
        if view is None or not track.events:
            return []
        first, last = (
            int(i) for i in np.searchsorted(track.times, [view.left(), view.right()])
        )
        count = last - first
        if count > 1 and view.width() * abs(scale) / count < MIN_LABEL_SPACING_PX:
            return []
        line_px = self._metrics.height()
        rows = max(1, int((bottom - top - 1) // line_px))
        placed: list[tuple[int, QtCore.QRectF]] = []
        for i in range(max(first - 1, 0), min(last + 1, len(track.events))):
            event = track.events[i]
            x = track.drawn_time(i) * scale + offset
            text = theme.event_abbreviation(event.label, event.context)
            width = self._metrics.boundingRect(text).width() + 4
            before = event.label == FOOT_OFF
            left = x - 3 - width if before else x + 3
            preferred = min(1, rows - 1) if before else 0
            for row in (preferred, *(r for r in range(rows) if r != preferred)):
                rect = QtCore.QRectF(left, top + 1 + row * line_px, width, line_px)
                if not any(rect.intersects(other) for _i, other in placed):
                    placed.append((i, rect))
                    break
        return placed

    def _paint_label(
        self, painter: QtGui.QPainter, text: str, rect: QtCore.QRectF, colour: str
    ) -> None:
        painter.setFont(self._font)
        painter.fillRect(rect, QtGui.QColor(255, 255, 255, 215))
        painter.setPen(QtGui.QColor(colour))
        painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, text)

    def _paint_text(
        self, painter: QtGui.QPainter, text: str, x: float, y: float, colour: str
    ) -> None:
        painter.setFont(self._font)
        box = self._metrics.boundingRect(text)
        rect = QtCore.QRectF(x + 3, y, box.width() + 4, box.height())
        painter.fillRect(rect, QtGui.QColor(255, 255, 255, 215))
        painter.setPen(QtGui.QColor(colour))
        painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, text)

    # ---- mouse

    def _tolerance_s(self) -> float:
        view = self.getViewBox()
        if view is None:
            return 0.0
        return HIT_TOLERANCE_PX * abs(view.viewPixelSize()[0])

    def _event_at(self, time_s: float) -> int | None:
        """The event line under the mouse (None when lines are too dense to be drawn)."""
        view = self.getViewBox()
        if view is None:
            return None
        px_per_s = 1.0 / max(abs(view.viewPixelSize()[0]), 1e-12)
        if _too_dense(
            self.track.times, self.viewRect(), px_per_s, MIN_EVENT_SPACING_PX
        ):
            return None
        return self.track.nearest(time_s, self._tolerance_s())

    def hoverEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph API)
        index = None
        if not ev.isExit():
            index = self._event_at(ev.pos().x())
            if index is not None and not (
                ev.acceptDrags(QtCore.Qt.MouseButton.LeftButton)
                and ev.acceptClicks(QtCore.Qt.MouseButton.LeftButton)
            ):
                index = None
            if index is not None:
                ev.acceptClicks(QtCore.Qt.MouseButton.RightButton)
        if index != self.hovered:
            self.hovered = index
            if index is None:
                self.unsetCursor()
            else:
                self.setCursor(QtCore.Qt.CursorShape.SizeHorCursor)
            self.update()

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph API)
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        track = self.track
        if ev.isStart():
            index = self._event_at(ev.buttonDownPos().x())
            if index is None:
                ev.ignore()
                return
            track.begin_drag(index)
        if track.dragging is None:
            ev.ignore()
            return
        ev.accept()
        track.drag_to(self.editor.snap(ev.pos().x()))
        if ev.isFinish():
            finished = track.end_drag()
            if finished is not None:
                self.editor.move(*finished)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph API)
        index = self._event_at(ev.pos().x())
        if index is None:
            ev.ignore()
            return
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self.track.select(index)
        elif ev.button() == QtCore.Qt.MouseButton.RightButton:
            ev.accept()
            self.track.select(index)
            self._on_context_menu(self.context_menu(index), ev.screenPos().toPoint())
        else:
            ev.ignore()

    def context_menu(self, index: int) -> QtWidgets.QMenu:
        """The menu of an event line: delete it."""
        event = self.track.events[index]
        menu = QtWidgets.QMenu(self.getViewWidget())  # deleted with its plot
        action = menu.addAction(f"Delete {describe_event(event)}")
        action.triggered.connect(lambda: self.editor.delete(index))
        return menu
