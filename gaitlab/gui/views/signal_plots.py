"""Synchronised time plots of the shown trial: forces, COP, result and plugin series.

:class:`SignalPlotsView` stacks one plot per quantity, all on one time axis in
seconds (linked X: zoom or pan one, all follow) with one time cursor (the
session's): dragging the cursor line of any plot, clicking a plot, or the
Left/Right keys (one marker frame; Shift: ten) move
:meth:`Session.set_cursor <gaitlab.session.Session.set_cursor>`, and every
plot follows ``cursor_moved``. Stance phases are shaded in the side's colour
and gait events are drawn as lines coloured by side, which can be edited
with the mouse (see :mod:`gaitlab.gui.views.event_editor`).

Quantities are resolved in the trial's sagittal frame (METHODS §0.1): the
lab's upward vertical and the horizontal direction of progression found by
:class:`~gaitlab.pipeline.view.TrialView`; "ML" is the horizontal axis to
the runner's right (progression × up).

Data plots
    GRF vertical, anteroposterior (+ forward) and mediolateral (+ right)
    components, per force plate and summed, in N; the combined centre of
    pressure's AP and ML coordinates in m (lab origin).
Result plots
    Built from the plugins' declarations (a series' ``plot`` title, legend
    label, colour, initial visibility, sagittal components): the centre of
    mass and the lean angles of the built-in plugins, and likewise any
    third-party plugin's series (see
    :func:`~gaitlab.gui.views.plot_model.result_plots`).
Plugin series
    Any series a plugin stored, chosen in the "Plots & series" list (3-column
    series are shown as their AP, vertical and ML components).

Each plot's title bar names its lines in their colours with their values at
the cursor, and is the legend (click a name to hide the line). The Y axis
always fits the lines in the visible time span.

Long trials stay responsive (``benchmarks/gui.py``: 10 minutes, 2 kHz, 8
plates):

- everything heavy (projections onto the sagittal frame, the summed GRF, a
  min/max pyramid of every line) happens in :meth:`SignalPlotsView.prepare`,
  a pure numpy function the shell runs in its loading thread
  (:mod:`gaitlab.gui.views.plot_model`, no Qt; the rows that draw it are in
  :mod:`gaitlab.gui.views.plot_rows`);
- curves are created once and updated with ``setData``; pyqtgraph's peak
  downsampling and clip-to-view when zoomed in, the precomputed min/max
  envelope when zoomed far out (which also keeps lines with gaps visible);
- a trial opens on a window of :data:`STRIDES_SHOWN` strides around the
  cursor (whole when it is not much longer; "Whole trial", Ctrl+0 or a double
  click shows all, "Strides", Ctrl+1, goes back), and the plots are filled one
  per event-loop turn; when the cursor leaves the visible window (keys, play,
  a step chosen in the metrics) the window follows it;
- curves, grid, events and stance phases are cached as pixmaps, so a cursor
  move repaints thin strips only; events and stance phases are one item per
  plot, culled to the view, hidden when too dense to read;
- X ranges are copied between plots directly (pyqtgraph's ``setXLink`` lines
  views up by pixel geometry, which hidden plots and the first layout get
  wrong), and the Y range is set at once (pyqtgraph's auto-range at paint
  time would make every pan paint twice).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import partial

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.gui import theme
from gaitlab.gui.tasks import connect_while_alive
from gaitlab.gui.views.event_editor import (
    EDITABLE_EVENTS,
    EventEditor,
    EventTrack,
)
from gaitlab.gui.views.plot_model import (
    BUILTIN_PLOTS,
    FORMER_PLOT_KEYS,
    STRIDES_SHOWN,
    Curve,
    PlotSpec,
    PreparedSignals,
    SagittalFrame,
    plugin_series,
    prepare,
    project,
    result_plots,
    results_signature,
    sagittal_frame,
    stride_window,
)
from gaitlab.gui.views.plot_rows import CursorLine, PlotRow, TimeReadout, TitleBar
from gaitlab.session import LoadedTrial, Session, trial_status

__all__ = [
    "BUILTIN_PLOTS",
    "CursorLine",
    "Curve",
    "PlotSpec",
    "PreparedSignals",
    "SagittalFrame",
    "SignalPlotsView",
    "TimeReadout",
    "TitleBar",
    "project",
    "result_plots",
    "sagittal_frame",
]

logger = logging.getLogger(__name__)

RULER_KEY = "events"
RESIZE_SETTLE_MS = 60
MIN_VIEW_WIDTH_PX, MIN_VIEW_HEIGHT_PX = 480, 360
PIXMAP_CACHE_KB = 256 * 1024
DRAWN_TIMEOUT_MS = 3000

_CURSOR_KEYS = {QtCore.Qt.Key.Key_Left: -1, QtCore.Qt.Key.Key_Right: 1}
_HANDLED_KEYS = (
    *_CURSOR_KEYS,
    QtCore.Qt.Key.Key_Delete,
    QtCore.Qt.Key.Key_Backspace,
    QtCore.Qt.Key.Key_Escape,
    QtCore.Qt.Key.Key_Home,
    QtCore.Qt.Key.Key_End,
)


# ---------------------------------------------------------------- the view


class SignalPlotsView(QtWidgets.QWidget):
    """Stacked, time-synchronised plots of the shown trial, with event editing.

    Parameters
    ----------
    session : Session
        The app's state; the view follows its ``trial_loaded``,
        ``cursor_moved``, ``events_changed``, ``results_changed`` and
        ``project_changed`` signals and edits through it.
    parent : QWidget or None
        Parent widget.

    Notes
    -----
    Mouse: drag a cursor line or click a plot to move the time cursor; drag
    to pan and wheel to zoom the time axis (all plots follow; double click
    shows the whole trial); drag an event line to move the event; right click
    a plot to add an event there, or an event line to delete it. Keys (plots
    focused): Left/Right one marker frame (Shift: 10), Home/End, Delete the
    selected event, Escape to clear the selection. Click a line's name in a
    plot's title bar to hide or show it.
    """

    drawn = QtCore.Signal()
    """Emitted when the shown trial is fully drawn (after ``show_prepared``, and
    again after new results were drawn)."""
    series_chosen = QtCore.Signal(list)
    """Emitted when the user chose the plugin series to plot (``[[plugin,
    series], ...]``), in *Plots & series*."""

    def __init__(
        self, session: Session, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._loaded: LoadedTrial | None = None
        self._prepared: PreparedSignals | None = None
        self._menu: QtWidgets.QMenu | None = None
        self._series_choice: list[tuple[str, str]] = []
        self._hidden_plots: set[str] = set()
        self._pending_paint: set[str] = set()
        self._track = EventTrack(self)
        self._editor = EventEditor(session, self._track)
        self._resize_timer = QtCore.QTimer(
            self, singleShot=True, interval=RESIZE_SETTLE_MS
        )
        self._resize_timer.timeout.connect(self._refresh_downsampling)
        self._drawn_timer = QtCore.QTimer(
            self, singleShot=True, interval=DRAWN_TIMEOUT_MS
        )
        self._drawn_timer.timeout.connect(self._emit_drawn)
        self._rows: dict[str, PlotRow] = {}
        self._contacts: list = []
        self._to_fill: list[PlotSpec] = []
        self._fill_generation = 0
        self._syncing_x = False
        # curves are cached as pixmaps (see PlotRow.set_spec): room for ~40 plot-sized ones
        QtGui.QPixmapCache.setCacheLimit(
            max(QtGui.QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB)
        )
        self._build_ui()
        self.ruler = self._add_row(RULER_KEY, ruler=True)
        """The event ruler above the plots (event labels, cursor time)."""
        for key, _title in BUILTIN_PLOTS:
            self._add_row(key)
        self._layout_rows()
        self._connect_session()

    # ---- public API

    @staticmethod
    def prepare(loaded: LoadedTrial) -> PreparedSignals:
        """Compute everything heavy for a trial (thread-safe, numpy only, no Qt).

        Call it in the loading worker and hand the result to
        :meth:`show_prepared` on the GUI thread.
        """
        return prepare(loaded)

    def show_prepared(self, loaded: LoadedTrial, prepared: PreparedSignals) -> None:
        """Draw a loaded trial from its prepared data (GUI thread).

        The plots are filled one per event-loop turn (a long trial's plot takes
        tens of ms), so the window stays responsive; :attr:`drawn` follows
        when all are drawn.
        """
        self._loaded = loaded
        self._prepared = prepared
        self._track.set_events(loaded.gait_events)
        self._contacts = loaded.contacts
        for row in self._rows.values():
            self._apply_limits(row)
            row.stance.set_contacts(self._contacts)
        self._ruler_area.setVisible(True)
        self._plots.setVisible(True)
        self._empty.setVisible(False)
        # the range first: curves are then downsampled once, for the right view
        current = self.session.current is loaded
        cursor = self.session.cursor_s if current else prepared.start_s
        self.ruler.plot.setXRange(
            *stride_window(self._contacts, prepared.start_s, prepared.stop_s, cursor),
            padding=0,
        )
        self._header.setText(f"<b>{loaded.trial.label or loaded.trial_id}</b>")
        self._header.setToolTip(f"Sagittal frame: {prepared.frame_text}")
        self._to_fill = [*prepared.force_plots, *prepared.result_plots]
        self._add_result_rows(prepared.result_plots)
        self._fill_generation += 1
        self._fill_next(self._fill_generation)

    def _fill_next(self, generation: int) -> None:
        """Draw the next plot of the trial being shown, then schedule the one after."""
        if generation != self._fill_generation:
            return  # another trial was shown meanwhile
        if self._to_fill:
            spec = self._to_fill.pop(0)
            self._rows[spec.key].set_spec(spec)
            self._rows[spec.key].update_title(self.ruler.cursor.value())
            QtCore.QTimer.singleShot(0, self, partial(self._fill_next, generation))
            return
        self._fill_generation += 1
        self._refresh_series_rows()
        self._update_status()
        loaded = self._loaded
        assert loaded is not None
        current = self.session.current is loaded
        self._on_cursor_moved(
            self.session.cursor_s if current else float(loaded.trial.markers.t0_s)
        )
        self._schedule_drawn()

    def _finish_filling(self) -> None:
        """Draw the plots still queued by :meth:`show_prepared` now."""
        while self._to_fill:
            spec = self._to_fill.pop(0)
            self._rows[spec.key].set_spec(spec)
        self._fill_next(self._fill_generation)

    def set_series_choice(self, keys: Iterable[tuple[str, str]]) -> None:
        """Choose the plugin series plotted below the built-in plots, as (plugin, series)."""
        self._series_choice = list(dict.fromkeys((str(p), str(s)) for p, s in keys))
        self._refresh_series_rows()

    def series_choice(self) -> list[tuple[str, str]]:
        """The chosen plugin series (including ones the shown trial does not have)."""
        return list(self._series_choice)

    def available_series(self) -> list[tuple[str, str]]:
        """The (plugin, series) pairs of the shown trial."""
        return list(self._prepared.series) if self._prepared is not None else []

    def set_plot_visible(self, key: str, visible: bool) -> None:
        """Show or hide a plot (key of :data:`BUILTIN_PLOTS` or result plot title)."""
        key = FORMER_PLOT_KEYS.get(key, key)
        if visible:
            self._hidden_plots.discard(key)
        else:
            self._hidden_plots.add(key)
        self._sync_chooser()
        self._layout_rows()
        self._update_titles()

    def rows(self) -> list[PlotRow]:
        """The plots shown, top to bottom (without the event ruler)."""
        return [row for row in self._ordered_rows() if self._row_shown(row)]

    def row(self, key: str) -> PlotRow:
        """A plot by key (built-in key, ``plugin/series``, or ``events``: the ruler)."""
        return self._rows[FORMER_PLOT_KEYS.get(key, key)]

    def show_whole_trial(self) -> None:
        """Zoom the time axis out to the whole trial."""
        if self._prepared is not None:
            self.ruler.plot.setXRange(
                self._prepared.start_s, self._prepared.stop_s, padding=0
            )

    def show_strides(self, centre_s: float | None = None) -> None:
        """Show :data:`STRIDES_SHOWN` strides around a time (default: the cursor)."""
        if self._prepared is not None:
            centre = self.session.cursor_s if centre_s is None else centre_s
            self.ruler.plot.setXRange(
                *stride_window(
                    self._contacts,
                    self._prepared.start_s,
                    self._prepared.stop_s,
                    centre,
                ),
                padding=0,
            )

    def centre_on(self, time_s: float) -> None:
        """Pan the time axis so that a time is in the middle (zoom kept, inside the
        trial)."""
        if self._prepared is None:
            return
        start, stop = self.ruler.plot.getViewBox().viewRange()[0]
        width = stop - start
        first = min(
            max(time_s - width / 2, self._prepared.start_s),
            self._prepared.stop_s - width,
        )
        first = max(first, self._prepared.start_s)
        self.ruler.plot.setXRange(first, first + width, padding=0)

    def context_menu(self, time_s: float) -> QtWidgets.QMenu:
        """The menu of a plot at a time: add an event there, move the cursor, zoom out."""
        menu = QtWidgets.QMenu(self)
        editable = self._loaded is not None and self.session.current is self._loaded
        heading = menu.addAction(f"At {time_s:.3f} s")
        heading.setEnabled(False)
        for label, side in EDITABLE_EVENTS:
            action = menu.addAction(f"Add {label} ({side})")
            action.setEnabled(editable)
            action.triggered.connect(partial(self._editor.add, label, side, time_s))
        menu.addSeparator()
        move = menu.addAction("Move cursor here")
        move.setEnabled(editable)
        move.triggered.connect(partial(self.session.set_cursor, time_s))
        whole = menu.addAction("Show whole trial")
        whole.triggered.connect(self.show_whole_trial)
        return menu

    def popup_menu(self, menu: QtWidgets.QMenu, position: QtCore.QPoint) -> None:
        """Show a context menu (kept alive until the next one)."""
        if self._menu is not None and self._menu is not menu:
            self._menu.deleteLater()
        if menu.parent() is None:
            menu.setParent(self, QtCore.Qt.WindowType.Popup)
        self._menu = menu
        menu.popup(position)

    @property
    def event_track(self) -> EventTrack:
        """The events drawn (shared by all plots), with selection and drag state."""
        return self._track

    @property
    def event_editor(self) -> EventEditor:
        """Edits events through the session (add, move, delete)."""
        return self._editor

    @property
    def banner(self) -> QtWidgets.QLabel:
        """The "results out of date" banner (visible when the trial is stale)."""
        return self._banner

    # ---- building

    def _build_ui(self) -> None:
        self._header = QtWidgets.QLabel("")
        self._header.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.cursor_readout = TimeReadout()
        legend = QtWidgets.QLabel(self._legend_html())
        legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        # the name and the legend give way (clipped, never under the buttons)
        # when the header is narrow
        for label in (self._header, legend):
            label.setMinimumWidth(1)  # instead of the text's width
        legend.setToolTip(
            "Shaded bands: stance phases (Foot Strike to Foot Off) by side.\n"
            "Lines: FS = Foot Strike (solid), FO = Foot Off (dashed), L/R = side.\n"
            "Drag an event line to move it; right click a plot to add an event,\n"
            "or an event line to delete it. Undo: Edit ▸ Undo."
        )
        self._series_button = QtWidgets.QToolButton(
            text="Plots && series…", checkable=True
        )
        self._series_button.setToolTip("Choose the plots and the plugin series shown")
        self.whole_action = QtGui.QAction("Whole trial", self)
        self.whole_action.setShortcut(QtGui.QKeySequence("Ctrl+0"))
        self.whole_action.setToolTip(
            "Zoom out to the whole trial (Ctrl+0, or double click a plot)"
        )
        self.whole_action.triggered.connect(self.show_whole_trial)
        self.strides_action = QtGui.QAction("Strides", self)
        self.strides_action.setShortcut(QtGui.QKeySequence("Ctrl+1"))
        self.strides_action.setToolTip(
            f"Show {STRIDES_SHOWN} strides around the cursor (Ctrl+1)"
        )
        self.strides_action.triggered.connect(lambda: self.show_strides())
        self.addActions([self.whole_action, self.strides_action])
        whole = QtWidgets.QToolButton()
        whole.setDefaultAction(self.whole_action)
        strides = QtWidgets.QToolButton()
        strides.setDefaultAction(self.strides_action)
        header = QtWidgets.QHBoxLayout()
        header.setContentsMargins(6, 2, 6, 2)
        header.addWidget(self._header)
        header.addSpacing(8)
        header.addWidget(self.cursor_readout)
        header.addSpacing(8)
        header.addWidget(legend)
        header.addStretch(1)
        header.addWidget(strides)
        header.addWidget(whole)
        header.addWidget(self._series_button)

        self._banner = QtWidgets.QLabel()
        self._banner.setStyleSheet(theme.STALE_BANNER_STYLE)
        self._banner.setWordWrap(True)
        self._banner.setVisible(False)

        self._chooser = QtWidgets.QTreeWidget()
        self._chooser.setHeaderLabels(["Plots and series"])
        self._chooser.setMinimumWidth(180)
        self._chooser.setVisible(False)
        self._chooser.itemChanged.connect(self._on_chooser_changed)
        self._series_button.toggled.connect(self._chooser.setVisible)
        self._ruler_area = QtWidgets.QWidget()
        self._ruler_layout = QtWidgets.QVBoxLayout(self._ruler_area)
        self._ruler_layout.setContentsMargins(0, 0, 0, 0)
        self._ruler_area.setVisible(False)
        self._plots = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self._plots.setChildrenCollapsible(False)
        self._plots.setHandleWidth(4)
        self._plots.setVisible(False)
        self._empty = QtWidgets.QLabel(
            "Select a trial to see its forces and analysis results."
        )
        self._empty.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self._empty.setStyleSheet("color: #808080;")
        stack = QtWidgets.QWidget()
        stack_layout = QtWidgets.QVBoxLayout(stack)
        stack_layout.setContentsMargins(0, 0, 0, 0)
        stack_layout.setSpacing(0)
        stack_layout.addWidget(self._ruler_area)
        stack_layout.addWidget(self._plots, 1)
        stack_layout.addWidget(self._empty, 1)
        body = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        body.addWidget(self._chooser)
        body.addWidget(stack)
        body.setStretchFactor(1, 1)

        layout = QtWidgets.QVBoxLayout(self)
        # the view does not impose its minimum size on a window it is alone in
        # (offscreen and some platforms warn when a window's size hints change)
        layout.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetNoConstraint)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self._banner)
        layout.addWidget(body, 1)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        palette = self.palette()
        palette.setColor(
            QtGui.QPalette.ColorRole.Window, QtGui.QColor(theme.BACKGROUND)
        )
        stack.setAutoFillBackground(True)
        stack.setPalette(palette)

    @staticmethod
    def _legend_html() -> str:
        def swatch(colour: str, text: str) -> str:
            return (
                f'<span style="background-color:{colour}; color:{colour};">&nbsp;&nbsp;&nbsp;</span>'
                f"&nbsp;{text}"
            )

        return (
            f'<span style="color:{theme.FOREGROUND};">'
            + "&nbsp;&nbsp;".join(
                [
                    swatch(theme.SIDE_COLOURS["Left"], "Left"),
                    swatch(theme.SIDE_COLOURS["Right"], "Right"),
                    "&nbsp;FS ━ FO ╍",
                ]
            )
            + "</span>"
        )

    def _add_row(self, key: str, *, ruler: bool = False) -> PlotRow:
        row = PlotRow(self, key, self._track, self._editor, ruler=ruler)
        if self._rows:
            row.plot.setXRange(*self.ruler.plot.getViewBox().viewRange()[0], padding=0)
        row.plot.getViewBox().sigXRangeChanged.connect(self._on_x_range_changed)
        row.cursor.sigDragged.connect(self._on_cursor_dragged)
        row.cursor.sigPositionChangeFinished.connect(self._on_cursor_drag_finished)
        row.plot.getViewBox().sigResized.connect(self._resize_timer.start)
        row.widget.installEventFilter(self)
        row.widget.viewport().installEventFilter(self)
        self._rows[key] = row
        if ruler:
            self._ruler_layout.addWidget(row.container)
        else:
            self._plots.addWidget(row.container)
            self._apply_limits(row)
        return row

    def _apply_limits(self, row: PlotRow) -> None:
        if self._prepared is not None:
            start, stop = self._prepared.start_s, self._prepared.stop_s
            pad = 0.01 * max(stop - start, 1e-3)
            row.plot.getViewBox().setLimits(
                xMin=start - pad, xMax=stop + pad, minXRange=1e-3
            )

    def _on_x_range_changed(
        self, view: pg.ViewBox, x_range: tuple[float, float]
    ) -> None:
        """Give every plot the time range one of them got (zoom or pan in one, all follow).

        Not pyqtgraph's ``setXLink``: that one lines views up by their pixel
        geometry, which hidden plots and the first layout get wrong.
        """
        if self._syncing_x:
            return
        self._syncing_x = True
        try:
            for row in self._rows.values():
                if row.plot.getViewBox() is not view:
                    row.plot.setXRange(*x_range, padding=0)
        finally:
            self._syncing_x = False

    def _result_keys(self) -> list[str]:
        """Keys (titles) of the result plots of the shown trial, in order."""
        if self._prepared is None:
            return []
        return [spec.key for spec in self._prepared.result_plots]

    def _add_result_rows(self, specs: Sequence[PlotSpec]) -> None:
        """Create the rows of result plots not drawn before (and lay them out)."""
        keys = {spec.key for spec in specs}
        fixed = {RULER_KEY, *(key for key, _ in BUILTIN_PLOTS)}
        for key, row in self._rows.items():
            if key not in keys and key not in fixed and "/" not in key:
                row.clear()  # a plot of the trial shown before
        new = [spec.key for spec in specs if spec.key not in self._rows]
        for key in new:
            row = self._add_row(key)
            self._apply_limits(row)
            row.stance.set_contacts(self._contacts)
        if new:
            self._layout_rows()

    def _ordered_rows(self) -> list[PlotRow]:
        builtin = [
            self._rows[key]
            for key in (*(key for key, _ in BUILTIN_PLOTS), *self._result_keys())
        ]
        series = [
            self._rows[f"{p}/{s}"]
            for p, s in self._series_choice
            if f"{p}/{s}" in self._rows
        ]
        return builtin + series

    def _row_shown(self, row: PlotRow) -> bool:
        if row.key in self._hidden_plots or row.spec is None:
            return False
        if row.key in self._result_keys() or row.key in dict(BUILTIN_PLOTS):
            return True
        if "/" in row.key:
            key = tuple(row.key.split("/", 1))
            return (
                key in self._series_choice
                and self._prepared is not None
                and key in self._prepared.series
            )
        return True

    def _layout_rows(self) -> None:
        ordered = self._ordered_rows()
        shown = [row for row in ordered if self._row_shown(row)]
        for index, row in enumerate(ordered):
            self._plots.insertWidget(index, row.container)
        for row in self._rows.values():
            if row is not self.ruler:
                row.container.setVisible(row in shown)
        for index, row in enumerate(shown):
            row.set_time_axis(index == len(shown) - 1)
        self._share_heights(shown)
        self.updateGeometry()

    def _share_heights(self, shown: list[PlotRow]) -> None:
        """Give the shown plots data areas of one height (the last one also holds the
        time axis), or their minimum heights when the view is too small (it scrolls)."""
        if not shown:
            return
        minimums = [row.container.minimumSizeHint().height() for row in shown]
        spare = max(
            self._plots.height()
            - sum(minimums)
            - self._plots.handleWidth() * (len(shown) - 1),
            0,
        )
        share = spare // len(shown)
        sizes = {
            row.container: minimum + share
            for row, minimum in zip(shown, minimums, strict=True)
        }
        self._plots.setSizes(
            [sizes.get(self._plots.widget(i), 0) for i in range(self._plots.count())]
        )

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt API)
        """Room for every shown plot at its minimum height: the window's scroll area
        scrolls when they do not fit (the view never squeezes a plot)."""
        height = self.layout().minimumSize().height()
        return QtCore.QSize(MIN_VIEW_WIDTH_PX, max(MIN_VIEW_HEIGHT_PX, height))

    # ---- series chooser

    def _refresh_series_rows(self) -> None:
        prepared = self._prepared
        if prepared is not None:
            for key in self._series_choice:
                spec = prepared.series.get(key)
                if spec is None:
                    continue
                row_key = f"{key[0]}/{key[1]}"
                row = self._rows.get(row_key) or self._add_row(row_key)
                row.set_spec(spec)
                row.stance.set_contacts(self._contacts)
        self._sync_chooser()
        self._layout_rows()
        self._update_status()

    def _sync_chooser(self) -> None:
        tree = self._chooser
        tree.blockSignals(True)
        tree.clear()
        checked, unchecked = (
            QtCore.Qt.CheckState.Checked,
            QtCore.Qt.CheckState.Unchecked,
        )
        plots = QtWidgets.QTreeWidgetItem(tree, ["Plots"])
        titles = [*BUILTIN_PLOTS, *((key, key) for key in self._result_keys())]
        for key, title in titles:
            item = QtWidgets.QTreeWidgetItem(plots, [title])
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, ("plot", key))
            item.setCheckState(0, unchecked if key in self._hidden_plots else checked)
        plots.setExpanded(True)
        series = self._prepared.series if self._prepared is not None else {}
        groups: dict[str, QtWidgets.QTreeWidgetItem] = {}
        for (plugin, name), spec in series.items():
            group = groups.get(plugin)
            if group is None:
                group = groups[plugin] = QtWidgets.QTreeWidgetItem(
                    tree, [f"{plugin} series"]
                )
            unit = f" [{spec.unit}]" if spec.unit else ""
            item = QtWidgets.QTreeWidgetItem(group, [f"{name}{unit}"])
            item.setToolTip(0, spec.description or name)
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, ("series", (plugin, name)))
            chosen = (plugin, name) in self._series_choice
            item.setCheckState(0, checked if chosen else unchecked)
            if chosen:
                group.setExpanded(True)
        tree.blockSignals(False)

    def _on_chooser_changed(
        self, item: QtWidgets.QTreeWidgetItem, _column: int
    ) -> None:
        data = item.data(0, QtCore.Qt.ItemDataRole.UserRole)
        if not data:
            return
        kind, key = data
        on = item.checkState(0) == QtCore.Qt.CheckState.Checked
        # applied after the tree's own signal handling (the tree is rebuilt)
        if kind == "plot":
            QtCore.QTimer.singleShot(0, self, partial(self.set_plot_visible, key, on))
            return
        choice = [k for k in self._series_choice if k != tuple(key)]
        if on:
            choice.append(tuple(key))
        QtCore.QTimer.singleShot(0, self, partial(self._choose_series, choice))

    def _choose_series(self, choice: list[tuple[str, str]]) -> None:
        """The user chose series: plot them and say so (the window saves it)."""
        self.set_series_choice(choice)
        self.series_chosen.emit([list(key) for key in self._series_choice])

    # ---- session signals

    def _connect_session(self) -> None:
        connect_while_alive(
            self,
            [
                (self.session.trial_loaded, self._on_trial_loaded),
                (self.session.cursor_moved, self._on_cursor_moved),
                (self.session.events_changed, self._on_events_changed),
                (self.session.results_changed, self._on_results_changed),
                (self.session.project_changed, self._on_project_changed),
            ],
        )

    def _on_trial_loaded(self, loaded: LoadedTrial) -> None:
        if loaded is self._loaded:
            return  # drawn by show_prepared already
        self.show_prepared(loaded, self.prepare(loaded))

    def _on_cursor_moved(self, time_s: float) -> None:
        if self._loaded is None:
            return
        start, stop = self.ruler.plot.getViewBox().viewRange()[0]
        if not start <= time_s <= stop and self.session.current is self._loaded:
            self.centre_on(time_s)  # the window follows the cursor
        for row in self._rows.values():
            row.cursor.setValue(time_s)
        self.cursor_readout.setText(f"cursor {time_s:.3f} s")
        self._update_titles(time_s)

    def _on_events_changed(self, trial_id: str) -> None:
        loaded = self._loaded
        if loaded is None or loaded.trial_id != trial_id:
            return
        self._track.set_events(loaded.gait_events)
        self._contacts = loaded.contacts
        for row in self._rows.values():
            row.stance.set_contacts(self._contacts)

    def _on_results_changed(self, trial_id: str) -> None:
        loaded = self._loaded
        if loaded is None or loaded.trial_id != trial_id or self._prepared is None:
            return
        if self._to_fill:
            self._finish_filling()
        if results_signature(loaded.results) != self._prepared.results_signature:
            frame = sagittal_frame(loaded)
            self._prepared = replace(
                self._prepared,
                result_plots=result_plots(loaded, frame),
                series=plugin_series(loaded, frame),
                results_signature=results_signature(loaded.results),
            )
            self._add_result_rows(self._prepared.result_plots)
            for spec in self._prepared.result_plots:
                self._rows[spec.key].set_spec(spec)
            self._refresh_series_rows()
            self._schedule_drawn()
        self._update_status()

    def _on_project_changed(self, _project: object) -> None:
        self._loaded = None
        self._prepared = None
        self._contacts = []
        self._to_fill = []
        self._fill_generation += 1
        self._track.set_events([])
        for row in self._rows.values():
            row.clear()
            row.stance.set_contacts([])
        self._banner.setVisible(False)
        self._header.setText("")
        self.cursor_readout.setText("")
        self._ruler_area.setVisible(False)
        self._plots.setVisible(False)
        self._empty.setVisible(True)

    # ---- status, titles, cursor

    def _status(self) -> str:
        loaded = self._loaded
        if loaded is None:
            return ""
        return trial_status(loaded.results, loaded.freshness)

    def _update_status(self) -> None:
        status = self._status()
        stale = status == "stale"
        if stale:
            self._banner.setText(
                "<b>Results out of date</b>: the gait events or other inputs changed since "
                "the last run. Run the pipeline to update them; the result curves "
                "shown are from the previous run."
            )
        elif status == "not run":
            self._banner.setText(
                "No analysis results for this trial yet: run the pipeline to see "
                "its results."
            )
        self._banner.setVisible(stale or status == "not run")
        for row in self._rows.values():
            row.stale = stale and (row.key in self._result_keys() or "/" in row.key)
        self._update_titles()

    def _update_titles(self, time_s: float | None = None) -> None:
        if self._loaded is None:
            return
        if time_s is None:
            time_s = self.ruler.cursor.value()
        for row in self._rows.values():
            if not row.container.isHidden():
                row.update_title(time_s)

    def _on_cursor_dragged(self, line: pg.InfiniteLine) -> None:
        self.session.set_cursor(line.value())

    def _on_cursor_drag_finished(self, line: pg.InfiniteLine) -> None:
        if abs(line.value() - self.session.cursor_s) > 1e-12:
            line.setValue(self.session.cursor_s)

    # ---- keyboard

    def handle_key(self, event: QtGui.QKeyEvent) -> bool:
        """Left/Right step the cursor (Shift: 10 frames), Home/End jump, Delete removes
        the selected event, Escape clears the selection. True when handled."""
        if self._loaded is None or self.session.current is not self._loaded:
            return False
        key = event.key()
        if key in _CURSOR_KEYS:
            shift = event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier
            self.session.step_cursor(_CURSOR_KEYS[key] * (10 if shift else 1))
            return True
        if key in (QtCore.Qt.Key.Key_Home, QtCore.Qt.Key.Key_End):
            start, stop = self.session.time_range()
            self.session.set_cursor(start if key == QtCore.Qt.Key.Key_Home else stop)
            return True
        if key in (QtCore.Qt.Key.Key_Delete, QtCore.Qt.Key.Key_Backspace):
            if self._track.selected is None:
                return False
            self._editor.delete(self._track.selected)
            return True
        if key == QtCore.Qt.Key.Key_Escape and self._track.selected is not None:
            self._track.select(None)
            return True
        return False

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if not self.handle_key(event):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QtCore.QEvent.Type.KeyPress:
            return self.handle_key(event)
        if kind == QtCore.QEvent.Type.ShortcutOverride and event.key() in _HANDLED_KEYS:
            event.accept()  # our keys go to the plots, not to window shortcuts
            return True
        if kind == QtCore.QEvent.Type.Paint and self._pending_paint:
            for key, row in self._rows.items():
                if watched is row.widget.viewport():
                    self._pending_paint.discard(key)
            if not self._pending_paint:
                QtCore.QTimer.singleShot(0, self, self._emit_drawn)
        return False

    # ---- drawing state

    def _schedule_drawn(self) -> None:
        shown = [row for row in (self.ruler, *self.rows()) if row.widget.isVisible()]
        if not self.isVisible() or not shown:
            self._pending_paint.clear()
            QtCore.QTimer.singleShot(0, self, self._emit_drawn)
            return
        self._pending_paint = {row.key for row in shown}
        for row in shown:
            row.widget.viewport().update()
        self._drawn_timer.start()

    def _emit_drawn(self) -> None:
        self._drawn_timer.stop()
        self._pending_paint.clear()
        self.drawn.emit()

    def _refresh_downsampling(self) -> None:
        for row in self._rows.values():
            if row.widget.isVisible():
                row.refresh_downsampling()
