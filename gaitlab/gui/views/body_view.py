"""The body at the time cursor: a sagittal stick figure with the lean analysis's lines.

:class:`BodyView` draws, at the session's cursor time, the joint centres of
gaitlab's body model (:attr:`TrialView.body <gaitlab.pipeline.view.TrialView.body>`)
projected on the trial's sagittal plane (horizontal axis: progression,
vertical axis: up, metres, equal aspect), and over it the lines the lean
analysis measures (METHODS §4.1), each labelled with its angle from the
vertical (positive forward):

- trunk line MIDH → MIDS;
- leg line, stance AJC → HJC (the leg of the latest initial contact);
- ankle → COM, stance AJC → centre of mass;
- COP → COM, when a foot is loaded;
- the ground reaction force as an arrow at the COP, scaled 1 body weight =
  0.5 m (1 kN = 0.5 m when the body mass is unknown).

The angles are the ``lean`` result's series at the cursor (nearest marker
frame) when that result exists; otherwise they are computed on the fly from
the drawn points with :func:`gaitlab.core.geometry.sagittal_angle_deg`, and
the caption says which. The COM is the ``center_of_mass`` result's ``com``
series, else gaitlab's best segmental model of the markers.

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
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.core.body import best_com
from gaitlab.core.contacts import Contact
from gaitlab.core.geometry import GRAVITY, sagittal_angle_deg
from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.gui import theme
from gaitlab.gui.tasks import adopt_plot_menus, connect_while_alive
from gaitlab.gui.views.signal_plots import (
    SagittalFrame,
    TimeReadout,
    project,
    sagittal_frame,
)
from gaitlab.session import LoadedTrial, Session

__all__ = [
    "ANGLES",
    "GRF_SCALE_M_PER_BW",
    "GRF_SCALE_M_PER_KN",
    "PLAY_SPEEDS",
    "BodyView",
    "PreparedBody",
    "body_caption",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

GRF_SCALE_M_PER_BW = 0.5
"""Length of the drawn GRF vector per body weight, in m."""

GRF_SCALE_M_PER_KN = 0.5
"""Length of the drawn GRF vector per kN when the body mass is unknown, in m."""

PLAY_SPEEDS = (("Real time", 1.0), ("1/2", 0.5), ("1/4", 0.25), ("1/10", 0.1))
"""Playback speeds offered (label, factor of real time)."""

PLAY_INTERVAL_MS = 16
MIN_VIEW_WIDTH_PX, MIN_VIEW_HEIGHT_PX = 480, 360

ANGLES = (
    ("trunk_lean", "Trunk  MIDH→MIDS"),
    ("whole_body_lean", "Whole body  COP→COM"),
    ("whole_body_lean_ankle", "Whole body  ankle→COM"),
    ("leg_line", "Leg line  AJC→HJC"),
    ("bend_index", "Bend index  trunk − leg"),
    ("body_line", "Body line  AJC→MIDS"),
)
"""Angles listed at the cursor: ``lean`` series name and description."""

BODY_POINTS = (
    "midh",
    "mids",
    "cerv",
    "supr",
    "head_com",
    "pelvis_centroid",
    "l_hjc",
    "r_hjc",
    "l_kjc",
    "r_kjc",
    "l_ajc",
    "r_ajc",
    "l_heel",
    "r_heel",
    "l_ttip",
    "r_ttip",
    "l_sjc",
    "r_sjc",
    "l_ejc",
    "r_ejc",
    "l_wjc",
    "r_wjc",
    "l_met3",
    "r_met3",
)
"""Body points drawn (those the trial allows)."""

CENTRE_SEGMENTS = (
    ("l_hjc", "r_hjc"),
    ("midh", "mids"),
    ("l_sjc", "r_sjc"),
    ("mids", "cerv"),
)
SIDE_SEGMENTS = (
    ("hjc", "kjc"),
    ("kjc", "ajc"),
    ("ajc", "heel"),
    ("heel", "ttip"),
    ("ajc", "ttip"),
    ("sjc", "ejc"),
    ("ejc", "wjc"),
    ("wjc", "met3"),
)
JOINTS = ("hjc", "kjc", "ajc", "sjc", "ejc", "wjc")
LINE_STYLES = {
    "trunk": QtCore.Qt.PenStyle.DashLine,
    "leg": QtCore.Qt.PenStyle.DashLine,
    "ankle_com": QtCore.Qt.PenStyle.DotLine,
    "cop_com": QtCore.Qt.PenStyle.DashDotLine,
    "grf": QtCore.Qt.PenStyle.SolidLine,
}
"""Pen style of each analysis line of the figure (and of its legend sample)."""
LINE_LEGEND = (
    ("trunk", "trunk MIDH→MIDS"),
    ("leg", "leg AJC→HJC"),
    ("ankle_com", "ankle→COM"),
    ("cop_com", "COP→COM"),
    ("grf", "GRF at COP"),
)
"""Analysis lines of the figure and their legend names, in legend order."""
ANGLE_NAMES = {
    "trunk_lean": "trunk",
    "whole_body_lean": "COP→COM",
    "whole_body_lean_ankle": "ankle→COM",
    "leg_line": "leg line",
    "bend_index": "bend index",
    "body_line": "body line",
}
"""Short names of the angles of :data:`ANGLES`, for the caption."""
ANGLE_LINES = {
    "trunk_lean": ("trunk",),
    "whole_body_lean": ("cop_com",),
    "whole_body_lean_ankle": ("ankle_com",),
    "leg_line": ("leg",),
    "bend_index": ("trunk", "leg"),
    "body_line": ("leg", "trunk"),
}
"""The figure lines whose points an angle needs (computed without a lean result)."""
BODY_PARTS = (
    ("pelvis", ("midh", "pelvis_centroid")),
    ("hips", ("l_hjc", "r_hjc")),
    ("knees", ("l_kjc", "r_kjc")),
    ("ankles", ("l_ajc", "r_ajc")),
    ("feet", ("l_heel", "r_heel", "l_ttip", "r_ttip")),
    ("trunk", ("mids", "cerv", "supr")),
    ("head", ("head_com",)),
    ("arms", ("l_sjc", "r_sjc", "l_ejc", "r_ejc", "l_wjc", "r_wjc")),
)
"""Body parts named in the caption when none of their points can be drawn."""
HEAD_RADIUS_M = 0.10
LABEL_REACH_PX = 190
SIDE_PREFIX = {"Left": "l", "Right": "r"}
REBUILT_COLOUR = "#D6007E"
"""Outline of the points built from landmarks rebuilt from the static trial."""
REBUILT_LEGEND = "rebuilt from the static trial"
POINT_LANDMARKS = {
    "hjc": ("{s}_hip_jc", "l_asis", "r_asis", "l_psis", "r_psis", "sacrum"),
    "kjc": ("{s}_knee", "{s}_knee_medial", "{s}_knee_jc"),
    "ajc": ("{s}_ankle", "{s}_ankle_medial", "{s}_ankle_jc"),
    "heel": ("{s}_heel",),
    "ttip": ("{s}_heel", "{s}_toe", "{s}_mt1", "{s}_mt5"),
    "sjc": ("{s}_shoulder",),
    "ejc": ("{s}_elbow", "{s}_elbow_medial"),
    "wjc": ("{s}_wrist_radial", "{s}_wrist_ulnar"),
    "met3": ("{s}_hand",),
    "midh": ("l_hip_jc", "r_hip_jc", "l_asis", "r_asis", "l_psis", "r_psis"),
    "pelvis_centroid": ("l_asis", "r_asis", "l_psis", "r_psis", "sacrum"),
    "mids": ("l_shoulder", "r_shoulder"),
    "cerv": ("c7",),
    "supr": ("clavicle",),
    "head_com": ("l_head_front", "r_head_front", "l_head_back", "r_head_back"),
}
"""Canonical landmarks each body point is computed from (``{s}``: its side), in
the rules of :mod:`gaitlab.core.body`: a point is drawn as rebuilt when one of
them was rebuilt from the static trial."""


# ---------------------------------------------------------------- prepared data


@dataclass(frozen=True)
class PreparedBody:
    """Everything :class:`BodyView` draws for one trial (numpy only, no Qt).

    Sagittal coordinates are (AP along the progression, vertical), in m, lab
    origin.

    Attributes
    ----------
    trial_id : str
        The trial.
    t0_s, rate_hz : float
        Marker clock: first frame time in s and rate in Hz.
    n_frames : int
        Marker frames.
    points : dict of str to ndarray, shape (n_frames, 2)
        Sagittal coordinates of the body points the trial allows.
    markers : ndarray, shape (n_frames, n_markers, 3)
        Marker positions in the lab frame (the trial's array, not a copy), m.
    display_axes : ndarray, shape (3, 3)
        Columns: AP, left and up unit vectors; ``markers @ display_axes`` gives
        the 3D view's coordinates.
    com : ndarray, shape (n, 2) or None
        Sagittal COM at ``com_t0_s``/``com_rate_hz``.
    com_t0_s, com_rate_hz : float
        Clock of ``com``.
    com_source : str
        Where the COM comes from, in words.
    grf_force, grf_cop : ndarray, shape (n_samples, 2) or None
        Summed GRF (AP, vertical) in N and combined COP (sagittal) in m.
    grf_t0_s, grf_rate_hz : float
        Analog clock of the GRF.
    body_weight_n : float or None
        Body weight m·g in N for the GRF scale (None: unknown).
    ground_m : float
        Height of the ground (force plate surface, else 0) along up, m.
    plates : tuple of (float, float)
        AP extent of each force plate, m.
    lean : dict of str to (ndarray, float, float)
        ``lean`` result series at the cursor: values (deg), t0 (s), rate (Hz).
    notes : tuple of str
        What is missing and why, and what was rebuilt from the static trial
        and how well (or why not), in words (the figure's tooltip).
    lines : dict of str to str
        Every analysis line of :data:`LINE_LEGEND`: "" when the trial has what
        it needs (it is drawn whenever defined), else why it is never drawn.
    missing_parts : tuple of str
        Body parts of :data:`BODY_PARTS` the marker set does not give.
    rebuilt : frozenset of str
        Body points computed from a landmark rebuilt from the static trial
        (see :data:`POINT_LANDMARKS`).
    rebuilt_labels : tuple of str
        The rebuilt landmarks (canonical names) shown in the 3D view.
    rebuilt_markers : ndarray, shape (n_frames, len(rebuilt_labels), 3)
        Their positions in the lab frame, m (NaN where not rebuilt).
    static_note : str
        What was rebuilt from which static trial, or why nothing was ("" when
        the trial has no static trial and needs none).
    """

    trial_id: str
    t0_s: float
    rate_hz: float
    n_frames: int
    points: Mapping[str, FloatArray]
    markers: FloatArray
    display_axes: FloatArray
    com: FloatArray | None
    com_t0_s: float
    com_rate_hz: float
    com_source: str
    grf_force: FloatArray | None
    grf_cop: FloatArray | None
    grf_t0_s: float
    grf_rate_hz: float
    body_weight_n: float | None
    ground_m: float
    plates: tuple[tuple[float, float], ...]
    lean: Mapping[str, tuple[FloatArray, float, float]]
    notes: tuple[str, ...]
    lines: Mapping[str, str]
    missing_parts: tuple[str, ...]
    rebuilt: frozenset[str] = frozenset()
    rebuilt_labels: tuple[str, ...] = ()
    rebuilt_markers: FloatArray | None = None
    static_note: str = ""

    @property
    def drawable(self) -> tuple[str, ...]:
        """The analysis lines the trial allows, in legend order."""
        return tuple(key for key, _name in LINE_LEGEND if not self.lines[key])

    def angle_source(self, name: str) -> str:
        """Where an angle of :data:`ANGLES` comes from: ``lean result``,
        ``computed from the markers``, or ``not available``."""
        if name in self.lean:
            return "lean result"
        if all(not self.lines[key] for key in ANGLE_LINES[name]):
            return "computed from the markers"
        return "not available"

    def frame_index(self, time_s: float) -> int:
        """The marker frame nearest to a time (clamped to the trial)."""
        if self.n_frames == 0 or self.rate_hz <= 0:
            return 0
        return min(
            max(round((time_s - self.t0_s) * self.rate_hz), 0), self.n_frames - 1
        )


def _sagittal(frame: SagittalFrame, points: npt.ArrayLike) -> FloatArray:
    """(AP, vertical) coordinates of lab points, shape (..., 2), m."""
    values = np.asarray(points, dtype=float)
    return np.stack(
        [project(values, frame.forward), project(values, frame.up)], axis=-1
    )


def _ok(results: Mapping[str, Result], plugin: str) -> Result | None:
    result = results.get(plugin)
    return result if result is not None and result.status in USABLE_STATUSES else None


def _body_weight_n(loaded: LoadedTrial) -> float | None:
    result = _ok(loaded.results, "body_mass")
    if result is not None:
        values = result.metric_values("body_mass")
        if values.size and np.isfinite(values[0]) and values[0] > 0:
            return float(values[0]) * GRAVITY
    subject = loaded.trial.subject
    if subject is not None and subject.mass_kg:
        return float(subject.mass_kg) * GRAVITY
    return None


def _lean_series(loaded: LoadedTrial) -> dict[str, tuple[FloatArray, float, float]]:
    result = _ok(loaded.results, "lean")
    if result is None:
        return {}
    return {
        name: (np.asarray(series.values, dtype=float), series.t0_s, series.rate_hz)
        for name, series in result.series.items()
        if np.ndim(series.values) == 1
    }


def _com(
    loaded: LoadedTrial, frame: SagittalFrame
) -> tuple[FloatArray | None, float, float, str]:
    result = _ok(loaded.results, "center_of_mass")
    if result is not None and "com" in result.series:
        series = result.series["com"]
        return (
            _sagittal(frame, series.values),
            series.t0_s,
            series.rate_hz,
            ("center_of_mass result (com)"),
        )
    markers = loaded.trial.markers
    subject = loaded.trial.subject
    try:
        estimate = best_com(
            frame.view.body, subject.sex if subject is not None else None
        )
    except ValueError as error:
        return None, markers.t0_s, markers.rate_hz, f"no COM: {error}"
    return (
        _sagittal(frame, estimate.com),
        markers.t0_s,
        markers.rate_hz,
        (f"computed here: {estimate.model} model (center_of_mass not run)"),
    )


def _prepare(loaded: LoadedTrial) -> PreparedBody:
    frame = sagittal_frame(loaded)
    trial = loaded.trial
    markers = trial.markers
    body = frame.view.body
    points = {}
    for name in BODY_POINTS:
        value = getattr(body, name, None)
        if value is not None:
            points[name] = _sagittal(frame, value)
    display_axes = np.stack([frame.forward, -frame.right, frame.up], axis=1)
    com, com_t0, com_rate, com_source = _com(loaded, frame)
    grf = frame.view.grf
    plates = tuple(p for p in trial.forceplates if p.n_samples > 0)
    extents = []
    for plate in plates:
        ap = plate.corners @ frame.forward
        extents.append((float(ap.min()), float(ap.max())))
    ground = float(np.mean([p.corners @ frame.up for p in plates])) if plates else 0.0
    reconstruction = frame.view.reconstruction
    notes = [
        f"COM: {com_source}",
        *(f"{k}: {', '.join(v)}" for k, v in body.missing.items()),
        *(
            f"static trial: {line}"
            for line in (reconstruction.notes() if reconstruction is not None else [])
        ),
    ]
    lines = _line_availability(points, com is not None, grf is not None)
    missing_parts = tuple(
        part for part, names in BODY_PARTS if not any(name in points for name in names)
    )
    view = frame.view
    rebuilt_labels = tuple(sorted(body.reconstructed))
    rebuilt_markers = (
        np.stack([view.landmark(name) for name in rebuilt_labels], axis=1)
        if rebuilt_labels
        else None
    )
    rebuilt = _rebuilt_points(body.reconstructed, points)
    return PreparedBody(
        trial_id=loaded.trial_id,
        t0_s=float(markers.t0_s),
        rate_hz=float(markers.rate_hz),
        n_frames=markers.n_frames,
        points=points,
        markers=markers.data,
        display_axes=display_axes,
        com=com,
        com_t0_s=float(com_t0),
        com_rate_hz=float(com_rate),
        com_source=com_source,
        grf_force=_sagittal(frame, grf.force) if grf is not None else None,
        grf_cop=_sagittal(frame, grf.cop) if grf is not None else None,
        grf_t0_s=float(grf.t0_s) if grf is not None else 0.0,
        grf_rate_hz=float(grf.rate_hz) if grf is not None else 0.0,
        body_weight_n=_body_weight_n(loaded),
        ground_m=ground,
        plates=tuple(extents),
        lean=_lean_series(loaded),
        notes=tuple(notes),
        lines=lines,
        missing_parts=missing_parts,
        rebuilt=rebuilt,
        rebuilt_labels=rebuilt_labels,
        rebuilt_markers=rebuilt_markers,
        static_note=_static_note(loaded, frame, rebuilt),
    )


def _rebuilt_points(
    reconstructed: frozenset[str], points: Mapping[str, FloatArray]
) -> frozenset[str]:
    """The drawn body points computed from a rebuilt landmark (:data:`POINT_LANDMARKS`)."""
    rebuilt = set()
    for name in points:
        side, _, base = name.partition("_")
        if side not in ("l", "r") or base not in POINT_LANDMARKS:
            side, base = "", name
        sources = POINT_LANDMARKS.get(base, ())
        if any(source.format(s=side) in reconstructed for source in sources):
            rebuilt.add(name)
    return frozenset(rebuilt)


def _static_note(
    loaded: LoadedTrial, frame: SagittalFrame, rebuilt: frozenset[str]
) -> str:
    """The caption's sentence on the static trial: what was rebuilt, or why not."""
    if loaded.static_problem:
        return f"Nothing rebuilt from the static trial: {loaded.static_problem}."
    reconstruction = frame.view.reconstruction
    if reconstruction is None:
        return ""
    label = reconstruction.static_label
    if reconstruction.refused:
        return f"Nothing rebuilt from the static trial: {reconstruction.refused}."
    parts = [
        part for part, names in BODY_PARTS if any(name in rebuilt for name in names)
    ]
    problems = "; ".join(f"{k}: {v}" for k, v in reconstruction.problems.items())
    if not parts:  # not a cluster protocol: the tooltip has the details
        return ""
    text = (
        f"{', '.join(parts).capitalize()} rebuilt from the static trial {label} "
        "(cluster markers): hollow diamonds, magenta points in 3D"
    )
    return f"{text}; not rebuilt: {problems}." if problems else f"{text}."


def _line_availability(
    points: Mapping[str, FloatArray], has_com: bool, has_grf: bool
) -> dict[str, str]:
    """Per analysis line: "" when the trial has its points, else why it is not drawn."""

    def sided(*joints: str) -> bool:
        return any(all(f"{s}_{j}" in points for j in joints) for s in ("l", "r"))

    no_com = "no centre of mass"
    no_plates = "no force plates"
    return {
        "trunk": (
            ""
            if "midh" in points and "mids" in points
            else "no shoulder markers"
            if "midh" in points
            else "no pelvis markers"
        ),
        "leg": "" if sided("ajc", "hjc") else "no ankle and hip joint centres",
        "ankle_com": (
            "no ankle joint centres" if not sided("ajc") else "" if has_com else no_com
        ),
        "cop_com": no_plates if not has_grf else "" if has_com else no_com,
        "grf": "" if has_grf else no_plates,
    }


def body_caption(prepared: PreparedBody) -> str:
    """The text under the body view: where the angles and the COM come from, and
    what the trial's markers do not allow to draw."""
    by_source: dict[str, list[str]] = {}
    for name, _label in ANGLES:
        by_source.setdefault(prepared.angle_source(name), []).append(ANGLE_NAMES[name])
    computed = "computed from the markers" + (
        "" if prepared.lean else " (no lean result)"
    )
    wording = {
        "lean result": "from the lean result",
        "computed from the markers": computed,
        "not available": "not available",
    }
    heading = "Angles from the vertical, + forward"
    if len(by_source) == 1:
        (source,) = by_source
        sentences = [f"{heading}, {wording[source]}."]
    else:
        groups = [
            f"{', '.join(by_source[source])} {wording[source]}"
            for source in wording
            if source in by_source
        ]
        sentences = [f"{heading}: {'; '.join(groups)}."]
    sentences.append(f"COM: {prepared.com_source}.")
    reasons: dict[str, list[str]] = {}
    for key, name in LINE_LEGEND:
        if prepared.lines[key]:
            reasons.setdefault(prepared.lines[key], []).append(name.split(" ")[0])
    if reasons:
        sentences.append(
            "Not drawn: "
            + "; ".join(f"{', '.join(names)} ({why})" for why, names in reasons.items())
            + "."
        )
    if prepared.static_note:
        sentences.append(prepared.static_note)
    if prepared.missing_parts and prepared.points:
        sentences.append(
            f"Not in this marker set: {', '.join(prepared.missing_parts)}."
        )
    return " ".join(sentences)


def _sample(
    values: FloatArray | None, t0_s: float, rate_hz: float, time_s: float
) -> FloatArray:
    """The nearest sample of a sagittal (n, 2) series to a time (NaN outside it)."""
    index = _sample_index(values, t0_s, rate_hz, time_s)
    return values[index] if index is not None else np.full(2, np.nan)  # type: ignore[index]


def _sample_index(
    values: FloatArray | None, t0_s: float, rate_hz: float, time_s: float
) -> int | None:
    """Index of the sample nearest to a time, None beyond one sample off the ends.

    (The session's time range ends one sample period after the last sample.)
    """
    if values is None or rate_hz <= 0 or not len(values):
        return None
    index = round((time_s - t0_s) * rate_hz)
    return min(max(index, 0), len(values) - 1) if -1 <= index <= len(values) else None


def stance_side(contacts: Sequence[Contact], time_s: float) -> str:
    """Side of the latest initial contact whose stance includes ``time_s`` ("" in flight).

    The rule of the ``lean`` series: the leading leg in double support.

    Examples
    --------
    >>> contacts = [Contact(1, "Right", 0.0, 0.3), Contact(2, "Left", 0.25, 0.6)]
    >>> stance_side(contacts, 0.27), stance_side(contacts, 0.1), stance_side(contacts, 0.7)
    ('Left', 'Right', '')
    """
    return _Stances(contacts).side_at(time_s)


class _Stances:
    """Stance phases sorted by initial contact, for fast lookups at a time."""

    def __init__(self, contacts: Sequence[Contact]) -> None:
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
        return ""


# ---------------------------------------------------------------- the figure at one frame


@dataclass(frozen=True)
class _Figure:
    """Sagittal points, analysis lines and values at one instant (m, N, deg).

    ``lines`` holds the analysis lines drawn: key → (lower point, upper point),
    only those defined at this instant (stance-leg lines are absent in flight).
    ``rebuilt`` names the points computed from landmarks rebuilt from the
    static trial.
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


def _angle(lower: FloatArray | None, upper: FloatArray | None) -> float:
    if lower is None or upper is None:
        return float("nan")
    return float(sagittal_angle_deg(lower, upper, [0.0, 1.0], [1.0, 0.0]))


def _finite(*points: FloatArray | None) -> bool:
    return all(p is not None and bool(np.all(np.isfinite(p))) for p in points)


def _figure(prepared: PreparedBody, stances: _Stances, time_s: float) -> _Figure:
    index = prepared.frame_index(time_s)
    points = {name: values[index] for name, values in prepared.points.items()}
    side = stances.side_at(time_s)
    prefix = SIDE_PREFIX.get(side)
    com = _sample(prepared.com, prepared.com_t0_s, prepared.com_rate_hz, time_s)
    cop = _sample(prepared.grf_cop, prepared.grf_t0_s, prepared.grf_rate_hz, time_s)
    force = _sample(prepared.grf_force, prepared.grf_t0_s, prepared.grf_rate_hz, time_s)
    ajc = points.get(f"{prefix}_ajc") if prefix else None
    hjc = points.get(f"{prefix}_hjc") if prefix else None
    midh, mids = points.get("midh"), points.get("mids")
    trunk = _angle(midh, mids)
    leg = _angle(ajc, hjc)
    loaded = _finite(cop)
    computed = {
        "trunk_lean": trunk,
        "whole_body_lean": _angle(cop, com) if loaded else float("nan"),
        "whole_body_lean_ankle": _angle(ajc, com),
        "leg_line": leg,
        "bend_index": trunk - leg,
        "body_line": _angle(ajc, mids),
    }
    angles = {}
    for name, _label in ANGLES:
        series = prepared.lean.get(name)
        source = prepared.angle_source(name)
        if series is not None:
            values, t0, rate = series
            at = _sample_index(values, t0, rate, time_s)
            angles[name] = (
                float(values[at]) if at is not None else float("nan"),
                source,
            )
        else:
            angles[name] = (computed[name], source)
    candidates = {
        "trunk": (midh, midh + 1.3 * (mids - midh) if _finite(midh, mids) else None),
        "leg": (ajc, hjc),
        "ankle_com": (ajc, com),
        "cop_com": (cop, com) if loaded else (None, None),
    }
    lines = {key: (a, b) for key, (a, b) in candidates.items() if _finite(a, b)}
    if loaded and _finite(force):
        tip = cop + force * _grf_scale(prepared)
        lines["grf"] = (cop, tip)
    return _Figure(
        time_s, index, side, points, com, cop, force, angles, lines, prepared.rebuilt
    )


REBUILT_RADIUS_PX = 6.0
"""Half-diagonal of the diamond marking a rebuilt point, in pixels."""


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


def _grf_scale(prepared: PreparedBody) -> float:
    """Metres of drawn GRF vector per newton (1 BW = 0.5 m, else 1 kN = 0.5 m)."""
    if prepared.body_weight_n is not None:
        return GRF_SCALE_M_PER_BW / prepared.body_weight_n
    return GRF_SCALE_M_PER_KN / 1000.0


class FigureItem(pg.GraphicsObject):
    """The stick figure, analysis lines, GRF arrow and angle labels of one instant.

    One item painting everything with QPainter in device pixels: a cursor
    move is one repaint, not fifteen pyqtgraph items recomputing their paths.
    Its bounds are the figure's, widened for the labels, so that a cursor move
    repaints the area around the body only.
    """

    LABELS = (
        ("trunk", "trunk", "trunk_lean"),
        ("leg", "leg", "leg_line"),
        ("ankle_com", "ankle→COM", "whole_body_lean_ankle"),
        ("cop_com", "COP→COM", "whole_body_lean"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(10)
        self._bounds = QtCore.QRectF()
        self.figure: _Figure | None = None
        self.body_weight_n: float | None = None
        self._font = theme.label_font(8.5, bold=True)
        self._metrics = QtGui.QFontMetricsF(self._font)
        colours = dict(theme.LINE_COLOURS, grf=theme.GRF_COLOUR)
        self._line_pens = {
            key: self._pen(colours[key], 2.6 if key == "grf" else 2.0, style)
            for key, style in LINE_STYLES.items()
        }
        self._colours = colours
        self._segment_pens = {
            side: self._pen(colour, 3.4)
            for side, colour in (
                ("Left", theme.SIDE_COLOURS["Left"]),
                ("Right", theme.SIDE_COLOURS["Right"]),
                ("", theme.BODY_COLOUR),
            )
        }

    @staticmethod
    def _pen(
        colour: str, width: float, style=QtCore.Qt.PenStyle.SolidLine
    ) -> QtGui.QPen:
        pen = QtGui.QPen(QtGui.QColor(colour), width)
        pen.setStyle(style)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        pen.setCosmetic(True)
        return pen

    def set_figure(self, figure: _Figure | None, body_weight_n: float | None) -> None:
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
            p for p in (*figure.points.values(), figure.com, figure.cop) if _finite(p)
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
        for side, prefix in (("Left", "l"), ("Right", "r")):
            pairs = [
                (points.get(f"{prefix}_{a}"), points.get(f"{prefix}_{b}"))
                for a, b in SIDE_SEGMENTS
            ]
            self._draw_pairs(painter, px, self._segment_pens[side], pairs)
        centre = [(points.get(a), points.get(b)) for a, b in CENTRE_SEGMENTS]
        self._draw_pairs(painter, px, self._segment_pens[""], centre)
        head = points.get("head_com")
        if _finite(head):
            painter.setPen(self._segment_pens[""])
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            radius = HEAD_RADIUS_M * scale
            painter.drawEllipse(px(head), radius, radius)
        painter.setPen(QtGui.QPen(QtGui.QColor("#303030"), 1.2))
        painter.setBrush(QtGui.QColor("#FFFFFF"))
        for prefix in ("l", "r"):
            for joint in JOINTS:
                name = f"{prefix}_{joint}"
                point = points.get(name)
                if _finite(point) and name not in figure.rebuilt:
                    painter.drawEllipse(px(point), 3.5, 3.5)
        rebuilt = [
            px(points[n]) for n in sorted(figure.rebuilt) if _finite(points.get(n))
        ]
        if rebuilt:
            painter.setPen(QtGui.QPen(QtGui.QColor(REBUILT_COLOUR), 1.8))
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            for at in rebuilt:
                painter.drawPolygon(_diamond(at, REBUILT_RADIUS_PX))
        for key, (a, b) in figure.lines.items():
            painter.setPen(self._line_pens[key])
            painter.drawLine(px(a), px(b))
        if "grf" in figure.lines:
            self._draw_arrow_head(
                painter, px(figure.lines["grf"][0]), px(figure.lines["grf"][1])
            )
        if _finite(figure.cop):
            self._draw_cop(painter, px(figure.cop))
        if _finite(figure.com):
            self._draw_com(painter, px(figure.com))
        self._draw_labels(painter, figure, px)
        painter.restore()

    def _draw_pairs(self, painter, px, pen: QtGui.QPen, pairs) -> None:
        lines = [QtCore.QLineF(px(a), px(b)) for a, b in pairs if _finite(a, b)]
        if lines:
            painter.setPen(pen)
            painter.drawLines(lines)

    def _draw_arrow_head(
        self, painter: QtGui.QPainter, tail: QtCore.QPointF, tip: QtCore.QPointF
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
    def _draw_cop(painter: QtGui.QPainter, at: QtCore.QPointF) -> None:
        colour = QtGui.QColor(theme.LINE_COLOURS["cop_com"])
        painter.setPen(QtGui.QPen(colour.darker(130), 1.0))
        painter.setBrush(colour)
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

    def _draw_labels(self, painter: QtGui.QPainter, figure: _Figure, px) -> None:
        painter.setFont(self._font)
        placed: list[QtCore.QRectF] = []
        for key, name, quantity in self.LABELS:
            if key not in figure.lines:
                continue
            value = figure.angles[quantity][0]
            text = f"{name} {value:+.1f}°" if np.isfinite(value) else f"{name} —"
            a, b = figure.lines[key]
            anchor = (
                px(b) if key == "trunk" else px((a + b) / 2) if key == "leg" else px(b)
            )
            offset = {
                "trunk": (6, -16),
                "leg": (-8, 0),
                "ankle_com": (12, 6),
                "cop_com": (12, 24),
            }[key]
            self._label(
                painter,
                text,
                anchor,
                offset,
                self._colours[key],
                placed,
                right=key == "leg",
            )
        if "grf" in figure.lines:
            magnitude = float(np.hypot(*figure.force))
            text = f"GRF {magnitude:.0f} N"
            if self.body_weight_n:
                text += f" · {magnitude / self.body_weight_n:.2f} BW"
            tip = px(figure.lines["grf"][1])
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


# ---------------------------------------------------------------- the widget


def _rebuilt_3d(prepared: PreparedBody, frame: int) -> FloatArray:
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
        self.labels = list(labels)
        self.heading = ""
        self.values = ["—"] * len(self.labels)
        self._font = theme.label_font(9.0)
        self._bold = theme.label_font(9.0, bold=True)
        self.setMinimumWidth(240)
        self.setMinimumHeight(self.ROW_PX * (len(self.labels) + 1) + 4)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed
        )

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


class BodyView(QtWidgets.QWidget):
    """The body at the cursor time: sagittal stick figure, lean lines, GRF; 3D markers.

    Parameters
    ----------
    session : Session
        The app's state; the view follows ``trial_loaded``, ``cursor_moved``,
        ``events_changed``, ``results_changed`` and ``project_changed``, and
        play moves its cursor.
    parent : QWidget or None
        Parent widget.
    """

    sig_drawn = QtCore.Signal()
    """Emitted when the shown trial is fully drawn (after ``show_prepared``)."""

    def __init__(
        self, session: Session, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._loaded: LoadedTrial | None = None
        self._prepared: PreparedBody | None = None
        self._stances = _Stances([])
        self._figure_now: _Figure | None = None
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
        return _prepare(loaded)

    def show_prepared(self, loaded: LoadedTrial, prepared: PreparedBody) -> None:
        """Draw a loaded trial from its prepared data (GUI thread)."""
        self.pause()
        self._loaded = loaded
        self._prepared = prepared
        self._stances = _Stances(loaded.contacts)
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
        """Angles at the cursor in degrees, with their source, by ``lean`` series name."""
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

        self.table = ReadoutTable(
            [label for _name, label in ANGLES] + ["Stance", "COM height", "GRF"]
        )
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
        self._legend_samples = {
            key: pg.PlotDataItem(
                pen=pg.mkPen(
                    colour, width=2.6 if key == "grf" else 2.0, style=LINE_STYLES[key]
                )
            )
            for key, colour in (*theme.LINE_COLOURS.items(), ("grf", theme.GRF_COLOUR))
            if key in LINE_STYLES
        }
        self._rebuilt_sample = pg.ScatterPlotItem(
            symbol="d",
            size=11,
            pen=pg.mkPen(REBUILT_COLOUR, width=1.8),
            brush=pg.mkBrush(0, 0, 0, 0),
        )
        self._set_legend(tuple(key for key, _name in LINE_LEGEND), "")
        self._legend.setColumnCount(2)
        self._note = pg.TextItem(color="#808080", anchor=(0.5, 0.5))
        plot.addItem(self._note)

    def _set_legend(
        self, keys: Sequence[str], grf_scale: str, rebuilt: bool = False
    ) -> None:
        """List these analysis lines in the legend (those the trial can draw), and the
        rebuilt points' symbol when some are drawn."""
        self._legend.clear()
        for key, name in LINE_LEGEND:
            if key in keys:
                label = f"{name} ({grf_scale})" if key == "grf" and grf_scale else name
                self._legend.addItem(self._legend_samples[key], label)
        if rebuilt:
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

    def _on_trial_loaded(self, loaded: LoadedTrial) -> None:
        if loaded is not self._loaded:
            self.show_prepared(loaded, self.prepare(loaded))

    def _on_events_changed(self, trial_id: str) -> None:
        if self._loaded is not None and self._loaded.trial_id == trial_id:
            self._stances = _Stances(self._loaded.contacts)
            self._redraw()

    def _on_results_changed(self, trial_id: str) -> None:
        loaded, prepared = self._loaded, self._prepared
        if loaded is None or prepared is None or loaded.trial_id != trial_id:
            return
        frame = sagittal_frame(loaded)
        com, com_t0, com_rate, com_source = _com(loaded, frame)
        self._prepared = replace(
            prepared,
            com=com,
            com_t0_s=float(com_t0),
            com_rate_hz=float(com_rate),
            com_source=com_source,
            lean=_lean_series(loaded),
            body_weight_n=_body_weight_n(loaded),
        )
        self._prepared = replace(
            self._prepared,
            lines=_line_availability(
                self._prepared.points, com is not None, prepared.grf_force is not None
            ),
        )
        self._draw_static()
        self._redraw()

    def _on_project_changed(self, _project: object) -> None:
        self.pause()
        self._loaded = None
        self._prepared = None
        self._figure_now = None
        self.figure_item.set_figure(None, None)
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
        self._set_legend(prepared.drawable, scale, bool(prepared.rebuilt))
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
        figure = _figure(prepared, self._stances, time_s)
        self._figure_now = figure
        self.figure_item.set_figure(figure, prepared.body_weight_n)
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

    def _update_table(self, figure: _Figure, prepared: PreparedBody) -> None:
        values = []
        for name, _label in ANGLES:
            value, source = figure.angles[name]
            if source == "not available":
                values.append("n/a")
            else:
                values.append(f"{value:+.1f}°" if np.isfinite(value) else "—")
        values.append(
            figure.side or ("flight" if self._stances.contacts else "no gait events")
        )
        height = figure.com[1] - prepared.ground_m
        values.append(f"{height:.3f} m" if np.isfinite(height) else "—")
        grf = "—"
        if prepared.grf_force is not None:
            magnitude = float(np.hypot(*figure.force)) if _finite(figure.force) else 0.0
            grf = f"{magnitude:.0f} N"
            if prepared.body_weight_n is not None:
                grf += f" ({magnitude / prepared.body_weight_n:.2f} BW)"
        values.append(grf)
        self.table.set_values(
            f"At {figure.time_s:.3f} s (frame {figure.frame})", values
        )

    def _follow(self, figure: _Figure, prepared: PreparedBody) -> None:
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
        self._gl_items["rebuilt"].setData(pos=_rebuilt_3d(prepared, frame))
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
            for side, p in (("Left", "l"), ("Right", "r"))
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
            QtCore.QTimer.singleShot(0, self, self.sig_drawn.emit)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if (
            self._drawn_pending
            and event.type() == QtCore.QEvent.Type.Paint
            and watched is self.sagittal.viewport()
        ):
            self._drawn_pending = False
            QtCore.QTimer.singleShot(0, self, self.sig_drawn.emit)
        return False
