"""Lean angles of running: whole body, trunk, legs and head (METHODS §4).

Every angle is the orientation of a line A → B from the upward vertical in the
sagittal plane of METHODS §0.1 (``trial.up``, ``trial.progression.direction``),
``θ(A→B) = atan2((B - A)·e_prog, (B - A)·e_up)``, in degrees, positive forward
(METHODS §4.1). Lines:

``whole_body_lean``
    COP → COM (force plates; NaN in flight).
``whole_body_lean_ankle``
    stance AJC → COM (kinematic surrogate).
``trunk_lean``
    MIDH → MIDS. Fallbacks: the pelvis marker centroid for MIDH; the mid-point of
    C7 and CLAV, else C7, else CLAV for MIDS. The line used is stated in a note
    and in the message of every value.
``trunk_thigh_angle``
    ``180° - (θ(trunk) - θ(KJC→HJC))`` of the stance leg: 180° when trunk and
    thigh are in one line, smaller the more the hip is flexed ("bending at the
    waist"); it is 180° minus the sagittal hip flexion measured from the two
    global segment angles.
``leg_line``
    stance AJC → HJC.
``bend_index``
    ``alpha_bend = θ(trunk) - θ(AJC→HJC)`` of the stance leg: ≈ 0 when the runner
    leans from the ankles, large when bending at the waist.
``body_line``
    stance AJC → the trunk line's upper point (MIDS, or its fallback).
``head_alignment``
    ``θ(C7→head centroid) - θ(MIDH→C7)`` (MIDH or its fallback).

Joint centres come from ``trial.body`` (the project's body model) and are
low-passed with the marker filter of METHODS §7 (12 Hz, 2nd order, two passes
by default). The COM is the ``center_of_mass`` plugin's ``com`` series when it
ran (used as delivered, at its own rate), else the best segmental model the
markers allow (low-passed like the markers).

Instants, for every contact (``trial.contacts()``): initial contact (IC),
midstance (lowest COM during stance, or the COM passing over the COP:
parameter ``midstance``) and toe-off (TO), each by linear interpolation of the
marker-rate angles; and the stance mean, the time average of the angle from
IC to TO (not force-weighted; integral of the linear interpolation between
frames, so it does not jitter with where the events fall between frames; NaN
if a frame is missing). The COP-based whole-body lean is computed at the analog rate
(the COM sampled at the force samples) and its stance mean is weighted by the
vertical GRF, so the SLIP gives exactly 0.0° (METHODS §4.1). Leg lines always
use the leg of the contact; the series use the leg of the latest initial
contact (the leading leg in double support) and are NaN in flight.

Static trial: when the subject has one, the mean angle of each line that is
defined in standing (all but the COP-based lean) gives the offset of upright
posture (``static_<q>``; lines of the stance leg averaged over both legs), and
``<q>_rel_static`` is the stance mean minus that offset.

METHODS §4.2 check, per step: ``lean_implied_acceleration =
g·Σ(Fz·tan θ)/ΣFz`` over the stance samples with a COP, and the measured
``ap_acceleration = ∫F·e_prog dt / (m·T_step)`` from this IC to the next one.
They agree when the GRF passes through the COM and the mean vertical
acceleration over the step is zero.

Departures from METHODS §4.1: (1) at IC and TO the COP is undefined (below the
threshold of §1.7), so the COP-based lean there uses the first (last) COP
defined in the contact with the COM at the event time; (2) the stride mean is
not reported (the export gives trial means of the stance values); (3) the
upper trunk fallback tries the mid-point of C7 and CLAV before C7 alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt

from gaitlab.api import (
    GRAVITY,
    LINE_QUANTITIES,
    SIDES,
    BodyPoints,
    Contact,
    FloatArray,
    GroundReaction,
    Lines,
    MetricSpec,
    Param,
    Result,
    RunContext,
    SeriesSpec,
    Skip,
    TrialView,
    best_com,
    line_angles,
    line_points,
    lowpass,
    plugin,
    sagittal_angle_deg,
    sample_at,
)

QUANTITIES = ("whole_body_lean", *LINE_QUANTITIES)
"""The lean quantities: the force-based whole-body lean, then the lines."""
STANDING_QUANTITIES = (
    "trunk_lean",
    "bend_index",
    "body_line",
    "head_alignment",
    "trunk_thigh_angle",
    "leg_line",
    "whole_body_lean_ankle",
)
"""Lines defined in quiet standing, hence with a static offset."""

STANCE_LEG_QUANTITIES = (
    "whole_body_lean_ankle",
    "trunk_thigh_angle",
    "leg_line",
    "bend_index",
    "body_line",
)
SERIES_QUANTITIES = (
    "trunk_lean",
    "whole_body_lean",
    "whole_body_lean_ankle",
    "leg_line",
    "bend_index",
    "body_line",
    "head_alignment",
)

FILTERED_POINTS = (
    "midh",
    "pelvis_centroid",
    "mids",
    "cerv",
    "supr",
    "head_com",
    "l_hjc",
    "r_hjc",
    "l_kjc",
    "r_kjc",
    "l_ajc",
    "r_ajc",
)
"""BodyPoints fields the lines use (low-passed before the angles)."""

WHOLE_BODY_CAVEAT = (
    "CAVEAT: at constant speed this force-weighted stance mean is ≈ 0 by physics "
    "(a_x = g·tan θ, METHODS §4.2; the SLIP gives 0.0°): forward lean in steady "
    "running is a posture — read trunk_lean and bend_index"
)
DEFINITIONS = {
    "whole_body_lean": "Whole-body lean θ(COP→COM) (METHODS §4.1), force plates",
    "whole_body_lean_ankle": (
        "Whole-body lean θ(AJC→COM) from the stance-leg ankle joint centre "
        "(METHODS §4.1, kinematic surrogate)"
    ),
    "trunk_lean": (
        "Trunk lean θ(MIDH→MIDS) from the global vertical (METHODS §4.1); "
        "fallbacks: pelvis centroid for MIDH, mid-point of C7 and CLAV, C7 or "
        "CLAV for MIDS — the line used is in each value's message"
    ),
    "trunk_thigh_angle": (
        "Trunk-to-thigh angle 180° - (θ(MIDH→MIDS) - θ(KJC→HJC)) of the stance "
        "leg: 180° = trunk in line with the thigh, smaller = hip flexed "
        "('bending at the waist', METHODS §4.1); trunk line as trunk_lean"
    ),
    "leg_line": "Leg line θ(AJC→HJC) of the stance leg (METHODS §4.1)",
    "bend_index": (
        "Bend index alpha_bend = θ(MIDH→MIDS) - θ(AJC→HJC) of the stance leg: ≈ 0 "
        "when leaning from the ankles, large when bending at the waist "
        "(METHODS §4.1); trunk line as trunk_lean"
    ),
    "body_line": (
        "Body line θ(AJC→MIDS) of the stance leg, to the upper point of the "
        "trunk line (METHODS §4.1)"
    ),
    "head_alignment": (
        "Head alignment θ(C7→head centroid) - θ(MIDH→C7), > 0 = head forward of "
        "the trunk line (METHODS §4.1)"
    ),
}
ANGLE_CONVENTION = (
    "deg from the upward vertical in the sagittal plane (e_up, e_prog), positive "
    "forward; marker-derived points low-passed (marker_cutoff_hz)"
)


def _instant_text(quantity: str, suffix: str) -> str:
    """How one per-step value of a quantity is taken."""
    if quantity == "whole_body_lean":
        return {
            "": "stance mean weighted by the vertical GRF over the analog samples "
            "with a COP, IC→TO; " + WHOLE_BODY_CAVEAT,
            "_ic": "at IC: first COP defined in the contact → COM at IC; negative "
            "when the foot lands ahead of the COM",
            "_midstance": "at midstance (parameter midstance: lowest COM, or COM "
            "over the COP where it is 0 by definition)",
            "_to": "at TO: last COP defined in the contact → COM at TO",
        }[suffix]
    return {
        "": "stance mean (time average IC→TO of the marker-rate angle, linear "
        "interpolation between frames)",
        "_ic": "at initial contact",
        "_midstance": "at midstance (parameter midstance: lowest COM during stance, "
        "or COM passing over the COP)",
        "_to": "at toe-off",
    }[suffix]


HEADLINE_QUANTITIES = (
    "trunk_lean",
    "whole_body_lean",
    "whole_body_lean_ankle",
    "leg_line",
    "bend_index",
    "body_line",
)
"""Quantities whose stance mean is a headline metric."""


def _metric_specs() -> tuple[MetricSpec, ...]:
    specs = [
        MetricSpec(
            quantity + suffix,
            "deg",
            f"{DEFINITIONS[quantity]}, {_instant_text(quantity, suffix)}; "
            f"{ANGLE_CONVENTION}",
            headline=not suffix and quantity in HEADLINE_QUANTITIES,
        )
        for quantity in QUANTITIES
        for suffix in ("", "_ic", "_midstance", "_to")
    ]
    specs += [
        MetricSpec(
            f"{quantity}_rel_static",
            "deg",
            f"{DEFINITIONS[quantity]}: stance mean minus static_{quantity}, the "
            "mean of the same line in the subject's static standing trial "
            f"(METHODS §4.1 implementation notes); {ANGLE_CONVENTION}",
        )
        for quantity in STANDING_QUANTITIES
    ]
    specs += [
        MetricSpec(
            f"static_{quantity}",
            "deg",
            f"{DEFINITIONS[quantity]}: mean over the static standing trial, the "
            "offset of upright posture (stance-leg lines: mean of both legs); "
            f"{ANGLE_CONVENTION}",
            per_step=False,
        )
        for quantity in STANDING_QUANTITIES
    ]
    specs += [
        MetricSpec(
            "lean_implied_acceleration",
            "m/s²",
            "Forward acceleration implied by the whole-body lean, g·Σ(Fz·tan θ)/ΣFz "
            "over the stance samples with a COP, θ = θ(COP→COM), Fz = vertical GRF "
            "(METHODS §4.2); equals ap_acceleration when the GRF passes through the "
            "COM and the mean vertical acceleration is zero",
        ),
        MetricSpec(
            "ap_acceleration",
            "m/s²",
            "Measured mean forward acceleration over the step, ∫GRF·e_prog dt from "
            "this IC to the next IC / (m·T_step), unfiltered GRF, body mass from "
            "body_mass (else the subject's) (METHODS §4.2)",
        ),
    ]
    return tuple(specs)


LEAN_PLOT = "Lean angles (from vertical, + forward)"
"""Title of the plot of the app's default layout that draws the lean series."""

SERIES_SPECS = (
    SeriesSpec(
        "trunk_lean",
        "deg",
        "θ(MIDH→MIDS) (or the fallback line in the notes)",
        label="trunk",
        plot=LEAN_PLOT,
        colour="#6A3D9A",
        lines=(("midh", "mids"),),
    ),
    SeriesSpec(
        "whole_body_lean",
        "deg",
        "θ(COP→COM); NaN in flight",
        label="COP→COM",
        plot=LEAN_PLOT,
        colour="#009E73",
        lines=(("cop", "com"),),
    ),
    SeriesSpec(
        "whole_body_lean_ankle",
        "deg",
        "θ(stance AJC→COM); NaN in flight",
        label="ankle→COM",
        plot=LEAN_PLOT,
        colour="#56B4E9",
        lines=(("ajc", "com"),),
    ),
    SeriesSpec(
        "leg_line",
        "deg",
        "θ(stance AJC→HJC); NaN in flight",
        label="leg line",
        plot=LEAN_PLOT,
        colour="#E69F00",
        lines=(("ajc", "hjc"),),
    ),
    SeriesSpec(
        "bend_index",
        "deg",
        "θ(trunk) - θ(stance AJC→HJC); NaN in flight",
        label="bend index",
        plot=LEAN_PLOT,
        colour="#CC79A7",
        lines=(("midh", "mids"), ("ajc", "hjc")),
    ),
    SeriesSpec(
        "body_line",
        "deg",
        "θ(stance AJC→trunk upper point); NaN in flight",
        label="body line",
        plot=LEAN_PLOT,
        colour="#8C564B",
        lines=(("ajc", "mids"),),
    ),
    SeriesSpec(
        "head_alignment",
        "deg",
        "θ(C7→head centroid) - θ(MIDH→C7)",
        label="head",
        plot=LEAN_PLOT,
        colour="#7F7F7F",
    ),
)
"""The lean series, in plotting order. ``lines`` name the body-view points
(stance-side ``ajc``/``hjc``): the view draws the trunk MIDH→MIDS only, so a
trunk_lean or body_line value computed on a fallback trunk point (pelvis
centroid, C7, CLAV; see :func:`gaitlab.core.lines.trunk_points`) is shown from the
stored series while the drawn line needs MIDH and MIDS. head_alignment is a
difference of two lines through C7 and the head centroid, points the body
view does not name: no lines."""


def cop_com_lean_deg(
    cop: FloatArray,
    com: FloatArray,
    up: npt.ArrayLike,
    progression: npt.ArrayLike,
) -> FloatArray:
    """Whole-body lean θ(COP→COM) in degrees (NaN where the COP is undefined).

    Parameters
    ----------
    cop, com : ndarray, shape (n, 3)
        Centre of pressure and COM at the same instants, in m, lab frame.
    up, progression : array_like, shape (3,)
        Upward vertical and progression unit vectors.

    Returns
    -------
    lean : ndarray, shape (n,)
    """
    return sagittal_angle_deg(cop, com, up, progression)


# ---------------------------------------------------------------------- plugin


@plugin(
    name="lean",
    version="1.0.0",
    title="Lean angles",
    category="Kinematics",
    needs=("result:gait_events", "markers"),
    optional=("result:center_of_mass", "result:body_mass"),
    series=SERIES_SPECS,
    metrics=_metric_specs(),
)
def lean(
    trial: TrialView,
    ctx: RunContext,
    *,
    marker_cutoff_hz: Annotated[
        float,
        Param(
            min=2,
            max=30,
            unit="Hz",
            doc="Low-pass cut-off of the marker-derived points (METHODS §7)",
        ),
    ] = 12.0,
    cutoff_mode: Literal["design", "effective"] = "design",
    midstance: Literal["com_lowest", "com_over_cop"] = "com_lowest",
) -> Result:
    """Whole-body, trunk, leg-line and head lean angles per contact (METHODS §4)."""
    result = Result()
    contacts = trial.contacts()
    if not contacts:
        raise Skip("no complete foot contact (IC → TO): lean angles are per contact")
    up, forward = trial.up, trial.progression.direction
    markers = trial.markers
    body = trial.body
    points = _filtered_points(body, markers.rate_hz, marker_cutoff_hz, cutoff_mode)
    result.note(
        f"marker-derived points low-passed at {marker_cutoff_hz:g} Hz "
        f"({cutoff_mode} cut-off, 2nd-order Butterworth, 2 passes)"
    )
    com_track = _com_track(trial, marker_cutoff_hz, cutoff_mode)
    com = None
    if com_track is not None:
        com = com_track.at(trial.marker_time)
        result.note(com_track.note)
    lines = line_angles(points, com, up, forward)
    force = _force_lean(trial, com_track, up, forward)
    times = _contact_times(trial, contacts, com_track, force, midstance, result)
    _report_availability(result, lines, body, trial, com_track)
    values = _per_step_values(trial, contacts, lines, times)
    if force is not None:
        steps = _force_steps(force, times)
        values["whole_body_lean"] = _whole_body_per_step(force, steps, contacts, times)
        _add_acceleration_check(result, trial, contacts, force, steps)
    static = _static_offsets(trial, lines, marker_cutoff_hz, cutoff_mode, result)
    _add_step_metrics(result, contacts, values, static)
    for quantity, offset in static.items():
        result.add_metric(f"static_{quantity}", offset)
    _add_series(result, trial, contacts, lines, force, com)
    return result


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ComTrack:
    """A COM trajectory on its own clock.

    Attributes
    ----------
    values : ndarray, shape (n, 3)
        COM in m, lab frame.
    rate_hz, t0_s : float
        Its sampling rate and first sample time.
    note : str
        Where it came from.
    """

    values: FloatArray
    rate_hz: float
    t0_s: float
    note: str

    def at(self, times: FloatArray) -> FloatArray:
        """The COM at the given times (linear interpolation), shape (n_times, 3)."""
        own = self.t0_s + np.arange(len(self.values)) / self.rate_hz
        if len(own) == len(times) and np.allclose(own, times, atol=1e-9, rtol=0):
            return self.values
        return sample_at(self.values, self.rate_hz, self.t0_s, times)


def _filtered_points(
    body: BodyPoints,
    rate_hz: float,
    cutoff_hz: float,
    mode: str,
    trunk: tuple[str, str] | None = None,
) -> dict[str, FloatArray | None]:
    """The BodyPoints some line uses, low-passed together (METHODS §7).

    Points no line can use (e.g. hip centres without an ankle or a trunk) are
    left out, and so is their filtering time.
    """
    raw = {n: getattr(body, n) for n in FILTERED_POINTS}
    used = line_points(raw, trunk)
    present = [n for n in FILTERED_POINTS if n in used]
    points: dict[str, FloatArray | None] = dict.fromkeys(FILTERED_POINTS)
    if not present:
        return points
    stacked = np.concatenate([raw[n] for n in present], axis=1)
    filtered = lowpass(stacked, rate_hz, cutoff_hz, cutoff_mode=mode)
    for i, name in enumerate(present):
        points[name] = filtered[:, 3 * i : 3 * i + 3]
    return points


def _com_track(trial: TrialView, cutoff_hz: float, mode: str) -> ComTrack | None:
    """COM of the center_of_mass plugin, else the best segmental model."""
    if trial.has_result("center_of_mass"):
        series = trial.result("center_of_mass").series.get("com")
        if series is not None and series.values.ndim == 2:
            return ComTrack(
                np.asarray(series.values, float),
                series.rate_hz,
                series.t0_s,
                "COM: series 'com' of the center_of_mass plugin (used as delivered)",
            )
    sex = trial.subject.sex if trial.subject is not None else None
    try:
        estimate = best_com(trial.body, sex)
    except ValueError:
        return None
    markers = trial.markers
    return ComTrack(
        lowpass(estimate.com, markers.rate_hz, cutoff_hz, cutoff_mode=mode),
        markers.rate_hz,
        markers.t0_s,
        f"COM: {estimate.model} model from the markers (center_of_mass result not "
        f"available), low-passed like the markers; {'; '.join(estimate.notes)}",
    )


@dataclass(frozen=True)
class ForceLean:
    """The COP-based whole-body lean at the analog rate.

    Attributes
    ----------
    grf : GroundReaction
        Summed ground reaction.
    com : ndarray, shape (n_samples, 3)
        COM at the force samples, m.
    lean_deg : ndarray, shape (n_samples,)
        θ(COP→COM) in degrees; NaN where the COP is undefined.
    ahead_m : ndarray, shape (n_samples,)
        (COM - COP)·e_prog in m.
    up, forward : ndarray, shape (3,)
        The sagittal axes used.
    """

    grf: GroundReaction
    com: FloatArray
    lean_deg: FloatArray
    ahead_m: FloatArray
    up: FloatArray
    forward: FloatArray

    def window(self, start_s: float, stop_s: float) -> slice:
        """Force samples with start ≤ t ≤ stop."""
        rate, t0 = self.grf.rate_hz, self.grf.t0_s
        first = int(np.ceil((start_s - t0) * rate - 1e-9))
        last = int(np.floor((stop_s - t0) * rate + 1e-9))
        return slice(max(first, 0), min(last + 1, len(self.lean_deg)))


def _force_lean(
    trial: TrialView, com_track: ComTrack | None, up: FloatArray, forward: FloatArray
) -> ForceLean | None:
    grf = trial.grf
    if grf is None or com_track is None:
        return None
    com = com_track.at(grf.time)
    return ForceLean(
        grf,
        com,
        cop_com_lean_deg(grf.cop, com, up, forward),
        (com - grf.cop) @ forward,
        up,
        forward,
    )


# ---------------------------------------------------------------- instants


@dataclass(frozen=True)
class ContactTimes:
    """Instants of every contact, arrays of shape (n_contacts,), in s."""

    ic: FloatArray
    midstance: FloatArray
    to: FloatArray


def _contact_times(
    trial: TrialView,
    contacts: list[Contact],
    com_track: ComTrack | None,
    force: ForceLean | None,
    how: str,
    result: Result,
) -> ContactTimes:
    ic = np.array([c.ic_s for c in contacts])
    to = np.array([c.to_s for c in contacts])
    mid = np.full(len(contacts), np.nan)
    if how == "com_over_cop" and force is not None:
        mid = np.array([_com_over_cop(force, c) for c in contacts])
        found = np.isfinite(mid)
        if not found.all():
            result.note(
                f"midstance: the COM did not pass over the COP in {np.sum(~found)} "
                "contacts; lowest COM used there"
            )
        result.note("midstance = COM passing over the COP ((COM - COP)·e_prog = 0)")
    elif how == "com_over_cop":
        result.note("midstance: no force plates, so the lowest COM is used")
    if com_track is not None:
        height = com_track.values @ trial.up
        lowest = np.array([_com_lowest(com_track, height, c) for c in contacts])
        if how == "com_lowest":
            result.note("midstance = lowest COM during stance (parabolic refinement)")
        mid = np.where(np.isfinite(mid), mid, lowest)
    missing = ~np.isfinite(mid)
    if missing.any():
        result.note(
            f"midstance: no COM for {np.sum(missing)} contacts; the middle of the "
            "contact is used"
        )
        mid = np.where(missing, 0.5 * (ic + to), mid)
    return ContactTimes(ic, mid, to)


def _com_lowest(com_track: ComTrack, height: FloatArray, contact: Contact) -> float:
    """Time of the lowest COM in the contact, refined by a parabola through 3 samples."""
    rate, t0 = com_track.rate_hz, com_track.t0_s
    first = max(int(np.ceil((contact.ic_s - t0) * rate)), 0)
    last = min(int(np.floor((contact.to_s - t0) * rate)), len(height) - 1)
    height = height[first : last + 1]
    finite = np.isfinite(height)
    if not finite.any():
        return np.nan
    i = int(np.argmin(np.where(finite, height, np.inf)))
    offset = 0.0
    if 0 < i < height.size - 1:
        before, here, after = height[i - 1 : i + 2]
        curvature = before - 2 * here + after
        if np.isfinite(curvature) and curvature > 0:
            offset = 0.5 * (before - after) / curvature
    return t0 + (first + i + offset) / rate


def _com_over_cop(force: ForceLean, contact: Contact) -> float:
    """First time in the contact when (COM - COP)·e_prog crosses from < 0 to ≥ 0."""
    window = force.window(contact.ic_s, contact.to_s)
    ahead = force.ahead_m[window]
    crossing = np.flatnonzero((ahead[:-1] < 0) & (ahead[1:] >= 0))
    if crossing.size == 0:
        return np.nan
    i = crossing[0]
    fraction = -ahead[i] / (ahead[i + 1] - ahead[i])
    return force.grf.t0_s + (window.start + i + fraction) / force.grf.rate_hz


# ---------------------------------------------------------------- per step

INSTANTS = ("", "_ic", "_midstance", "_to")
"""Suffixes of the per-step values: stance mean, IC, midstance, TO."""

StepValues = dict[str, dict[str, tuple[FloatArray, list[str]]]]
"""Quantity → instant suffix → (value per contact, message per contact)."""

UNCLEAN = "contact not clean (foot not alone or not wholly on a plate)"


def _per_step_values(
    trial: TrialView, contacts: list[Contact], lines: Lines, times: ContactTimes
) -> StepValues:
    """Marker-rate lines at IC, midstance and TO, and their stance mean."""
    rate, t0 = trial.markers.rate_hz, trial.markers.t0_s
    values: StepValues = {}
    for quantity, by_side in lines.angles.items():
        computed = {
            side: {
                "": _time_averages(angle, rate, t0, times.ic, times.to),
                "_ic": sample_at(angle, rate, t0, times.ic),
                "_midstance": sample_at(angle, rate, t0, times.midstance),
                "_to": sample_at(angle, rate, t0, times.to),
            }
            for side, angle in by_side.items()
        }
        stance_leg = quantity in STANCE_LEG_QUANTITIES
        line = f"line {lines.used[quantity]}"
        values[quantity] = {}
        for suffix in INSTANTS:
            value = np.full(len(contacts), np.nan)
            messages = []
            for k, contact in enumerate(contacts):
                key = contact.side if stance_leg else ""
                if stance_leg and contact.side not in SIDES:
                    messages.append("side of the contact unknown: no stance leg")
                elif key not in computed:
                    messages.append(
                        f"the {contact.side.lower()} leg lacks the points of {line}"
                    )
                else:
                    value[k] = computed[key][suffix][k]
                    messages.append(
                        line if np.isfinite(value[k]) else f"marker gap ({line})"
                    )
            values[quantity][suffix] = (value, messages)
    return values


def _time_averages(
    values: FloatArray,
    rate_hz: float,
    t0_s: float,
    start_s: FloatArray,
    stop_s: FloatArray,
) -> FloatArray:
    """Time average of a sampled signal over each [start, stop] (linear interpolation).

    The integral of the piecewise-linear interpolant divided by the duration, so
    the value does not jitter with where the events fall between frames. NaN
    when a window leaves the record or holds a missing frame.
    """
    n = len(values)
    if n < 2:
        return np.full(len(start_s), np.nan)
    finite = np.isfinite(values)
    v = np.where(finite, values, 0.0)
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (v[:-1] + v[1:]))])
    missing = np.concatenate([[0], np.cumsum(~finite)])

    def integral(position: FloatArray) -> FloatArray:
        k = np.clip(np.floor(position).astype(int), 0, n - 2)
        f = position - k
        return cumulative[k] + f * v[k] + 0.5 * f**2 * (v[k + 1] - v[k])

    a = (np.asarray(start_s) - t0_s) * rate_hz
    b = (np.asarray(stop_s) - t0_s) * rate_hz
    inside = (a >= -1e-9) & (b <= n - 1 + 1e-9) & (b > a)
    a, b = np.clip(a, 0, n - 1), np.clip(b, 0, n - 1)
    first = np.floor(a).astype(int)
    last = np.minimum(np.ceil(b).astype(int), n - 1)
    complete = missing[last + 1] - missing[first] == 0
    duration = np.where(b > a, b - a, 1.0)
    mean = (integral(b) - integral(a)) / duration
    return np.where(inside & complete, mean, np.nan)


@dataclass(frozen=True)
class ForceSteps:
    """Sums over the force samples of each contact (IC ≤ t ≤ TO), shape (n_contacts,).

    Attributes
    ----------
    mean_lean_deg : ndarray
        ``Σ Fz·θ / Σ Fz`` over the samples with a COP, degrees.
    implied_acceleration : ndarray
        ``g·Σ Fz·tan θ / Σ Fz`` over the same samples, m/s² (METHODS §4.2).
    first_cop, last_cop : ndarray of int
        First and last force sample with a COP (-1 if none).
    """

    mean_lean_deg: FloatArray
    implied_acceleration: FloatArray
    first_cop: npt.NDArray[np.intp]
    last_cop: npt.NDArray[np.intp]


def _force_steps(force: ForceLean, times: ContactTimes) -> ForceSteps:
    grf = force.grf
    first = np.ceil((times.ic - grf.t0_s) * grf.rate_hz - 1e-9).astype(int)
    stop = np.floor((times.to - grf.t0_s) * grf.rate_hz + 1e-9).astype(int) + 1
    first = np.clip(first, 0, len(grf.vertical))
    stop = np.clip(stop, first, len(grf.vertical))
    valid = np.isfinite(force.lean_deg) & (grf.vertical > 0)
    weight = np.where(valid, grf.vertical, 0.0)
    lean_rad = np.radians(np.where(valid, force.lean_deg, 0.0))

    def window_sum(values: FloatArray) -> FloatArray:
        total = np.concatenate([[0.0], np.cumsum(values)])
        return total[stop] - total[first]

    weight_sum = window_sum(weight)
    has_cop = weight_sum > 0
    divisor = np.where(has_cop, weight_sum, 1.0)
    mean = np.where(
        has_cop, window_sum(weight * np.degrees(lean_rad)) / divisor, np.nan
    )
    tangent = window_sum(weight * np.tan(lean_rad)) / divisor
    valid_index = np.flatnonzero(valid)
    after_first = np.searchsorted(valid_index, first)
    before_stop = np.searchsorted(valid_index, stop) - 1
    padded = np.concatenate([valid_index, [-1]])
    return ForceSteps(
        mean,
        np.where(has_cop, GRAVITY * tangent, np.nan),
        np.where(has_cop, padded[after_first], -1),
        np.where(has_cop, padded[np.maximum(before_stop, 0)], -1),
    )


def _whole_body_per_step(
    force: ForceLean, steps: ForceSteps, contacts: list[Contact], times: ContactTimes
) -> dict[str, tuple[FloatArray, list[str]]]:
    """θ(COP→COM) per contact at the analog rate; stance mean weighted by Fz."""
    grf = force.grf
    rate, t0 = grf.rate_hz, grf.t0_s
    has_cop = steps.first_cop >= 0
    cops = {
        "_ic": grf.cop[steps.first_cop],
        "_midstance": sample_at(grf.cop, rate, t0, times.midstance),
        "_to": grf.cop[steps.last_cop],
    }
    out = {"": steps.mean_lean_deg}
    for suffix, when in (
        ("_ic", times.ic),
        ("_midstance", times.midstance),
        ("_to", times.to),
    ):
        com = sample_at(force.com, rate, t0, when)
        lean_deg = cop_com_lean_deg(cops[suffix], com, force.up, force.forward)
        out[suffix] = np.where(has_cop, lean_deg, np.nan)
    messages = [
        "no centre of pressure during this contact"
        if not cop
        else ""
        if contact.clean
        else UNCLEAN
        for cop, contact in zip(has_cop, contacts, strict=True)
    ]
    return {suffix: (values, messages) for suffix, values in out.items()}


def _add_step_metrics(
    result: Result,
    contacts: list[Contact],
    values: StepValues,
    static: Mapping[str, float],
) -> None:
    for quantity in QUANTITIES:
        if quantity not in values:
            continue
        for suffix in INSTANTS:
            value, messages = values[quantity][suffix]
            for k, contact in enumerate(contacts):
                unclean = quantity == "whole_body_lean" and not contact.clean
                result.add_metric(
                    quantity + suffix,
                    value[k],
                    step=contact.step,
                    side=contact.side,
                    time_s=contact.ic_s,
                    status="unclean" if unclean else "ok",
                    message=messages[k],
                )
        if quantity not in static:
            continue
        value, messages = values[quantity][""]
        for k, contact in enumerate(contacts):
            result.add_metric(
                f"{quantity}_rel_static",
                value[k] - static[quantity],
                step=contact.step,
                side=contact.side,
                time_s=contact.ic_s,
                message=f"static offset {static[quantity]:.2f}°; {messages[k]}",
            )


# ---------------------------------------------------------------- static trial


def _static_offsets(
    trial: TrialView, lines: Lines, cutoff_hz: float, mode: str, result: Result
) -> dict[str, float]:
    """Mean angle of each standing line in the static trial (offset of upright posture)."""
    static = trial.static
    wanted = [q for q in STANDING_QUANTITIES if q in lines.angles]
    if static is None:
        result.leave_out(_static_names(wanted), "no static trial")
        return {}
    if static.markers.n_frames == 0 or static.markers.rate_hz <= 0:
        result.leave_out(
            _static_names(wanted), f"static trial {static.label} has no marker frames"
        )
        return {}
    if not wanted:
        result.note(
            f"static trial {static.label} not used: this trial has none of the "
            "lines defined in standing"
        )
        return {}
    body = static.body
    points = _filtered_points(
        body, static.markers.rate_hz, cutoff_hz, mode, trunk=lines.trunk
    )
    sex = static.subject.sex if static.subject is not None else None
    com = None
    if "whole_body_lean_ankle" in wanted:
        try:
            estimate = best_com(body, sex)
        except ValueError:
            estimate = None
        if estimate is not None:
            com = lowpass(
                estimate.com, static.markers.rate_hz, cutoff_hz, cutoff_mode=mode
            )
    standing = line_angles(
        points, com, static.up, static.progression.direction, trunk=lines.trunk
    )
    offsets, lacking = {}, []
    for quantity in wanted:
        means = [
            _finite_mean(angle) for angle in standing.angles.get(quantity, {}).values()
        ]
        means = [m for m in means if np.isfinite(m)]
        if means:
            offsets[quantity] = float(np.mean(means))
        else:
            lacking.append(quantity)
    result.note(
        f"static trial {static.label}: offsets of upright posture = mean angle over "
        f"its {static.markers.n_frames} frames, same lines as this trial, its own "
        f"progression direction ({static.progression.method}); stance-leg lines "
        "averaged over both legs"
    )
    result.leave_out(
        _static_names(lacking),
        f"line not defined in the static trial {static.label} (landmarks missing)",
    )
    return offsets


def _static_names(quantities: list[str]) -> list[str]:
    """The metrics that need the static trial, of these standing lines."""
    return [name for q in quantities for name in (f"{q}_rel_static", f"static_{q}")]


def _finite_mean(values: FloatArray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else np.nan


# ---------------------------------------------------------------- §4.2 check


def _add_acceleration_check(
    result: Result,
    trial: TrialView,
    contacts: list[Contact],
    force: ForceLean,
    steps: ForceSteps,
) -> None:
    """Implied (g·Σ Fz tan θ / Σ Fz) and measured mean forward acceleration per step."""
    grf = force.grf
    mass = trial.body_mass_kg()
    source = "body_mass plugin" if trial.has_result("body_mass") else "subject record"
    impulse = (
        np.concatenate([[0.0], np.cumsum(grf.force @ force.forward)]) / grf.rate_hz
    )
    ic = np.array([c.ic_s for c in contacts])
    sample = np.clip(
        np.ceil((ic - grf.t0_s) * grf.rate_hz - 1e-9).astype(int), 0, len(grf.force)
    )
    implied_all, measured_all = [], []
    for k, contact in enumerate(contacts):
        implied = steps.implied_acceleration[k]
        status = "ok" if contact.clean else "unclean"
        message = "" if contact.clean else UNCLEAN
        result.add_metric(
            "lean_implied_acceleration",
            implied,
            step=contact.step,
            side=contact.side,
            time_s=contact.ic_s,
            status=status,
            message=message if np.isfinite(implied) else "no centre of pressure",
        )
        measured, why = np.nan, ""
        if mass is None:
            why = "body mass unknown (no body_mass result, no subject mass)"
        elif k + 1 == len(contacts):
            why = "last contact: no next initial contact closes the step"
        else:
            step_time = ic[k + 1] - ic[k]
            measured = (impulse[sample[k + 1]] - impulse[sample[k]]) / (
                mass * step_time
            )
        result.add_metric(
            "ap_acceleration",
            measured,
            step=contact.step,
            side=contact.side,
            time_s=contact.ic_s,
            status=status,
            message=why or message,
        )
        if np.isfinite(implied) and np.isfinite(measured) and contact.clean:
            implied_all.append(implied)
            measured_all.append(measured)
    if mass is not None:
        result.note(f"ap_acceleration: body mass {mass:.2f} kg from the {source}")
    summary = (
        f"; this trial (clean steps): implied {np.mean(implied_all):+.3f} m/s², "
        f"measured {np.mean(measured_all):+.3f} m/s²"
        if implied_all
        else ""
    )
    result.note(f"whole_body_lean — {WHOLE_BODY_CAVEAT}{summary}")


# ---------------------------------------------------------------- notes, series


REQUIRED_POINTS = {
    "whole_body_lean_ankle": ("l_ajc", "r_ajc"),
    "trunk_lean": ("midh", "mids", "cerv", "supr"),
    "trunk_thigh_angle": ("midh", "mids", "cerv", "l_hjc", "l_kjc", "r_kjc"),
    "leg_line": ("l_hjc", "r_hjc", "l_ajc", "r_ajc"),
    "bend_index": ("midh", "mids", "cerv", "l_ajc", "r_ajc"),
    "body_line": ("mids", "cerv", "l_ajc", "r_ajc"),
    "head_alignment": ("cerv", "head_com"),
}
"""Points whose missing landmarks explain why a line is not computed."""

TRUNK_QUANTITIES = (
    "trunk_lean",
    "trunk_thigh_angle",
    "bend_index",
    "body_line",
    "head_alignment",
)
"""Lines that all need the trunk line (left out together when it is missing)."""


def _metric_names(quantity: str) -> list[str]:
    """The declared metrics of one line: per step, per instant, static offset."""
    names = [quantity + suffix for suffix in INSTANTS]
    if quantity in STANDING_QUANTITIES:
        names += [f"{quantity}_rel_static", f"static_{quantity}"]
    return names


def _report_availability(
    result: Result,
    lines: Lines,
    body: BodyPoints,
    trial: TrialView,
    com_track: ComTrack | None,
) -> None:
    if "trunk_lean" in lines.used:
        result.note(f"trunk line: {lines.used['trunk_lean']}")
    if lines.angles and body.notes:
        result.note("joint centres: " + "; ".join(body.notes))
    force_metrics = [
        *_metric_names("whole_body_lean"),
        "lean_implied_acceleration",
        "ap_acceleration",
    ]
    if com_track is None:
        result.leave_out(force_metrics, "needs the COM: the pelvis markers are missing")
    elif trial.grf is None:
        result.leave_out(force_metrics, "needs the centre of pressure: no force plates")
    trunk_missing = "trunk_lean" in lines.unavailable
    for quantity, why in lines.unavailable.items():
        if trunk_missing and quantity in TRUNK_QUANTITIES:
            trunk_needs = lines.unavailable["trunk_lean"].removeprefix("needs ")
            quantity_why = f"needs the trunk line ({trunk_needs})"
            points = REQUIRED_POINTS["trunk_lean"]
        else:
            quantity_why, points = why, REQUIRED_POINTS[quantity]
        landmarks = dict.fromkeys(
            name for point in points for name in body.missing.get(point, ())
        )
        result.leave_out(
            _metric_names(quantity),
            quantity_why
            + (f": missing landmarks {', '.join(landmarks)}" if landmarks else ""),
        )


def _add_series(
    result: Result,
    trial: TrialView,
    contacts: list[Contact],
    lines: Lines,
    force: ForceLean | None,
    com: FloatArray | None,
) -> None:
    """Angle series at the marker rate; stance-leg lines NaN in flight."""
    markers = trial.markers
    time = trial.marker_time
    stance_side = np.full(markers.n_frames, -1)
    for contact in contacts:
        first = np.searchsorted(time, contact.ic_s - 1e-9, side="left")
        stop = np.searchsorted(time, contact.to_s + 1e-9, side="right")
        stance_side[first:stop] = (
            SIDES.index(contact.side) if contact.side in SIDES else -1
        )
    for quantity in SERIES_QUANTITIES:
        if quantity == "whole_body_lean":
            if force is None or com is None:
                continue
            grf = force.grf
            cop = sample_at(grf.cop, grf.rate_hz, grf.t0_s, time)
            series = cop_com_lean_deg(cop, com, force.up, force.forward)
        elif quantity not in lines.angles:
            continue
        elif quantity in STANCE_LEG_QUANTITIES:
            series = np.full(markers.n_frames, np.nan)
            for i, side in enumerate(SIDES):
                angle = lines.of(quantity, side)
                if angle is not None:
                    series[stance_side == i] = angle[stance_side == i]
        else:
            series = lines.angles[quantity][""]
        result.add_series(quantity, series, rate_hz=markers.rate_hz, t0_s=markers.t0_s)
