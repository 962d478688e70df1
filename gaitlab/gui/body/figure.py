"""The body figure at one instant: points, lines and angles at the cursor (no Qt).

:func:`figure_at` samples a :class:`~gaitlab.gui.body.prepared.PreparedBody`
at a time: the body points of the nearest marker frame, the COM, COP and GRF
nearest samples, the declared lines (sided joints of the stance leg: the leg
of the latest initial contact) and the declared angles, from their stored
result, else (an angle of a single line) computed from the drawn points with
:func:`gaitlab.core.geometry.sagittal_angle_deg`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gaitlab.core.contacts import Contact
from gaitlab.core.geometry import sagittal_angle_deg
from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.core.types import SIDE_PREFIX, FloatArray
from gaitlab.gui.body.declared import (
    EXTENSION,
    SIDED_POINTS,
    DeclaredAngle,
    DeclaredLine,
)
from gaitlab.gui.body.prepared import (
    FOOT_ON_FLOOR_M,
    GRF_LINE,
    GRF_SCALE_M_PER_BW,
    GRF_SCALE_M_PER_KN,
    NOT_AVAILABLE,
    PreparedBody,
)

__all__ = [
    "Figure",
    "Stances",
    "base_of_support",
    "figure_at",
    "finite",
    "grf_scale",
    "stance_side",
    "standing_side",
]


def stance_side(contacts: Sequence[Contact], time_s: float) -> str:
    """Side of the latest initial contact whose stance includes ``time_s`` ("" in flight).

    The leading leg in double support.

    Examples
    --------
    >>> contacts = [Contact(1, "Right", 0.0, 0.3), Contact(2, "Left", 0.25, 0.6)]
    >>> stance_side(contacts, 0.27), stance_side(contacts, 0.1), stance_side(contacts, 0.7)
    ('Left', 'Right', '')
    """
    return Stances(contacts).side_at(time_s)


class Stances:
    """Stance phases sorted by initial contact, for fast lookups at a time."""

    def __init__(self, contacts: Sequence[Contact], standing_side: str = "") -> None:
        """Index the contacts; ``standing_side`` is the stance side of a trial
        without contacts (e.g. the support foot of a drill standing on both feet,
        :func:`standing_side`), "" for none."""
        self.standing_side = "" if contacts else standing_side
        self.contacts = sorted(contacts, key=lambda c: c.ic_s)
        self.starts = np.array([c.ic_s for c in self.contacts], dtype=float)
        durations = [c.to_s - c.ic_s for c in self.contacts]
        self.longest = max(durations, default=0.0)

    def side_at(self, time_s: float) -> str:
        """See :func:`stance_side`."""
        i = int(np.searchsorted(self.starts, time_s, side="right")) - 1
        while i >= 0 and self.starts[i] >= time_s - self.longest:
            contact = self.contacts[i]
            if contact.ic_s <= time_s <= contact.to_s:
                return contact.side
            i -= 1
        return self.standing_side


def standing_side(
    results: Mapping[str, Result], angles: Sequence[DeclaredAngle]
) -> str:
    """The support side of a trial without contacts: the one side ("Left" or
    "Right") of the usable metrics named as a declared angle on stance-side
    joints (e.g. the drill's ``drill_leg_line``, measured on its support
    foot), "" when none or both."""
    sided = {
        (angle.plugin, angle.spec.name)
        for angle in angles
        if any(point in SIDED_POINTS for line in angle.spec.lines for point in line)
    }
    sides = {
        metric.side
        for plugin, result in results.items()
        if result.status in USABLE_STATUSES
        for metric in result.metrics
        if (plugin, metric.name) in sided and metric.side in ("Left", "Right")
    }
    return sides.pop() if len(sides) == 1 else ""


@dataclass(frozen=True)
class Figure:
    """Sagittal points, lines and values at one instant (m, N, deg).

    Attributes
    ----------
    time_s : float
        The instant, s.
    frame : int
        The marker frame drawn.
    side : str
        Stance side ("" in flight).
    points : dict of str to ndarray, shape (2,)
        Body points.
    com, cop, force : ndarray, shape (2,)
        COM and COP (m) and GRF (N); NaN when undefined.
    angles : dict of str to (float, str)
        Every declared angle by key: value in deg (NaN when undefined) and
        source (:meth:`PreparedBody.angle_source`).
    lines : dict of str to (ndarray, ndarray)
        The lines drawn, key → (lower point, upper point as drawn), only those
        defined at this instant (stance-leg lines are absent in flight); the
        GRF is ``"grf"``: (COP, arrow tip).
    rebuilt : frozenset of str
        Points computed from landmarks rebuilt from the static trial.
    base : (float, float, float) or None
        The base of support: the AP extent (back, front) of the feet on the
        floor, heel to toe tip, and the height to draw it at, m; None with no
        foot on it.
    """

    time_s: float
    frame: int
    side: str
    points: dict[str, FloatArray]
    com: FloatArray
    cop: FloatArray
    force: FloatArray
    angles: dict[str, tuple[float, str]]
    lines: dict[str, tuple[FloatArray, FloatArray]]
    rebuilt: frozenset[str] = frozenset()
    base: tuple[float, float, float] | None = None

    @property
    def com_over_base(self) -> bool | None:
        """Whether the COM is above the base of support (None: either unknown)."""
        if self.base is None or not finite(self.com):
            return None
        return self.base[0] <= float(self.com[0]) <= self.base[1]


def base_of_support(
    points: Mapping[str, FloatArray], rest: Mapping[str, float]
) -> tuple[float, float, float] | None:
    """The base of support at one instant (see :attr:`Figure.base`): the AP
    extent, heel to toe tip, of the feet whose heel or toe tip is within
    ``FOOT_ON_FLOOR_M`` of its height on the floor (``rest``), drawn at the
    lowest of those heights."""
    xs: list[float] = []
    heights: list[float] = []
    for prefix in SIDE_PREFIX.values():
        ends = {
            name: end
            for name in (f"{prefix}_heel", f"{prefix}_ttip")
            if (end := points.get(name)) is not None and finite(end) and name in rest
        }
        if any(float(end[1]) <= rest[n] + FOOT_ON_FLOOR_M for n, end in ends.items()):
            xs += [float(end[0]) for end in ends.values()]
            heights += [rest[n] for n in ends]
    if not xs:
        return None
    return min(xs), max(xs), min(heights)


def finite(*points: FloatArray | None) -> bool:
    """True when every point is given and finite."""
    return all(p is not None and bool(np.all(np.isfinite(p))) for p in points)


def grf_scale(prepared: PreparedBody) -> float:
    """Metres of drawn GRF vector per newton (1 BW = 0.5 m, else 1 kN = 0.5 m)."""
    if prepared.body_weight_n is not None:
        return GRF_SCALE_M_PER_BW / prepared.body_weight_n
    return GRF_SCALE_M_PER_KN / 1000.0


def _angle(lower: FloatArray | None, upper: FloatArray | None) -> float:
    """θ(lower→upper) from the vertical in deg, + forward (NaN when a point is missing)."""
    if lower is None or upper is None:
        return float("nan")
    return float(sagittal_angle_deg(lower, upper, [0.0, 1.0], [1.0, 0.0]))


def _sample(
    values: FloatArray | None, t0_s: float, rate_hz: float, time_s: float
) -> FloatArray:
    """The nearest sample of a sagittal (n, 2) series to a time (NaN outside it)."""
    index = sample_index(values, t0_s, rate_hz, time_s)
    return values[index] if index is not None else np.full(2, np.nan)  # type: ignore[index]


def sample_index(
    values: FloatArray | None, t0_s: float, rate_hz: float, time_s: float
) -> int | None:
    """Index of the sample nearest to a time, None beyond one sample off the ends.

    (The session's time range ends one sample period after the last sample.)

    Examples
    --------
    >>> values = np.zeros(10)
    >>> sample_index(values, 0.0, 100.0, 0.034), sample_index(values, 0.0, 100.0, 0.2)
    (3, None)
    """
    if values is None or rate_hz <= 0 or not len(values):
        return None
    index = round((time_s - t0_s) * rate_hz)
    return min(max(index, 0), len(values) - 1) if -1 <= index <= len(values) else None


def figure_at(prepared: PreparedBody, stances: Stances, time_s: float) -> Figure:
    """The figure at a time: nearest marker frame, COM and GRF samples, the lines
    defined then and every declared angle with its source."""
    index = prepared.frame_index(time_s)
    points = {name: values[index] for name, values in prepared.points.items()}
    side = stances.side_at(time_s)
    prefix = SIDE_PREFIX.get(side)
    com = _sample(prepared.com, prepared.com_t0_s, prepared.com_rate_hz, time_s)
    cop = _sample(prepared.grf_cop, prepared.grf_t0_s, prepared.grf_rate_hz, time_s)
    force = _sample(prepared.grf_force, prepared.grf_t0_s, prepared.grf_rate_hz, time_s)
    ends = {**points, "com": com, "cop": cop}

    def point(name: str) -> FloatArray | None:
        if name in SIDED_POINTS:
            name = f"{prefix}_{name}" if prefix else ""
        value = ends.get(name)
        return value if finite(value) else None

    angles = {}
    for angle in prepared.angles:
        source = prepared.angle_source(angle)
        series = prepared.angle_series.get(angle.key)
        if series is not None:
            values, t0, rate = series
            at = sample_index(values, t0, rate, time_s)
            value = float(values[at]) if at is not None else float("nan")
        elif source == NOT_AVAILABLE:
            value = float("nan")
        else:
            ((lower, upper),) = angle.spec.lines
            value = _angle(point(lower), point(upper))
        angles[angle.key] = (value, source)
    lines = {}
    for line in prepared.figure_lines:
        drawn = _drawn(line, point(line.lower), point(line.upper))
        if drawn is not None:
            lines[line.key] = drawn
    if finite(cop, force):
        lines[GRF_LINE] = (cop, cop + force * grf_scale(prepared))
    return Figure(
        time_s,
        index,
        side,
        points,
        com,
        cop,
        force,
        angles,
        lines,
        prepared.rebuilt,
        base_of_support(points, prepared.foot_rest_m),
    )


def _drawn(
    line: DeclaredLine, lower: FloatArray | None, upper: FloatArray | None
) -> tuple[FloatArray, FloatArray] | None:
    """The ends of a line as drawn (longer along a segment), None when undefined."""
    if lower is None or upper is None:
        return None
    if line.along_segment:
        return lower, lower + EXTENSION * (upper - lower)
    return lower, upper
