"""Synchronised time plots of the shown trial: forces, COP, COM, lean angles, plugin series.

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

Built-in plots
    GRF vertical, anteroposterior (+ forward) and mediolateral (+ right)
    components, per force plate and summed, in N; the combined centre of
    pressure's AP and ML coordinates in m (lab origin); the centre of mass
    (the ``center_of_mass`` result's ``com`` series) vertical and AP, in m;
    the ``lean`` result's angle series in degrees.
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
  a pure numpy function the shell runs in its loading thread;
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
import math
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.core.contacts import Contact
from gaitlab.core.geometry import unit
from gaitlab.core.results import USABLE_STATUSES, Result, Series
from gaitlab.gui import theme
from gaitlab.gui.tasks import adopt_plot_menus, connect_while_alive
from gaitlab.gui.views.event_editor import (
    EDITABLE_EVENTS,
    EventEditor,
    EventLinesItem,
    EventTrack,
    StanceShadingItem,
)
from gaitlab.pipeline.view import TrialView
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
    "sagittal_frame",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

BUILTIN_PLOTS = (
    ("grf_vertical", "GRF vertical"),
    ("grf_ap", "GRF anteroposterior"),
    ("grf_ml", "GRF mediolateral"),
    ("cop", "Centre of pressure"),
    ("com_vertical", "COM vertical"),
    ("com_ap", "COM anteroposterior"),
    ("lean", "Lean angles"),
)
"""Key and title of the built-in plots, top to bottom."""

RESULT_PLOTS = ("com_vertical", "com_ap", "lean")
"""Built-in plots drawn from analysis results (they go stale after an edit)."""

LEAN_LABELS = {
    "trunk_lean": "trunk",
    "whole_body_lean": "COP→COM",
    "whole_body_lean_ankle": "ankle→COM",
    "leg_line": "leg line",
    "bend_index": "bend index",
    "body_line": "body line",
    "head_alignment": "head",
    "trunk_thigh_angle": "trunk–thigh",
}
"""Lean series of the ``lean`` plugin, in plotting order, with their legend names."""

MIN_ROW_HEIGHT_PX = 80
"""Smallest height of a plot's data area in px (more when its axis label is longer):
plots that do not fit scroll."""
TOP_MARGIN_PX = 7
"""Room above a plot's data area for the top tick label (half a text line)."""
RULER_HEIGHT_PX = 30
RULER_KEY = "events"
RESIZE_SETTLE_MS = 60
MIN_VIEW_WIDTH_PX, MIN_VIEW_HEIGHT_PX = 480, 360
PIXMAP_CACHE_KB = 256 * 1024
MIN_Y_SPAN = {"N": 20.0, "m": 0.01, "deg": 2.0, "m/s": 0.05}
"""Smallest Y span per unit, so that noise on a flat signal is not blown up."""
Y_PADDING = 0.06
ENVELOPE_FROM_PX = 16
"""Samples per pixel column from which a line is drawn from its min/max envelope."""
SHORT_AXIS_LABEL = 10
"""Series names longer than this are left out of the axis label (the title has them)."""
SLOT_TEXT = {"N": "-00000 N", "m": "-00.000 m", "deg": "-000.0°", "m/s": "-00.00 m/s"}
"""The widest value expected per unit: the width of a value's slot in a title bar."""
STRIDES_SHOWN = 4
"""A trial opens on this many strides (median stride time of its gait events)
around the cursor; "Whole trial" (or a double click) shows all of it."""
WHOLE_TRIAL_FACTOR = 1.5
"""Trials shorter than this many stride windows open whole."""
WINDOW_WITHOUT_EVENTS_S = 5.0
"""The opening window of a trial without gait events, in s."""
AUTO_DOWNSAMPLE_FACTOR = 1.0
"""Samples kept per pixel column by the peak downsampling (each keeps its min and max)."""
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


# ---------------------------------------------------------------- sagittal frame


@dataclass(frozen=True)
class SagittalFrame:
    """The trial's analysis frame and its derived geometry.

    Attributes
    ----------
    up, forward, right : ndarray, shape (3,)
        Unit vectors: upward vertical, horizontal progression, and
        ``forward × up`` (the runner's right), lab frame.
    view : TrialView
        The trial's geometry (body points, summed GRF), computed once.
    method : str
        How the progression was found (``displacement``, ``facing`` ...).
    """

    up: FloatArray
    forward: FloatArray
    right: FloatArray
    view: TrialView
    method: str

    def components(
        self, vectors: npt.ArrayLike
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """AP, vertical and ML components of lab vectors (float32 for plotting)."""
        values = np.asarray(vectors, dtype=float)
        return tuple(  # type: ignore[return-value]
            project(values, axis, np.float32)
            for axis in (self.forward, self.up, self.right)
        )


def project(
    vectors: np.ndarray, axis: FloatArray, dtype: type = np.float64
) -> np.ndarray:
    """``vectors @ axis`` for (..., 3) lab vectors, as a contiguous array of ``dtype``.

    A lab axis (the usual case: Z up, progression along ±X or ±Y) is a column
    copy; any other direction is the weighted sum of the columns. Both are much
    faster than a matrix product with a 3-vector on millions of samples.
    """
    nonzero = np.flatnonzero(np.abs(axis) > 1e-12)
    if len(nonzero) == 1 and abs(abs(axis[nonzero[0]]) - 1.0) < 1e-12:
        column = vectors[..., nonzero[0]]
        return (column if axis[nonzero[0]] > 0 else -column).astype(dtype)
    total = np.zeros(vectors.shape[:-1], dtype=float)
    for i in nonzero:
        total += axis[i] * vectors[..., i]
    return total.astype(dtype)


_frames: dict[int, tuple[weakref.ref, SagittalFrame]] = {}
_frames_lock = threading.Lock()


def sagittal_frame(loaded: LoadedTrial) -> SagittalFrame:
    """The sagittal frame of a loaded trial (computed once per LoadedTrial, thread-safe).

    Both views' ``prepare`` use it, so the summed GRF and the body points of a
    long trial are computed only once. The view is the one the analysis sees
    (:meth:`LoadedTrial.view <gaitlab.session.LoadedTrial.view>`: the
    project's marker settings and the static trial, whose landmarks are
    rebuilt on cluster protocols).
    """
    key = id(loaded)
    with _frames_lock:
        entry = _frames.get(key)
        if entry is not None and entry[0]() is loaded:
            return entry[1]
    view = loaded.view()
    up = unit(view.up)
    progression = view.progression
    forward = unit(progression.direction)
    frame = SagittalFrame(up, forward, np.cross(forward, up), view, progression.method)

    def forget(ref: weakref.ref, key: int = key) -> None:
        with _frames_lock:
            if key in _frames and _frames[key][0] is ref:
                del _frames[key]

    with _frames_lock:
        _frames[key] = (weakref.ref(loaded, forget), frame)
    return frame


# ---------------------------------------------------------------- prepared data


class RangeIndex:
    """Minimum and maximum of any index range of a series, NaN ignored, in O(n / 64).

    Built once per curve (in ``prepare``), it gives the Y range of the visible
    part of a 10-minute 2 kHz signal without scanning it at every zoom or pan.

    Examples
    --------
    >>> index = RangeIndex(np.array([3.0, np.nan, -1.0, 7.0] * 100))
    >>> index.min_max(0, 2), index.min_max(0, 400), index.min_max(5, 5)
    ((3.0, 3.0), (-1.0, 7.0), (nan, nan))
    """

    BLOCK = 64

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        blocks = len(values) // self.BLOCK
        body = np.asarray(values[: blocks * self.BLOCK], dtype=float).reshape(
            blocks, self.BLOCK
        )
        self.low = np.fmin.reduce(body, axis=1) if blocks else np.zeros(0)
        self.high = np.fmax.reduce(body, axis=1) if blocks else np.zeros(0)
        self.levels = [(self.BLOCK, self.low, self.high)]
        """(block size, block minima, block maxima), block sizes 64, 128, 256 ..."""
        while len(self.levels[-1][1]) >= 2 * LEVEL_FACTOR:
            size, low, high = self.levels[-1]
            count = len(low) // LEVEL_FACTOR * LEVEL_FACTOR
            self.levels.append(
                (
                    size * LEVEL_FACTOR,
                    np.fmin.reduce(low[:count].reshape(-1, LEVEL_FACTOR), axis=1),
                    np.fmax.reduce(high[:count].reshape(-1, LEVEL_FACTOR), axis=1),
                )
            )

    def min_max(self, start: int, stop: int) -> tuple[float, float]:
        """Smallest and largest finite value of ``values[start:stop]`` (NaN if none)."""
        start, stop = max(int(start), 0), min(int(stop), len(self.values))
        if stop <= start:
            return float("nan"), float("nan")
        first = -(-start // self.BLOCK)
        last = stop // self.BLOCK
        if first < last:
            lows = [
                self.low[first:last],
                self.values[start : first * self.BLOCK],
                self.values[last * self.BLOCK : stop],
            ]
            highs = [self.high[first:last], lows[1], lows[2]]
        else:
            lows = highs = [self.values[start:stop]]
        low = min((float(np.fmin.reduce(p)) for p in lows if len(p)), key=_nan_last)
        high = max((float(np.fmax.reduce(p)) for p in highs if len(p)), key=_nan_first)
        return low, high


LEVEL_FACTOR = 2
"""Each envelope level of a :class:`RangeIndex` has blocks this many times larger."""


def _nan_last(value: float) -> float:
    return value if value == value else float("inf")


def _nan_first(value: float) -> float:
    return value if value == value else float("-inf")


@dataclass(frozen=True)
class Curve:
    """One plotted line: uniformly sampled values on the trial clock.

    Attributes
    ----------
    name : str
        Legend label.
    time : ndarray, shape (n,)
        Sample times in s.
    values : ndarray, shape (n,)
        Values in the plot's unit, NaN where undefined.
    t0_s, rate_hz : float
        First sample time in s and sampling rate in Hz (for cursor read-outs).
    colour : str
        Line colour.
    width : float
        Line width in px.
    extent : RangeIndex
        For the Y range of any time span (computed on creation).
    envelopes : dict of int to (ndarray, ndarray)
        The curve at one (min, max) pair per block of samples (64, 128, 256 ...),
        NaN ignored, as (times, values) by block size: what a zoomed-out plot
        draws instead of the samples (pyqtgraph's peak downsampling would turn
        every pixel column with a gap, e.g. a flight phase of the COP, into a gap).
    """

    name: str
    time: np.ndarray
    values: np.ndarray
    t0_s: float
    rate_hz: float
    colour: str
    width: float = 1.5
    extent: RangeIndex = field(init=False, repr=False, compare=False)
    envelopes: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        extent = RangeIndex(self.values)
        object.__setattr__(self, "extent", extent)
        envelopes = {}
        for block, low, high in extent.levels:
            centres = (
                self.t0_s + (np.arange(len(low)) * block + block / 2) / self.rate_hz
            )
            values = np.stack([low, high], axis=1).ravel().astype(np.float32)
            envelopes[block] = (np.repeat(centres, 2), values)
        object.__setattr__(self, "envelopes", envelopes)

    def value_range(self, start_s: float, stop_s: float) -> tuple[float, float]:
        """Smallest and largest value between two times (NaN when none)."""
        start = math.floor((start_s - self.t0_s) * self.rate_hz)
        stop = math.ceil((stop_s - self.t0_s) * self.rate_hz) + 1
        return self.extent.min_max(start, stop)

    def value_at(self, time_s: float) -> float:
        """Value of the nearest sample to a time (NaN beyond one sample off the ends).

        The session's time range ends one sample period after the last sample,
        so the last sample is read up to there.
        """
        index = round((time_s - self.t0_s) * self.rate_hz)
        if -1 <= index <= len(self.values) and len(self.values):
            return float(self.values[min(max(index, 0), len(self.values) - 1)])
        return float("nan")


@dataclass(frozen=True)
class PlotSpec:
    """What one plot shows.

    Attributes
    ----------
    key : str
        Built-in key (``grf_vertical`` ...) or ``plugin/series``.
    title : str
        Shown at the top left of the plot.
    axis : str
        Left axis label (the unit is added).
    unit : str
        Unit of every curve.
    curves : tuple of Curve
        The lines.
    note : str
        Why there is nothing to plot (shown instead of values).
    description : str
        Definition in words (tooltip of the series list).
    """

    key: str
    title: str
    axis: str
    unit: str
    curves: tuple[Curve, ...] = ()
    note: str = ""
    description: str = ""


@dataclass(frozen=True)
class PreparedSignals:
    """Everything :class:`SignalPlotsView` draws for one trial (numpy only, no Qt).

    Attributes
    ----------
    trial_id : str
        The trial.
    start_s, stop_s : float
        Time range of the trial in s.
    frame_text : str
        The sagittal frame in words (shown in the header's tooltip).
    force_plots : tuple of PlotSpec
        GRF components and COP (from the trial itself).
    result_plots : tuple of PlotSpec
        COM and lean angles (from analysis results).
    series : dict
        Every plugin series, by (plugin, series).
    results_signature : tuple
        Identifies the results the plots were made from.
    """

    trial_id: str
    start_s: float
    stop_s: float
    frame_text: str
    force_plots: tuple[PlotSpec, ...]
    result_plots: tuple[PlotSpec, ...]
    series: Mapping[tuple[str, str], PlotSpec]
    results_signature: tuple

    def plot(self, key: str) -> PlotSpec | None:
        """The built-in plot with that key."""
        for spec in (*self.force_plots, *self.result_plots):
            if spec.key == key:
                return spec
        return None


class _TimeAxes:
    """Shares one time array per (length, rate, start) between curves."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, float, float], np.ndarray] = {}

    def __call__(self, n: int, rate_hz: float, t0_s: float) -> np.ndarray:
        key = (n, float(rate_hz), float(t0_s))
        time = self._cache.get(key)
        if time is None:
            time = t0_s + np.arange(n) / rate_hz
            self._cache[key] = time
        return time


def _force_plots(loaded: LoadedTrial, frame: SagittalFrame) -> tuple[PlotSpec, ...]:
    times = _TimeAxes()
    plates = [(i, p) for i, p in enumerate(loaded.trial.forceplates) if p.n_samples > 0]
    titles = {
        "grf_vertical": "GRF vertical",
        "grf_ap": "GRF anteroposterior (+ forward)",
        "grf_ml": "GRF mediolateral (+ right)",
    }
    axes = {"grf_vertical": "Vertical", "grf_ap": "AP", "grf_ml": "ML"}
    if not plates:
        note = "no force plates in this trial"
        return (
            *(PlotSpec(key, titles[key], axes[key], "N", note=note) for key in titles),
            PlotSpec("cop", "Centre of pressure", "COP", "m", note=note),
        )
    curves: dict[str, list[Curve]] = {key: [] for key in titles}
    single = len(plates) == 1
    grf = frame.view.grf
    cop_curves: tuple[Curve, ...] = ()
    if grf is not None:
        time = times(len(grf.force), grf.rate_hz, grf.t0_s)
        if not single:
            ap, vertical, ml = frame.components(grf.force)
            for key, values in (
                ("grf_vertical", vertical),
                ("grf_ap", ap),
                ("grf_ml", ml),
            ):
                curves[key].append(
                    Curve(
                        "Σ plates",
                        time,
                        values,
                        grf.t0_s,
                        grf.rate_hz,
                        theme.SUM_COLOUR,
                        2.0,
                    )
                )
        cop_ap, _, cop_ml = frame.components(grf.cop)
        cop_curves = (
            Curve(
                "AP", time, cop_ap, grf.t0_s, grf.rate_hz, theme.COMPONENT_COLOURS["AP"]
            ),
            Curve(
                "ML", time, cop_ml, grf.t0_s, grf.rate_hz, theme.COMPONENT_COLOURS["ML"]
            ),
        )
    for index, plate in plates:
        time = times(plate.n_samples, plate.rate_hz, plate.t0_s)
        ap, vertical, ml = frame.components(plate.force)
        colour = theme.SUM_COLOUR if single else theme.plate_colour(index)
        for key, values in (("grf_vertical", vertical), ("grf_ap", ap), ("grf_ml", ml)):
            curves[key].append(
                Curve(
                    f"FP{index + 1}",
                    time,
                    values,
                    plate.t0_s,
                    plate.rate_hz,
                    colour,
                    width=1.5 if single else 1.0,
                )
            )
    return (
        *(
            PlotSpec(key, titles[key], axes[key], "N", tuple(curves[key]))
            for key in titles
        ),
        PlotSpec("cop", "Centre of pressure (lab position)", "COP", "m", cop_curves),
    )


def _ok_series(results: Mapping[str, Result], plugin: str, name: str) -> Series | None:
    result = results.get(plugin)
    if result is None or result.status not in USABLE_STATUSES:
        return None
    return result.series.get(name)


def _missing_note(results: Mapping[str, Result], plugin: str, what: str) -> str:
    result = results.get(plugin)
    if result is None:
        return f"no {what}: run the pipeline ({plugin})"
    if result.status not in USABLE_STATUSES:
        return f"no {what}: {plugin} {result.status} ({result.message})"
    return f"no {what}: {plugin} did not produce it"


def _series_curve(name: str, series: Series, values: np.ndarray, colour: str) -> Curve:
    time = series.t0_s + np.arange(len(values)) / series.rate_hz
    return Curve(name, time, values, series.t0_s, series.rate_hz, colour)


def _result_plots(loaded: LoadedTrial, frame: SagittalFrame) -> tuple[PlotSpec, ...]:
    results = loaded.results
    com = _ok_series(results, "center_of_mass", "com")
    if com is not None:
        ap, vertical, _ = frame.components(com.values)
        com_vertical = PlotSpec(
            "com_vertical",
            "Centre of mass, vertical",
            "Vertical",
            "m",
            (_series_curve("COM", com, vertical, theme.COMPONENT_COLOURS["vertical"]),),
        )
        com_ap = PlotSpec(
            "com_ap",
            "Centre of mass, anteroposterior (lab position)",
            "AP",
            "m",
            (_series_curve("COM", com, ap, theme.COMPONENT_COLOURS["AP"]),),
        )
    else:
        note = _missing_note(results, "center_of_mass", "centre of mass")
        com_vertical = PlotSpec(
            "com_vertical", "Centre of mass, vertical", "Vertical", "m", note=note
        )
        com_ap = PlotSpec(
            "com_ap", "Centre of mass, anteroposterior", "AP", "m", note=note
        )
    lean_curves = []
    for name, label in LEAN_LABELS.items():
        series = _ok_series(results, "lean", name)
        if series is not None and np.ndim(series.values) == 1:
            values = np.asarray(series.values, dtype=np.float32)
            lean_curves.append(
                _series_curve(label, series, values, theme.LEAN_COLOURS[name])
            )
    lean = PlotSpec(
        "lean",
        "Lean angles (from vertical, + forward)",
        "Angle",
        "deg",
        tuple(lean_curves),
        note="" if lean_curves else _missing_note(results, "lean", "lean angles"),
    )
    return com_vertical, com_ap, lean


def _plugin_series(
    loaded: LoadedTrial, frame: SagittalFrame
) -> dict[tuple[str, str], PlotSpec]:
    catalogue: dict[tuple[str, str], PlotSpec] = {}
    for plugin in sorted(loaded.results):
        result = loaded.results[plugin]
        if result.status not in USABLE_STATUSES:
            continue
        for name in sorted(result.series):
            series = result.series[name]
            values = np.asarray(series.values)
            if values.ndim == 1:
                columns = [(name, values)]
            elif values.ndim == 2 and values.shape[1] == 3:
                ap, vertical, ml = frame.components(values)
                columns = [("AP", ap), ("vertical", vertical), ("ML", ml)]
            elif values.ndim == 2:
                columns = [
                    (f"{name}[{j}]", values[:, j]) for j in range(values.shape[1])
                ]
            else:
                continue
            curves = tuple(
                _series_curve(
                    label,
                    series,
                    np.asarray(column, dtype=np.float32),
                    theme.series_colour(label if len(columns) > 1 else name, j),
                )
                for j, (label, column) in enumerate(columns)
            )
            catalogue[(plugin, name)] = PlotSpec(
                f"{plugin}/{name}",
                f"{plugin}: {name}",
                name if len(name) <= SHORT_AXIS_LABEL else "",
                series.unit,
                curves,
                description=series.description,
            )
    return catalogue


def _results_signature(results: Mapping[str, Result]) -> tuple:
    return tuple(
        (
            name,
            r.status,
            r.provenance.inputs_digest if r.provenance else "",
            r.provenance.created_utc if r.provenance else "",
            len(r.series),
        )
        for name, r in sorted(results.items())
    )


def _axis_name(vector: FloatArray) -> str:
    index = int(np.argmax(np.abs(vector)))
    return ("+" if vector[index] > 0 else "−") + "XYZ"[index]


def _prepare(loaded: LoadedTrial) -> PreparedSignals:
    frame = sagittal_frame(loaded)
    trial = loaded.trial
    start = float(min(trial.markers.t0_s, trial.analogs.t0_s))
    return PreparedSignals(
        trial_id=loaded.trial_id,
        start_s=start,
        stop_s=start + float(trial.duration_s),
        frame_text=(
            f"up {_axis_name(frame.up)}, progression {_axis_name(frame.forward)} "
            f"({frame.method}), ML + right"
        ),
        force_plots=_force_plots(loaded, frame),
        result_plots=_result_plots(loaded, frame),
        series=_plugin_series(loaded, frame),
        results_signature=_results_signature(loaded.results),
    )


def stride_time_s(contacts: Sequence[Contact]) -> float | None:
    """Median stride time in s: initial contact to the next of the same side
    (twice the median step time when no side has two contacts; None with fewer
    than two contacts)."""
    strides: list[float] = []
    for side in {c.side for c in contacts}:
        starts = np.sort([c.ic_s for c in contacts if c.side == side])
        strides.extend(np.diff(starts))
    if strides:
        return float(np.median(strides))
    starts = np.sort([c.ic_s for c in contacts])
    return 2.0 * float(np.median(np.diff(starts))) if len(starts) > 1 else None


def stride_window(
    contacts: Sequence[Contact], start_s: float, stop_s: float, centre_s: float
) -> tuple[float, float]:
    """The time span a trial opens on: :data:`STRIDES_SHOWN` strides centred on
    ``centre_s``, inside the trial; the whole trial when it is shorter than
    :data:`WHOLE_TRIAL_FACTOR` such windows.

    Examples
    --------
    >>> steps = [Contact(i + 1, ("Left", "Right")[i % 2], 0.4 * i, 0.4 * i + 0.25)
    ...          for i in range(75)]  # 30 s of running, 0.8 s strides
    >>> stride_window(steps, 0.0, 30.0, 0.0), stride_window(steps, 0.0, 30.0, 10.0)
    ((0.0, 3.2), (8.4, 11.6))
    >>> stride_window(steps[:5], 0.0, 2.0, 1.0)
    (0.0, 2.0)
    """
    stride = stride_time_s(contacts)
    length = STRIDES_SHOWN * stride if stride else WINDOW_WITHOUT_EVENTS_S
    if stop_s - start_s <= WHOLE_TRIAL_FACTOR * length:
        return start_s, stop_s
    first = min(max(centre_s - length / 2, start_s), stop_s - length)
    return round(first, 9), round(first + length, 9)


def _format_value(value: float, unit: str) -> str:
    """A value at the cursor with its unit ("1523 N", "0.913 m", "4.2°", "—" if NaN)."""
    if not np.isfinite(value):
        return "—"
    decimals = {"N": 0, "m": 3, "deg": 1, "m/s": 2}.get(unit)
    if decimals is None:
        return f"{value:.4g} {unit}".strip()
    text = f"{round(value, decimals) + 0.0:.{decimals}f}"  # + 0.0: no "-0"
    return f"{text}°" if unit == "deg" else f"{text} {unit}"


# ---------------------------------------------------------------- plot rows


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
                # pen draws them 2-3x faster than a wide one, and looks the same
                item.setPen(pg.mkPen(curve.colour, width=1.0))
            else:
                item.setDownsampling(auto=True, method="peak")
                x, y = curve.time, curve.values
                item.setPen(pg.mkPen(curve.colour, width=curve.width))
            # never antialiased (whatever the app's default): on a long trial's
            # dense, downsampled zigzag it costs ~40 ms per curve and repaint
            item.setData(x, y, connect="finite", antialias=False)

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
                [_format_value(c.value_at(time_s), spec.unit) for c in spec.curves]
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

    sig_drawn = QtCore.Signal()
    """Emitted when the shown trial is fully drawn (after ``show_prepared``, and
    again after new results were drawn)."""

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
        return _prepare(loaded)

    def show_prepared(self, loaded: LoadedTrial, prepared: PreparedSignals) -> None:
        """Draw a loaded trial from its prepared data (GUI thread).

        The plots are filled one per event-loop turn (a long trial's plot takes
        tens of ms), so the window stays responsive; :attr:`sig_drawn` follows
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
        """Show or hide a built-in plot (see :data:`BUILTIN_PLOTS`)."""
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
        return self._rows[key]

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
            "Select a trial to see its forces, COM and lean angles."
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

    def _ordered_rows(self) -> list[PlotRow]:
        builtin = [self._rows[key] for key, _ in BUILTIN_PLOTS]
        series = [
            self._rows[f"{p}/{s}"]
            for p, s in self._series_choice
            if f"{p}/{s}" in self._rows
        ]
        return builtin + series

    def _row_shown(self, row: PlotRow) -> bool:
        if row.key in self._hidden_plots or row.spec is None:
            return False
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
        for key, title in BUILTIN_PLOTS:
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
        QtCore.QTimer.singleShot(0, self, partial(self.set_series_choice, choice))

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
        if _results_signature(loaded.results) != self._prepared.results_signature:
            frame = sagittal_frame(loaded)
            self._prepared = replace(
                self._prepared,
                result_plots=_result_plots(loaded, frame),
                series=_plugin_series(loaded, frame),
                results_signature=_results_signature(loaded.results),
            )
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
                "the last run. Run the pipeline to update them; the COM and lean curves "
                "shown are from the previous run."
            )
        elif status == "not run":
            self._banner.setText(
                "No analysis results for this trial yet: run the pipeline to see the "
                "centre of mass and lean angles."
            )
        self._banner.setVisible(stale or status == "not run")
        for row in self._rows.values():
            row.stale = stale and (row.key in RESULT_PLOTS or "/" in row.key)
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
        self.sig_drawn.emit()

    def _refresh_downsampling(self) -> None:
        for row in self._rows.values():
            if row.widget.isVisible():
                row.refresh_downsampling()
