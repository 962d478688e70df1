"""What analyses produce: series, metrics, events, and where they came from.

A plugin fills a :class:`Result` (``add_series``, ``add_metric``,
``add_event``, ``note``, ``leave_out``); the runner checks it against the plugin's
declaration, attaches the declared units and a :class:`Provenance`, and
stores it in the project. Everything is in SI units except angles, which
analyses report in degrees and declare as ``"deg"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from gaitlab.core.trial import Event
from gaitlab.core.types import SIDES, FloatArray

__all__ = [
    "SAGITTAL_COMPONENTS",
    "STATUSES",
    "USABLE_STATUSES",
    "YES_NO",
    "Metric",
    "MetricSpec",
    "Provenance",
    "Result",
    "Series",
    "SeriesSpec",
    "compact_names",
    "left_out_by_reason",
]

SAGITTAL_COMPONENTS = ("vertical", "ap", "ml")
"""Components of the sagittal frame a position series can be plotted in."""

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def _check_display(name: str, colour: str) -> None:
    if colour and not _COLOUR.match(colour):
        raise ValueError(f"{name!r}: colour must be '#RRGGBB', got {colour!r}")


YES_NO = ((0.0, "no"), (1.0, "yes"))
"""Categories of a yes/no metric: ``MetricSpec(..., categories=YES_NO)``, its
values added as ``True``/``False`` (stored 1/0, exported as yes/no)."""

STATUSES = ("ok", "partial", "skipped", "failed")
"""Outcome of one plugin on one trial: ``ok`` = every declared metric was
computed (a per-step metric with a value on some steps is computed; see
:func:`gaitlab.pipeline.runner.mark_left_out`); ``partial`` = the plugin ran
but left some declared metrics out (:attr:`Result.left_out` says which and
why); ``skipped`` = a needed input was missing; ``failed`` = the plugin
raised or returned something invalid."""

USABLE_STATUSES = ("ok", "partial")
"""Statuses whose series, metrics and events can be used (downstream plugins,
plots, exports): a ``partial`` result is as valid as an ``ok`` one for what
it holds."""

METRIC_STATUSES = ("ok", "warning", "unclean", "invalid")
"""Status of one metric value: ``warning`` = outside the plausible range,
``unclean`` = computed on a contact that was not clean (METHODS §1.8),
``invalid`` = could not be computed (value NaN, reason in ``message``)."""


@dataclass(frozen=True)
class SeriesSpec:
    """Declaration of a time series a plugin produces.

    Attributes
    ----------
    name : str
        Identifier, ``^[a-z][a-z0-9_]*$``.
    unit : str
        Unit of the values (``"m"``, ``"N"``, ``"deg"`` ...).
    description : str
        Definition in words, shown in the GUI and the export sidecar.
    label : str
        Short name in plot legends and the body view's angle table (the
        ``name`` when empty).
    plot : str
        Title of the plot of the app's default layout that draws the series;
        series declaring the same title share one plot (and its Y axis, so
        give them one unit). Empty: not in the default layout (still offered
        under *Plots & series*).
    colour : str
        ``"#RRGGBB"`` of its curve and of its line on the body view; empty:
        the next colour of the palette.
    visible : bool
        Whether its curve is shown when the plot is first drawn (a hidden one
        is one click away in the legend).
    components : tuple of str
        For a series of lab-frame positions or vectors, shape (n, 3): which
        components of the trial's sagittal frame to plot, each in its own plot
        titled ``"{plot}, {component}"``; any of ``"vertical"``, ``"ap"``
        (anteroposterior), ``"ml"`` (mediolateral). Empty for a 1-D series.
    point : str
        For a series of lab-frame positions, shape (n, 3): the point it is on
        the body view (``"com"`` draws the centre of mass). Empty otherwise.
    lines : tuple of (str, str)
        For an angle series: the lines of the body figure it is measured on,
        each as (lower, upper) body points (``"midh"``, ``"mids"``, ``"ajc"``,
        ``"hjc"`` of the stance side, ``"com"``, ``"cop"``). The body view
        draws them in the series' colour; an angle of a single line is shown
        at the cursor even without a stored result (computed with
        :func:`gaitlab.core.geometry.sagittal_angle_deg`).
    """

    name: str
    unit: str
    description: str = ""
    label: str = ""
    plot: str = ""
    colour: str = ""
    visible: bool = True
    components: tuple[str, ...] = ()
    point: str = ""
    lines: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        """Check the display hints (colour, components, lines)."""
        _check_display(self.name, self.colour)
        unknown = set(self.components) - set(SAGITTAL_COMPONENTS)
        if unknown:
            raise ValueError(
                f"series {self.name!r}: components must be among "
                f"{SAGITTAL_COMPONENTS}, got {sorted(unknown)}"
            )
        if any(len(line) != 2 for line in self.lines):
            raise ValueError(
                f"series {self.name!r}: each line must be (lower, upper) point names"
            )

    @property
    def display_label(self) -> str:
        """The legend name: ``label``, or the series name."""
        return self.label or self.name


@dataclass(frozen=True)
class MetricSpec:
    """Declaration of a metric a plugin produces.

    Attributes
    ----------
    name : str
        Identifier, ``^[a-z][a-z0-9_]*$``.
    unit : str
        Unit of the values.
    description : str
        Definition in words (what, between which instants, normalised how).
    per_step : bool
        True when the plugin reports one value per step (foot contact),
        False for one value per trial.
    categories : tuple of (float, str)
        For a categorical metric, its codes and their labels, e.g.
        ``((1, "rearfoot"), (2, "midfoot"), (3, "forefoot"))``: exports show
        the labels, and counts per category instead of mean and SD. Empty
        for a quantity.
    plausible : tuple of (float, float) or None
        Range of values a correct measurement can take (inclusive, in
        ``unit``); exports flag a value outside it as ``warning``.
    label : str
        Short column title in the app's metrics table (the ``name`` when
        empty).
    headline : bool
        One of the trial's main measures: printed by ``gaitlab demo`` without
        a display, listed first in the app's metrics table and summarised in
        the report.
    other_units : tuple of str
        Units a value may also be added in, for a unit that follows a
        parameter (``unit="N"``, ``other_units=("BW",)``, then
        ``add_metric(..., unit="BW")``); each value carries its unit.
    """

    name: str
    unit: str
    description: str = ""
    per_step: bool = True
    categories: tuple[tuple[float, str], ...] = ()
    plausible: tuple[float, float] | None = None
    label: str = ""
    headline: bool = False
    other_units: tuple[str, ...] = ()

    @property
    def display_label(self) -> str:
        """The column title: ``label``, or the metric name."""
        return self.label or self.name


@dataclass(frozen=True)
class Series:
    """A sampled signal a plugin produced.

    Attributes
    ----------
    values : ndarray, shape (n_samples, ...)
        Time-first values; NaN where undefined.
    rate_hz : float
        Sampling rate in Hz.
    t0_s : float
        Time of the first sample in seconds (trial clock).
    unit : str
        Unit of the values.
    description : str
        Definition in words.
    """

    values: FloatArray
    rate_hz: float
    t0_s: float = 0.0
    unit: str = ""
    description: str = ""

    @property
    def time(self) -> FloatArray:
        """Time of each sample in seconds, shape (n_samples,)."""
        return self.t0_s + np.arange(len(self.values)) / self.rate_hz

    def at(self, times: npt.ArrayLike) -> FloatArray:
        """Return the values at other times, by linear interpolation.

        For reading another plugin's series on the marker frames
        (``series.at(trial.marker_time)``) or at events. NaN outside the
        series and next to its NaN samples.

        Parameters
        ----------
        times : array_like, shape (m,)
            Times in s (trial clock).

        Returns
        -------
        values : ndarray, shape (m, ...)
            The series' values at ``times``.

        Examples
        --------
        >>> Series(np.array([0.0, 10.0, 20.0]), rate_hz=10.0).at([0.05, 0.15, 0.3])
        array([ 5., 15., nan])
        """
        times = np.asarray(times, dtype=float)
        values = np.asarray(self.values, dtype=float)
        flat = values.reshape(len(values), -1)
        position = (times - self.t0_s) * self.rate_hz
        below = np.clip(np.floor(position).astype(int), 0, max(len(values) - 2, 0))
        fraction = (position - below)[:, None]
        if len(values) < 2:
            out = np.full((len(times), flat.shape[1]), np.nan)
            if len(values) == 1:
                out[np.isclose(position, 0.0)] = flat[0]
        else:
            out = flat[below] * (1.0 - fraction) + flat[below + 1] * fraction
            outside = (position < -1e-9) | (position > len(values) - 1 + 1e-9)
            out[outside] = np.nan
        return out.reshape((len(times), *values.shape[1:]))


@dataclass(frozen=True)
class Metric:
    """One value of a metric.

    Attributes
    ----------
    name : str
        The declared metric name.
    value : float
        The value (NaN when it could not be computed; ``message`` says why).
    unit : str
        Unit; filled from the declaration by the runner.
    side : str
        ``"Left"``, ``"Right"`` or ``""`` (trial-level or both sides).
    step : int or None
        1-based step (foot contact) number within the trial, in time order
        across both feet; None for a trial-level value.
    time_s : float or None
        When: the initial contact of the step, or None.
    status : str
        One of ``ok``, ``warning``, ``unclean``, ``invalid``.
    message : str
        Why the status is not ``ok``.
    """

    name: str
    value: float
    unit: str = ""
    side: str = ""
    step: int | None = None
    time_s: float | None = None
    status: str = "ok"
    message: str = ""


@dataclass(frozen=True)
class Provenance:
    """Where a stored result came from (filled by the runner, never by a plugin).

    Attributes
    ----------
    plugin, plugin_version : str
        Name and version of the plugin.
    plugin_source : str
        ``builtin:<file>@sha256:<hex>``, ``dist:<distribution>==<version>`` or
        ``file:<path>@sha256:<hex>``.
    parameters : dict
        Parameter values used (defaults included).
    inputs_digest : str
        SHA-256 over everything the result depends on: trial data, events,
        subject, static trial, marker mapping, parameters, plugin version and
        source, and the digests of the upstream results.
    upstream : dict
        Digest of each upstream result used, by plugin name.
    gaitlab_version : str
        Version of gaitlab that ran the plugin.
    created_utc : str
        ISO 8601 time of the run.
    duration_s : float
        Time the plugin took, in seconds.
    """

    plugin: str
    plugin_version: str
    plugin_source: str
    parameters: dict[str, Any]
    inputs_digest: str
    upstream: dict[str, str]
    gaitlab_version: str
    created_utc: str
    duration_s: float


@dataclass
class Result:
    """The output of one plugin on one trial.

    A plugin creates an empty ``Result()``, adds what it computed and returns
    it. Units come from the plugin's declaration, so a plugin only passes a
    ``unit`` to assert it.

    ``left_out`` maps each declared metric the plugin did not compute on this
    trial to the reason (see :meth:`leave_out`); the runner adds any declared
    metric left without a value or a reason.

    Examples
    --------
    >>> result = Result()
    >>> result.add_metric("contact_time", 0.2356, step=1, side="Right", time_s=0.05)
    >>> result.metrics[0].value
    0.2356
    """

    status: str = "ok"
    message: str = ""
    series: dict[str, Series] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    provenance: Provenance | None = None
    left_out: dict[str, str] = field(default_factory=dict)

    def add_series(
        self,
        name: str,
        values: npt.ArrayLike,
        *,
        rate_hz: float,
        t0_s: float = 0.0,
        unit: str = "",
    ) -> None:
        """Add a time series (time-first array) sampled at ``rate_hz`` from ``t0_s``."""
        array = np.asarray(values, dtype=float)
        if array.ndim == 0:
            raise ValueError(f"series {name!r} must have a time axis")
        self.series[name] = Series(array, float(rate_hz), float(t0_s), unit)

    def add_metric(
        self,
        name: str,
        value: float,
        *,
        side: str = "",
        step: int | None = None,
        time_s: float | None = None,
        status: str = "ok",
        message: str = "",
        unit: str = "",
    ) -> None:
        """Add one metric value (per step when ``step`` is given).

        A non-finite value is stored as NaN with status ``invalid``; pass a
        ``message`` saying why it could not be computed.
        """
        value = float(value)
        if not math.isfinite(value):
            value = math.nan
            status = "invalid"
            message = message or "could not be computed"
        if status not in METRIC_STATUSES:
            raise ValueError(
                f"metric status must be one of {METRIC_STATUSES}, got {status!r}"
            )
        if side not in ("", *SIDES):
            raise ValueError(f"side must be 'Left', 'Right' or '', got {side!r}")
        self.metrics.append(
            Metric(
                name,
                value,
                unit,
                side,
                None if step is None else int(step),
                None if time_s is None else float(time_s),
                status,
                message,
            )
        )

    def add_event(
        self, time_s: float, label: str, context: str = "General", origin: str = ""
    ) -> None:
        """Add an event (``origin`` defaults to ``plugin:<name>`` when stored)."""
        self.events.append(Event(float(time_s), label, context, origin))

    def note(self, text: str) -> None:
        """Record a remark for the researcher (approximation used, data issue ...)."""
        self.notes.append(text)

    def leave_out(self, names: str | Iterable[str], reason: str) -> None:
        """Say that declared metrics were not computed on this trial, and why.

        Use it instead of a free-text note whenever a declared metric gets no
        value at all (missing landmarks, no force plates, no body mass ...).
        The runner then gives the result status ``partial``, and ``gaitlab
        run``, the app and the export's provenance list the metrics with the
        reason. A metric that gets values later in the same run is taken off
        the list (so a plugin may leave a group out first and fill part of it).

        Parameters
        ----------
        names : str or iterable of str
            Declared metric names.
        reason : str
            Why, in words for the researcher, e.g. ``"needs the trunk line:
            missing landmarks l_shoulder, r_shoulder, c7"``.
        """
        if not reason or not isinstance(reason, str):
            raise ValueError("leave_out needs a reason (non-empty text)")
        for name in [names] if isinstance(names, str) else names:
            self.left_out[str(name)] = reason

    def metric_values(
        self,
        name: str,
        *,
        side: str | None = None,
        statuses: Iterable[str] | None = None,
    ) -> FloatArray:
        """Return the values of one metric in step order (NaN kept).

        Parameters
        ----------
        name : str
            The metric.
        side : str or None
            Only this side (``"Left"``, ``"Right"``).
        statuses : iterable of str or None
            Only values with these statuses, e.g. ``("ok", "warning")`` for
            the values computed on clean contacts (None: all).

        Examples
        --------
        >>> result = Result()
        >>> result.add_metric("contact_time", 0.25, step=1, side="Left")
        >>> result.add_metric("contact_time", 0.31, step=2, side="Right", status="unclean")
        >>> result.metric_values("contact_time", statuses=("ok",))
        array([0.25])
        """
        return np.array(
            [m.value for m in self.metric_rows(name, side=side, statuses=statuses)],
            dtype=float,
        )

    def metric_rows(
        self,
        name: str,
        *,
        side: str | None = None,
        statuses: Iterable[str] | None = None,
    ) -> list[Metric]:
        """Return one metric's values with their step, side, time, unit and status.

        The per-metric table a downstream plugin reads (same filters as
        :meth:`metric_values`), in step order.

        Examples
        --------
        >>> result = Result()
        >>> result.add_metric("contact_time", 0.25, step=1, side="Left", unit="s")
        >>> [(m.step, m.side, m.value, m.unit, m.status)
        ...  for m in result.metric_rows("contact_time")]
        [(1, 'Left', 0.25, 's', 'ok')]
        """
        wanted = None if statuses is None else set(statuses)
        return [
            m
            for m in self.metrics
            if m.name == name
            and (side is None or m.side == side)
            and (wanted is None or m.status in wanted)
        ]


def left_out_by_reason(left_out: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Metrics left out, grouped by reason: ``[(reason, [names...]), ...]``.

    Reasons and names keep their first-seen order (the declaration order when
    the dict comes from the runner).
    """
    groups: dict[str, list[str]] = {}
    for name, reason in left_out.items():
        groups.setdefault(reason, []).append(name)
    return list(groups.items())


def compact_names(names: Iterable[str]) -> str:
    """Write metric names in a short form: a name and its ``_<suffix>`` variants.

    The variants ``<name>_<suffix>`` go in braces after the name.

    Examples
    --------
    >>> compact_names(["trunk_lean", "trunk_lean_ic", "trunk_lean_to", "static_x"])
    'trunk_lean{,_ic,_to}, static_x'
    """
    names = list(dict.fromkeys(names))
    bases = set(names)
    families: dict[str, list[str]] = {}
    for name in names:
        base = next(
            (
                name[:i]
                for i in range(len(name))
                if name[i] == "_" and name[:i] in bases
            ),
            name,
        )
        families.setdefault(base, []).append(name)
    parts = []
    for base, members in families.items():
        if len(members) == 1:
            parts.append(members[0])
        else:
            parts.append(base + "{" + ",".join(m[len(base) :] for m in members) + "}")
    return ", ".join(parts)
