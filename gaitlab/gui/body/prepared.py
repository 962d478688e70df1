"""What the body view draws for one trial, prepared once (numpy only, no Qt).

The figure is gaitlab's body model (:attr:`TrialView.body
<gaitlab.pipeline.view.TrialView.body>`) projected on the trial's sagittal
plane: (AP along the progression, vertical), in m, lab origin. Over it go the
lines the plugins declare (:mod:`gaitlab.gui.body.declared`): every angle
series with lines is listed at the cursor, its lines drawn in its colour. Line
ends are body points
(:data:`BODY_POINTS`; a sided joint such as ``"ajc"`` is the stance side's),
``"com"`` (the series declaring ``point="com"``, else gaitlab's best
segmental COM of the markers) and ``"cop"`` (the combined centre of
pressure). The ground reaction force is drawn as an arrow at the COP.

Only what the trial's markers allow is drawn; :func:`body_caption` says where
the angles and the COM come from and what cannot be drawn, and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Protocol

import numpy as np
import numpy.typing as npt

from gaitlab.core.body import best_com
from gaitlab.core.geometry import GRAVITY
from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.core.types import SIDE_PREFIX, FloatArray
from gaitlab.gui.body.declared import (
    SIDED_POINTS,
    DeclaredAngle,
    DeclaredLine,
    com_series,
    declared_angles,
    declared_lines,
)
from gaitlab.pipeline.view import TrialView
from gaitlab.session import LoadedTrial

__all__ = [
    "BODY_PARTS",
    "BODY_POINTS",
    "GRF_LINE",
    "GRF_SCALE_M_PER_BW",
    "GRF_SCALE_M_PER_KN",
    "PreparedBody",
    "SagittalAxes",
    "body_caption",
    "prepare_body",
    "with_results",
]

GRF_SCALE_M_PER_BW = 0.5
"""Length of the drawn GRF vector per body weight, in m."""

GRF_SCALE_M_PER_KN = 0.5
"""Length of the drawn GRF vector per kN when the body mass is unknown, in m."""

DRILL_CATEGORY = "Drills"
"""Plugin category of drills (a special trial): their lines come after gait's."""

FOOT_ON_FLOOR_M = 0.02
"""A foot is on the floor while its heel or toe tip is within this of its
height on the floor (:attr:`PreparedBody.foot_rest_m`), m."""

GRF_LINE = "grf"
"""Key of the ground reaction force among the lines of the figure."""

GRF_LEGEND = "GRF at COP"

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

POINT_MISSING = {
    "midh": "no pelvis markers",
    "pelvis_centroid": "no pelvis markers",
    "mids": "no shoulder markers",
    "cerv": "no C7 marker",
    "supr": "no clavicle marker",
    "head_com": "no head markers",
    "com": "no centre of mass",
    "cop": "no force plates",
}
"""Why a line end is missing, by point (sided joints: see :func:`_missing_sided`)."""

SIDED_NAMES = {
    "hjc": "hip",
    "kjc": "knee",
    "ajc": "ankle",
    "sjc": "shoulder",
    "ejc": "elbow",
    "wjc": "wrist",
}
"""Words for the sided joint centres in the caption ("no ankle joint centres")."""

RESULT, COMPUTED, NOT_AVAILABLE = "result", "computed from the markers", "not available"


class SagittalAxes(Protocol):
    """The trial's sagittal frame (unit vectors in the lab frame) and its view.

    :class:`gaitlab.gui.views.signal_plots.SagittalFrame` is one.
    """

    up: FloatArray
    forward: FloatArray
    right: FloatArray
    view: TrialView


# ---------------------------------------------------------------- prepared data


@dataclass(frozen=True)
class PreparedBody:
    """Everything the body view draws for one trial (numpy only, no Qt).

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
    foot_rest_m : dict of str to float
        Per heel and toe tip (``"l_heel"``, ``"r_ttip"`` ...): its height when
        on the floor (2nd percentile over the trial), m; a foot is on the
        floor while its heel or toe tip is within :data:`FOOT_ON_FLOOR_M` of it.
    plates : tuple of (float, float)
        AP extent of each force plate, m.
    angles : tuple of DeclaredAngle
        The angles listed at the cursor (the installed plugins' series with
        lines), in order.
    angle_series : dict of str to (ndarray, float, float)
        Stored results of those angles, by key: values (deg), t0 (s), rate (Hz).
    notes : tuple of str
        What is missing and why, and what was rebuilt from the static trial
        and how well (or why not), in words (the figure's tooltip).
    lines : dict of str to str
        Every line of :func:`declared_lines` and :data:`GRF_LINE`: "" when the
        trial has what it needs (it is drawn whenever defined), else why it is
        never drawn.
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
    angles: tuple[DeclaredAngle, ...]
    angle_series: Mapping[str, tuple[FloatArray, float, float]]
    notes: tuple[str, ...]
    lines: Mapping[str, str]
    missing_parts: tuple[str, ...]
    rebuilt: frozenset[str] = frozenset()
    rebuilt_labels: tuple[str, ...] = ()
    rebuilt_markers: FloatArray | None = None
    static_note: str = ""
    foot_rest_m: Mapping[str, float] = field(default_factory=dict)

    @cached_property
    def figure_lines(self) -> tuple[DeclaredLine, ...]:
        """The declared lines, in legend order."""
        return declared_lines(self.angles)

    @property
    def drawable(self) -> tuple[str, ...]:
        """Keys of the lines the trial allows (GRF last), in legend order."""
        keys = (*(line.key for line in self.figure_lines), GRF_LINE)
        return tuple(key for key in keys if not self.lines[key])

    def angle_source(self, angle: DeclaredAngle) -> str:
        """Where an angle comes from: ``"<plugin> result"``, ``"computed from the
        markers"`` (an angle of one line the trial allows), or ``"not available"``."""
        if angle.key in self.angle_series:
            return f"{angle.plugin} {RESULT}"
        lines = angle.spec.lines
        if len(lines) == 1 and not self.lines[f"{lines[0][0]}-{lines[0][1]}"]:
            return COMPUTED
        return NOT_AVAILABLE

    def frame_index(self, time_s: float) -> int:
        """The marker frame nearest to a time (clamped to the trial)."""
        if self.n_frames == 0 or self.rate_hz <= 0:
            return 0
        return min(
            max(round((time_s - self.t0_s) * self.rate_hz), 0), self.n_frames - 1
        )


def _sagittal(frame: SagittalAxes, points: npt.ArrayLike) -> FloatArray:
    """(AP, vertical) coordinates of lab points, shape (..., 2), m."""
    values = np.asarray(points, dtype=float)
    return np.stack([values @ frame.forward, values @ frame.up], axis=-1)


def _usable(results: Mapping[str, Result], plugin: str) -> Result | None:
    result = results.get(plugin)
    return result if result is not None and result.status in USABLE_STATUSES else None


def _body_weight_n(loaded: LoadedTrial) -> float | None:
    """m·g in N: the ``body_mass`` result's value, else the subject's mass."""
    result = _usable(loaded.results, "body_mass")
    if result is not None:
        values = result.metric_values("body_mass")
        if values.size and np.isfinite(values[0]) and values[0] > 0:
            return float(values[0]) * GRAVITY
    subject = loaded.trial.subject
    if subject is not None and subject.mass_kg:
        return float(subject.mass_kg) * GRAVITY
    return None


def _angle_series(
    loaded: LoadedTrial, angles: tuple[DeclaredAngle, ...]
) -> dict[str, tuple[FloatArray, float, float]]:
    """The stored 1-D series of the angles, by key (usable results only)."""
    stored = {}
    for angle in angles:
        result = _usable(loaded.results, angle.plugin)
        series = result.series.get(angle.spec.name) if result is not None else None
        if series is not None and np.ndim(series.values) == 1:
            values = np.asarray(series.values, dtype=float)
            stored[angle.key] = (values, series.t0_s, series.rate_hz)
    return stored


def _com(
    loaded: LoadedTrial, frame: SagittalAxes
) -> tuple[FloatArray | None, float, float, str]:
    """The sagittal COM, its clock and where it comes from: the series declared
    with ``point="com"``, else the best segmental model of the markers."""
    declared = com_series(loaded.specs)
    if declared is not None:
        plugin, name = declared
        result = _usable(loaded.results, plugin)
        if result is not None and name in result.series:
            series = result.series[name]
            return (
                _sagittal(frame, series.values),
                series.t0_s,
                series.rate_hz,
                f"{plugin} result ({name})",
            )
    markers = loaded.trial.markers
    subject = loaded.trial.subject
    try:
        estimate = best_com(
            frame.view.body, subject.sex if subject is not None else None
        )
    except ValueError as error:
        return None, markers.t0_s, markers.rate_hz, f"no COM: {error}"
    why = f" ({declared[0]} not run)" if declared is not None else ""
    return (
        _sagittal(frame, estimate.com),
        markers.t0_s,
        markers.rate_hz,
        f"computed here: {estimate.model} model{why}",
    )


def prepare_body(loaded: LoadedTrial, frame: SagittalAxes) -> PreparedBody:
    """Compute everything the body view draws for a trial (thread-safe, no Qt).

    Parameters
    ----------
    loaded : LoadedTrial
        The trial, its results and the installed plugins' declarations.
    frame : SagittalAxes
        Its sagittal frame and the analysis' view of it.

    Returns
    -------
    prepared : PreparedBody
    """
    trial = loaded.trial
    markers = trial.markers
    view = frame.view
    body = view.body
    points = {}
    for name in BODY_POINTS:
        value = getattr(body, name, None)
        if value is not None:
            points[name] = _sagittal(frame, value)
    display_axes = np.stack([frame.forward, -frame.right, frame.up], axis=1)
    com, com_t0, com_rate, com_source = _com(loaded, frame)
    grf = view.grf
    plates = tuple(p for p in trial.forceplates if p.n_samples > 0)
    extents = []
    for plate in plates:
        ap = plate.corners @ frame.forward
        extents.append((float(ap.min()), float(ap.max())))
    ground = float(np.mean([p.corners @ frame.up for p in plates])) if plates else 0.0
    reconstruction = view.reconstruction
    notes = [
        f"COM: {com_source}",
        *(f"{k}: {', '.join(v)}" for k, v in body.missing.items()),
        *(
            f"static trial: {line}"
            for line in (reconstruction.notes() if reconstruction is not None else [])
        ),
    ]
    angles = shown_angles(loaded)
    missing_parts = tuple(
        part for part, names in BODY_PARTS if not any(name in points for name in names)
    )
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
        angles=angles,
        angle_series=_angle_series(loaded, angles),
        notes=tuple(notes),
        lines=_line_availability(
            declared_lines(angles), points, com is not None, grf is not None
        ),
        missing_parts=missing_parts,
        rebuilt=rebuilt,
        rebuilt_labels=rebuilt_labels,
        rebuilt_markers=rebuilt_markers,
        static_note=_static_note(loaded, view, rebuilt),
        foot_rest_m=_foot_rest(points),
    )


def _foot_rest(points: Mapping[str, FloatArray]) -> dict[str, float]:
    """Height of each heel and toe tip standing on the floor (see
    :attr:`PreparedBody.foot_rest_m`)."""
    rest = {}
    for prefix in SIDE_PREFIX.values():
        for name in (f"{prefix}_heel", f"{prefix}_ttip"):
            height = points[name][:, 1] if name in points else None
            if height is not None and np.isfinite(height).any():
                rest[name] = float(np.nanpercentile(height, 2))
    return rest


def with_results(
    prepared: PreparedBody, loaded: LoadedTrial, frame: SagittalAxes
) -> PreparedBody:
    """The prepared trial with what its new results change: the COM, the stored
    angles, the body weight and the lines that need the COM."""
    com, com_t0, com_rate, com_source = _com(loaded, frame)
    angles = shown_angles(loaded)
    return replace(
        prepared,
        com=com,
        com_t0_s=float(com_t0),
        com_rate_hz=float(com_rate),
        com_source=com_source,
        angles=angles,
        angle_series=_angle_series(loaded, angles),
        body_weight_n=_body_weight_n(loaded),
        lines=_line_availability(
            declared_lines(angles),
            prepared.points,
            com is not None,
            prepared.grf_force is not None,
        ),
    )


def shown_angles(loaded: LoadedTrial) -> tuple[DeclaredAngle, ...]:
    """The declared angles of the plugins whose result on this trial is usable.

    A plugin's lines are drawn where it measured the trial: the drill's on a
    drill, the running lean's on a run. When no plugin declaring lines has a
    usable result (the trial not analysed yet), every plugin's lines are drawn
    from the markers, except those of plugins that skipped the trial, the
    drills' (category :data:`DRILL_CATEGORY`) after the others.
    """
    usable = {
        name: spec
        for name, spec in loaded.specs.items()
        if _usable(loaded.results, name) is not None
    }
    angles = declared_angles(usable)
    if angles:
        return angles
    not_skipped = [
        (name, spec)
        for name, spec in loaded.specs.items()
        if getattr(loaded.results.get(name), "status", "") != "skipped"
    ]
    # gait plugins first: a line both declare is then labelled as the gait's
    not_skipped.sort(key=lambda item: item[1].category == DRILL_CATEGORY)
    return declared_angles(dict(not_skipped))


def _rebuilt_points(
    reconstructed: frozenset[str], points: Mapping[str, FloatArray]
) -> frozenset[str]:
    """The drawn body points computed from a rebuilt landmark (:data:`POINT_LANDMARKS`)."""
    rebuilt = set()
    for name in points:
        side, _, base = name.partition("_")
        if side not in SIDE_PREFIX.values() or base not in POINT_LANDMARKS:
            side, base = "", name
        sources = POINT_LANDMARKS.get(base, ())
        if any(source.format(s=side) in reconstructed for source in sources):
            rebuilt.add(name)
    return frozenset(rebuilt)


def _static_note(loaded: LoadedTrial, view: TrialView, rebuilt: frozenset[str]) -> str:
    """The caption's sentence on the static trial: what was rebuilt, or why not."""
    if loaded.static_problem:
        return f"Nothing rebuilt from the static trial: {loaded.static_problem}."
    reconstruction = view.reconstruction
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
    lines: tuple[DeclaredLine, ...],
    points: Mapping[str, FloatArray],
    has_com: bool,
    has_grf: bool,
) -> dict[str, str]:
    """Per line and the GRF: "" when the trial has its points, else why it is not
    drawn (the first missing end, lower first; sided joints on one side)."""
    present = (
        set(points) | ({"com"} if has_com else set()) | ({"cop"} if has_grf else set())
    )
    availability = {}
    for line in lines:
        ends = (line.lower, line.upper)
        sided = [end for end in ends if end in SIDED_POINTS]
        reason = ""
        for end in ends:
            if end in SIDED_POINTS:
                if not any(
                    all(f"{prefix}_{name}" in present for name in sided)
                    for prefix in SIDE_PREFIX.values()
                ):
                    reason = _missing_sided(sided)
            elif end not in present:
                reason = POINT_MISSING.get(end, f"no {end}")
            if reason:
                break
        availability[line.key] = reason
    availability[GRF_LINE] = "" if has_grf else POINT_MISSING["cop"]
    return availability


def _missing_sided(names: list[str]) -> str:
    """Why sided joints are missing: ``"no ankle and hip joint centres"``.

    Examples
    --------
    >>> _missing_sided(["ajc", "hjc"])
    'no ankle and hip joint centres'
    """
    words = [SIDED_NAMES.get(name, name) for name in names]
    if all(name in SIDED_NAMES for name in names):
        return f"no {' and '.join(words)} joint centres"
    return f"no {' and '.join(words)} on one side"


def body_caption(prepared: PreparedBody) -> str:
    """The text under the body view: where the angles and the COM come from, and
    what the trial's markers do not allow to draw."""
    by_source: dict[str, list[str]] = {}
    for angle in prepared.angles:
        by_source.setdefault(prepared.angle_source(angle), []).append(angle.label)
    with_result = {
        angle.plugin for angle in prepared.angles if angle.key in prepared.angle_series
    }
    no_result = sorted(
        {
            angle.plugin
            for angle in prepared.angles
            if prepared.angle_source(angle) == COMPUTED
            and angle.plugin not in with_result
        }
    )
    computed = COMPUTED + (f" (no {', '.join(no_result)} result)" if no_result else "")
    wording = {
        source: f"from the {source}"
        for source in by_source
        if source not in (COMPUTED, NOT_AVAILABLE)
    }
    wording |= {COMPUTED: computed, NOT_AVAILABLE: NOT_AVAILABLE}
    heading = "Angles from the vertical, + forward"
    if not by_source:
        sentences = ["No plugin declares angles of the body."]
    elif len(by_source) == 1:
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
    for line in prepared.figure_lines:
        if prepared.lines[line.key]:
            reasons.setdefault(prepared.lines[line.key], []).append(line.owner.label)
    if prepared.lines[GRF_LINE]:
        reasons.setdefault(prepared.lines[GRF_LINE], []).append(GRF_LEGEND)
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
