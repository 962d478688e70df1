"""Always-on plausibility checks of a running trial (METHODS §8.6, §2.1 step 7, §5.1).

Every check is a trial-level metric; a value outside its plausible band gets
status ``warning`` and a message in words, so problems are shown, never
hidden:

* ``mean_vertical_grf_ratio``: mean vertical GRF over whole strides / (m·g)
  with the subject's *recorded* mass (the force-derived mass would give 1 by
  construction), ±3 %: a wrong mass, plate calibration or force sign. When
  the plates do not see every step (overground), the vertical impulse of each
  plate contact divided by m·g times its step time (the mean of the step
  times before and after it) is averaged instead;
* ``mean_ap_grf``: mean GRF along the progression over whole strides (plates
  seeing every step only); ≈ 0 on a treadmill (warning above 2 % of body
  weight), m·a overground (reported, not judged);
* ``cop_outside_plate``: % of the loaded samples (COP defined, METHODS §1.7)
  whose plate COP lies more than 10 mm outside that plate's outline (§1.10);
* ``max_free_moment``: largest per-contact peak |free moment| during plate
  contacts, after the 50 Hz low-pass METHODS §7 gives COP-derived signals
  (raw samples ring with plate vibration at impact: ±40 N·m on the Fukuchi
  treadmill), warning above 10 N·m;
* ``contacts_implausible``: contacts with a contact time outside 0.1–0.4 s,
  or whose next step (to the next contact of the other foot) has a flight
  time outside 0–0.25 s or a step rate outside 140–220 steps/min, or whose
  next contact is of the same foot (a contact missed); listed in the message;
* ``peak_below_running``: plate contacts whose vertical GRF peaks below
  1.5 body weights (force-derived mass when known, METHODS §2.1 step 7);
* ``progression_consistent``: 1 when the direction-of-progression methods of
  §5.1 agree, 0 when they disagree;
* ``landmark_missing``: % of marker frames where any of the pelvis, leg, foot
  and trunk landmarks the trial has is missing;
* ``unclean_contacts``: plate contacts flagged unclean by gait_events (§1.8).

The flight-phase gravity test (§8.4) is reported by the center_of_mass plugin
(``flight_gravity_error``) and not repeated here. Bands are parameters.
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated

import numpy as np

from gaitlab.api import (
    GRAVITY,
    Contact,
    FloatArray,
    ForcePlate,
    GroundReaction,
    MetricSpec,
    Param,
    Result,
    RunContext,
    TrialView,
    lowpass,
    plugin,
)

USED_LANDMARKS = (
    "l_asis", "r_asis", "l_psis", "r_psis", "sacrum",
    "l_knee", "r_knee", "l_ankle", "r_ankle",
    "l_heel", "r_heel", "l_toe", "r_toe",
    "c7", "l_shoulder", "r_shoulder",
)  # fmt: skip
"""Landmarks the analyses rely on (checked when the trial has them)."""

LISTED_MAX = 8
"""Longest list of contacts written into a message."""

FORCE_METRICS = (
    "mean_vertical_grf_ratio",
    "mean_ap_grf",
    "cop_outside_plate",
    "max_free_moment",
    "peak_below_running",
    "unclean_contacts",
)
"""Checks that need the force plates (left out without them)."""


@plugin(
    name="quality",
    version="1.0.0",
    title="Data quality",
    category="Quality",
    needs=("result:gait_events",),
    optional=("result:body_mass", "result:center_of_mass"),
    metrics=(
        MetricSpec(
            "mean_vertical_grf_ratio",
            "1",
            "Mean vertical GRF over whole strides / (m·g) with the recorded subject "
            "mass; ≈ 1 (±3 %) (METHODS §8.6)",
            per_step=False,
        ),
        MetricSpec(
            "mean_ap_grf",
            "N",
            "Mean GRF along the progression over whole strides; ≈ 0 on a treadmill "
            "(METHODS §8.6)",
            per_step=False,
        ),
        MetricSpec(
            "cop_outside_plate",
            "%",
            "Loaded samples whose plate COP is more than 10 mm outside the plate "
            "outline (METHODS §1.10, §8.6)",
            per_step=False,
        ),
        MetricSpec(
            "max_free_moment",
            "N·m",
            "Largest per-contact peak |free moment| (50 Hz low-pass) during plate "
            "contacts; ≲ 10 N·m in running (METHODS §8.6)",
            per_step=False,
        ),
        MetricSpec(
            "contacts_implausible",
            "1",
            "Contacts with contact time outside 0.1–0.4 s, flight time outside "
            "0–0.25 s or step rate outside 140–220 steps/min (METHODS §8.6)",
            per_step=False,
        ),
        MetricSpec(
            "peak_below_running",
            "1",
            "Plate contacts whose vertical GRF peaks below 1.5 BW (METHODS §2.1)",
            per_step=False,
        ),
        MetricSpec(
            "progression_consistent",
            "1",
            "1 when the direction-of-progression methods agree, 0 when they "
            "disagree (METHODS §5.1 step 4)",
            per_step=False,
        ),
        MetricSpec(
            "landmark_missing",
            "%",
            "Marker frames where a pelvis, leg, foot or trunk landmark is missing",
            per_step=False,
        ),
        MetricSpec(
            "unclean_contacts",
            "1",
            "Plate contacts not clean: foot not wholly on the plates or the other "
            "foot on the same plate (METHODS §1.8)",
            per_step=False,
        ),
    ),
)
def quality(
    trial: TrialView,
    ctx: RunContext,
    *,
    vertical_tolerance_pct: Annotated[
        float,
        Param(min=0.5, max=20, unit="%", doc="Band of the mean vertical GRF ratio"),
    ] = 3.0,
    ap_max_bw: Annotated[
        float,
        Param(min=0, max=0.5, unit="BW", doc="Largest mean AP GRF on a treadmill"),
    ] = 0.02,
    cop_margin_mm: Annotated[
        float, Param(min=0, max=100, unit="mm", doc="COP allowance outside a plate")
    ] = 10.0,
    cop_outside_max_pct: Annotated[
        float,
        Param(min=0, max=100, unit="%", doc="Loaded samples allowed outside a plate"),
    ] = 1.0,
    free_moment_max_nm: Annotated[
        float, Param(min=0, max=100, unit="N·m", doc="Largest plausible |free moment|")
    ] = 10.0,
    free_moment_lowpass_hz: Annotated[
        float,
        Param(
            min=0,
            max=500,
            unit="Hz",
            doc="Low-pass of the free moment (COP-derived, METHODS §7); 0 = none",
        ),
    ] = 50.0,
    contact_time_min_s: Annotated[
        float, Param(min=0, max=1, unit="s", doc="Shortest plausible contact time")
    ] = 0.1,
    contact_time_max_s: Annotated[
        float, Param(min=0, max=2, unit="s", doc="Longest plausible contact time")
    ] = 0.4,
    flight_time_min_s: Annotated[
        float, Param(min=-1, max=1, unit="s", doc="Shortest plausible flight time")
    ] = 0.0,
    flight_time_max_s: Annotated[
        float, Param(min=0, max=2, unit="s", doc="Longest plausible flight time")
    ] = 0.25,
    step_rate_min: Annotated[
        float, Param(min=0, max=400, unit="steps/min", doc="Lowest plausible step rate")
    ] = 140.0,
    step_rate_max: Annotated[
        float,
        Param(min=0, max=400, unit="steps/min", doc="Highest plausible step rate"),
    ] = 220.0,
    peak_min_bw: Annotated[
        float, Param(min=0, max=5, unit="BW", doc="Lowest running force peak")
    ] = 1.5,
    landmark_missing_max_pct: Annotated[
        float, Param(min=0, max=100, unit="%", doc="Frames allowed with a gap")
    ] = 2.0,
) -> Result:
    """Plausibility of forces, contacts, progression and markers; warnings in words."""
    result = Result()
    contacts = trial.contacts()
    plates = {
        m.time_s: int(m.value)
        for m in trial.result("gait_events").metrics
        if m.name == "contact_plate" and m.time_s is not None
    }
    on_plate = [c for c in contacts if plates.get(c.ic_s, 0) > 0]
    _check_contacts(
        result,
        contacts,
        (contact_time_min_s, contact_time_max_s),
        (flight_time_min_s, flight_time_max_s),
        (step_rate_min, step_rate_max),
    )
    _check_progression(result, trial)
    _check_landmarks(result, trial, landmark_missing_max_pct)
    grf = trial.grf
    if grf is None:
        result.leave_out(FORCE_METRICS, "no force plates")
        return result
    continuous = _continuous_window(contacts, on_plate)
    _check_vertical(
        result, trial, grf, contacts, on_plate, continuous, vertical_tolerance_pct
    )
    _check_ap(result, trial, grf, continuous, ap_max_bw)
    _check_cop(result, trial.forceplates, cop_margin_mm, cop_outside_max_pct)
    _check_free_moment(
        result, grf, on_plate, free_moment_max_nm, free_moment_lowpass_hz
    )
    _check_peaks(result, trial, grf, on_plate, peak_min_bw)
    unclean = [c for c in on_plate if not c.clean]
    _add(
        result,
        "unclean_contacts",
        len(unclean),
        bool(unclean),
        f"{len(unclean)} of {len(on_plate)} plate contacts are not clean (foot not "
        "wholly on the plates or the other foot on the same plate); their force "
        "values are flagged: " + _listing(unclean),
    )
    return result


def _add(result: Result, name: str, value: float, bad: bool, message: str) -> None:
    """Add a trial metric, with status warning and the message when ``bad``."""
    if bad:
        result.add_metric(name, value, status="warning", message=message)
    else:
        result.add_metric(name, value)


def _listing(contacts: list[Contact], details: list[str] | None = None) -> str:
    """'step 3 (Left, 1.234 s): ...' for the first few contacts."""
    texts = [
        f"step {c.step} ({c.side or 'side unknown'}, {c.ic_s:.3f} s)"
        + (f": {details[i]}" if details else "")
        for i, c in enumerate(contacts)
    ]
    more = len(texts) - LISTED_MAX
    return "; ".join(texts[:LISTED_MAX]) + (f"; and {more} more" if more > 0 else "")


# ---------------------------------------------------------------- contacts


def _check_contacts(
    result: Result,
    contacts: list[Contact],
    contact_band: tuple[float, float],
    flight_band: tuple[float, float],
    rate_band: tuple[float, float],
) -> None:
    """Contact time, flight time and step rate of each contact against their bands."""
    flagged, reasons = [], []
    for k, contact in enumerate(contacts):
        problems = []
        if not contact_band[0] <= contact.duration_s <= contact_band[1]:
            problems.append(f"contact time {contact.duration_s:.3f} s")
        if k + 1 < len(contacts):
            after = contacts[k + 1]
            if contact.side and contact.side == after.side:
                problems.append("next contact is the same foot (a contact missed?)")
            else:
                flight = after.ic_s - contact.to_s
                step = after.ic_s - contact.ic_s
                rate = 60.0 / step if step > 0 else math.inf
                if not flight_band[0] <= flight <= flight_band[1]:
                    problems.append(f"flight time {flight:.3f} s")
                if not rate_band[0] <= rate <= rate_band[1]:
                    problems.append(f"step rate {rate:.0f} steps/min")
        if problems:
            flagged.append(contact)
            reasons.append(", ".join(problems))
    _add(
        result,
        "contacts_implausible",
        len(flagged),
        bool(flagged),
        f"{len(flagged)} of {len(contacts)} contacts are implausible for running "
        f"(contact {contact_band[0]:g}–{contact_band[1]:g} s, flight "
        f"{flight_band[0]:g}–{flight_band[1]:g} s, {rate_band[0]:g}–{rate_band[1]:g} "
        "steps/min expected): " + _listing(flagged, reasons),
    )


def _check_progression(result: Result, trial: TrialView) -> None:
    progression = trial.progression
    consistent = progression.consistent
    notes = "; ".join(progression.notes)
    if not consistent:
        message = f"direction of progression uncertain: {notes}"
    elif progression.method == "default":
        message = f"direction of progression assumed: {notes}"
    else:
        message = ""
    _add(result, "progression_consistent", float(consistent), bool(message), message)


def _check_landmarks(result: Result, trial: TrialView, max_pct: float) -> None:
    present = [n for n in USED_LANDMARKS if trial.has_landmark(n)]
    if not present or trial.markers.n_frames == 0:
        result.leave_out(
            "landmark_missing",
            "no marker frames or no pelvis, leg, foot or trunk landmark",
        )
        return
    missing = {n: ~np.all(np.isfinite(trial.landmark(n)), axis=1) for n in present}
    any_missing = np.any(list(missing.values()), axis=0)
    pct = 100.0 * float(np.mean(any_missing))
    worst = sorted(missing, key=lambda n: -missing[n].mean())[:3]
    _add(
        result,
        "landmark_missing",
        pct,
        pct > max_pct,
        f"{pct:.1f} % of the frames miss a landmark (most: "
        + ", ".join(f"{n} {100 * missing[n].mean():.1f} %" for n in worst)
        + "); gaps are filled only up to 0.1 s",
    )


# ---------------------------------------------------------------- forces


def _continuous_window(
    contacts: list[Contact], on_plate: list[Contact]
) -> tuple[float, float] | None:
    """IC to IC over whole strides when the plates saw every contact, else None."""
    if len(contacts) < 3 or len(on_plate) != len(contacts):
        return None
    gaps = np.diff([c.ic_s for c in contacts])
    same_foot = any(
        a.side and a.side == b.side for a, b in itertools.pairwise(contacts)
    )
    if same_foot or np.any(gaps > 1.5 * np.median(gaps)):
        return None
    n_steps = len(contacts) - 1
    n_steps -= n_steps % 2
    return contacts[0].ic_s, contacts[n_steps].ic_s


def _window_mean(
    values: FloatArray, grf: GroundReaction, window: tuple[float, float]
) -> float:
    """Mean over the samples from ``window[0]`` (inclusive) to ``window[1]``."""
    start, stop = np.searchsorted(grf.time, window, side="left")
    return float(np.mean(values[start:stop]))


def _during(time: FloatArray, contact: Contact) -> slice:
    """Samples from IC to TO of a contact (``time`` sorted)."""
    start = int(np.searchsorted(time, contact.ic_s, side="left"))
    return slice(start, int(np.searchsorted(time, contact.to_s, side="right")))


def _check_vertical(
    result: Result,
    trial: TrialView,
    grf: GroundReaction,
    contacts: list[Contact],
    on_plate: list[Contact],
    continuous: tuple[float, float] | None,
    tolerance_pct: float,
) -> None:
    """Mean vertical GRF against the recorded body weight."""
    recorded = trial.subject.mass_kg if trial.subject is not None else None
    if not recorded:
        result.leave_out(
            "mean_vertical_grf_ratio",
            "no recorded subject mass: the force-derived mass would give 1 "
            "by construction, so the check is not possible",
        )
        return
    weight = recorded * GRAVITY
    if continuous is not None:
        ratio = _window_mean(grf.vertical, grf, continuous) / weight
        how = "over whole strides"
    else:
        ratio = _impulse_ratio(grf, contacts, on_plate, weight)
        how = "from the vertical impulse per step of the plate contacts"
    if not np.isfinite(ratio):
        result.leave_out(
            "mean_vertical_grf_ratio", "no plate contact with a known step time"
        )
        return
    derived = (
        f"; the force-derived mass is {trial.body_mass_kg():.1f} kg"
        if trial.has_result("body_mass")
        else ""
    )
    _add(
        result,
        "mean_vertical_grf_ratio",
        ratio,
        abs(ratio - 1.0) > tolerance_pct / 100.0,
        f"the mean vertical GRF ({how}) is {100 * ratio:.1f} % of the body weight "
        f"from the recorded mass {recorded:.1f} kg{derived}: check the subject "
        "mass, the plate calibration and offsets, or the force sign",
    )


def _impulse_ratio(
    grf: GroundReaction, contacts: list[Contact], on_plate: list[Contact], weight: float
) -> float:
    """Mean of (vertical impulse of a plate contact) / (m·g·step time)."""
    ics = np.array([c.ic_s for c in contacts])
    time = grf.time
    ratios = []
    for contact in on_plate:
        k = int(np.searchsorted(ics, contact.ic_s))
        steps = [
            ics[j + 1] - ics[j]
            for j in (k - 1, k)
            if 0 <= j < len(contacts) - 1
            and not (contacts[j].side and contacts[j].side == contacts[j + 1].side)
        ]
        if not steps:
            continue
        inside = _during(time, contact)
        impulse = float(np.trapezoid(grf.vertical[inside], time[inside]))
        ratios.append(impulse / (weight * float(np.mean(steps))))
    return float(np.mean(ratios)) if ratios else np.nan


def _check_ap(
    result: Result,
    trial: TrialView,
    grf: GroundReaction,
    continuous: tuple[float, float] | None,
    max_bw: float,
) -> None:
    """Mean AP GRF over whole strides: ≈ 0 on a treadmill."""
    if continuous is None:
        result.leave_out(
            "mean_ap_grf",
            "the plates do not see every step: no whole strides to average",
        )
        return
    mean_ap = _window_mean(grf.force @ trial.progression.direction, grf, continuous)
    mass = trial.body_mass_kg()
    treadmill = trial.progression.treadmill
    limit = max_bw * mass * GRAVITY if mass else np.inf
    if not treadmill:
        result.note(f"mean AP GRF {mean_ap:+.1f} N = m·a overground: not judged")
    _add(
        result,
        "mean_ap_grf",
        mean_ap,
        bool(treadmill) and abs(mean_ap) > limit,
        f"the mean AP GRF over whole strides is {mean_ap:+.1f} N on a treadmill "
        f"(more than {max_bw:g} BW = {limit:.1f} N): check the plate calibration, "
        "offsets or cross-talk, or the direction of progression",
    )


def _check_cop(
    result: Result, plates: tuple[ForcePlate, ...], margin_mm: float, max_pct: float
) -> None:
    """Share of loaded samples with the plate COP outside its outline."""
    loaded, outside, details = 0, 0, []
    for number, plate in enumerate(plates, start=1):
        distance = _outside_distance(plate)
        defined = np.isfinite(distance)
        beyond = defined & (distance > margin_mm / 1000.0)
        loaded += int(defined.sum())
        outside += int(beyond.sum())
        if beyond.any():
            details.append(
                f"plate {number}: {beyond.sum()} samples, up to "
                f"{1000 * np.max(distance[beyond]):.0f} mm outside"
            )
    if loaded == 0:
        result.leave_out(
            "cop_outside_plate",
            "no loaded sample with a COP on a plate with an outline",
        )
        return
    pct = 100.0 * outside / loaded
    _add(
        result,
        "cop_outside_plate",
        pct,
        pct > max_pct,
        f"{pct:.1f} % of the loaded samples have the COP more than {margin_mm:g} mm "
        f"outside the plate ({'; '.join(details)}): check the plate corners, ORIGIN "
        "or moment channels",
    )


def _outside_distance(plate: ForcePlate) -> FloatArray:
    """How far the COP lies outside the plate outline, in m (≤ 0 inside, NaN unloaded)."""
    c1, c2, _, c4 = plate.corners
    axes = np.stack([c1 - c2, c1 - c4])
    half = 0.5 * np.linalg.norm(axes, axis=1)
    if not np.all(half > 0):  # no outline in the file: nothing to compare with
        return np.full(plate.n_samples, np.nan)
    local = (plate.cop - plate.centre) @ (axes / (2.0 * half[:, None])).T
    return np.max(np.abs(local) - half, axis=1)


def _check_free_moment(
    result: Result,
    grf: GroundReaction,
    on_plate: list[Contact],
    max_nm: float,
    lowpass_hz: float,
) -> None:
    """Largest per-contact peak |free moment| after the COP low-pass of METHODS §7.

    The free moment is zero without load: undefined samples are set to 0 for
    the filter (one pass over the whole record) and back to NaN after it.
    """
    free_moment = grf.free_moment
    if lowpass_hz > 0:
        unloaded = ~np.isfinite(free_moment)
        free_moment = lowpass(
            np.where(unloaded, 0.0, free_moment), grf.rate_hz, lowpass_hz
        )
        free_moment[unloaded] = np.nan
    time = grf.time
    peaks = []
    for contact in on_plate:
        inside = np.abs(free_moment[_during(time, contact)])
        if np.isfinite(inside).any():
            peaks.append(float(np.nanmax(inside)))
    if not peaks:
        result.leave_out("max_free_moment", "no free moment during plate contacts")
        return
    largest = max(peaks)
    _add(
        result,
        "max_free_moment",
        largest,
        largest > max_nm,
        f"the free moment reaches {largest:.1f} N·m (median peak per contact "
        f"{np.median(peaks):.1f} N·m; ≲ {max_nm:g} N·m expected in running): check "
        "the moment channels, the plate ORIGIN, plate vibration or a second foot on "
        "the plate",
    )


def _check_peaks(
    result: Result,
    trial: TrialView,
    grf: GroundReaction,
    on_plate: list[Contact],
    peak_min_bw: float,
) -> None:
    mass = trial.body_mass_kg()
    if not mass:
        result.leave_out("peak_below_running", "no body mass to express the peaks")
        return
    weight = mass * GRAVITY
    time = grf.time
    low, peaks = [], []
    for contact in on_plate:
        inside = _during(time, contact)
        vertical = grf.vertical[inside]
        peak = float(np.max(vertical)) / weight if vertical.size else np.nan
        if not peak >= peak_min_bw:
            low.append(contact)
            peaks.append(f"{peak:.2f} BW")
    _add(
        result,
        "peak_below_running",
        len(low),
        bool(low),
        f"{len(low)} of {len(on_plate)} plate contacts peak below {peak_min_bw:g} "
        f"body weights ({mass:.1f} kg): walking, a partial contact or a wrong mass: "
        + _listing(low, peaks),
    )
