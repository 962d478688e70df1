"""Colours, pens and fonts shared by the desktop app's views.

One place for the visual conventions, so that a left foot is the same colour
in every plot, in the body view and in the metrics table:

- sides: Left vermillion, Right blue, General grey (Okabe & Ito's
  colour-blind-safe palette, so the two sides stay distinct for readers with
  red-green colour blindness);
- events: a solid line for Foot Strike, a dashed line for Foot Off, labelled
  "FS L", "FO R" ...;
- stance phases: the side colour at low opacity behind the curves;
- the time cursor: a dark line above everything else;
- force plates: one colour each from a qualitative palette, the sum in black.

Colours are hex strings (``"#rrggbb"``) so that widgets and style sheets can
use them too.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.core.contacts import FOOT_OFF, FOOT_STRIKE
from gaitlab.gui.palette import (
    COMPONENT_COLOURS,
    PLATE_COLOURS,
    SUM_COLOUR,
    plate_colour,
    series_colour,
)

__all__ = [
    "AXIS_WIDTH_PX",
    "BACKGROUND",
    "BODY_COLOUR",
    "COMPONENT_COLOURS",
    "CURSOR_COLOUR",
    "FOREGROUND",
    "GRF_COLOUR",
    "GRID_COLOUR",
    "PLATE_COLOURS",
    "SELECTED_EVENT_WIDTH",
    "SIDE_COLOURS",
    "STALE_BANNER_STYLE",
    "STANCE_ALPHA",
    "SUM_COLOUR",
    "LightGrid",
    "event_abbreviation",
    "event_pen",
    "label_font",
    "plate_colour",
    "series_colour",
    "side_colour",
    "stance_brush",
    "style_plot",
]

BACKGROUND = "#ffffff"
"""Plot background (white: figures read like the lab's printed reports)."""

FOREGROUND = "#303030"
"""Axes, tick labels and text."""

GRID_COLOUR = "#DEDEDE"
"""Grid lines (opaque: cheap to draw)."""

AXIS_WIDTH_PX = 64
"""Fixed width of every left axis, so that stacked plots line up in time."""

SIDE_COLOURS = {"Left": "#D55E00", "Right": "#0072B2", "General": "#6E6E6E"}
"""Event, stance and body-segment colour of each side (context)."""

STANCE_ALPHA = 34
"""Opacity (0-255) of the stance-phase shading."""

CURSOR_COLOUR = "#1A1A1A"
"""The time cursor."""

SELECTED_EVENT_WIDTH = 3.5
"""Line width in px of the selected (or dragged) event."""

BODY_COLOUR = "#4A4A4A"
"""Trunk, pelvis, shoulders and head of the stick figure."""

GRF_COLOUR = "#2B2B2B"
"""The ground reaction vector on the body view."""

STALE_BANNER_STYLE = (
    "QLabel { background: #FFF4CE; color: #5C4400; border: 1px solid #E0C060;"
    " border-radius: 3px; padding: 4px 8px; }"
)
"""Style sheet of the "results out of date" banner."""

_LABEL_ABBREVIATIONS = {FOOT_STRIKE: "FS", FOOT_OFF: "FO"}


def side_colour(context: str) -> str:
    """Colour of a side (``"Left"``, ``"Right"``; anything else is General).

    Examples
    --------
    >>> side_colour("Left")
    '#D55E00'
    >>> side_colour("")
    '#6E6E6E'
    """
    return SIDE_COLOURS.get(context, SIDE_COLOURS["General"])


def stance_brush(context: str) -> QtGui.QBrush:
    """Light fill of a stance phase of that side."""
    colour = QtGui.QColor(side_colour(context))
    colour.setAlpha(STANCE_ALPHA)
    return QtGui.QBrush(colour)


def event_abbreviation(label: str, context: str) -> str:
    """Short label of an event, as drawn next to its line.

    Examples
    --------
    >>> event_abbreviation("Foot Strike", "Left")
    'FS L'
    >>> event_abbreviation("Foot Off", "General")
    'FO'
    """
    short = _LABEL_ABBREVIATIONS.get(label, label)
    side = context[:1] if context in ("Left", "Right") else ""
    return f"{short} {side}".strip()


def event_pen(label: str, context: str, width: float = 1.4) -> QtGui.QPen:
    """Cosmetic pen of an event line: side colour, solid for strikes, dashed otherwise."""
    pen = QtGui.QPen(QtGui.QColor(side_colour(context)))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    if label != FOOT_STRIKE:
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
    return pen


def label_font(point_size: float = 8.5, bold: bool = False) -> QtGui.QFont:
    """Font of in-plot labels (event labels, readouts)."""
    font = QtGui.QFont()
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font


class LightGrid(pg.UIGraphicsItem):
    """Grid lines at the major ticks of a plot's bottom and left axes, behind everything.

    Used instead of ``PlotItem.showGrid``: pyqtgraph draws that grid into the
    axes' pictures, which are replayed whole on every repaint (tens of ms per
    plot, even when only the time cursor moved); this item draws a few
    opaque lines.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        super().__init__()
        self._plot = plot
        self.setZValue(-1000)
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._pen = QtGui.QPen(QtGui.QColor(GRID_COLOUR))
        self._pen.setCosmetic(True)
        self._pen.setWidthF(1.0)

    def paint(self, painter: QtGui.QPainter, *_args: object) -> None:
        view = self.viewRect()
        if view is None or view.width() <= 0 or view.height() <= 0:
            return
        transform = painter.transform()
        a = transform.map(QtCore.QPointF(view.left(), view.top()))
        b = transform.map(QtCore.QPointF(view.right(), view.bottom()))
        left, right = sorted((a.x(), b.x()))
        top, bottom = sorted((a.y(), b.y()))
        lines = []
        for axis_name, lo, hi, size in (
            ("bottom", view.left(), view.right(), right - left),
            ("left", view.top(), view.bottom(), bottom - top),
        ):
            axis = self._plot.getAxis(axis_name)
            levels = axis.tickValues(min(lo, hi), max(lo, hi), max(size, 1.0))
            values = levels[0][1] if levels else []
            for value in values:
                if axis_name == "bottom":
                    x = transform.map(QtCore.QPointF(value, view.top())).x()
                    lines.append(QtCore.QLineF(x, top, x, bottom))
                else:
                    y = transform.map(QtCore.QPointF(view.left(), value)).y()
                    lines.append(QtCore.QLineF(left, y, right, y))
        painter.save()
        painter.resetTransform()
        painter.setPen(self._pen)
        painter.drawLines(lines)
        painter.restore()


def style_plot(plot: pg.PlotItem, *, grid: bool = True) -> None:
    """Axes in the foreground colour, units without SI prefixes, a light grid."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(FOREGROUND))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        axis.enableAutoSIPrefix(False)
        axis.setTickFont(label_font(8.0))
    if grid:
        plot.addItem(LightGrid(plot), ignoreBounds=True)
