"""Temporal, loading-rate and spring-mass measures of running, per step.

Temporal variables (METHODS §5.5), for contact k (in time order, both feet):

* contact time t_c = TO(k) − IC(k);
* step time = IC(k+1) − IC(k), flight time t_f = IC(k+1) − TO(k), cadence =
  60 / step time, all defined only when contact k+1 is the *next* contact of
  the *other* foot: NaN with a message for the last contact, when the next
  contact is of the same foot, or when it comes more than 1.5 median step
  times later (a contact in between was missed). A negative flight time
  (both feet on the ground) is kept and flagged ``warning``;
* stride time = IC of the next contact of the same foot − IC(k) (NaN when
  longer than 1.5 median stride times); duty factor = t_c / stride time, the
  classic per-stride definition (< 0.5 in running; some authors use
  t_c / step time, twice as large).

Force measures, for contacts a force plate measured (METHODS §5.4), from the
vertical GRF summed over the plates, unfiltered by default (``lowpass_hz``
≤ 100 Hz otherwise), in body weights m·g with the force-derived mass when the
``body_mass`` plugin ran (else the recorded subject mass):

* peak vertical GRF between IC and TO;
* impact peak: the first local maximum of GRF_up in the first
  ``impact_window_pct`` (25 %) of stance that is at least ``impact_min_bw``
  (0.5 BW) high and followed by a dip of at least ``impact_dip_pct`` (5 %) of
  its height before the later force maximum (a definition of gaitlab's);
* VALR: least-squares slope of GRF_up against time over the samples of the
  rising edge between 20 % and 80 % of the impact peak; VILR: the largest
  sample-to-sample slope between consecutive samples of that window. Without an
  impact peak (``no_impact_peak``): the fixed 3–12 %-of-stance window
  (default), or an impact peak defined as the force at 13 % of stance, or
  nothing. ``loading_rate_window`` records which window each step used.

Spring-mass measures (METHODS §5.6, McMahon & Cheng 1990; Morin et al. 2005):

* Δy (``com_drop``) = vertical COM position at IC − its lowest point during
  stance, from the ``center_of_mass`` result (series ``com``, the best
  estimate, or with ``com_source="com_force"`` the double-integrated GRF);
* k_vert = F_max / Δy with F_max the peak vertical GRF (N);
* ΔL = Δy + L0·(1 − cos θ), θ = asin(v·t_c / (2·L0)), k_leg = F_max / ΔL;
  v is the trial's running speed (the usual practice), or with
  ``leg_sweep_speed="stance_com"`` the mean horizontal COM speed over the
  stance relative to the ground (exact for a spring-mass runner, METHODS §8.2);
* Morin's sine-wave estimates from m, v, L0, t_f and t_c only:
  F_max = m·g·(π/2)·(t_f/t_c + 1), Δy = |−F_max·t_c²/(m·π²) + g·t_c²/8|,
  ΔL = L0 − sqrt(L0² − (v·t_c/2)²) + Δy. t_f is the mean of the flight times
  before and after the contact (those that exist).

Running speed (trial): ``speed_m_s`` when given; on a treadmill the belt
speed, i.e. the mean backward velocity of the stance foot's heel and toe
markers along e_prog over the middle 50 % of every stance (displacement over
that time); overground the mean velocity of the COM (``center_of_mass``
result, else the pelvis centroid) along e_prog, a least-squares slope over
whole strides; when the pelvis moved between 0.5 and 1 m (neither clearly
treadmill nor overground) the sum of both. Leg length L0: the subject's leg
length (mean of the sides), else the greater-trochanter marker height above
the floor in the static trial, else 0.53 × stature (METHODS §5.6, §9).

Departures from METHODS: the impact-peak rule and the treatment of missing
neighbouring contacts are gaitlab's definitions (METHODS gives none); VALR and
VILR are reported in BW/s only (N/s = BW/s × m·g).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np

from gaitlab.api import (
    GRAVITY,
    Contact,
    FloatArray,
    MetricSpec,
    Param,
    Result,
    RunContext,
    Series,
    Skip,
    StepIntervals,
    TrialView,
    least_squares_slope,
    loading_rate,
    lowpass,
    mcmahon_stiffness,
    morin_stiffness,
    plugin,
    sample_at,
    step_intervals,
)

STATURE_TO_LEG_LENGTH = 0.53
"""L0 ≈ 0.53 × stature when no leg length is measured (METHODS §5.6)."""

MIN_RUNNING_SPEED_M_S = 1.0
"""A running speed below this is flagged ``warning``."""

STANCE_MIDDLE = (0.25, 0.75)
"""Part of each stance used for the belt speed (fractions of the contact time)."""

FORCE_METRICS = (
    "peak_vertical_grf",
    "impact_peak",
    "valr",
    "vilr",
    "loading_rate_window",
)
MCMAHON_METRICS = ("com_drop", "vertical_stiffness", "leg_compression", "leg_stiffness")
"""Spring-mass measures that need the force peaks and the COM (McMahon & Cheng)."""
MORIN_METRICS = ("vertical_stiffness_morin", "leg_stiffness_morin")
"""Spring-mass measures from m, v, L0, t_f and t_c (Morin et al. 2005)."""


@plugin(
    name="running_measures",
    version="1.0.0",
    title="Running measures",
    category="Temporal and spring-mass",
    needs=("result:gait_events",),
    optional=("result:body_mass", "result:center_of_mass"),
    metrics=(
        MetricSpec(
            "contact_time",
            "s",
            "Contact time t_c = TO − IC (METHODS §5.5)",
            headline=True,
        ),
        MetricSpec(
            "flight_time",
            "s",
            "Flight time t_f = IC of the next contact (other foot) − TO of this one "
            "(METHODS §5.5); NaN for the last contact or when the next contact of the "
            "other foot is missing; negative = both feet on the ground",
            headline=True,
        ),
        MetricSpec(
            "step_time",
            "s",
            "Step time = IC of the next contact (other foot) − IC of this one "
            "(METHODS §5.5)",
        ),
        MetricSpec(
            "cadence",
            "steps/min",
            "Step rate 60 / step time (METHODS §5.5)",
            headline=True,
        ),
        MetricSpec(
            "stride_time",
            "s",
            "Stride time = IC of the next contact of the same foot − IC of this one",
        ),
        MetricSpec(
            "duty_factor",
            "1",
            "Classic per-stride duty factor t_c / stride time (< 0.5 in running; "
            "METHODS §5.5)",
        ),
        MetricSpec(
            "peak_vertical_grf",
            "BW",
            "Largest vertical GRF between IC and TO, in body weights m·g",
            headline=True,
        ),
        MetricSpec(
            "impact_peak",
            "BW",
            "First local maximum of the vertical GRF in the first 25 % of stance, "
            "≥ 0.5 BW and followed by a dip of ≥ 5 % of its height (METHODS §5.4; "
            "defaults); NaN when none",
        ),
        MetricSpec(
            "valr",
            "BW/s",
            "Vertical average loading rate: least-squares slope of the vertical GRF "
            "between 20 and 80 % of the impact peak; without an impact peak over "
            "3–12 % of stance (METHODS §5.4)",
        ),
        MetricSpec(
            "vilr",
            "BW/s",
            "Vertical instantaneous loading rate: largest sample-to-sample slope of "
            "the vertical GRF in the VALR window (METHODS §5.4)",
        ),
        MetricSpec(
            "loading_rate_window",
            "1",
            "Window of VALR/VILR: 1 = 20–80 % of the impact peak, 2 = 3–12 % of "
            "stance, 3 = 20–80 % of the force at 13 % of stance",
        ),
        MetricSpec(
            "com_drop",
            "m",
            "Δy: vertical COM position at IC minus its lowest point during stance "
            "(METHODS §5.6)",
        ),
        MetricSpec(
            "vertical_stiffness",
            "N/m",
            "k_vert = peak vertical GRF / Δy (McMahon & Cheng 1990, METHODS §5.6)",
        ),
        MetricSpec(
            "leg_compression",
            "m",
            "ΔL = Δy + L0·(1 − cos θ), θ = asin(v·t_c / (2·L0)) (METHODS §5.6)",
        ),
        MetricSpec(
            "leg_stiffness",
            "N/m",
            "k_leg = peak vertical GRF / ΔL (McMahon & Cheng 1990, METHODS §5.6)",
        ),
        MetricSpec(
            "vertical_stiffness_morin",
            "N/m",
            "Morin et al. 2005 sine-wave k_vert from m, t_f, t_c: "
            "F_max = m·g·(π/2)·(t_f/t_c + 1), Δy = |−F_max·t_c²/(m·π²) + g·t_c²/8|",
        ),
        MetricSpec(
            "leg_stiffness_morin",
            "N/m",
            "Morin et al. 2005 sine-wave k_leg = F_max / ΔL, "
            "ΔL = L0 − sqrt(L0² − (v·t_c/2)²) + Δy",
        ),
        MetricSpec(
            "running_speed",
            "m/s",
            "Running speed: given, or the treadmill belt speed from the stance "
            "feet, or the mean forward COM (pelvis) velocity overground",
            per_step=False,
            headline=True,
        ),
        MetricSpec(
            "leg_length",
            "m",
            "Leg length L0: subject record, else greater-trochanter height in the "
            "static trial, else 0.53 × stature (METHODS §5.6)",
            per_step=False,
        ),
    ),
)
def running_measures(
    trial: TrialView,
    ctx: RunContext,
    *,
    impact_window_pct: Annotated[
        float,
        Param(
            min=5, max=50, unit="%", doc="Part of stance searched for the impact peak"
        ),
    ] = 25.0,
    impact_dip_pct: Annotated[
        float,
        Param(
            min=0.5, max=50, unit="%", doc="Dip after the impact peak, % of its height"
        ),
    ] = 5.0,
    impact_min_bw: Annotated[
        float, Param(min=0, max=3, unit="BW", doc="Lowest impact peak")
    ] = 0.5,
    no_impact_peak: Annotated[
        Literal["window_3_12", "peak_at_13", "none"],
        Param(doc="Loading-rate window without an impact peak (METHODS §5.4)"),
    ] = "window_3_12",
    lowpass_hz: Annotated[
        float,
        Param(
            min=0,
            max=100,
            unit="Hz",
            doc="Low-pass of the GRF for loading rates; 0 = unfiltered",
        ),
    ] = 0.0,
    speed_m_s: Annotated[
        float,
        Param(min=0, max=15, unit="m/s", doc="Running (belt) speed; 0 = estimate"),
    ] = 0.0,
    com_source: Annotated[
        Literal["com", "com_force"],
        Param(
            doc="center_of_mass series for Δy: the best estimate or the force-derived "
            "COM (double-integrated GRF)"
        ),
    ] = "com",
    leg_sweep_speed: Annotated[
        Literal["running_speed", "stance_com"],
        Param(doc="Speed v in θ = asin(v·t_c/(2·L0)) of McMahon's leg stiffness"),
    ] = "running_speed",
) -> Result:
    """Contact, flight and step times, loading rates and spring-mass stiffness."""
    result = Result()
    contacts = trial.contacts()
    if not contacts:
        raise Skip("no complete foot contact (Foot Strike followed by Foot Off)")
    intervals = step_intervals(contacts)
    _add_temporal(result, contacts, intervals)
    com, com_name = _com_series(trial, com_source)
    speed, speed_note = (
        (speed_m_s, "given") if speed_m_s > 0 else _estimate_speed(trial, contacts, com)
    )
    if np.isfinite(speed) and speed < MIN_RUNNING_SPEED_M_S:
        result.add_metric(
            "running_speed",
            speed,
            status="warning",
            message=f"{speed:.2f} m/s ({speed_note}): not running forward; "
            "stiffness values that use it are meaningless",
        )
    elif np.isfinite(speed):
        result.add_metric("running_speed", speed)
        result.note(f"running speed {speed:.3f} m/s: {speed_note}")
    else:
        result.leave_out("running_speed", speed_note)
    leg_length, leg_note = _leg_length(trial)
    if np.isfinite(leg_length):
        result.add_metric("leg_length", leg_length)
        result.note(f"leg length L0 {leg_length:.3f} m: {leg_note}")
    else:
        result.leave_out("leg_length", leg_note)
    mass = trial.body_mass_kg()
    if mass is None:
        result.leave_out(
            (*FORCE_METRICS, *MCMAHON_METRICS, *MORIN_METRICS),
            "no body mass (no body_mass result, no subject mass)",
        )
        return result
    result.note(
        f"body mass {mass:.2f} kg ("
        + (
            "force-derived, body_mass plugin"
            if trial.has_result("body_mass")
            else "recorded subject mass"
        )
        + ")"
    )
    peaks = _force_measures(
        trial,
        result,
        contacts,
        mass,
        impact_window=impact_window_pct / 100.0,
        impact_dip=impact_dip_pct / 100.0,
        impact_min_bw=impact_min_bw,
        no_impact_peak=no_impact_peak,
        lowpass_hz=lowpass_hz,
    )
    if peaks is not None and com is not None:
        result.note(f"COM: series {com_name!r} of the center_of_mass result")
        _mcmahon(
            trial, result, contacts, peaks, com, speed, leg_length, leg_sweep_speed
        )
    elif peaks is not None:
        result.leave_out(MCMAHON_METRICS, "no centre-of-mass result")
    _morin(result, contacts, intervals, mass, speed, leg_length)
    return result


# ---------------------------------------------------------------- temporal


def _put(
    result: Result,
    name: str,
    value: float,
    where: dict,
    *,
    why_nan: str = "",
    status: str = "ok",
    message: str = "",
) -> None:
    """Add a per-step metric; ``why_nan`` joins the message when the value is NaN."""
    if not math.isfinite(value) and why_nan:
        message = "; ".join(m for m in (message, why_nan) if m)
    result.add_metric(name, value, status=status, message=message, **where)


def _add_temporal(
    result: Result, contacts: list[Contact], intervals: StepIntervals
) -> None:
    for k, contact in enumerate(contacts):
        where = {"step": contact.step, "side": contact.side, "time_s": contact.ic_s}
        _put(result, "contact_time", contact.duration_s, where)
        step, flight = intervals.step_time_s[k], intervals.flight_time_s[k]
        why = intervals.step_reason[k]
        if flight < 0:
            _put(
                result,
                "flight_time",
                flight,
                where,
                status="warning",
                message="negative: both feet on the ground (walking or landing?)",
            )
        else:
            _put(result, "flight_time", flight, where, why_nan=why)
        _put(result, "step_time", step, where, why_nan=why)
        cadence = 60.0 / step if step > 0 else math.nan
        why_cadence = why or ("" if step > 0 else "step time is zero")
        _put(result, "cadence", cadence, where, why_nan=why_cadence)
        stride, why = intervals.stride_time_s[k], intervals.stride_reason[k]
        _put(result, "stride_time", stride, where, why_nan=why)
        duty = contact.duration_s / stride if stride > 0 else math.nan
        _put(result, "duty_factor", duty, where, why_nan=why or "stride time is zero")


# ---------------------------------------------------------------- force


def _force_measures(
    trial: TrialView,
    result: Result,
    contacts: list[Contact],
    mass: float,
    *,
    impact_window: float,
    impact_dip: float,
    impact_min_bw: float,
    no_impact_peak: str,
    lowpass_hz: float,
) -> dict[int, float] | None:
    """Add peak GRF and loading rates; return peak vertical GRF (N) by contact index."""
    grf = trial.grf
    if grf is None:
        result.leave_out((*FORCE_METRICS, *MCMAHON_METRICS), "no force plates")
        return None
    weight = mass * GRAVITY
    time = grf.time
    vertical = grf.vertical
    rate_force = (
        vertical if lowpass_hz <= 0 else lowpass(vertical, grf.rate_hz, lowpass_hz)
    )
    result.note(
        "loading rates from the "
        + (
            "unfiltered vertical GRF"
            if lowpass_hz <= 0
            else f"vertical GRF low-passed at {lowpass_hz:g} Hz (2nd order, 2 passes)"
        )
        + f" sampled at {grf.rate_hz:g} Hz"
        + (" (< 1000 Hz recommended, METHODS §5.4)" if grf.rate_hz < 1000 else "")
    )
    plates = _contact_plates(trial)
    peaks: dict[int, float] = {}
    for k, contact in enumerate(contacts):
        where = {"step": contact.step, "side": contact.side, "time_s": contact.ic_s}
        if plates.get(contact.ic_s, 0) == 0:
            for name in FORCE_METRICS:
                _put(result, name, np.nan, where, why_nan="no force plate under it")
            continue
        status, message = _cleanliness(contact)
        stance = vertical[
            np.searchsorted(time, contact.ic_s) : np.searchsorted(
                time, contact.to_s, side="right"
            )
        ]
        peak = float(np.max(stance)) if stance.size else np.nan
        peaks[k] = peak
        rates = loading_rate(
            time,
            rate_force,
            contact.ic_s,
            contact.to_s,
            impact_window=impact_window,
            impact_dip=impact_dip,
            impact_min_n=impact_min_bw * weight,
            no_impact_peak=no_impact_peak,
        )
        values = {
            "peak_vertical_grf": (peak / weight, "no force sample in the stance"),
            "impact_peak": (rates.impact_peak_n / weight, "no impact peak"),
            "valr": (rates.valr_n_s / weight, rates.reason),
            "vilr": (rates.vilr_n_s / weight, rates.reason),
            "loading_rate_window": (rates.window, rates.reason),
        }
        for name, (value, why) in values.items():
            _put(
                result, name, value, where, why_nan=why, status=status, message=message
            )
    return peaks


def _cleanliness(contact: Contact) -> tuple[str, str]:
    """Status and message of force-based values of a contact."""
    if contact.clean:
        return "ok", ""
    return "unclean", (
        "contact not clean (foot not wholly on the plates or the other foot on the "
        "same plate): force values unreliable"
    )


def _contact_plates(trial: TrialView) -> dict[float, float]:
    """Plate number (0 = none) of each contact, by IC time, from gait_events."""
    return {
        m.time_s: m.value
        for m in trial.result("gait_events").metrics
        if m.name == "contact_plate" and m.time_s is not None
    }


# ---------------------------------------------------------------- spring-mass


def _com_series(trial: TrialView, preferred: str) -> tuple[Series | None, str]:
    """The center_of_mass result's preferred series (else the other one), if any."""
    if not trial.has_result("center_of_mass"):
        return None, ""
    series = trial.result("center_of_mass").series
    other = "com_force" if preferred == "com" else "com"
    for name in (preferred, other):
        if name in series:
            return series[name], name
    return None, ""


def _mcmahon(
    trial: TrialView,
    result: Result,
    contacts: list[Contact],
    peaks: dict[int, float],
    com: Series,
    speed: float,
    leg_length: float,
    sweep: str,
) -> None:
    """Δy, k_vert, ΔL and k_leg per contact measured by a plate."""
    measured = [contacts[k] for k in sorted(peaks)]
    if not measured:
        return
    ic = np.array([c.ic_s for c in measured])
    to = np.array([c.to_s for c in measured])
    height = com.values @ trial.up
    drop = _com_drops(height, com, ic, to)
    if sweep == "stance_com":
        belt = speed if trial.progression.treadmill else 0.0
        forward = com.values @ trial.progression.direction
        ends = sample_at(forward, com.rate_hz, com.t0_s, np.concatenate([ic, to]))
        v = belt + (ends[ic.size :] - ends[: ic.size]) / (to - ic)
        result.note(
            "θ of k_leg from the stance-mean horizontal COM speed relative to the "
            "ground" + (f" (belt {belt:.3f} m/s added)" if belt else "")
        )
    else:
        v = np.full(ic.size, speed)
    spring = mcmahon_stiffness(
        [peaks[k] for k in sorted(peaks)], drop, leg_length, v, to - ic
    )
    for i, contact in enumerate(measured):
        where = {"step": contact.step, "side": contact.side, "time_s": contact.ic_s}
        status, message = _cleanliness(contact)
        why = (
            "COM missing during this stance"
            if not np.isfinite(drop[i])
            else "no leg length or running speed"
        )
        _put(result, "com_drop", drop[i], where, why_nan=why)
        _put(
            result,
            "vertical_stiffness",
            spring.vertical_stiffness_n_m[i],
            where,
            why_nan=why,
            status=status,
            message=message,
        )
        _put(result, "leg_compression", spring.leg_compression_m[i], where, why_nan=why)
        _put(
            result,
            "leg_stiffness",
            spring.leg_stiffness_n_m[i],
            where,
            why_nan=why,
            status=status,
            message=message,
        )


def _com_drops(
    height: FloatArray, com: Series, ic: FloatArray, to: FloatArray
) -> FloatArray:
    """Vertical COM at IC minus its lowest value in stance, per contact, in m."""
    at_ic, at_to = sample_at(
        height, com.rate_hz, com.t0_s, np.concatenate([ic, to])
    ).reshape(2, -1)
    first = np.maximum(np.ceil((ic - com.t0_s) * com.rate_hz).astype(int), 0)
    last = np.maximum(np.floor((to - com.t0_s) * com.rate_hz).astype(int) + 1, 0)
    lowest = np.minimum(at_ic, at_to)
    for i, (a, b) in enumerate(zip(first, last, strict=True)):
        if b > a:
            lowest[i] = min(lowest[i], float(np.min(height[a:b])))
    return at_ic - lowest


def _morin(
    result: Result,
    contacts: list[Contact],
    intervals: StepIntervals,
    mass: float,
    speed: float,
    leg_length: float,
) -> None:
    """Morin et al. (2005) stiffness from m, v, L0, t_f and t_c.

    t_f of a contact is the mean of the non-negative flight times before and
    after it.
    """
    after = intervals.flight_time_s
    before = np.concatenate([[np.nan], after[:-1]])
    usable = np.stack([before, after]) >= 0
    total = np.where(usable, np.stack([before, after]), 0.0).sum(axis=0)
    count = usable.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        flight = np.where(count > 0, total / count, np.nan)
    contact_time = np.array([c.duration_s for c in contacts])
    estimate = morin_stiffness(mass, speed, leg_length, flight, contact_time)
    for k, contact in enumerate(contacts):
        where = {"step": contact.step, "side": contact.side, "time_s": contact.ic_s}
        no_flight = "no flight time before or after" if count[k] == 0 else ""
        _put(
            result,
            "vertical_stiffness_morin",
            estimate.vertical_stiffness_n_m[k],
            where,
            why_nan=no_flight,
        )
        _put(
            result,
            "leg_stiffness_morin",
            estimate.leg_stiffness_n_m[k],
            where,
            why_nan=no_flight or "no leg length or running speed, or v·t_c/2 > L0",
        )


# ---------------------------------------------------------------- speed and L0


def _estimate_speed(
    trial: TrialView, contacts: list[Contact], com: Series | None
) -> tuple[float, str]:
    """Running speed in m/s and how it was found."""
    treadmill = trial.progression.treadmill
    belt, belt_note = (
        _belt_speed(trial, contacts) if treadmill in (True, None) else (0.0, "")
    )
    body, body_note = (
        _forward_velocity(trial, contacts, com)
        if treadmill in (False, None)
        else (0.0, "")
    )
    if treadmill is None:
        return belt + body, (
            f"pelvis moved 0.5–1 m: belt speed {belt_note} plus the mean body "
            f"velocity {body_note}"
        )
    return (belt, belt_note) if treadmill else (body, body_note)


def _belt_speed(trial: TrialView, contacts: list[Contact]) -> tuple[float, str]:
    """Mean backward velocity of the stance foot's heel and toe (middle 50 %)."""
    forward = trial.progression.direction
    markers = trial.markers
    displacement, duration = [], []
    for side, prefix in (("Left", "l"), ("Right", "r")):
        stances = [c for c in contacts if c.side == side]
        if not stances:
            continue
        ic = np.array([c.ic_s for c in stances])
        contact_time = np.array([c.duration_s for c in stances])
        start = ic + STANCE_MIDDLE[0] * contact_time
        stop = ic + STANCE_MIDDLE[1] * contact_time
        for name in (f"{prefix}_heel", f"{prefix}_toe"):
            position = trial.landmark_or_none(name)
            if position is None:
                continue
            ends = sample_at(
                position @ forward,
                markers.rate_hz,
                markers.t0_s,
                np.concatenate([start, stop]),
            ).reshape(2, -1)
            moved = ends[1] - ends[0]
            finite = np.isfinite(moved)
            displacement.append(moved[finite])
            duration.append((stop - start)[finite])
    moved, elapsed = (
        np.concatenate(displacement or [[]]),
        np.concatenate(duration or [[]]),
    )
    if moved.size == 0:
        return np.nan, "no heel or toe marker of the stance foot: belt speed unknown"
    return float(-np.sum(moved) / np.sum(elapsed)), (
        "treadmill belt speed from the stance feet (heel and toe, middle 50 % of "
        f"{len(contacts)} stances; SD {np.std(-moved / elapsed):.3f} m/s)"
    )


def _forward_velocity(
    trial: TrialView, contacts: list[Contact], com: Series | None
) -> tuple[float, str]:
    """Least-squares forward velocity of the COM (or pelvis) over whole strides."""
    if com is not None:
        values, rate, t0, what = com.values, com.rate_hz, com.t0_s, "COM"
    elif trial.body.pelvis_centroid is not None:
        values, rate, t0 = (
            trial.body.pelvis_centroid,
            trial.markers.rate_hz,
            trial.markers.t0_s,
        )
        what = "pelvis centroid"
    else:
        return np.nan, "no COM and no pelvis markers: overground speed unknown"
    time = t0 + np.arange(len(values)) / rate
    position = values @ trial.progression.direction
    window = np.isfinite(position)
    first = contacts[0] if contacts else None
    same = [c for c in contacts[1:] if first and c.side and c.side == first.side]
    if same:
        window &= (time >= first.ic_s) & (time <= same[-1].ic_s)
        span = "whole strides"
    else:
        span = "the whole trial"
    if window.sum() < 2:
        return np.nan, f"{what} missing: overground speed unknown"
    slope = least_squares_slope(time[window], position[window])
    return slope, f"mean forward {what} velocity over {span}"


def _leg_length(trial: TrialView) -> tuple[float, str]:
    """L0 in m and where it came from."""
    subject = trial.subject
    sides = [v for v in (subject.leg_length_m.values() if subject else ()) if v]
    if sides:
        return float(np.mean(sides)), "subject's leg length (mean of the sides)"
    static = trial.static
    if static is not None:
        samples = [
            static.landmark(name) @ static.up
            for name in ("l_trochanter", "r_trochanter")
            if static.has_landmark(name)
        ]
        heights = [
            float(np.mean(h[np.isfinite(h)])) for h in samples if np.isfinite(h).any()
        ]
        if heights:
            floor, floor_note = _floor_height(static, trial)
            return float(np.mean(heights) - floor), (
                f"greater-trochanter height in the static trial {static.label} "
                f"({floor_note})"
            )
    if subject is not None and subject.height_m:
        return STATURE_TO_LEG_LENGTH * subject.height_m, (
            f"{STATURE_TO_LEG_LENGTH} × stature {subject.height_m:.3f} m "
            "(no measured leg length)"
        )
    return np.nan, (
        "no leg length, static trochanter markers or stature: leg stiffness not "
        "computed"
    )


def _floor_height(static: TrialView, trial: TrialView) -> tuple[float, str]:
    """Height of the floor along the static trial's vertical, in m."""
    for view, what in ((static, "static trial"), (trial, "running trial")):
        if view.forceplates:
            surface = np.mean([p.corners @ static.up for p in view.forceplates])
            return float(surface), f"floor = force-plate surface of the {what}"
    return 0.0, "floor = lab origin (no force plate to locate it)"
