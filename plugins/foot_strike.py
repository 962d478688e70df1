"""Foot-strike pattern: foot strike angle and strike index at initial contact.

METHODS §6.1 (foot strike angle, FSA): the foot angle
``θ_foot(t) = atan2((TOE - HEEL)·e_up, (TOE - HEEL)·e_prog)`` (toe up
positive; TOE = the ``toe`` landmark, else the mean of ``mt1`` and ``mt5``).
θ_foot(IC) comes from a local fit to the *unfiltered* markers: a quadratic
in time fitted to θ_foot over the ``fsa_fit_window_s`` (40 ms) before IC and
evaluated at IC. At touchdown the foot starts rotating at several hundred °/s
(a kink at IC); any low-pass blends that rotation into the IC value (at
20 Hz the FSA of a 12° landing at 4.5 m/s read 1.8° low), while the frames
before IC are the smooth end of the swing. With ``fsa_fit_window_s = 0``
θ_foot is read from the markers low-passed at ``marker_lowpass_hz``
(default 20 Hz, METHODS §7), linearly interpolated at IC.
``FSA = θ_foot(IC) - θ_foot(standing)``, the
standing angle being the mean over the subject's static trial. Classes of
Altman & Davis (2012): rearfoot (RFS) if FSA > 8.0°, midfoot (MFS) if
-1.6° ≤ FSA ≤ 8.0°, forefoot (FFS) if FSA < -1.6° (parameters).

METHODS §6.2 (strike index, SI): ``SI = 100·((COP_IC - HEEL_floor)·e_foot) /
foot_length`` with COP_IC the COP of the plate that measured the contact
(not the combined COP of all plates, which lies between the feet in double
support) at its first analog sample with F_up ≥ T_cop (§1.7), computed from
the plate's force and moment low-passed at ``cop_lowpass_hz`` (§7: 50 Hz
for "GRF for events and COP"; unfiltered, the Fukuchi treadmill COP jumps by
±15 cm from sample to sample at 50-100 N), HEEL_floor the heel marker
projected on the floor and moved forward by the marker radius (the posterior
heel surface lies one radius in front of the marker centre), e_foot the
horizontal unit vector HEEL→TOE and HEEL, TOE taken at the COP instant. Foot length: the
subject's ``extra["shoe_length_m"]``, else ``extra["foot_length_m"]``, else
de Leva's foot length scaled from stature, else the HEEL→TTIP distance of the
body model (the notes say which). Thirds: RFS if SI ≤ 33 %, MFS if
33 % < SI ≤ 66 %, FFS if SI > 66 % (parameters). Only for contacts measured
by a force plate and clean (§1.8).

Departures and flags:

* The standing angle is the elevation of HEEL→TOE above the horizontal in the
  static trial (the foot's own heading instead of ``e_prog``): the subject's
  facing direction in a static trial is not known reliably, and for a foot
  pointing forward both are the same angle.
* Without a static trial (or its markers for that foot) the FSA is the raw
  foot angle relative to the floor, status ``warning``.
* FSA at a kinematic IC (``event_source`` 2 or 4) has status ``warning``: a 10 ms
  IC error changes it by several degrees (§6.1).
* No FSA when a foot marker is missing at the frames around IC (gaps are
  spline-filled before filtering, but not trusted at IC, §7).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np

from gaitlab.api import (
    SIDE_PREFIX,
    Contact,
    MetricSpec,
    Param,
    Result,
    RunContext,
    Skip,
    TrialView,
    foot_length_m,
    horizontal_unit,
    lowpass,
    plugin,
    sample_at,
)

REARFOOT, MIDFOOT, FOREFOOT = 1.0, 2.0, 3.0
"""Codes of the foot-strike classes."""
STRIKE_CLASSES = ((REARFOOT, "rearfoot"), (MIDFOOT, "midfoot"), (FOREFOOT, "forefoot"))
"""Labels of the codes (exports show labels and counts, not means)."""

KINEMATIC_IC = (2.0, 4.0)
"""``event_source`` of contacts whose IC comes from the markers (as detected, or
corrected by their bias against the plates)."""


@plugin(
    name="foot_strike",
    version="1.1.0",
    title="Foot strike pattern",
    category="Kinematics",
    needs=("result:gait_events", "landmark:l_heel|landmark:r_heel"),
    metrics=(
        MetricSpec(
            "foot_strike_angle",
            "deg",
            "Foot strike angle: sagittal angle of HEEL→TOE at IC minus that of "
            "standing (static trial); toe up positive (METHODS §6.1). Without a "
            "static trial: angle relative to the floor (status warning)",
            headline=True,
        ),
        MetricSpec(
            "foot_strike_class_fsa",
            "1",
            "Foot-strike class from the FSA (Altman & Davis 2012): 1 = rearfoot "
            "(FSA > 8.0°), 2 = midfoot (-1.6° ≤ FSA ≤ 8.0°), 3 = forefoot "
            "(FSA < -1.6°); thresholds are parameters (METHODS §6.1)",
            categories=STRIKE_CLASSES,
        ),
        MetricSpec(
            "strike_index",
            "%",
            "Strike index: position of the COP (50 Hz low-passed plate wrench) at "
            "its first valid sample (GRF_up ≥ T_cop) along the foot, from the "
            "posterior heel, in % of foot length (METHODS §6.2)",
            plausible=(0.0, 100.0),
            headline=True,
        ),
        MetricSpec(
            "foot_strike_class_si",
            "1",
            "Foot-strike class from the strike index: 1 = rearfoot (SI ≤ 33 %), "
            "2 = midfoot (33 % < SI ≤ 66 %), 3 = forefoot (SI > 66 %); limits are "
            "parameters (METHODS §6.2)",
            categories=STRIKE_CLASSES,
        ),
        MetricSpec(
            "standing_foot_angle_left",
            "deg",
            "Mean elevation of the left HEEL→TOE line above the horizontal over "
            "the static trial; toe up positive (the FSA reference, METHODS §6.1)",
            per_step=False,
        ),
        MetricSpec(
            "standing_foot_angle_right",
            "deg",
            "Mean elevation of the right HEEL→TOE line above the horizontal over "
            "the static trial; toe up positive (the FSA reference, METHODS §6.1)",
            per_step=False,
        ),
    ),
)
def foot_strike(
    trial: TrialView,
    ctx: RunContext,
    *,
    marker_lowpass_hz: Annotated[
        float,
        Param(
            min=0,
            max=50,
            unit="Hz",
            doc="Low-pass of the foot markers; 0 = unfiltered (METHODS §7: not "
            "below 10 Hz)",
        ),
    ] = 20.0,
    fsa_rearfoot_deg: Annotated[
        float, Param(min=-30, max=40, unit="deg", doc="Rearfoot if FSA is above")
    ] = 8.0,
    fsa_forefoot_deg: Annotated[
        float, Param(min=-30, max=40, unit="deg", doc="Forefoot if FSA is below")
    ] = -1.6,
    si_midfoot_from_pct: Annotated[
        float, Param(min=0, max=100, unit="%", doc="Midfoot if SI is above")
    ] = 33.0,
    si_forefoot_from_pct: Annotated[
        float, Param(min=0, max=100, unit="%", doc="Forefoot if SI is above")
    ] = 66.0,
    cop_lowpass_hz: Annotated[
        float,
        Param(
            min=0,
            max=500,
            unit="Hz",
            doc="Zero-lag low-pass of the plates' force and moment for the COP "
            "(METHODS §7); 0 = unfiltered",
        ),
    ] = 50.0,
    heel_marker_radius_m: Annotated[
        float,
        Param(
            min=0,
            max=0.02,
            unit="m",
            doc="Radius of the heel marker (posterior heel = marker centre + radius)",
        ),
    ] = 0.007,
    fsa_fit_window_s: Annotated[
        float,
        Param(
            min=0,
            max=0.1,
            unit="s",
            doc="FSA from a quadratic fit to the unfiltered foot angle over this "
            "window before IC; 0 = the low-passed angle interpolated at IC",
        ),
    ] = 0.04,
) -> Result:
    """Foot strike angle and strike index per contact, with their classes."""
    if (
        fsa_forefoot_deg > fsa_rearfoot_deg
        or si_midfoot_from_pct > si_forefoot_from_pct
    ):
        raise Skip(
            "class limits out of order: fsa_forefoot_deg must not exceed "
            "fsa_rearfoot_deg, nor si_midfoot_from_pct exceed si_forefoot_from_pct"
        )
    contacts = trial.contacts()
    if not contacts:
        raise Skip("the gait events hold no complete foot contact")
    result = Result()
    events = trial.result("gait_events")
    per_contact = {
        name: {m.time_s: m.value for m in events.metrics if m.name == name}
        for name in ("contact_plate", "event_source")
    }
    feet = _feet(trial, marker_lowpass_hz)
    if marker_lowpass_hz > 0:
        result.note(
            f"foot markers low-passed at {marker_lowpass_hz:g} Hz (2nd order, 2 passes)"
        )
    standing = _standing_angles(trial, result)
    fsa = _strike_angles(
        trial, contacts, feet, standing, per_contact["event_source"], fsa_fit_window_s
    )
    if fsa_fit_window_s > 0:
        result.note(
            "foot strike angle: quadratic fit to the unfiltered foot angle over the "
            f"{1000 * fsa_fit_window_s:g} ms before IC, evaluated at IC"
        )
    for contact, (value, status, message) in zip(contacts, fsa, strict=True):
        where = {"step": contact.step, "side": contact.side, "time_s": contact.ic_s}
        result.add_metric(
            "foot_strike_angle", value, status=status, message=message, **where
        )
        code = _fsa_class(value, fsa_rearfoot_deg, fsa_forefoot_deg)
        result.add_metric(
            "foot_strike_class_fsa", code, status=status, message=message, **where
        )
    _leave_out_if_none(
        result, ("foot_strike_angle", "foot_strike_class_fsa"), [f[::2] for f in fsa]
    )
    lengths = _foot_lengths(trial, feet, result)
    if cop_lowpass_hz > 0:
        result.note(
            f"strike index: COP from the force and moment low-passed at "
            f"{cop_lowpass_hz:g} Hz (METHODS §7)"
        )
    strike = _strike_indices(
        trial,
        contacts,
        feet,
        lengths,
        per_contact["contact_plate"],
        heel_marker_radius_m,
        cop_lowpass_hz,
    )
    for contact, (value, message) in zip(contacts, strike, strict=True):
        where = {"step": contact.step, "side": contact.side, "time_s": contact.ic_s}
        result.add_metric("strike_index", value, message=message, **where)
        code = _si_class(value, si_midfoot_from_pct, si_forefoot_from_pct)
        result.add_metric("foot_strike_class_si", code, message=message, **where)
    _leave_out_if_none(result, ("strike_index", "foot_strike_class_si"), strike)
    return result


def _leave_out_if_none(
    result: Result, names: tuple[str, ...], values: list[tuple[float, str]]
) -> None:
    """Leave the metrics out, with the contacts' reasons, when no contact has a value."""
    if any(np.isfinite(value) for value, _ in values):
        return
    reasons = dict.fromkeys(message for _, message in values if message)
    result.leave_out(names, "; ".join(reasons) or "no value at any initial contact")


def _fsa_class(fsa: float, rearfoot_above: float, forefoot_below: float) -> float:
    """Altman & Davis: 1 if FSA > rearfoot_above, 3 if < forefoot_below, else 2."""
    if not np.isfinite(fsa):
        return np.nan
    if fsa > rearfoot_above:
        return REARFOOT
    return FOREFOOT if fsa < forefoot_below else MIDFOOT


def _si_class(si: float, midfoot_above: float, forefoot_above: float) -> float:
    """Thirds: 1 if SI ≤ midfoot_above, 3 if SI > forefoot_above, else 2."""
    if not np.isfinite(si):
        return np.nan
    if si <= midfoot_above:
        return REARFOOT
    return FOREFOOT if si > forefoot_above else MIDFOOT


# ---------------------------------------------------------------- markers


def _toe(view: TrialView, prefix: str) -> np.ndarray | None:
    """The toe landmark, else the mean of the first and fifth metatarsal heads."""
    toe = view.landmark_or_none(f"{prefix}_toe")
    if toe is not None:
        return toe
    mt1 = view.landmark_or_none(f"{prefix}_mt1")
    mt5 = view.landmark_or_none(f"{prefix}_mt5")
    return None if mt1 is None or mt5 is None else 0.5 * (mt1 + mt5)


def _feet(trial: TrialView, cutoff_hz: float) -> dict[str, dict[str, np.ndarray]]:
    """Raw and filtered heel and toe of each foot that has both, by side.

    Both feet are filtered in one call (one filter design).
    """
    raw = {}
    for side, prefix in SIDE_PREFIX.items():
        heel = trial.landmark_or_none(f"{prefix}_heel")
        toe = _toe(trial, prefix)
        if heel is not None and toe is not None:
            raw[side] = np.stack([heel, toe], axis=1)
    if not raw:
        return {}
    stacked = np.concatenate(list(raw.values()), axis=1)
    if cutoff_hz > 0:
        stacked = lowpass(stacked, trial.markers.rate_hz, cutoff_hz)
    return {
        side: {"raw": points, "filtered": stacked[:, 2 * i : 2 * i + 2]}
        for i, (side, points) in enumerate(raw.items())
    }


# ---------------------------------------------------------------- foot strike angle


def _standing_angles(trial: TrialView, result: Result) -> dict[str, float]:
    """Mean standing foot angle (deg) per side from the static trial; adds metrics."""
    static = trial.static
    angles = {}
    for side, prefix in SIDE_PREFIX.items():
        name = f"standing_foot_angle_{side.lower()}"
        if static is None:
            result.leave_out(name, "no static trial")
            continue
        heel = static.landmark_or_none(f"{prefix}_heel")
        toe = _toe(static, prefix)
        if heel is None or toe is None:
            result.leave_out(name, f"no {side.lower()} heel or toe in the static trial")
            continue
        foot = toe - heel
        up = foot @ static.up
        along = np.linalg.norm(foot - np.outer(up, static.up), axis=1)
        angle = np.degrees(np.arctan2(up, along))
        if not np.isfinite(angle).any():
            result.leave_out(
                name,
                f"{side.lower()} foot markers never seen together in the static trial",
            )
            continue
        angles[side] = float(np.nanmean(angle))
        result.add_metric(name, angles[side])
    if static is not None:
        result.note(f"standing foot angles from the static trial {static.label}")
    return angles


def _strike_angles(
    trial: TrialView,
    contacts: list[Contact],
    feet: dict[str, dict[str, np.ndarray]],
    standing: dict[str, float],
    source: dict[float | None, float],
    fit_window_s: float,
) -> list[tuple[float, str, str]]:
    """(FSA in deg, status, message) per contact."""
    e_up, e_prog = trial.up, trial.progression.direction
    rate, t0 = trial.markers.rate_hz, trial.markers.t0_s
    ic = np.array([c.ic_s for c in contacts])
    at_ic = {}
    for side, points in feet.items():
        angle = _foot_angle_deg(points["filtered"], e_up, e_prog)
        raw_ok = np.isfinite(
            sample_at(points["raw"].reshape(len(angle), -1), rate, t0, ic)
        )
        if fit_window_s > 0:  # fitted at this foot's own contacts only
            raw_angle = _foot_angle_deg(points["raw"], e_up, e_prog)
            value = np.array(
                [
                    _fit_before(raw_angle, rate, t0, c.ic_s, fit_window_s)
                    if c.side == side
                    else np.nan
                    for c in contacts
                ]
            )
        else:
            value = sample_at(angle, rate, t0, ic)
        at_ic[side] = np.where(raw_ok.all(axis=1), value, np.nan)
    found = []
    for k, contact in enumerate(contacts):
        if contact.side not in feet:
            reason = (
                "side of the contact unknown"
                if not contact.side
                else f"no {contact.side.lower()} heel and toe markers"
            )
            found.append((np.nan, "invalid", reason))
            continue
        raw = at_ic[contact.side][k]
        if not np.isfinite(raw):
            found.append((np.nan, "invalid", "foot markers missing at IC (METHODS §7)"))
            continue
        problems = []
        reference = standing.get(contact.side)
        if reference is None:
            problems.append(
                "no standing foot angle (static trial): angle relative to the floor"
            )
        if source.get(contact.ic_s) in KINEMATIC_IC:
            problems.append(
                "IC from kinematics: a 10 ms IC error changes the FSA by degrees "
                "(METHODS §6.1)"
            )
        value = raw - (reference or 0.0)
        found.append((value, "warning" if problems else "ok", "; ".join(problems)))
    return found


def _fit_before(
    angle: np.ndarray, rate_hz: float, t0_s: float, time_s: float, window_s: float
) -> float:
    """The foot angle at ``time_s`` from a local fit to the frames before it.

    A quadratic in time is fitted by least squares to the unfiltered angle at
    the frames in ``[time_s - window_s, time_s]`` and evaluated at ``time_s``
    (a straight line with fewer than 5 frames; NaN with fewer than 3 frames
    or a missing one). The touchdown kink lies at IC: the frames before it
    are the smooth end of the swing, which a low-pass would blend with the
    fast rotation after it (at 20 Hz the FSA reads 1.5-2° low at 400°/s).
    """
    last = int(np.floor((time_s - t0_s) * rate_hz))
    first = int(np.ceil((time_s - window_s - t0_s) * rate_hz))
    frames = np.arange(max(first, 0), min(last + 1, len(angle)))
    if frames.size < 3 or not np.isfinite(angle[frames]).all():
        return np.nan
    times = t0_s + frames / rate_hz - time_s
    degree = 2 if frames.size >= 5 else 1
    return float(np.polyval(np.polyfit(times, angle[frames], degree), 0.0))


def _foot_angle_deg(
    heel_toe: np.ndarray, e_up: np.ndarray, e_prog: np.ndarray
) -> np.ndarray:
    """θ_foot = atan2((TOE - HEEL)·e_up, (TOE - HEEL)·e_prog) in degrees."""
    foot = heel_toe[:, 1] - heel_toe[:, 0]
    return np.degrees(np.arctan2(foot @ e_up, foot @ e_prog))


# ---------------------------------------------------------------- strike index


def _foot_lengths(
    trial: TrialView, feet: dict[str, dict[str, np.ndarray]], result: Result
) -> dict[str, float]:
    """Foot length (m) per side for the strike index, and a note saying whence.

    The last resort is the HEEL→TTIP distance of gaitlab's body model, which
    without foot length or stature is the heel-to-toe-marker distance
    (conventions rule 9): computed here from the foot markers directly.
    """
    subject = trial.subject
    extra = subject.extra if subject is not None else {}
    for key, what in (
        ("shoe_length_m", "the measured shoe length"),
        ("foot_length_m", "the measured foot length"),
    ):
        value = extra.get(key)
        if isinstance(value, int | float) and value > 0:
            result.note(f"strike index: foot length {value:.3f} m = {what}")
            return {"Left": float(value), "Right": float(value)}
    height = subject.height_m if subject is not None else None
    scaled = foot_length_m(height, subject.sex if subject is not None else None)
    if scaled is not None:
        result.note(
            f"strike index: foot length {scaled:.3f} m scaled from stature (de Leva "
            "1996; a shoe is longer: SI somewhat overestimated)"
        )
        return {"Left": scaled, "Right": scaled}
    lengths = {}
    for side, points in feet.items():
        distance = np.linalg.norm(points["raw"][:, 1] - points["raw"][:, 0], axis=1)
        if np.isfinite(distance).any():
            lengths[side] = float(np.nanmedian(distance))
    if lengths:
        result.note(
            "strike index: foot length = median HEEL→TTIP distance of the markers "
            f"({', '.join(f'{s} {v:.3f} m' for s, v in lengths.items())}); without "
            "stature TTIP is the toe marker, so the foot is underestimated and SI "
            "overestimated"
        )
    else:
        result.note("strike index: no foot length known")
    return lengths


def _strike_indices(
    trial: TrialView,
    contacts: list[Contact],
    feet: dict[str, dict[str, np.ndarray]],
    lengths: dict[str, float],
    plate: dict[float | None, float],
    radius_m: float,
    cop_lowpass_hz: float,
) -> list[tuple[float, str]]:
    """(SI in %, reason when NaN) per contact."""
    grf = trial.grf
    if grf is None:
        return [(np.nan, "no force plate in this trial")] * len(contacts)
    cop, time = trial.first_cop(contacts, plate, grf.cop_threshold_n, cop_lowpass_hz)
    along = np.full(len(contacts), np.nan)
    time = np.where(np.isfinite(time), time, trial.markers.t0_s)  # NaN COP rows stay
    for side, points in feet.items():
        heel_toe = sample_at(
            points["filtered"].reshape(len(points["filtered"]), -1),
            trial.markers.rate_hz,
            trial.markers.t0_s,
            time,
        ).reshape(-1, 2, 3)
        e_foot = horizontal_unit(heel_toe[:, 1] - heel_toe[:, 0], trial.up)
        distance = np.sum((cop - heel_toe[:, 0]) * e_foot, axis=1)
        mine = np.array([c.side == side for c in contacts])
        along[mine] = distance[mine] - radius_m
    found = []
    for k, contact in enumerate(contacts):
        if plate.get(contact.ic_s, 0.0) <= 0:
            found.append((np.nan, "no force plate measured this contact"))
        elif not contact.clean:
            found.append(
                (np.nan, "contact not clean (METHODS §1.8): the COP is not this foot's")
            )
        elif contact.side not in feet or contact.side not in lengths:
            found.append(
                (np.nan, "no heel and toe markers or foot length for this side")
            )
        elif not np.isfinite(cop[k, 0]):
            found.append((np.nan, "the vertical force never reached the COP threshold"))
        elif not np.isfinite(along[k]):
            found.append((np.nan, "foot markers missing at the first COP sample"))
        else:
            found.append((100.0 * along[k] / lengths[contact.side], ""))
    return found
