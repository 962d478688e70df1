"""Braking and propulsion impulses, peak AP forces and overstriding at initial contact.

METHODS §5.2 (impulses): ``F_ap = GRF·e_prog`` with ``e_prog`` the trial's
direction of progression (§5.1, found by ``TrialView.progression``), from
the initial contact (IC) to the toe-off (TO) of each contact, GRF
unfiltered at the analog rate (§7). The samples are joined by straight lines
between the sub-sample IC and TO times and that piecewise-linear force is
integrated exactly (trapezoidal rule, with the zero crossings inserted so
the sign-based parts add up to the net impulse):

* sign-based: ``J_brake = ∫ min(F_ap, 0) dt`` (≤ 0), ``J_prop = ∫ max(F_ap, 0) dt``;
* phase-based: braking phase = IC → the first upward zero crossing of
  ``F_ap`` after which ``F_ap`` stays ≥ 0 for at least ``sustained_crossing_s``
  (or until TO), propulsive phase = the rest of the stance; the impulses are
  the net integrals over each phase. The two variants differ when short
  positive spikes occur in the braking phase (or negative dips later);
* ``∫ GRF_up dt`` from IC to the next IC (either foot) over ``m·g·T_step``:
  1 in steady running (METHODS §5.2 check).

Normalised by the force-derived body mass (``body_mass`` plugin, §3.5) or,
without it, the subject's recorded mass (the notes say which).

METHODS §5.3 (overstriding), per contact at IC, along ``e_prog``: foot
landing distance of the ankle joint centre, the heel marker and the first
valid COP (first analog sample of the contact with ``F_up ≥ T_cop`` on the
plate that measured it, §1.7) relative to the COM (the ``center_of_mass``
plugin's ``com`` series), of the ankle joint centre relative to the mid-hip
point (MIDH) and the knee joint centre; shank angle at IC. The COM is taken at IC for all three COM-based
distances, also for the COP (whose first valid sample lies at or just after
IC). The COP is that plate's, not the combined COP of all plates (which lies
between the feet in double support), computed from its force and moment
low-passed at ``cop_lowpass_hz`` (§7: 50 Hz for COP): unfiltered, a
treadmill's COP at 50-100 N jumps by ±15 cm from sample to sample (Fukuchi
RBDS001). Joint centres follow gaitlab's body model (``TrialView.body``).

Departures: marker positions are used unfiltered by default
(``marker_lowpass_hz = 0``): these are positions at one instant, and a
12 Hz low-pass (§7, meant for angles and COM) smears the abrupt stop of the
foot at IC by centimetres; the noise of raw positions is about a millimetre.
Contacts not measured by a force plate (kinematic events) get NaN force
values; force values of unclean contacts (§1.8) get status ``unclean``.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np

from gaitlab.api import (
    GRAVITY,
    Contact,
    GroundReaction,
    MetricSpec,
    Param,
    Result,
    RunContext,
    Skip,
    TrialView,
    lowpass,
    plugin,
    sample_at,
)

KINETIC_METRICS = (
    "braking_impulse",
    "propulsive_impulse",
    "net_impulse",
    "braking_impulse_bw",
    "propulsive_impulse_bw",
    "braking_impulse_phase",
    "propulsive_impulse_phase",
    "braking_duration",
    "peak_braking_force",
    "peak_propulsive_force",
)
"""Per-contact metrics computed from the AP force of the contact."""

UNCLEAN_MESSAGE = (
    "contact not clean (foot partly off the plate or another foot on it, "
    "METHODS §1.8): force values unreliable"
)


@plugin(
    name="braking",
    version="1.0.0",
    title="Braking and propulsion",
    category="Kinetics",
    needs=("forceplates", "result:gait_events"),
    optional=("result:body_mass", "result:center_of_mass"),
    metrics=(
        MetricSpec(
            "braking_impulse",
            "N·s/kg",
            "Sign-based braking impulse ∫min(F_ap, 0)dt from IC to TO (≤ 0), F_ap = "
            "GRF·e_prog unfiltered, divided by body mass (METHODS §5.2)",
            headline=True,
        ),
        MetricSpec(
            "propulsive_impulse",
            "N·s/kg",
            "Sign-based propulsive impulse ∫max(F_ap, 0)dt from IC to TO (≥ 0), "
            "divided by body mass (METHODS §5.2)",
            headline=True,
        ),
        MetricSpec(
            "net_impulse",
            "N·s/kg",
            "Net AP impulse ∫F_ap dt from IC to TO divided by body mass = change of "
            "forward COM velocity over the stance (METHODS §5.2)",
        ),
        MetricSpec(
            "braking_impulse_bw",
            "BW·s",
            "Sign-based braking impulse divided by body weight m·g (METHODS §5.2)",
        ),
        MetricSpec(
            "propulsive_impulse_bw",
            "BW·s",
            "Sign-based propulsive impulse divided by body weight m·g (METHODS §5.2)",
        ),
        MetricSpec(
            "braking_impulse_phase",
            "N·s/kg",
            "Phase-based braking impulse: ∫F_ap dt from IC to the first upward zero "
            "crossing of F_ap followed by ≥ sustained_crossing_s of F_ap ≥ 0 (end "
            "of the braking phase), divided by body mass (METHODS §5.2)",
        ),
        MetricSpec(
            "propulsive_impulse_phase",
            "N·s/kg",
            "Phase-based propulsive impulse: ∫F_ap dt from the end of the braking "
            "phase to TO, divided by body mass (METHODS §5.2)",
        ),
        MetricSpec(
            "braking_duration",
            "s",
            "Duration of the braking phase: IC to the first sustained upward zero "
            "crossing of F_ap (METHODS §5.2, phase-based)",
        ),
        MetricSpec(
            "peak_braking_force",
            "BW",
            "Most negative F_ap between IC and TO (0 if none), in body weights "
            "(METHODS §5.2)",
        ),
        MetricSpec(
            "peak_propulsive_force",
            "BW",
            "Largest positive F_ap between IC and TO (0 if none), in body weights "
            "(METHODS §5.2)",
        ),
        MetricSpec(
            "vertical_impulse_ratio",
            "1",
            "∫GRF_up dt from this IC to the next IC (either foot) / (m·g·T_step); "
            "1 in steady running (METHODS §5.2 check). Circular when the mass "
            "itself comes from whole strides of this trial: then only the "
            "step-to-step variation is informative",
        ),
        MetricSpec(
            "landing_distance_com",
            "m",
            "Foot landing distance (AJC - COM)·e_prog at IC, COM from the "
            "center_of_mass plugin; positive = ankle ahead of the COM (METHODS §5.3)",
            headline=True,
        ),
        MetricSpec(
            "landing_distance_heel",
            "m",
            "(heel marker - COM)·e_prog at IC (METHODS §5.3)",
        ),
        MetricSpec(
            "landing_distance_cop",
            "m",
            "(COP - COM)·e_prog, COP of the contact's plate (50 Hz low-passed) at "
            "the contact's first analog sample with GRF_up ≥ T_cop (METHODS §1.7), "
            "COM at IC (METHODS §5.3)",
        ),
        MetricSpec(
            "landing_distance_hip",
            "m",
            "(AJC - MIDH)·e_prog at IC: foot landing position relative to the hips "
            "(Lieberman et al. 2015; METHODS §5.3)",
        ),
        MetricSpec(
            "landing_distance_knee",
            "m",
            "(AJC - KJC)·e_prog at IC: foot landing position relative to the knee "
            "(Lieberman et al. 2015; METHODS §5.3)",
        ),
        MetricSpec(
            "shank_angle_ic",
            "deg",
            "Angle of the shank KJC→AJC from the downward vertical at IC in the "
            "sagittal plane, atan2((AJC - KJC)·e_prog, (KJC - AJC)·e_up); positive "
            "= ankle ahead of the knee (METHODS §5.3)",
            headline=True,
        ),
    ),
)
def braking(
    trial: TrialView,
    ctx: RunContext,
    *,
    sustained_crossing_s: Annotated[
        float,
        Param(
            min=0,
            max=0.1,
            unit="s",
            doc="F_ap must stay ≥ 0 this long after the crossing that ends braking",
        ),
    ] = 0.010,
    marker_lowpass_hz: Annotated[
        float,
        Param(
            min=0,
            max=50,
            unit="Hz",
            doc="Low-pass of the joint centres for the IC positions; 0 = unfiltered",
        ),
    ] = 0.0,
    cop_lowpass_hz: Annotated[
        float,
        Param(
            min=0,
            max=500,
            unit="Hz",
            doc="Zero-lag low-pass of the plates' force and moment for the landing "
            "COP (METHODS §7); 0 = unfiltered",
        ),
    ] = 50.0,
) -> Result:
    """Braking/propulsive impulses, peak AP forces and landing distances per contact."""
    grf = trial.grf
    if grf is None:
        raise Skip("no force plate with samples")
    contacts = trial.contacts()
    if not contacts:
        raise Skip("the gait events hold no complete foot contact")
    result = Result()
    progression = trial.progression
    e_prog = progression.direction
    result.note(
        f"progression e_prog = {np.round(e_prog, 3).tolist()} by the "
        f"{progression.method} method (METHODS §5.1)"
        + "".join(f"; {note}" for note in progression.notes)
    )
    mass = trial.body_mass_kg()
    if mass is None:
        result.leave_out(
            (*KINETIC_METRICS, "vertical_impulse_ratio"),
            "no body mass to normalise by (no body_mass result, no subject mass)",
        )
    elif trial.has_result("body_mass"):
        result.note(f"normalised by the force-derived body mass {mass:.2f} kg")
    else:
        result.note(f"normalised by the subject's recorded mass {mass:.2f} kg")
    events = trial.result("gait_events")
    plate = {m.time_s: m.value for m in events.metrics if m.name == "contact_plate"}
    _kinetics(result, contacts, grf, e_prog, mass, plate, sustained_crossing_s)
    cops = trial.first_cop(contacts, plate, grf.cop_threshold_n, cop_lowpass_hz)[0]
    _overstride(result, trial, contacts, cops, marker_lowpass_hz)
    return result


# ---------------------------------------------------------------- impulses


def _kinetics(
    result: Result,
    contacts: list[Contact],
    grf: GroundReaction,
    e_prog: np.ndarray,
    mass: float | None,
    plate: dict[float | None, float],
    sustained_s: float,
) -> None:
    """Impulses, braking phase, peaks and vertical impulse ratio of every contact."""
    forward = _Integral(grf.force @ e_prog, grf.rate_hz, grf.t0_s)
    vertical = _Integral(grf.vertical, grf.rate_hz, grf.t0_s)
    ic = np.array([c.ic_s for c in contacts])
    to = np.array([c.to_s for c in contacts])
    total_ic, braking_ic, propulsive_ic = forward.cumulative(ic)
    total_to, braking_to, propulsive_to = forward.cumulative(to)
    phase_end = forward.braking_phase_end(ic, to, sustained_s)
    total_end = forward.cumulative(phase_end)[0]
    lowest, highest = forward.extremes(ic, to)
    impulses_n_s = {
        "braking_impulse": braking_to - braking_ic,
        "propulsive_impulse": propulsive_to - propulsive_ic,
        "net_impulse": total_to - total_ic,
        "braking_impulse_phase": total_end - total_ic,
        "propulsive_impulse_phase": total_to - total_end,
    }
    per_weight = {
        "braking_impulse_bw": impulses_n_s["braking_impulse"],
        "propulsive_impulse_bw": impulses_n_s["propulsive_impulse"],
        "peak_braking_force": np.minimum(lowest, 0.0),
        "peak_propulsive_force": np.maximum(highest, 0.0),
    }
    following = np.append(ic[1:], np.nan)
    vertical_n_s = vertical.cumulative(following)[0] - vertical.cumulative(ic)[0]
    mass_or_nan = np.nan if mass is None else mass
    weight = mass_or_nan * GRAVITY
    values = {
        **{name: v / mass_or_nan for name, v in impulses_n_s.items()},
        **{name: v / weight for name, v in per_weight.items()},
        "braking_duration": phase_end - ic,
        "vertical_impulse_ratio": vertical_n_s / (weight * (following - ic)),
    }
    for k, contact in enumerate(contacts):
        where = {"step": contact.step, "side": contact.side, "time_s": contact.ic_s}
        reason = _force_unavailable(contact, grf, mass, plate)
        status, message = ("ok", "") if contact.clean else ("unclean", UNCLEAN_MESSAGE)
        for name in KINETIC_METRICS:
            if reason:
                result.add_metric(name, np.nan, message=reason, **where)
            else:
                result.add_metric(
                    name, values[name][k], status=status, message=message, **where
                )
        ratio_status, ratio_message = status, message
        if reason:
            ratio_message = reason
        elif k + 1 == len(contacts) or not np.isfinite(
            values["vertical_impulse_ratio"][k]
        ):
            ratio_message = "no next initial contact within the force record"
        elif not _finite_between(grf, contact.ic_s, contacts[k + 1].ic_s):
            ratio_message = "missing (non-finite) force samples before the next IC"
            values["vertical_impulse_ratio"][k] = np.nan
        elif status == "ok" and plate.get(contacts[k + 1].ic_s, 0.0) <= 0:
            ratio_status, ratio_message = (
                "warning",
                "the next initial contact comes from kinematics: T_step carries its "
                "error",
            )
        result.add_metric(
            "vertical_impulse_ratio",
            values["vertical_impulse_ratio"][k],
            status=ratio_status,
            message=ratio_message,
            **where,
        )


def _force_unavailable(
    contact: Contact,
    grf: GroundReaction,
    mass: float | None,
    plate: dict[float | None, float],
) -> str:
    """Why force values cannot be computed for a contact ("" when they can)."""
    if plate.get(contact.ic_s, 0.0) <= 0:
        return "no force plate measured this contact (kinematic events)"
    end = grf.t0_s + (len(grf.force) - 1) / grf.rate_hz
    if contact.ic_s < grf.t0_s or contact.to_s > end:
        return "the contact extends beyond the force record"
    if not _finite_between(grf, contact.ic_s, contact.to_s):
        return "missing (non-finite) force samples during the contact"
    if mass is None:
        return "no body mass to normalise by (no body_mass result, no subject mass)"
    return ""


def _finite_between(grf: GroundReaction, start_s: float, stop_s: float) -> bool:
    """True when every force sample used between the two times is finite."""
    first = max(int(np.floor((start_s - grf.t0_s) * grf.rate_hz)), 0)
    last = int(np.ceil((stop_s - grf.t0_s) * grf.rate_hz))
    return bool(np.isfinite(grf.force[first : last + 1]).all())


class _Integral:
    """Integrals of a uniformly sampled signal joined by straight lines.

    Cumulative integrals from the first sample, of the signal and of its
    negative and positive parts (each segment that changes sign is split at
    its zero crossing, so the parts add up to the trapezoidal integral
    exactly), evaluated at any times by integrating the partial segment.
    Non-finite samples count as 0 (callers refuse intervals holding one).

    Parameters
    ----------
    values : ndarray, shape (n_samples,)
        The signal (N).
    rate_hz, t0_s : float
        Sampling rate in Hz and time of the first sample in s.
    """

    def __init__(self, values: np.ndarray, rate_hz: float, t0_s: float) -> None:
        self.values = np.where(np.isfinite(values), values, 0.0)
        self.rate_hz, self.t0_s = rate_hz, t0_s
        self.dt = 1.0 / rate_hz
        a, b = self.values[:-1], self.values[1:]
        negative, positive = _segment_parts(a, b, self.dt)
        self.sums = np.stack(
            [
                np.concatenate([[0.0], np.cumsum(part)])
                for part in (0.5 * self.dt * (a + b), negative, positive)
            ]
        )

    def _locate(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Segment index, fraction within it and interpolated value at ``times``."""
        position = (times - self.t0_s) * self.rate_hz
        inside = (position >= 0) & (position <= len(self.values) - 1)
        safe = np.where(inside, position, 0.0)
        index = np.minimum(np.floor(safe).astype(int), len(self.values) - 2)
        fraction = np.where(inside, safe - index, np.nan)
        value = self.values[index] + fraction * (
            self.values[index + 1] - self.values[index]
        )
        return index, fraction, value

    def cumulative(self, times: np.ndarray) -> np.ndarray:
        """Integrals of the signal, its negative and positive parts up to ``times``.

        Returns an array of shape (3, n_times) in signal units x s (NaN
        outside the record).
        """
        index, fraction, value = self._locate(times)
        start = self.values[index]
        partial_dt = fraction * self.dt
        negative, positive = _segment_parts(start, value, partial_dt)
        partial = np.stack([0.5 * partial_dt * (start + value), negative, positive])
        return self.sums[:, index] + partial

    def extremes(
        self, start: np.ndarray, stop: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Minimum and maximum of the signal between ``start`` and ``stop`` (times)."""
        index_start, _, value_start = self._locate(start)
        index_stop, _, value_stop = self._locate(stop)
        lowest = np.minimum(value_start, value_stop)
        highest = np.maximum(value_start, value_stop)
        for k, (a, b) in enumerate(zip(index_start + 1, index_stop + 1, strict=True)):
            if b > a:
                lowest[k] = min(lowest[k], self.values[a:b].min())
                highest[k] = max(highest[k], self.values[a:b].max())
        return lowest, highest

    def braking_phase_end(
        self, start: np.ndarray, stop: np.ndarray, sustained_s: float
    ) -> np.ndarray:
        """End of the braking phase of each contact ``[start, stop]`` (times in s).

        The first upward zero crossing inside the contact after which the
        signal stays ≥ 0 for ``sustained_s`` or until ``stop``; ``stop`` when
        none qualifies; ``start`` when the signal is never negative.
        """
        f = self.values
        rising = np.flatnonzero((f[:-1] < 0) & (f[1:] >= 0))
        falling = np.flatnonzero((f[:-1] >= 0) & (f[1:] < 0))
        time = self.t0_s + np.arange(len(f)) * self.dt
        up = time[rising] + self.dt * f[rising] / (f[rising] - f[rising + 1])
        next_fall = np.searchsorted(falling, rising)
        down = np.full(up.shape, np.inf)
        has_fall = next_fall < falling.size
        j = falling[next_fall[has_fall]]
        down[has_fall] = time[j] + self.dt * f[j] / (f[j] - f[j + 1])
        index_start, _, value_start = self._locate(start)
        index_stop, _, value_stop = self._locate(stop)
        end = np.empty(start.shape)
        for k in range(start.size):
            first = np.searchsorted(up, start[k], side="right")
            last = np.searchsorted(up, stop[k], side="left")
            candidates = slice(first, last)
            good = (down[candidates] - up[candidates] >= sustained_s) | (
                down[candidates] >= stop[k]
            )
            if good.any():
                end[k] = up[candidates][np.argmax(good)]
            elif (
                value_start[k] < 0
                or value_stop[k] < 0
                or (f[index_start[k] + 1 : index_stop[k] + 1] < 0).any()
            ):
                end[k] = stop[k]
            else:
                end[k] = start[k]
        return end


def _segment_parts(
    a: np.ndarray, b: np.ndarray, dt: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Integrals of the negative and positive parts of lines from a to b over dt."""
    span = np.abs(a) + np.abs(b)
    crossing = a * b < 0
    share = 0.5 * dt / np.where(crossing, span, 1.0)
    negative = np.where(
        crossing,
        -share * np.minimum(a, b) ** 2,
        np.where((a <= 0) & (b <= 0), 0.5 * dt * (a + b), 0.0),
    )
    positive = np.where(
        crossing,
        share * np.maximum(a, b) ** 2,
        np.where((a >= 0) & (b >= 0), 0.5 * dt * (a + b), 0.0),
    )
    return negative, positive


# ---------------------------------------------------------------- overstriding

OVERSTRIDE_INPUTS = {
    "landing_distance_com": ("ajc", "com"),
    "landing_distance_heel": ("heel", "com"),
    "landing_distance_cop": ("cop", "com"),
    "landing_distance_hip": ("ajc", "midh"),
    "landing_distance_knee": ("ajc", "kjc"),
    "shank_angle_ic": ("ajc", "kjc"),
}
"""Overstriding metric → (foot point, reference point) at IC."""

POINT_NAMES = {
    "ajc": "ankle joint centre",
    "kjc": "knee joint centre",
    "heel": "heel marker",
    "midh": "mid-hip point",
    "com": "COM (center_of_mass result)",
    "cop": "valid COP",
}


def _overstride(
    result: Result,
    trial: TrialView,
    contacts: list[Contact],
    cops: np.ndarray,
    cutoff_hz: float,
) -> None:
    """Landing distances and shank angle at IC (METHODS §5.3).

    A metric whose inputs exist in no contact of the trial is left out
    (:meth:`Result.leave_out`); otherwise contacts lacking an input get NaN
    with the reason.
    """
    e_prog, e_up = trial.progression.direction, trial.up
    points = _points_at_ic(trial, contacts, cops, cutoff_hz)
    for name, (foot, reference) in OVERSTRIDE_INPUTS.items():
        usable = [p[foot] is not None and p[reference] is not None for p in points]
        if not any(usable):
            missing = {
                POINT_NAMES[q]
                for p in points
                for q in (foot, reference)
                if p[q] is None
            }
            result.leave_out(name, f"no {' or '.join(sorted(missing))} at any IC")
            continue
        for contact, p, ok in zip(contacts, points, usable, strict=True):
            where = {"step": contact.step, "side": contact.side, "time_s": contact.ic_s}
            if not ok:
                absent = [POINT_NAMES[q] for q in (foot, reference) if p[q] is None]
                result.add_metric(
                    name, np.nan, message=f"no {' or '.join(absent)} at IC", **where
                )
                continue
            if name == "shank_angle_ic":
                value = _shank_angle(p["kjc"], p["ajc"], e_up, e_prog)
            else:
                value = float((p[foot] - p[reference]) @ e_prog)
            status, message = "ok", ""
            if foot == "cop" and not contact.clean:
                status, message = "unclean", UNCLEAN_MESSAGE
            result.add_metric(name, value, status=status, message=message, **where)
    body = trial.body
    if body.notes:
        result.note("joint centres: " + "; ".join(body.notes))
    if cutoff_hz > 0:
        result.note(
            f"joint centres low-passed at {cutoff_hz:g} Hz before sampling at IC"
        )


def _points_at_ic(
    trial: TrialView, contacts: list[Contact], cops: np.ndarray, cutoff_hz: float
) -> list[dict[str, np.ndarray | None]]:
    """Per contact, the points at IC (None where missing or not finite).

    ``cops`` holds each contact's first valid COP (NaN rows where none).
    """
    body = trial.body
    rate, t0 = trial.markers.rate_hz, trial.markers.t0_s
    ic = np.array([c.ic_s for c in contacts])

    def at_ic(trajectory: np.ndarray | None) -> list[np.ndarray | None]:
        if trajectory is None:
            return _finite_rows(None, ic.size)
        if cutoff_hz > 0:
            trajectory = lowpass(trajectory, rate, cutoff_hz)
        return _finite_rows(sample_at(trajectory, rate, t0, ic), ic.size)

    shared = {
        "midh": at_ic(body.midh),
        "com": _finite_rows(_com_at(trial, ic), ic.size),
    }
    sides = {
        side: {
            name: at_ic(getattr(body, f"{prefix}_{name}"))
            for name in ("ajc", "kjc", "heel")
        }
        for prefix, side in (("l", "Left"), ("r", "Right"))
    }
    unknown = dict.fromkeys(("ajc", "kjc", "heel"), _finite_rows(None, ic.size))
    cop_rows = _finite_rows(cops, ic.size)
    return [
        {
            **{name: rows[k] for name, rows in shared.items()},
            **{name: rows[k] for name, rows in sides.get(c.side, unknown).items()},
            "cop": cop_rows[k],
        }
        for k, c in enumerate(contacts)
    ]


def _finite_rows(points: np.ndarray | None, n: int) -> list[np.ndarray | None]:
    """The n rows of an (n, 3) array, None for rows with a non-finite value.

    All None when the array itself is None (the point is missing).
    """
    if points is None:
        return [None] * n
    finite = np.all(np.isfinite(points), axis=1)
    return [row if ok else None for row, ok in zip(points, finite, strict=True)]


def _com_at(trial: TrialView, times: np.ndarray) -> np.ndarray | None:
    """COM of the center_of_mass plugin at the given times, or None."""
    if not trial.has_result("center_of_mass"):
        return None
    series = trial.result("center_of_mass").series.get("com")
    if series is None:
        return None
    return sample_at(series.values, series.rate_hz, series.t0_s, times)


def _shank_angle(
    kjc: np.ndarray, ajc: np.ndarray, e_up: np.ndarray, e_prog: np.ndarray
) -> float:
    """Shank angle from the vertical in degrees, positive = ankle ahead of the knee."""
    down = ajc - kjc
    return float(np.degrees(np.arctan2(down @ e_prog, -(down @ e_up))))
