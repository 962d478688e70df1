"""The pyqtgraph item painting the body figure of one instant.

Stick figure (side colours), joint centres (white circles; hollow magenta
diamonds for points rebuilt from the static trial), the declared lines in
their series' colours, the GRF arrow, the COP and COM symbols and the angle
labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from gaitlab.core.types import SIDE_PREFIX, FloatArray
from gaitlab.gui import theme
from gaitlab.gui.body.declared import CENTRE_SEGMENTS, SIDE_SEGMENTS, DeclaredLine
from gaitlab.gui.body.figure import Figure, finite
from gaitlab.gui.body.prepared import GRF_LINE

__all__ = [
    "REBUILT_COLOUR",
    "FigureItem",
    "line_colours",
    "line_pen",
]

HEAD_RADIUS_M = 0.10
LABEL_REACH_PX = 190
JOINTS = ("hjc", "kjc", "ajc", "sjc", "ejc", "wjc")
REBUILT_COLOUR = "#D6007E"
"""Outline of the points built from landmarks rebuilt from the static trial."""
BASE_COLOUR = "#2E7D32"
"""The base of support and the COM's plumb line while the COM is over the feet."""
OUTSIDE_BASE_COLOUR = "#E65100"
"""The same once the COM has left the base (ahead of the toes, behind the heels)."""
REBUILT_RADIUS_PX = 6.0
"""Half-diagonal of the diamond marking a rebuilt point, in pixels."""
LABEL_ROW_PX = 18
"""Vertical step between the labels of lines ending at the same point, px."""

PointToPixels = Callable[[FloatArray], QtCore.QPointF]


def line_colours(lines: Sequence[DeclaredLine]) -> dict[str, str]:
    """Colour of each line by key: its owner series' colour (else one of the
    palette, by position), and the GRF's."""
    colours = {
        line.key: line.owner.spec.colour or theme.series_colour(line.owner.spec.name, i)
        for i, line in enumerate(lines)
    }
    return {**colours, GRF_LINE: theme.GRF_COLOUR}


def line_style(key: str) -> QtCore.Qt.PenStyle:
    """Pen style of a line: solid GRF, dash-dot from the COP, dotted to the COM,
    dashed otherwise."""
    if key == GRF_LINE:
        return QtCore.Qt.PenStyle.SolidLine
    lower, _, upper = key.partition("-")
    if lower == "cop":
        return QtCore.Qt.PenStyle.DashDotLine
    if upper == "com":
        return QtCore.Qt.PenStyle.DotLine
    return QtCore.Qt.PenStyle.DashLine


def line_pen(key: str, colour: str) -> QtGui.QPen:
    """Cosmetic pen of a line of the figure (and of its legend sample)."""
    return _pen(colour, 2.6 if key == GRF_LINE else 2.0, line_style(key))


def _pen(
    colour: str, width: float, style: QtCore.Qt.PenStyle = QtCore.Qt.PenStyle.SolidLine
) -> QtGui.QPen:
    pen = QtGui.QPen(QtGui.QColor(colour), width)
    pen.setStyle(style)
    pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
    pen.setCosmetic(True)
    return pen


def _diamond(at: QtCore.QPointF, radius: float) -> QtGui.QPolygonF:
    """A diamond (square on its corner) centred on a point, in device pixels."""
    x, y = at.x(), at.y()
    return QtGui.QPolygonF(
        [
            QtCore.QPointF(x, y - radius),
            QtCore.QPointF(x + radius, y),
            QtCore.QPointF(x, y + radius),
            QtCore.QPointF(x - radius, y),
        ]
    )


class FigureItem(pg.GraphicsObject):
    """The stick figure, declared lines, GRF arrow and angle labels of one instant.

    One item painting everything with QPainter in device pixels: a cursor
    move is one repaint, not fifteen pyqtgraph items recomputing their paths.
    Its bounds are the figure's, widened for the labels, so that a cursor move
    repaints the area around the body only.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(10)
        self._bounds = QtCore.QRectF()
        self.figure: Figure | None = None
        self.body_weight_n: float | None = None
        self._lines: tuple[DeclaredLine, ...] = ()
        self._colours: dict[str, str] = {GRF_LINE: theme.GRF_COLOUR}
        self._line_pens = {GRF_LINE: line_pen(GRF_LINE, theme.GRF_COLOUR)}
        self._font = theme.label_font(8.5, bold=True)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self._segment_pens = {
            side: _pen(colour, 3.4)
            for side, colour in (
                ("Left", theme.SIDE_COLOURS["Left"]),
                ("Right", theme.SIDE_COLOURS["Right"]),
                ("", theme.BODY_COLOUR),
            )
        }

    @property
    def colours(self) -> dict[str, str]:
        """Colour of each drawn line by key (the GRF's too)."""
        return dict(self._colours)

    def set_lines(self, lines: Sequence[DeclaredLine]) -> None:
        """The declared lines of the trial shown (their colours, styles and labels)."""
        self._lines = tuple(lines)
        self._colours = line_colours(self._lines)
        self._line_pens = {key: line_pen(key, c) for key, c in self._colours.items()}

    def set_figure(self, figure: Figure | None, body_weight_n: float | None) -> None:
        """Draw this instant (None: nothing)."""
        self.prepareGeometryChange()
        self.figure = figure
        self.body_weight_n = body_weight_n
        self._bounds = self._figure_bounds()
        self.update()

    def _figure_bounds(self) -> QtCore.QRectF:
        figure = self.figure
        if figure is None:
            return QtCore.QRectF()
        points = [
            p for p in (*figure.points.values(), figure.com, figure.cop) if finite(p)
        ]
        points += [p for line in figure.lines.values() for p in line]
        if not points:
            return QtCore.QRectF()
        stacked = np.array(points)
        (x0, y0), (x1, y1) = stacked.min(axis=0), stacked.max(axis=0)
        view = self.getViewBox()
        px_x, px_y = (
            (abs(v) for v in view.viewPixelSize()) if view is not None else (0.01, 0.01)
        )
        # labels reach LABEL_REACH_PX right of their anchor, the head circle its radius
        pad_x = LABEL_REACH_PX * px_x + HEAD_RADIUS_M
        pad_y = 30 * px_y + HEAD_RADIUS_M
        return QtCore.QRectF(
            x0 - pad_x, y0 - pad_y, x1 - x0 + 2 * pad_x, y1 - y0 + 2 * pad_y
        )

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt API)
        return self._bounds

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph API)
        """Zoom changes the pixel margins of the labels: recompute the bounds."""
        super().viewTransformChanged()
        self.prepareGeometryChange()
        self._bounds = self._figure_bounds()

    def paint(self, painter: QtGui.QPainter, *_args: object) -> None:
        figure = self.figure
        if figure is None:
            return
        transform = painter.transform()

        def px(point: FloatArray) -> QtCore.QPointF:
            return transform.map(QtCore.QPointF(float(point[0]), float(point[1])))

        scale = abs(transform.m11())
        points = figure.points
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        for side, prefix in SIDE_PREFIX.items():
            pairs = [
                (points.get(f"{prefix}_{a}"), points.get(f"{prefix}_{b}"))
                for a, b in SIDE_SEGMENTS
            ]
            self._draw_pairs(painter, px, self._segment_pens[side], pairs)
        centre = [(points.get(a), points.get(b)) for a, b in CENTRE_SEGMENTS]
        self._draw_pairs(painter, px, self._segment_pens[""], centre)
        head = points.get("head_com")
        if finite(head):
            painter.setPen(self._segment_pens[""])
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            radius = HEAD_RADIUS_M * scale
            painter.drawEllipse(px(head), radius, radius)
        painter.setPen(QtGui.QPen(QtGui.QColor("#303030"), 1.2))
        painter.setBrush(QtGui.QColor("#FFFFFF"))
        for prefix in SIDE_PREFIX.values():
            for joint in JOINTS:
                name = f"{prefix}_{joint}"
                point = points.get(name)
                if finite(point) and name not in figure.rebuilt:
                    painter.drawEllipse(px(point), 3.5, 3.5)
        rebuilt = [
            px(points[n]) for n in sorted(figure.rebuilt) if finite(points.get(n))
        ]
        if rebuilt:
            painter.setPen(QtGui.QPen(QtGui.QColor(REBUILT_COLOUR), 1.8))
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            for at in rebuilt:
                painter.drawPolygon(_diamond(at, REBUILT_RADIUS_PX))
        for key, (a, b) in figure.lines.items():
            painter.setPen(self._line_pens[key])
            painter.drawLine(px(a), px(b))
        if GRF_LINE in figure.lines:
            tail, tip = figure.lines[GRF_LINE]
            self._draw_arrow_head(painter, px(tail), px(tip))
        if finite(figure.cop):
            self._draw_cop(painter, px(figure.cop), self._cop_colour())
        self._draw_base(painter, figure, px)
        if finite(figure.com):
            self._draw_com(painter, px(figure.com))
        self._draw_labels(painter, figure, px)
        painter.restore()

    def _cop_colour(self) -> str:
        """The colour of the first line from the COP, else the GRF's."""
        for line in self._lines:
            if line.lower == "cop":
                return self._colours[line.key]
        return theme.GRF_COLOUR

    @staticmethod
    def _draw_pairs(
        painter: QtGui.QPainter,
        px: PointToPixels,
        pen: QtGui.QPen,
        pairs: Sequence[tuple[FloatArray | None, FloatArray | None]],
    ) -> None:
        lines = [
            QtCore.QLineF(px(a), px(b))  # type: ignore[arg-type]
            for a, b in pairs
            if finite(a, b)
        ]
        if lines:
            painter.setPen(pen)
            painter.drawLines(lines)

    @staticmethod
    def _draw_arrow_head(
        painter: QtGui.QPainter, tail: QtCore.QPointF, tip: QtCore.QPointF
    ) -> None:
        dx, dy = tip.x() - tail.x(), tip.y() - tail.y()
        length = math.hypot(dx, dy)
        if length < 1.0:
            return
        ux, uy = dx / length, dy / length
        size = min(14.0, 0.5 * length)
        base = QtCore.QPointF(tip.x() - ux * size, tip.y() - uy * size)
        normal = QtCore.QPointF(-uy * size * 0.38, ux * size * 0.38)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(theme.GRF_COLOUR))
        painter.drawPolygon(QtGui.QPolygonF([tip, base + normal, base - normal]))

    @staticmethod
    def _draw_cop(painter: QtGui.QPainter, at: QtCore.QPointF, colour: str) -> None:
        fill = QtGui.QColor(colour)
        painter.setPen(QtGui.QPen(fill.darker(130), 1.0))
        painter.setBrush(fill)
        painter.drawPolygon(
            QtGui.QPolygonF(
                [
                    at,
                    QtCore.QPointF(at.x() - 6, at.y() + 9),
                    QtCore.QPointF(at.x() + 6, at.y() + 9),
                ]
            )
        )

    @staticmethod
    def _draw_base(painter: QtGui.QPainter, figure: Figure, px: PointToPixels) -> None:
        """The base of support on the floor and the COM's plumb line down to it:
        green while the COM is over the feet, orange once it has left them."""
        if figure.base is None:
            return
        back, front, floor = figure.base
        colour = QtGui.QColor(
            BASE_COLOUR if figure.com_over_base is not False else OUTSIDE_BASE_COLOUR
        )
        band = QtGui.QColor(colour)
        band.setAlpha(120)
        pen = QtGui.QPen(band, 7.0)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
        painter.setPen(pen)
        painter.drawLine(px(np.array([back, floor])), px(np.array([front, floor])))
        if finite(figure.com):
            plumb = QtGui.QPen(colour, 1.6, QtCore.Qt.PenStyle.DotLine)
            painter.setPen(plumb)
            painter.drawLine(
                px(figure.com), px(np.array([float(figure.com[0]), floor]))
            )

    @staticmethod
    def _draw_com(painter: QtGui.QPainter, at: QtCore.QPointF) -> None:
        """The centre-of-mass symbol: a circle with two opposite black quadrants."""
        radius = 8.0
        box = QtCore.QRectF(at.x() - radius, at.y() - radius, 2 * radius, 2 * radius)
        painter.setPen(QtGui.QPen(QtGui.QColor("#000000"), 1.4))
        painter.setBrush(QtGui.QColor("#FFFFFF"))
        painter.drawEllipse(box)
        painter.setBrush(QtGui.QColor("#000000"))
        painter.drawPie(box, 0, 90 * 16)
        painter.drawPie(box, 180 * 16, 90 * 16)

    def _draw_labels(
        self, painter: QtGui.QPainter, figure: Figure, px: PointToPixels
    ) -> None:
        """Each line's owner angle next to it: a line along a segment at its drawn
        end, a leg line at its middle (left of it), others at their upper end."""
        painter.setFont(self._font)
        placed: list[QtCore.QRectF] = []
        at_point: dict[str, int] = {}
        labelled: set[str] = set()
        for line in self._lines:
            owner = line.owner
            if line.key not in figure.lines or owner.key in labelled:
                continue
            labelled.add(owner.key)
            value = figure.angles[owner.key][0]
            text = (
                f"{owner.label} {value:+.1f}°"
                if np.isfinite(value)
                else f"{owner.label} —"
            )
            a, b = figure.lines[line.key]
            right = False
            if line.along_segment:
                anchor, offset = px(b), (6.0, -16.0)
            elif line.sided:
                anchor, offset, right = px((a + b) / 2), (-8.0, 0.0), True
            else:
                row = at_point.get(line.upper, 0)
                at_point[line.upper] = row + 1
                anchor, offset = px(b), (12.0, 6.0 + LABEL_ROW_PX * row)
            colour = self._colours[line.key]
            self._label(painter, text, anchor, offset, colour, placed, right=right)
        if GRF_LINE in figure.lines:
            magnitude = float(np.hypot(*figure.force))
            text = f"GRF {magnitude:.0f} N"
            if self.body_weight_n:
                text += f" · {magnitude / self.body_weight_n:.2f} BW"
            tip = px(figure.lines[GRF_LINE][1])
            self._label(painter, text, tip, (8, -8), theme.GRF_COLOUR, placed)

    def _label(
        self,
        painter: QtGui.QPainter,
        text: str,
        anchor: QtCore.QPointF,
        offset: tuple[float, float],
        colour: str,
        placed: list[QtCore.QRectF],
        *,
        right: bool = False,
    ) -> None:
        box = self._metrics.boundingRect(text)
        width, height = box.width() + 6, box.height() + 2
        x = anchor.x() + offset[0] - (width if right else 0)
        if x + width > painter.device().width() - 2:  # no room on the right: go left
            x = anchor.x() - abs(offset[0]) - width
        x = min(max(x, 2.0), painter.device().width() - width - 2)  # inside the view
        rect = QtCore.QRectF(x, anchor.y() + offset[1] - height / 2, width, height)
        for other in placed:  # move down past labels already drawn
            if rect.intersects(other):
                rect.moveTop(other.bottom() + 1)
        placed.append(rect)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(255, 255, 255, 215))
        painter.drawRoundedRect(rect, 3, 3)
        painter.setPen(QtGui.QColor(colour))
        painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, text)
