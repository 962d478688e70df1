"""The data of the time plots, without Qt: what each plot of a trial draws.

Pure numpy computation the loading thread runs (:func:`prepare`), and what
:class:`~gaitlab.gui.views.signal_plots.SignalPlotsView` draws from it:

- the trial's sagittal frame (METHODS §0.1: the lab's upward vertical, the
  horizontal direction of progression, ML to the runner's right) and
  projections onto it (:class:`SagittalFrame`, :func:`sagittal_frame`);
- the plots of the trial's own data (:data:`BUILTIN_PLOTS`: GRF components
  per plate and summed, in N; the combined centre of pressure, in m);
- the plots of analysis results, built from the plugins' declarations
  (:func:`result_plots`: a series' ``plot``, ``label``, ``colour``,
  ``visible`` and ``components`` hints, see
  :class:`~gaitlab.core.results.SeriesSpec`), the same for built-in and
  third-party plugins;
- every stored series as a plot of its own (the *Plots & series* list);
- per-line min/max pyramids for Y ranges and zoomed-out envelopes
  (:class:`RangeIndex`, :class:`Curve`) and the opening time window
  (:func:`stride_window`).

Neither PySide6 nor pyqtgraph is imported here.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gaitlab.core.contacts import Contact
from gaitlab.core.geometry import unit
from gaitlab.core.results import USABLE_STATUSES, Result, Series
from gaitlab.core.types import FloatArray
from gaitlab.gui import palette
from gaitlab.pipeline.view import TrialView
from gaitlab.session import LoadedTrial

__all__ = [
    "BUILTIN_PLOTS",
    "COMPONENT_TITLES",
    "FORMER_PLOT_KEYS",
    "Curve",
    "PlotSpec",
    "PreparedSignals",
    "RangeIndex",
    "SagittalFrame",
    "format_value",
    "plugin_series",
    "prepare",
    "project",
    "result_plots",
    "results_signature",
    "sagittal_frame",
    "stride_time_s",
    "stride_window",
]

BUILTIN_PLOTS = (
    ("grf_vertical", "GRF vertical"),
    ("grf_ap", "GRF anteroposterior"),
    ("grf_ml", "GRF mediolateral"),
    ("cop", "Centre of pressure"),
)
"""Key and title of the plots of the trial's own data, top to bottom; the plots of
analysis results follow them (built from the plugins' declarations, keyed by title,
see :func:`result_plots`)."""

COMPONENT_TITLES = {
    "vertical": ("vertical", "Vertical"),
    "ap": ("anteroposterior (lab position)", "AP"),
    "ml": ("mediolateral", "ML"),
}
"""Sagittal component of a position series -> (plot title suffix, axis label)."""

_COMPONENT_COLOUR_KEYS = {"vertical": "vertical", "ap": "AP", "ml": "ML"}

FORMER_PLOT_KEYS = {
    "com_vertical": "Centre of mass, vertical",
    "com_ap": "Centre of mass, anteroposterior (lab position)",
    "lean": "Lean angles (from vertical, + forward)",
}
"""Keys of the result plots before they were built from the declarations -> the
title (key) of the plot now; :meth:`SignalPlotsView.row` and
:meth:`SignalPlotsView.set_plot_visible` still take them."""

SHORT_AXIS_LABEL = 10
"""Series names longer than this are left out of the axis label (the title has them)."""
STRIDES_SHOWN = 4
"""A trial opens on this many strides (median stride time of its gait events)
around the cursor; "Whole trial" (or a double click) shows all of it."""
WHOLE_TRIAL_FACTOR = 1.5
"""Trials shorter than this many stride windows open whole."""
WINDOW_WITHOUT_EVENTS_S = 5.0
"""The opening window of a trial without gait events, in s."""


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


def _joined(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Block ranges stretched to touch the previous block's range (gaps stay NaN)."""
    before_high = np.concatenate([[np.nan], high[:-1]])
    before_low = np.concatenate([[np.nan], low[:-1]])
    with np.errstate(invalid="ignore"):
        joined_low = np.where(np.isnan(low), np.nan, np.fmin(low, before_high))
        joined_high = np.where(np.isnan(high), np.nan, np.fmax(high, before_low))
    return joined_low, joined_high


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
    visible : bool
        Whether the line is shown when its plot is first drawn (the legend
        toggles it).
    extent : RangeIndex
        For the Y range of any time span (computed on creation).
    envelopes : dict of int to (ndarray, ndarray)
        The curve at one vertical stroke per block of samples (64, 128, 256
        ...), as (times, values) by block size, two points per block (drawn
        with ``connect="pairs"``): from the block's minimum to its maximum,
        NaN ignored, each stretched to reach the previous block's nearest
        extreme so the strokes join into a line (as the zigzag through them
        would). What a zoomed-out plot draws instead of the samples:
        pyqtgraph's peak downsampling would turn every pixel column with a
        gap, e.g. a flight phase of the COP, into a gap; and separate
        vertical strokes draw in about two thirds of the time of a polyline.
    """

    name: str
    time: np.ndarray
    values: np.ndarray
    t0_s: float
    rate_hz: float
    colour: str
    width: float = 1.5
    visible: bool = True
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
            values = np.stack(_joined(low, high), axis=1).ravel().astype(np.float32)
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
        Plots of analysis results, from the plugins' declarations.
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
                        palette.SUM_COLOUR,
                        2.0,
                    )
                )
        cop_ap, _, cop_ml = frame.components(grf.cop)
        cop_curves = (
            Curve(
                "AP",
                time,
                cop_ap,
                grf.t0_s,
                grf.rate_hz,
                palette.COMPONENT_COLOURS["AP"],
            ),
            Curve(
                "ML",
                time,
                cop_ml,
                grf.t0_s,
                grf.rate_hz,
                palette.COMPONENT_COLOURS["ML"],
            ),
        )
    for index, plate in plates:
        time = times(plate.n_samples, plate.rate_hz, plate.t0_s)
        ap, vertical, ml = frame.components(plate.force)
        colour = palette.SUM_COLOUR if single else palette.plate_colour(index)
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


def _series_curve(
    name: str,
    series: Series,
    values: np.ndarray,
    colour: str,
    visible: bool = True,
) -> Curve:
    time = series.t0_s + np.arange(len(values)) / series.rate_hz
    return Curve(
        name, time, values, series.t0_s, series.rate_hz, colour, visible=visible
    )


def _pipeline_order(loaded: LoadedTrial) -> list[str]:
    """Installed plugins with results or planned: pipeline order, then the others."""
    names = [*loaded.freshness, *loaded.results, *loaded.specs]
    return [name for name in dict.fromkeys(names) if name in loaded.specs]


def result_plots(loaded: LoadedTrial, frame: SagittalFrame) -> tuple[PlotSpec, ...]:
    """The plots of analysis results, built from the plugins' declarations.

    Every series whose :class:`~gaitlab.core.results.SeriesSpec` names a
    ``plot`` goes into the plot of that title (series of several plugins can
    share one), with its legend label, colour (else the next of the palette)
    and initial visibility; a lab-frame position series with ``components``
    gives one plot per component of the trial's sagittal frame, titled
    ``"{plot}, {component}"``. Plots come in pipeline order of their plugins,
    then declaration order. A plot without any usable series carries the note
    of why (plugin not run, failed, skipped, series absent).

    Parameters
    ----------
    loaded : LoadedTrial
        The trial, its results and the installed plugins' declarations.
    frame : SagittalFrame
        The trial's sagittal frame (for position components).

    Returns
    -------
    tuple of PlotSpec
        Keyed by their titles.
    """
    results = loaded.results
    order: list[str] = []
    info: dict[str, tuple[str, str]] = {}
    curves: dict[str, list[Curve]] = {}
    notes: dict[str, str] = {}
    for plugin in _pipeline_order(loaded):
        for spec in loaded.specs[plugin].series:
            if not spec.plot:
                continue
            if spec.components:
                titles = [
                    (
                        f"{spec.plot}, {COMPONENT_TITLES[c][0]}",
                        COMPONENT_TITLES[c][1],
                        c,
                    )
                    for c in spec.components
                ]
            else:
                titles = [(spec.plot, "", "")]
            series = _ok_series(results, plugin, spec.name)
            components = {}
            if series is not None and spec.components:
                values = np.asarray(series.values)
                if values.ndim == 2 and values.shape[1] == 3:
                    ap, vertical, ml = frame.components(values)
                    components = {"ap": ap, "vertical": vertical, "ml": ml}
                else:
                    series = None
            elif series is not None and np.ndim(series.values) != 1:
                series = None
            for title, axis, component in titles:
                if title not in info:
                    order.append(title)
                    curves[title] = []
                    label = axis or ("Angle" if spec.unit == "deg" else "Value")
                    info[title] = (label, spec.unit)
                if series is None:
                    what = spec.plot[:1].lower() + spec.plot[1:]
                    notes.setdefault(title, _missing_note(results, plugin, what))
                    continue
                values = components[component] if component else series.values
                colour = spec.colour or (
                    palette.COMPONENT_COLOURS[_COMPONENT_COLOUR_KEYS[component]]
                    if component
                    else palette.series_colour(spec.name, len(curves[title]))
                )
                curves[title].append(
                    _series_curve(
                        spec.display_label,
                        series,
                        np.asarray(values, dtype=np.float32),
                        colour,
                        spec.visible,
                    )
                )
    return tuple(
        PlotSpec(
            title,
            title,
            info[title][0],
            info[title][1],
            tuple(curves[title]),
            note="" if curves[title] else notes.get(title, ""),
        )
        for title in order
    )


def plugin_series(
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
                    palette.series_colour(label if len(columns) > 1 else name, j),
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


def results_signature(results: Mapping[str, Result]) -> tuple:
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


def prepare(loaded: LoadedTrial) -> PreparedSignals:
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
        result_plots=result_plots(loaded, frame),
        series=plugin_series(loaded, frame),
        results_signature=results_signature(loaded.results),
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


def format_value(value: float, unit: str) -> str:
    """A value at the cursor with its unit ("1523 N", "0.913 m", "4.2°", "—" if NaN)."""
    if not np.isfinite(value):
        return "—"
    decimals = {"N": 0, "m": 3, "deg": 1, "m/s": 2}.get(unit)
    if decimals is None:
        return f"{value:.4g} {unit}".strip()
    text = f"{round(value, decimals) + 0.0:.{decimals}f}"  # + 0.0: no "-0"
    return f"{text}°" if unit == "deg" else f"{text} {unit}"
