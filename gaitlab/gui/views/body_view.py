"""The body at the time cursor: a sagittal stick figure with the plugins' lines.

:class:`BodyView` draws, at the session's cursor time, the joint centres of
gaitlab's body model projected on the trial's sagittal plane (horizontal
axis: progression, vertical axis: up, metres, equal aspect), and over it the
lines the installed plugins declare on their angle series
(:attr:`SeriesSpec.lines <gaitlab.core.results.SeriesSpec>`), each in its
series' colour and labelled with its angle from the vertical (positive
forward), and the ground reaction force as an arrow at the COP, scaled 1 body
weight = 0.5 m (1 kN = 0.5 m when the body mass is unknown). The table under
it lists every declared angle at the cursor, from its stored result, else
(an angle of one line) computed from the drawn points; the caption says
which. What is drawn is prepared without Qt by :mod:`gaitlab.gui.body.prepared`
and :mod:`gaitlab.gui.body.figure`, painted by
:class:`~gaitlab.gui.body.painter.FigureItem`.

Only what the trial's markers allow is drawn, and the legend lists only
those lines; the caption names the lines and body parts that cannot be
drawn and why (e.g. a pelvis-and-feet marker set: no trunk, no legs).

On cluster protocols (CAST, 6DOF) the anatomical landmarks of the legs are
only in the static trial; the body points are built from the trial as the
analysis sees it (:meth:`LoadedTrial.view <gaitlab.session.LoadedTrial.view>`),
with those landmarks rebuilt from the static trial. Points computed from a
rebuilt landmark are drawn as hollow diamonds (legend: "rebuilt from the
static trial"), the rebuilt landmarks as magenta points in the 3D
view, and the caption names the static trial and the rebuilt body parts.

A second tab shows the markers in 3D (pyqtgraph.opengl) where OpenGL is
available; it is created on first use and replaced by a note when PyOpenGL
is missing or no OpenGL context can be created. Play/pause moves the
session's cursor in real time or slowed down (1/2, 1/4, 1/10) and stops at
the end of the trial.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.core.types import SIDE_PREFIX, FloatArray
from gaitlab.gui import theme
from gaitlab.gui.body.declared import CENTRE_SEGMENTS, SIDE_SEGMENTS
from gaitlab.gui.body.figure import Figure, Stances, figure_at, finite, standing_side
from gaitlab.gui.body.painter import REBUILT_COLOUR, FigureItem, line_colours, line_pen
from gaitlab.gui.body.prepared import (
    GRF_LEGEND,
    GRF_LINE,
    GRF_SCALE_M_PER_BW,
    GRF_SCALE_M_PER_KN,
    PreparedBody,
    body_caption,
    prepare_body,
    with_results,
)
from gaitlab.gui.tasks import adopt_plot_menus, connect_while_alive
from gaitlab.gui.views.signal_plots import TimeReadout, sagittal_frame
from gaitlab.session import LoadedTrial, Session

__all__ = ["PLAY_SPEEDS", "REBUILT_LEGEND", "BodyView", "ReadoutTable", "rebuilt_3d"]

logger = logging.getLogger(__name__)

PLAY_SPEEDS = (("Real time", 1.0), ("1/2", 0.5), ("1/4", 0.25), ("1/10", 0.1))
"""Playback speeds offered (label, factor of real time)."""

PLAY_INTERVAL_MS = 16
MIN_VIEW_WIDTH_PX, MIN_VIEW_HEIGHT_PX = 480, 360
REBUILT_LEGEND = "rebuilt from the static trial"
READOUTS = ("Stance", "COM height", "COM over feet", "GRF")
"""Rows of the table after the angles."""


def rebuilt_3d(prepared: PreparedBody, frame: int) -> FloatArray:
    """The rebuilt landmarks at a frame in the 3D view's coordinates, shape (n, 3)."""
    if prepared.rebuilt_markers is None:
        return np.zeros((0, 3))
    points = prepared.rebuilt_markers[frame] @ prepared.display_axes
    return points[np.all(np.isfinite(points), axis=1)]


def _opengl_unavailable_reason() -> str | None:
    """Why a 3D view cannot be shown here (None when it can)."""
    try:
        import OpenGL.GL  # noqa: F401  (PyOpenGL: needed by pyqtgraph.opengl)
    except Exception as error:  # ImportError, or a broken OpenGL library
        return f"PyOpenGL is not available ({error.__class__.__name__}: {error})"
    if QtGui.QGuiApplication.platformName() in ("offscreen", "minimal"):
        return f"the '{QtGui.QGuiApplication.platformName()}' display has no OpenGL"
    context = QtGui.QOpenGLContext()
    if not context.create():
        return "no OpenGL context could be created on this display"
    surface = QtGui.QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    try:
        if not surface.isValid() or not context.makeCurrent(surface):
            return "the OpenGL context could not be made current"
        context.doneCurrent()
    finally:
        surface.destroy()
    return None


class ReadoutTable(QtWidgets.QWidget):
    """Labels and values at the cursor, painted directly (they change every frame)."""

    ROW_PX = 22

    def __init__(
        self, labels: Sequence[str], parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.labels: list[str] = []
        self.heading = ""
        self.values: list[str] = []
        self._font = theme.label_font(9.0)
        self._bold = theme.label_font(9.0, bold=True)
        self.setMinimumWidth(240)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed
        )
        self.set_labels(labels)

    def set_labels(self, labels: Sequence[str]) -> None:
        """The rows (their values shown as "—" until set)."""
        if list(labels) == self.labels:
            return
        self.labels = list(labels)
        self.values = ["—"] * len(self.labels)
        self.setFixedHeight(self.ROW_PX * (len(self.labels) + 1) + 4)
        self.update()

    def set_values(self, heading: str, values: Sequence[str]) -> None:
        """The heading ("At 1.234 s") and one value per label."""
        if heading != self.heading or list(values) != self.values:
            self.heading, self.values = heading, list(values)
            self.update()

    def value(self, label: str) -> str:
        """The value shown for a label."""
        return self.values[self.labels.index(label)]

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QtGui.QPainter(self)
        width, row = self.width(), self.ROW_PX
        painter.fillRect(0, 0, width, row, QtGui.QColor("#ECECEC"))
        painter.setFont(self._bold)
        painter.setPen(QtGui.QColor(theme.FOREGROUND))
        painter.drawText(
            QtCore.QRectF(6, 0, width - 12, row),
            QtCore.Qt.AlignmentFlag.AlignVCenter,
            self.heading or "At the cursor",
        )
        align_right = (
            QtCore.Qt.AlignmentFlag.AlignVCenter | QtCore.Qt.AlignmentFlag.AlignRight
        )
        for i, (label, value) in enumerate(zip(self.labels, self.values, strict=True)):
            top = row * (i + 1)
            if i % 2:
                painter.fillRect(0, top, width, row, QtGui.QColor("#F6F6F6"))
            painter.setFont(self._font)
            painter.drawText(
                QtCore.QRectF(6, top, width - 12, row),
                QtCore.Qt.AlignmentFlag.AlignVCenter,
                label,
            )
            painter.setFont(self._bold)
            painter.drawText(QtCore.QRectF(6, top, width - 12, row), align_right, value)
        painter.setPen(QtGui.QColor("#D0D0D0"))
        painter.drawRect(0, 0, width - 1, row * (len(self.labels) + 1))
        painter.end()


def com_over_feet_text(figure: Figure) -> str:
    """Where the COM is against the base of support, in words with metres.

    Examples
    --------
    >>> import numpy as np
    >>> def at(x, base):
    ...     f = Figure(0.0, 0, "", {}, np.array([x, 1.0]), np.full(2, np.nan),
    ...                np.full(2, np.nan), {}, {}, frozenset(), base)
    ...     return com_over_feet_text(f)
    >>> at(0.1, (0.0, 0.25, 0.0)), at(0.31, (0.0, 0.25, 0.0)), at(0.1, None)
    ('yes', 'no: 0.060 m ahead of the toes', 'no foot on the floor')
    """
    over = figure.com_over_base
    if over is None:
        return "no foot on the floor" if figure.base is None else "—"
    if over:
        return "yes"
    back, front, _ = figure.base  # type: ignore[misc]
    x = float(figure.com[0])
    if x > front:
        return f"no: {x - front:.3f} m ahead of the toes"
    return f"no: {back - x:.3f} m behind the heels"


class BodyView(QtWidgets.QWidget):
    """The body at the cursor time: sagittal stick figure, declared lines, GRF; 3D markers.

    Parameters
    ----------
    session : Session
        The app's state; the view follows ``trial_loaded``, ``cursor_moved``,
        ``events_changed``, ``results_changed`` and ``project_changed``, and
        play moves its cursor.
    parent : QWidget or None
        Parent widget.
    """

    drawn = QtCore.Signal()
    """Emitted when the shown trial is fully drawn (after ``show_prepared``)."""

    figure_shown = QtCore.Signal(object, object)
    """The figure drawn at the cursor and its lines' colours by key (None, {}
    when none is): calibrated video views draw the lines over their frames."""

    def __init__(
        self, session: Session, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._loaded: LoadedTrial | None = None
        self._prepared: PreparedBody | None = None
        self._stances = Stances([])
        self._figure_now: Figure | None = None
        self._follow_centre: float | None = None
        self._gl_items: dict[str, object] = {}
        self._gl_view: QtWidgets.QWidget | None = None
        self._drawn_pending = False
        self._play_timer = QtCore.QTimer(self, interval=PLAY_INTERVAL_MS)
        self._play_timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self._play_timer.timeout.connect(self._play_step)
        self._play_clock = QtCore.QElapsedTimer()
        self._build_ui()
        self._connect_session()

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt API)
        """A constant minimum, so that showing the banner or a plot does not change the
        window's size constraints (which some platforms warn about)."""
        return QtCore.QSize(MIN_VIEW_WIDTH_PX, MIN_VIEW_HEIGHT_PX)

    # ---- public API

    @staticmethod
    def prepare(loaded: LoadedTrial) -> PreparedBody:
        """Compute everything heavy for a trial (thread-safe, numpy only, no Qt)."""
        return prepare_body(loaded, sagittal_frame(loaded))

    def show_prepared(self, loaded: LoadedTrial, prepared: PreparedBody) -> None:
        """Draw a loaded trial from its prepared data (GUI thread)."""
        self.pause()
        self._loaded = loaded
        self._prepared = prepared
        self._update_stances()
        self._follow_centre = None
        self._draw_static()
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(prepared.n_frames - 1, 0))
        self.slider.blockSignals(False)
        self._set_enabled(True)
        current = self.session.current is loaded
        self._draw(self.session.cursor_s if current else prepared.t0_s)
        self.sagittal.getPlotItem().getViewBox().setToolTip("\n".join(prepared.notes))
        self._schedule_drawn()

    def angles(self) -> dict[str, tuple[float, str]]:
        """Declared angles at the cursor in degrees, with their source, by key
        (:attr:`DeclaredAngle.key <gaitlab.gui.body.prepared.DeclaredAngle.key>`:
        the series name)."""
        return dict(self._figure_now.angles) if self._figure_now is not None else {}

    def figure_data(self) -> dict[str, FloatArray]:
        """Sagittal coordinates (AP, vertical) in m of the points drawn now, by name.

        Body points by their BodyPoints name, plus ``com`` and ``cop``.
        """
        figure = self._figure_now
        if figure is None:
            return {}
        return {**figure.points, "com": figure.com, "cop": figure.cop}

    @property
    def frame_shown(self) -> int | None:
        """The marker frame drawn (None without a trial)."""
        return self._figure_now.frame if self._figure_now is not None else None

    @property
    def is_playing(self) -> bool:
        """True while playing."""
        return self._play_timer.isActive()

    def play(self) -> None:
        """Move the cursor forward in time at the chosen speed until the end."""
        if self._prepared is None or self.session.current is not self._loaded:
            return
        start, stop = self.session.time_range()
        if self.session.cursor_s >= stop:
            self.session.set_cursor(start)
        self._play_clock.start()
        self._play_timer.start()
        self._update_play_button()

    def pause(self) -> None:
        """Stop playing."""
        self._play_timer.stop()
        self._update_play_button()

    def set_speed(self, factor: float) -> None:
        """Playback speed as a factor of real time (one of :data:`PLAY_SPEEDS`)."""
        for index, (_label, value) in enumerate(PLAY_SPEEDS):
            if abs(value - factor) < 1e-9:
                self.speed_combo.setCurrentIndex(index)
                return
        raise ValueError(
            f"speed must be one of {[v for _l, v in PLAY_SPEEDS]}, got {factor}"
        )

    @property
    def speed(self) -> float:
        """Playback speed as a factor of real time."""
        return PLAY_SPEEDS[self.speed_combo.currentIndex()][1]

    # ---- building

    def _build_ui(self) -> None:
        self.sagittal = pg.PlotWidget(background=theme.BACKGROUND)
        adopt_plot_menus(self.sagittal)
        plot = self.sagittal.getPlotItem()
        theme.style_plot(plot)
        plot.setAspectLocked(True)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setLabel("bottom", "AP, + forward", units="m")
        plot.setLabel("left", "Vertical", units="m")
        plot.getViewBox().disableAutoRange()
        plot.getViewBox().sigResized.connect(self._on_sagittal_resized)
        self._build_figure_items(plot)

        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.sagittal, "Sagittal")
        self._gl_placeholder = QtWidgets.QLabel("")
        self.tabs.addTab(self._gl_placeholder, "3D markers")
        self.tabs.currentChanged.connect(self._on_tab_changed)

        self.table = ReadoutTable(READOUTS)
        self.source_label = QtWidgets.QLabel("")
        self.source_label.setWordWrap(True)
        self.source_label.setStyleSheet("color: #6E6E6E; font-size: 8pt;")

        self.play_button = QtWidgets.QToolButton()
        self.play_button.setToolTip("Play / pause (moves the time cursor)")
        self.play_button.clicked.connect(self._toggle_play)
        self.speed_combo = QtWidgets.QComboBox()
        for label, _factor in PLAY_SPEEDS:
            self.speed_combo.addItem(label)
        self.speed_combo.setToolTip("Playback speed")
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setToolTip("Time cursor (marker frames; arrow keys step one frame)")
        self.slider.valueChanged.connect(self._on_slider)
        self.time_label = TimeReadout("00000.000 s / 00000.000 s")
        self.follow_box = QtWidgets.QCheckBox("Follow")
        self.follow_box.setChecked(True)
        self.follow_box.setToolTip("Keep the body centred in the view")
        self.follow_box.toggled.connect(self._on_follow_toggled)
        transport = QtWidgets.QHBoxLayout()
        transport.addWidget(self.play_button)
        transport.addWidget(self.speed_combo)
        transport.addWidget(self.slider, 1)
        transport.addWidget(self.time_label)
        transport.addWidget(self.follow_box)

        # figure on top (a docked view is tall and narrow), readouts under it
        layout = QtWidgets.QVBoxLayout(self)
        # the view does not impose its minimum size on a window it is alone in
        layout.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetNoConstraint)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(transport)
        layout.addWidget(self.table)
        layout.addWidget(self.source_label)
        self.sagittal.viewport().installEventFilter(self)
        self._update_play_button()
        self._set_enabled(False)

    def _build_figure_items(self, plot: pg.PlotItem) -> None:
        self._ground = pg.InfiniteLine(angle=0, pen=pg.mkPen("#9A9A9A", width=1.5))
        plot.addItem(self._ground, ignoreBounds=True)
        self._plates = pg.PlotDataItem(
            pen=pg.mkPen("#CFCFCF", width=7), connect="pairs"
        )
        self._plates.setZValue(-10)
        plot.addItem(self._plates)
        self.figure_item = FigureItem()
        plot.addItem(self.figure_item, ignoreBounds=True)
        # bottom-left, in the room left below the floor (see _follow)
        self._legend = pg.LegendItem(
            offset=(6, -6),
            labelTextSize="8pt",
            brush=pg.mkBrush(255, 255, 255, 220),
            pen=pg.mkPen("#C8C8C8"),
            labelTextColor=theme.FOREGROUND,
            verSpacing=-5,
        )
        self._legend.setParentItem(plot.getViewBox())
        self._rebuilt_sample = pg.ScatterPlotItem(
            symbol="d",
            size=11,
            pen=pg.mkPen(REBUILT_COLOUR, width=1.8),
            brush=pg.mkBrush(0, 0, 0, 0),
        )
        self._legend.setColumnCount(2)
        self._note = pg.TextItem(color="#808080", anchor=(0.5, 0.5))
        plot.addItem(self._note)

    def _set_legend(self, prepared: PreparedBody, grf_scale: str) -> None:
        """List the lines the trial can draw in the legend (each under its owner
        angle's label, the GRF with its scale), and the rebuilt points' symbol
        when some are drawn."""
        self._legend.clear()
        lines = prepared.figure_lines
        colours = line_colours(lines)
        names = {line.key: line.owner.label for line in lines}
        names[GRF_LINE] = f"{GRF_LEGEND} ({grf_scale})"
        for key in prepared.drawable:
            sample = pg.PlotDataItem(pen=line_pen(key, colours[key]))
            self._legend.addItem(sample, names[key])
        if prepared.rebuilt:
            self._legend.addItem(self._rebuilt_sample, REBUILT_LEGEND)

    def legend_names(self) -> list[str]:
        """The names listed in the legend, in order."""
        return [label.text for _sample, label in self._legend.items]

    def _on_sagittal_resized(self) -> None:
        self._follow_centre = None  # frame the body again for the new shape
        if self._figure_now is not None and self.follow_box.isChecked():
            assert self._prepared is not None
            self._follow(self._figure_now, self._prepared)

    def _on_follow_toggled(self, _on: bool) -> None:
        self._follow_centre = None
        self._redraw()

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (
            self.play_button,
            self.speed_combo,
            self.slider,
            self.follow_box,
        ):
            widget.setEnabled(enabled)

    # ---- session signals

    def _connect_session(self) -> None:
        connect_while_alive(
            self,
            [
                (self.session.trial_loaded, self._on_trial_loaded),
                (self.session.cursor_moved, self._draw),
                (self.session.events_changed, self._on_events_changed),
                (self.session.results_changed, self._on_results_changed),
                (self.session.project_changed, self._on_project_changed),
            ],
        )

    def _update_stances(self) -> None:
        """Index the trial's stance phases; without contacts, the support side
        the stance-side angles were measured on (:func:`standing_side`)."""
        loaded, prepared = self._loaded, self._prepared
        if loaded is None or prepared is None:
            return
        self._stances = Stances(
            loaded.contacts, standing_side(loaded.results, prepared.angles)
        )

    def _on_trial_loaded(self, loaded: LoadedTrial) -> None:
        if loaded is not self._loaded:
            self.show_prepared(loaded, self.prepare(loaded))

    def _on_events_changed(self, trial_id: str) -> None:
        if self._loaded is not None and self._loaded.trial_id == trial_id:
            self._update_stances()
            self._redraw()

    def _on_results_changed(self, trial_id: str) -> None:
        loaded, prepared = self._loaded, self._prepared
        if loaded is None or prepared is None or loaded.trial_id != trial_id:
            return
        self._prepared = with_results(prepared, loaded, sagittal_frame(loaded))
        self._update_stances()
        self._draw_static()
        self._redraw()

    def _on_project_changed(self, _project: object) -> None:
        self.pause()
        self._loaded = None
        self._prepared = None
        self._figure_now = None
        self.figure_item.set_figure(None, None)
        self.figure_shown.emit(None, {})
        self._plates.setData([], [])
        self._set_enabled(False)
        self.time_label.setText("")
        self.source_label.setText("")

    # ---- drawing

    def _draw_static(self) -> None:
        prepared = self._prepared
        assert prepared is not None
        self._ground.setValue(prepared.ground_m)
        xs = [x for extent in prepared.plates for x in extent]
        self._plates.setData(xs, [prepared.ground_m] * len(xs))
        if prepared.body_weight_n is not None:
            scale = f"1 BW = {GRF_SCALE_M_PER_BW:g} m"
        else:
            scale = f"1 kN = {GRF_SCALE_M_PER_KN:g} m, body mass unknown"
        self._set_legend(prepared, scale)
        self.figure_item.set_lines(prepared.figure_lines)
        self.table.set_labels([a.label for a in prepared.angles] + list(READOUTS))
        self._legend.setVisible(bool(prepared.drawable or prepared.rebuilt))
        self._note.setText("" if prepared.points else "no body points: markers missing")
        self.source_label.setText(body_caption(prepared))

    def _redraw(self) -> None:
        if self._prepared is not None:
            self._draw(
                self._figure_now.time_s if self._figure_now else self.session.cursor_s
            )

    def _draw(self, time_s: float) -> None:
        prepared = self._prepared
        if prepared is None:
            return
        figure = figure_at(prepared, self._stances, time_s)
        self._figure_now = figure
        self.figure_item.set_figure(figure, prepared.body_weight_n)
        self.figure_shown.emit(figure, self.figure_item.colours)
        self._update_table(figure, prepared)
        self.slider.blockSignals(True)
        self.slider.setValue(figure.frame)
        self.slider.blockSignals(False)
        stop = prepared.t0_s + prepared.n_frames / max(prepared.rate_hz, 1e-9)
        self.time_label.setText(f"{time_s:.3f} s / {stop:.3f} s")
        if self.follow_box.isChecked():
            self._follow(figure, prepared)
        if self._gl_items and self.tabs.currentIndex() == 1:
            self._draw_3d(figure.frame)

    def _update_table(self, figure: Figure, prepared: PreparedBody) -> None:
        values = []
        for angle in prepared.angles:
            value, source = figure.angles[angle.key]
            if source == "not available":
                values.append("n/a")
            else:
                values.append(f"{value:+.1f}°" if np.isfinite(value) else "—")
        values.append(
            figure.side or ("flight" if self._stances.contacts else "no gait events")
        )
        height = figure.com[1] - prepared.ground_m
        values.append(f"{height:.3f} m" if np.isfinite(height) else "—")
        values.append(com_over_feet_text(figure))
        grf = "—"
        if prepared.grf_force is not None:
            magnitude = float(np.hypot(*figure.force)) if finite(figure.force) else 0.0
            grf = f"{magnitude:.0f} N"
            if prepared.body_weight_n is not None:
                grf += f" ({magnitude / prepared.body_weight_n:.2f} BW)"
        values.append(grf)
        self.table.set_values(
            f"At {figure.time_s:.3f} s (frame {figure.frame})", values
        )

    def _follow(self, figure: Figure, prepared: PreparedBody) -> None:
        """Re-centre the view on the pelvis when it leaves the middle half of the view.

        Moving the view repaints everything (axes, grid), so it moves only when
        needed (overground: every few strides; treadmill: never).
        """
        centre = figure.points.get("pelvis_centroid", figure.points.get("midh"))
        if centre is None or not np.all(np.isfinite(centre)):
            centre = figure.com
        if not np.all(np.isfinite(centre)):
            return
        requested = self._follow_centre
        view = self.sagittal.getPlotItem().getViewBox()
        # as wide as the view's shape allows with 2.7 m of height (equal aspect)
        half_width = max(0.5, 1.35 * view.width() / max(view.height(), 1.0))
        if requested is not None and abs(centre[0] - requested) < 0.5 * half_width:
            return
        self._follow_centre = float(centre[0])
        # the body a little left of the middle: its labels are drawn to the right
        view.setRange(
            xRange=(centre[0] - 0.8 * half_width, centre[0] + 1.2 * half_width),
            # 2 m above the floor for the body, 0.7 m below it for the legend
            yRange=(prepared.ground_m - 0.7, prepared.ground_m + 2.0),
            padding=0,
        )

    # ---- 3D

    def _on_tab_changed(self, index: int) -> None:
        if index == 1 and self._gl_view is None:
            self._create_3d()
        if index == 1 and self._gl_items and self._figure_now is not None:
            self._draw_3d(self._figure_now.frame)

    def _create_3d(self) -> None:
        reason = _opengl_unavailable_reason()
        widget: QtWidgets.QWidget
        if reason is None:
            try:
                widget = self._build_gl()
            except (
                Exception
            ) as error:  # any failure of the GL stack: show why, keep working
                logger.warning("3D marker view unavailable: %s", error)
                reason = str(error)
        if reason is not None:
            widget = QtWidgets.QLabel(f"3D view unavailable: {reason}.")
            widget.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            widget.setWordWrap(True)
            widget.setStyleSheet("color: #707070;")
        self._gl_view = widget
        self.tabs.blockSignals(True)
        self.tabs.removeTab(1)
        self.tabs.insertTab(1, widget, "3D markers")
        self.tabs.setCurrentIndex(1)
        self.tabs.blockSignals(False)
        self._gl_placeholder.deleteLater()

    def _build_gl(self) -> QtWidgets.QWidget:
        import pyqtgraph.opengl as gl

        view = gl.GLViewWidget()
        view.setBackgroundColor(theme.BACKGROUND)
        view.setCameraPosition(distance=3.2, elevation=10, azimuth=-65)
        grid = gl.GLGridItem(color=(0, 0, 0, 60))
        grid.setSize(6, 6)
        grid.setSpacing(0.5, 0.5)
        view.addItem(grid)
        markers = gl.GLScatterPlotItem(
            size=7, color=(0.15, 0.15, 0.15, 1.0), pxMode=True
        )
        markers.setGLOptions("translucent")
        view.addItem(markers)
        rebuilt = gl.GLScatterPlotItem(
            size=11, color=QtGui.QColor(REBUILT_COLOUR).getRgbF(), pxMode=True
        )
        rebuilt.setGLOptions("translucent")
        view.addItem(rebuilt)
        segments = {}
        for side, colour in (
            ("Left", theme.SIDE_COLOURS["Left"]),
            ("Right", theme.SIDE_COLOURS["Right"]),
            ("", "#4A4A4A"),
        ):
            rgba = QtGui.QColor(colour).getRgbF()
            segments[side] = gl.GLLinePlotItem(
                mode="lines", width=3, color=rgba, antialias=True
            )
            view.addItem(segments[side])
        self._gl_items = {
            "view": view,
            "grid": grid,
            "markers": markers,
            "rebuilt": rebuilt,
            **{f"segments{side}": item for side, item in segments.items()},
        }
        return view

    def _draw_3d(self, frame: int) -> None:
        prepared = self._prepared
        if prepared is None or not self._gl_items:
            return
        markers = prepared.markers[frame] @ prepared.display_axes
        finite = markers[np.all(np.isfinite(markers), axis=1)]
        self._gl_items["markers"].setData(
            pos=finite if len(finite) else np.zeros((0, 3))
        )
        self._gl_items["rebuilt"].setData(pos=rebuilt_3d(prepared, frame))
        figure = self._figure_now
        centre = np.nanmean(finite, axis=0) if len(finite) else np.zeros(3)
        self._gl_items["grid"].resetTransform()
        self._gl_items["grid"].translate(
            float(centre[0]), float(centre[1]), prepared.ground_m
        )
        view = self._gl_items["view"]
        view.opts["center"] = QtGui.QVector3D(
            float(centre[0]), float(centre[1]), float(centre[2])
        )
        if figure is not None:
            self._draw_3d_segments(frame)
        view.update()

    def _draw_3d_segments(self, frame: int) -> None:
        assert self._loaded is not None
        geometry = sagittal_frame(self._loaded)
        body = geometry.view.body
        axes = np.stack([geometry.forward, -geometry.right, geometry.up], axis=1)

        def point(name: str) -> FloatArray | None:
            value = getattr(body, name, None)
            if value is None or not np.all(np.isfinite(value[frame])):
                return None
            return value[frame] @ axes

        groups = {
            side: [(f"{p}_{a}", f"{p}_{b}") for a, b in SIDE_SEGMENTS]
            for side, p in SIDE_PREFIX.items()
        }
        groups[""] = list(CENTRE_SEGMENTS)
        for side, pairs in groups.items():
            coords = [
                q
                for a, b in pairs
                if (pa := point(a)) is not None and (pb := point(b)) is not None
                for q in (pa, pb)
            ]
            self._gl_items[f"segments{side}"].setData(
                pos=np.array(coords) if coords else np.zeros((0, 3))
            )

    # ---- play

    def _toggle_play(self) -> None:
        if self.is_playing:
            self.pause()
        else:
            self.play()

    def _play_step(self) -> None:
        if self.session.current is not self._loaded or self._loaded is None:
            self.pause()
            return
        elapsed_s = self._play_clock.restart() / 1000.0
        _start, stop = self.session.time_range()
        target = self.session.cursor_s + elapsed_s * self.speed
        if target >= stop:
            self.session.set_cursor(stop)
            self.pause()
        else:
            self.session.set_cursor(target)

    def _update_play_button(self) -> None:
        style = self.style()
        if self.is_playing:
            self.play_button.setIcon(
                style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaPause)
            )
            self.play_button.setText("Pause")
        else:
            self.play_button.setIcon(
                style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaPlay)
            )
            self.play_button.setText("Play")
        self.play_button.setToolButtonStyle(
            QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        )

    def _on_slider(self, frame: int) -> None:
        prepared = self._prepared
        if prepared is not None and self.session.current is self._loaded:
            self.session.set_cursor(prepared.t0_s + frame / prepared.rate_hz)

    # ---- drawn signal

    def _schedule_drawn(self) -> None:
        if self.sagittal.isVisible():
            self._drawn_pending = True
            self.sagittal.viewport().update()
        else:
            QtCore.QTimer.singleShot(0, self, self.drawn.emit)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if (
            self._drawn_pending
            and event.type() == QtCore.QEvent.Type.Paint
            and watched is self.sagittal.viewport()
        ):
            self._drawn_pending = False
            QtCore.QTimer.singleShot(0, self, self.drawn.emit)
        return False
