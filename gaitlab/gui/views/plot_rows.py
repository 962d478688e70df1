"""The Qt pieces of the time plots: one plot row, its title bar (legend with
values at the cursor), the time read-out and the cursor line.

:class:`~gaitlab.gui.views.signal_plots.SignalPlotsView` stacks the rows and
keeps them in step; what each row draws comes from
:mod:`gaitlab.gui.views.plot_model` (:class:`~gaitlab.gui.views.plot_model.PlotSpec`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.gui import theme
from gaitlab.gui.tasks import adopt_plot_menus
from gaitlab.gui.views.event_editor import (
    EventEditor,
    EventLinesItem,
    EventTrack,
    StanceShadingItem,
)
from gaitlab.gui.views.plot_model import PlotSpec, format_value

if TYPE_CHECKING:
    from gaitlab.gui.views.signal_plots import SignalPlotsView

__all__ = [
    "MIN_ROW_HEIGHT_PX",
    "CursorLine",
    "PlotRow",
    "TimeReadout",
    "TitleBar",
]

MIN_ROW_HEIGHT_PX = 80
"""Smallest height of a plot's data area in px (more when its axis label is longer):
plots that do not fit scroll."""
TOP_MARGIN_PX = 7
"""Room above a plot's data area for the top tick label (half a text line)."""
RULER_HEIGHT_PX = 30
MIN_Y_SPAN = {"N": 20.0, "m": 0.01, "deg": 2.0, "m/s": 0.05}
"""Smallest Y span per unit, so that noise on a flat signal is not blown up."""
Y_PADDING = 0.06
ENVELOPE_FROM_PX = 16
"""Samples per pixel column from which a line is drawn from its min/max envelope."""
SLOT_TEXT = {"N": "-00000 N", "m": "-00.000 m", "deg": "-000.0°", "m/s": "-00.00 m/s"}
"""The widest value expected per unit: the width of a value's slot in a title bar."""
AUTO_DOWNSAMPLE_FACTOR = 1.0
"""Samples kept per pixel column by the peak downsampling (each keeps its min and max)."""


class _TimeViewBox(pg.ViewBox):
    """X-only mouse zoom/pan; a click moves the cursor; right click: event menu."""

    def __init__(self, owner: SignalPlotsView) -> None:
        super().__init__()
        self._owner = owner
        self.setMouseEnabled(x=True, y=False)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph API)
        time_s = self.mapSceneToView(ev.scenePos()).x()
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            if ev.double():
                self._owner.show_whole_trial()
            else:
                self._owner.session.set_cursor(time_s)
        elif ev.button() == QtCore.Qt.MouseButton.RightButton:
            ev.accept()
            menu = self._owner.context_menu(time_s)
            if self.menu is not None:
                menu.addSeparator()
                self.menu.setTitle("View options")
                menu.addMenu(self.menu)
                self.menu.updateState()
            self.scene().addParentContextMenus(self, menu, ev)
            self._owner.popup_menu(menu, ev.screenPos().toPoint())
        else:
            super().mouseClickEvent(ev)


_DEVICE_CACHE = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache


class TitleBar(QtWidgets.QWidget):
    """A plot's title line: quantity, state, and each line's name and value at the cursor.

    Painted directly (no rich-text layout), since it changes at every cursor
    move; each value has a slot of fixed width, so the names stay put while
    the values change, and only the values are repainted. Each line's name is
    drawn in its colour and doubles as the legend: clicking it emits
    :attr:`curve_clicked` (hidden lines are struck out). What does not fit the
    width goes on to a further line (the bar grows), so no name is cut.
    """

    curve_clicked = QtCore.Signal(str)
    """A line's name was clicked."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._bold = theme.label_font(8.5, bold=True)
        self._plain = theme.label_font(8.5)
        self._struck = QtGui.QFont(self._bold)
        self._struck.setStrikeOut(True)
        self._bold_metrics = QtGui.QFontMetricsF(self._bold)
        self._plain_metrics = QtGui.QFontMetricsF(self._plain)
        self._line_px = int(self._bold_metrics.height()) + 4
        self._content: tuple = ("", "", "", [], "")
        self._runs: list[tuple[QtCore.QPointF, str, str, QtGui.QFont]] = []
        self._slots: list[QtCore.QRectF] = []
        self._values: list[str] = []
        self._hit: dict[str, QtCore.QRectF] = {}
        self._laid_out_width = -1
        self.setFixedHeight(self._line_px)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed
        )
        self.setToolTip("Click a line's name to hide or show it")
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(
            QtGui.QPalette.ColorRole.Window, QtGui.QColor(theme.BACKGROUND)
        )
        self.setPalette(palette)

    @property
    def n_lines(self) -> int:
        """Text lines the content takes at the present width."""
        return max(1, round(self.height() / self._line_px))

    def set_content(
        self,
        title: str,
        state: str,
        note: str,
        curves: list[tuple[str, str, bool]],
        unit: str = "",
    ) -> None:
        """The fixed part: title, state ("out of date"), note, lines (name, colour,
        hidden), and the unit of the values (for the width of their slots)."""
        content = (title, state, note, list(curves), unit)
        if content == self._content:
            return
        self._content = content
        self._layout()
        self.update()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt API)
        """Lay the content out again for a new width (lines may wrap or unwrap)."""
        super().resizeEvent(event)
        if event.size().width() != self._laid_out_width:
            self._layout()

    def _layout(self) -> None:
        title, state, note, curves, unit = self._content
        left = float(theme.AXIS_WIDTH_PX - 40)
        right = max(float(self.width()) - 4.0, left + 200.0)
        self._laid_out_width = self.width()
        line = 0
        x = left
        runs = []

        def place(width: float) -> tuple[float, float]:
            """(x, baseline) of a run of this width, on a new line if needed."""
            nonlocal x, line
            if x > left and x + width > right:
                line += 1
                x = left
            baseline = (line + 1) * self._line_px - 5.0
            at = x
            x += width
            return at, baseline

        for text, colour, font, gap in (
            (title, theme.FOREGROUND, self._bold, 8),
            (state, "#9A6700", self._plain, 8),
            (note, "#8A8A8A", self._plain, 8),
        ):
            if text:
                width = QtGui.QFontMetricsF(font).horizontalAdvance(text)
                at, baseline = place(width + gap)
                runs.append((QtCore.QPointF(at, baseline), text, colour, font))
        slot = self._plain_metrics.horizontalAdvance(SLOT_TEXT.get(unit, "-0.0000e+00"))
        self._slots, self._hit = [], {}
        for name, colour, hidden in curves:
            text = f"━ {name}"
            font = self._struck if hidden else self._bold
            width = self._bold_metrics.horizontalAdvance(text)
            value_width = 0 if hidden else slot
            at, baseline = place(6 + width + 4 + value_width)
            top = baseline + 5.0 - self._line_px
            runs.append(
                (
                    QtCore.QPointF(at + 6, baseline),
                    text,
                    "#A0A0A0" if hidden else colour,
                    font,
                )
            )
            self._hit[name] = QtCore.QRectF(at + 6, top, width, self._line_px)
            self._slots.append(
                QtCore.QRectF(at + 6 + width + 4, top, value_width, self._line_px)
            )
        self._runs = runs
        height = (line + 1) * self._line_px
        if height != self.height():
            self.setFixedHeight(height)

    def set_values(self, values: list[str]) -> None:
        """Each line's value at the cursor, as text ("" for none); repaints the values."""
        if values == self._values:
            return
        self._values = list(values)
        changed = QtCore.QRectF()
        for rect in self._slots:
            changed = changed.united(rect)
        self.update(changed.toAlignedRect())

    def text(self) -> str:
        """Everything shown, as plain text (for tests and accessibility)."""
        title, state, note, curves, _unit = self._content
        parts = [title, state, note]
        for (name, _colour, hidden), value in zip(
            curves, self._padded_values(), strict=True
        ):
            parts.append(f"{name} (hidden)" if hidden else f"{name} {value}".strip())
        return "   ".join(part for part in parts if part)

    def curve_rect(self, name: str) -> QtCore.QRectF:
        """Where a line's name is drawn."""
        return self._hit.get(name, QtCore.QRectF())

    def _padded_values(self) -> list[str]:
        count = len(self._content[3])
        return (self._values + [""] * count)[:count]

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QtGui.QPainter(self)
        for at, text, colour, font in self._runs:
            painter.setFont(font)
            painter.setPen(QtGui.QColor(colour))
            painter.drawText(at, text)
        painter.setFont(self._plain)
        painter.setPen(QtGui.QColor(theme.FOREGROUND))
        for rect, value in zip(self._slots, self._padded_values(), strict=True):
            if value and rect.width() > 0:
                painter.drawText(
                    QtCore.QPointF(rect.left(), rect.bottom() - 5.0), value
                )
        painter.end()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt API)
        for name, rect in self._hit.items():
            if rect.contains(event.position()):
                self.curve_clicked.emit(name)
                return
        super().mousePressEvent(event)


class TimeReadout(QtWidgets.QWidget):
    """A time readout ("cursor 1.234 s"), repainted without relayout (unlike a QLabel).

    Parameters
    ----------
    template : str
        The widest text expected (sets the fixed width).
    """

    def __init__(
        self,
        template: str = "cursor 00000.000 s",
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._text = ""
        self._font = theme.label_font(9.0, bold=True)
        metrics = QtGui.QFontMetricsF(self._font)
        self.setFixedSize(
            int(metrics.horizontalAdvance(template)) + 8, int(metrics.height()) + 4
        )

    def text(self) -> str:
        """The text shown."""
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel-like)
        """Show a text (repaints only this widget)."""
        if text != self._text:
            self._text = text
            self.update()

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QtGui.QPainter(self)
        painter.setFont(self._font)
        painter.setPen(QtGui.QColor(theme.CURSOR_COLOUR))
        painter.drawText(self.rect(), QtCore.Qt.AlignmentFlag.AlignVCenter, self._text)
        painter.end()


class CursorLine(pg.InfiniteLine):
    """The time cursor: an InfiniteLine that never asks its plot to auto-range.

    It is added with ``ignoreBounds=True``, but pyqtgraph still tells the view
    that its bounds changed when it moves, and the view then repaints the whole
    plot; the cursor must only repaint the strip it moved across.
    """

    def informViewBoundsChanged(self) -> None:  # noqa: N802 (pyqtgraph API)
        """Do nothing: the cursor's position never changes a plot's range."""


class PlotRow:
    """One plot of the stack: title bar, curves, cursor line, events and stance shading.

    The title bar above the plot names the quantity and each line in its
    colour with its value at the cursor; clicking a line's name hides or
    shows it (the title bar is the legend).

    Attributes
    ----------
    key : str
        Built-in key, ``plugin/series``, or ``events`` for the event ruler.
    container : QWidget
        Title bar and plot, as placed in the stack.
    title : TitleBar
        The title bar (None for the event ruler).
    widget : pyqtgraph.PlotWidget
        The plot's widget.
    plot : pyqtgraph.PlotItem
        Its plot item.
    cursor : pyqtgraph.InfiniteLine
        The time cursor (draggable).
    stance : StanceShadingItem
        Stance phases.
    events : EventLinesItem
        Gait events (editable).
    curves : dict of str to pyqtgraph.PlotDataItem
        Lines by name (created once, updated with ``setData``).
    spec : PlotSpec or None
        What it shows.
    """

    def __init__(
        self,
        owner: SignalPlotsView,
        key: str,
        track: EventTrack,
        editor: EventEditor,
        *,
        ruler: bool = False,
    ) -> None:
        self.key = key
        self.spec: PlotSpec | None = None
        self.stale = False
        self.hidden_curves: set[str] = set()
        self._seen_curves: set[str] = set()
        self.detail: dict[str, int] = {}
        """Per line: 0 when its samples are drawn, else the envelope's block size."""
        self._downsampled_width = 0.0
        self.widget = pg.PlotWidget(
            viewBox=_TimeViewBox(owner), background=theme.BACKGROUND
        )
        self.widget.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        adopt_plot_menus(self.widget)
        self.plot: pg.PlotItem = self.widget.getPlotItem()
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.setClipToView(True)
        self.plot.hideButtons()
        theme.style_plot(self.plot, grid=not ruler)
        self.plot.getAxis("left").setWidth(theme.AXIS_WIDTH_PX)
        self.plot.layout.setContentsMargins(2, 0 if ruler else TOP_MARGIN_PX, 10, 2)
        self._bottom_axis_px = 0.0
        view = self.plot.getViewBox()
        view.disableAutoRange(axis=pg.ViewBox.XAxis)
        # apply a new range to the items now, not while painting (which would
        # make the items ask for a second paint)
        view.sigRangeChanged.connect(lambda vb, *_: vb.updateMatrix())

        self.stance = StanceShadingItem()
        self.plot.addItem(self.stance, ignoreBounds=True)
        self.events = EventLinesItem(
            track, editor, lambda menu, at: owner.popup_menu(menu, at)
        )
        self.plot.addItem(self.events, ignoreBounds=True)
        self.cursor = CursorLine(
            angle=90,
            movable=True,
            pen=pg.mkPen(theme.CURSOR_COLOUR, width=1.6),
            hoverPen=pg.mkPen(theme.CURSOR_COLOUR, width=3.5),
        )
        self.cursor.setZValue(100)
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self.curves: dict[str, pg.PlotDataItem] = {}

        self.container = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(self.container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        if ruler:
            self.title = None
            self._setup_ruler()
        else:
            self.title = TitleBar()
            self.title.curve_clicked.connect(self.toggle_curve)
            layout.addWidget(self.title)
            self._update_min_height()
            view.disableAutoRange(axis=pg.ViewBox.YAxis)
            # the Y range follows the visible data, set at once (pyqtgraph's own
            # auto-range would run at paint time and make every pan paint twice)
            view.sigXRangeChanged.connect(self._on_x_range_changed)
        layout.addWidget(self.widget)

    def _setup_ruler(self) -> None:
        """The event ruler: events with their labels, stance phases and the cursor."""
        self.widget.setFixedHeight(RULER_HEIGHT_PX)
        self.plot.hideAxis("bottom")
        left = self.plot.getAxis("left")
        left.setTicks([[(0.5, "Events")]])
        left.setStyle(tickLength=0)
        view = self.plot.getViewBox()
        view.setYRange(0, 1, padding=0)
        view.setMouseEnabled(x=True, y=False)
        self.events.show_labels = True

    def set_time_axis(self, shown: bool) -> None:
        """Show the time axis (values and label) under this plot, or nothing.

        The axis gets the full height of its tick values and label (pyqtgraph
        counts 80 % of the label's height, which clips it), and the plot's
        minimum height grows by it, so that the data area stays as tall.
        """
        axis = self.plot.getAxis("bottom")
        axis.setStyle(showValues=shown)
        if shown:
            axis.setLabel("Time", units="s")
            tick_font = axis.style.get("tickFont") or axis.font()
            height = (
                QtGui.QFontMetricsF(tick_font).height()
                + axis.style["tickTextOffset"][1]
                + max(0, axis.style["tickLength"])
                + axis.label.boundingRect().height()
            )
            axis.setHeight(math.ceil(height))
            # pyqtgraph puts the label 5 px below the axis' bottom edge
            self.plot.layout.setContentsMargins(2, TOP_MARGIN_PX, 10, 2 + 5)
        else:
            self.plot.layout.setContentsMargins(2, TOP_MARGIN_PX, 10, 2)
            axis.setLabel("")
            axis.showLabel(False)
            axis.setHeight(None)
        self._bottom_axis_px = float(axis.maximumHeight()) + 5 if shown else 0.0
        self._update_min_height()

    def min_plot_height(self) -> int:
        """Smallest data-area height in px: :data:`MIN_ROW_HEIGHT_PX`, or the
        length of the (vertical) axis label and some room."""
        label = self.plot.getAxis("left").label
        text = label.toPlainText() if label.isVisible() else ""
        return (
            max(MIN_ROW_HEIGHT_PX, math.ceil(label.boundingRect().width()) + 16)
            if text
            else MIN_ROW_HEIGHT_PX
        )

    def _update_min_height(self) -> None:
        if self.title is None:
            return
        self.widget.setMinimumHeight(
            self.min_plot_height() + TOP_MARGIN_PX + 2 + math.ceil(self._bottom_axis_px)
        )

    def set_spec(self, spec: PlotSpec) -> None:
        """Show a plot's curves (existing lines are reused and updated with setData)."""
        self.spec = spec
        self.plot.setLabel("left", spec.axis, units=spec.unit or None)
        self._update_min_height()
        wanted = {curve.name for curve in spec.curves}
        for name, item in self.curves.items():
            if name not in wanted:
                item.setData([], [])
                item.setVisible(False)
        for curve in spec.curves:
            item = self.curves.get(curve.name)
            if item is None:
                item = pg.PlotDataItem(
                    connect="finite", autoDownsampleFactor=AUTO_DOWNSAMPLE_FACTOR
                )
                # drawn once per view change; a cursor move repaints from the cache
                item.curve.setCacheMode(_DEVICE_CACHE)
                self.plot.addItem(item)
                # after addItem: PlotItem.addItem imposes its own downsampling mode
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
                self.curves[curve.name] = item
            item.setPen(pg.mkPen(curve.colour, width=curve.width))
            if curve.name not in self._seen_curves:  # its first drawing
                self._seen_curves.add(curve.name)
                if not curve.visible:
                    self.hidden_curves.add(curve.name)
            self.detail.pop(curve.name, None)
            item.setVisible(curve.name not in self.hidden_curves)
        self.update_detail()
        self.update_y_range()

    def _on_x_range_changed(self) -> None:
        self.update_detail()
        self.update_y_range()

    def update_detail(self) -> None:
        """Draw each line's samples, or a min/max envelope when zoomed out.

        With more than :data:`ENVELOPE_FROM_PX` samples per pixel column, a line
        is drawn from the envelope level with one to two blocks per column,
        without further downsampling: computed once, min-max strokes filling
        each column, and the extremes next to gaps kept (pyqtgraph's peak
        downsampling makes a whole column a gap when it holds one NaN sample).
        """
        if self.spec is None:
            return
        view = self.plot.getViewBox()
        start, stop = view.viewRange()[0]
        width_px = max(view.width(), 1.0)
        for curve in self.spec.curves:
            per_px = (stop - start) * curve.rate_hz / width_px
            wanted = 0
            if per_px >= ENVELOPE_FROM_PX and curve.envelopes:
                sizes = sorted(curve.envelopes)
                wanted = next((b for b in sizes if b >= per_px / 2), sizes[-1])
            if self.detail.get(curve.name) == wanted:
                continue
            self.detail[curve.name] = wanted
            item = self.curves[curve.name]
            if wanted:
                item.setDownsampling(ds=1, auto=False)
                x, y = curve.envelopes[wanted]
                # an envelope fills its columns with vertical strokes: a 1 px
                # pen draws them 2-3x faster than a wide one, and looks the
                # same; drawn as separate lines (QPainter.drawLines), not one
                # path: 48 -> 32 ms to pan a 10-minute trial (benchmarks/gui.py)
                item.setPen(pg.mkPen(curve.colour, width=1.0))
                connect, segments = "pairs", "on"
            else:
                item.setDownsampling(auto=True, method="peak")
                x, y = curve.time, curve.values
                item.setPen(pg.mkPen(curve.colour, width=curve.width))
                connect, segments = "finite", "auto"
            item.curve.setSegmentedLineMode(segments)
            # never antialiased (whatever the app's default): on a long trial's
            # dense, downsampled zigzag it costs ~40 ms per curve and repaint
            item.setData(x, y, connect=connect, antialias=False)

    def update_y_range(self) -> None:
        """Fit the Y axis to the shown lines' values in the visible time span."""
        spec = self.spec
        if spec is None or self.title is None:
            return
        view = self.plot.getViewBox()
        start, stop = view.viewRange()[0]
        bounds = [
            curve.value_range(start, stop)
            for curve in spec.curves
            if curve.name not in self.hidden_curves
        ]
        lows = [low for low, _high in bounds if low == low]
        highs = [high for _low, high in bounds if high == high]
        if not lows:
            return
        low, high = min(lows), max(highs)
        span = max(high - low, MIN_Y_SPAN.get(spec.unit, 1e-9 + 1e-3 * abs(high)))
        middle = 0.5 * (low + high)
        pad = Y_PADDING * span
        view.setYRange(middle - span / 2 - pad, middle + span / 2 + pad, padding=0)

    def toggle_curve(self, name: str) -> None:
        """Hide a line, or show it again (clicking its name in the title bar)."""
        item = self.curves.get(name)
        if item is None:
            return
        if name in self.hidden_curves:
            self.hidden_curves.discard(name)
        else:
            self.hidden_curves.add(name)
        item.setVisible(name not in self.hidden_curves)
        self.update_y_range()
        self.update_title(self.cursor.value())

    def clear(self) -> None:
        """Show nothing."""
        for item in self.curves.values():
            item.setData([], [])
        self.spec = None
        self.update_title(None)

    def refresh_downsampling(self) -> None:
        """Recompute the displayed (downsampled) data when the plot's width changed.

        pyqtgraph picks the downsampling factor from the plot's width only when
        the range changes; a wider plot would otherwise keep too few points.
        """
        width = self.plot.getViewBox().width()
        if abs(width - self._downsampled_width) < 1.0:
            return
        self._downsampled_width = width
        self.update_detail()
        for item in self.curves.values():
            if item.isVisible():
                item.viewRangeChanged()

    def update_title(self, time_s: float | None) -> None:
        """Title bar: the quantity, and each line's name and value at the cursor."""
        spec = self.spec
        if self.title is None:
            return
        if spec is None:
            self.title.set_content("", "", "", [])
            return
        self.title.set_content(
            spec.title,
            "(out of date)" if self.stale else "",
            spec.note,
            [(c.name, c.colour, c.name in self.hidden_curves) for c in spec.curves],
            spec.unit,
        )
        if time_s is not None:
            self.title.set_values(
                [format_value(c.value_at(time_s), spec.unit) for c in spec.curves]
            )
