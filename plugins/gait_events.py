"""Gait events of running: initial contact and toe-off of every foot contact.

METHODS §2.1 (force plates, the gold standard): vertical GRF per plate,
threshold ``T_ev = max(T0, 5·σ)`` (T0 = 20 N overground, 50 N on a treadmill;
σ = SD of the unloaded signal), contact episodes with hysteresis (enter above
T_ev, leave below T_ev/2), episodes shorter than 80 ms and flights shorter
than 20 ms discarded, then IC = the last up-crossing of T_ev before the
episode's force peak and TO = the first down-crossing after it, each refined
to sub-sample time by linear interpolation. Episodes touching the first or
last sample are truncated and dropped.

METHODS §2.2 (kinematics, for contacts no plate measured): Handsaker et al.
(2016): in a window around the contact found by Zeni et al.'s (2008)
coordinate method, IC = the first of the vertical-acceleration peaks of the
heel and first-metatarsal (or toe) markers, TO = the vertical-jerk peak of
the hallux (or toe) marker. With Plug-in Gait markers the toe marker stands
in for both, the "Handsaker-PiG variant, not validated". When a trial has
both, the kinematic events are compared with the force events (offsets
reported).

Sides: the foot whose heel/toe midpoint is nearest to the COP at mid-contact
(METHODS §1.8). A contact is *clean* when the foot is inside the plate
outline and the other foot is not on that plate; metrics of unclean
contacts are flagged downstream. Events edited by the user in the project
replace detection (the user has the last word).

Written only against :mod:`gaitlab.api`, like any researcher's plugin.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np

from gaitlab.api import (
    FOOT_OFF,
    FOOT_STRIKE,
    GRAVITY,
    ForcePlate,
    MetricSpec,
    Param,
    Result,
    RunContext,
    Skip,
    TrialView,
    contacts_from_events,
    derivative,
    lowpass,
    plugin,
    runs,
)

MIN_CONTACT_S = 0.080
MIN_FLIGHT_S = 0.020
"""Episode limits of METHODS §2.1 step 4, in seconds."""

TREADMILL_PLATE_LENGTH_M = 1.2
"""A plate longer than this is taken for an instrumented treadmill."""

MAX_KINEMATIC_CONTACT_S = 1.5
FOOT_ON_FLOOR_M = 0.10
MIN_EXCURSION_M = 0.10
"""Plausibility of kinematic contacts: at most 1.5 s long, the lower of the
heel and toe markers within 10 cm of the floor at mid-contact, and the foot's
fore-aft excursion relative to the pelvis at least 10 cm (a step, not sway)."""

FOOT_ON_PLATE_MARGIN_M = 0.01
OTHER_FOOT_CLEARANCE_M = 0.05
"""Clean-contact checks: foot markers within 1 cm of the plate outline; the
other foot counts as on the plate when a marker is inside the outline and
within 5 cm of the plate surface."""


@plugin(
    name="gait_events",
    version="1.0.0",
    title="Gait events",
    category="Events",
    needs=("forceplates|landmark:l_heel",),
    produces_events=True,
    metrics=(
        MetricSpec(
            "contact_clean",
            "1",
            "1 when the foot was alone and wholly on force plates during the "
            "contact (METHODS §1.8), else 0",
        ),
        MetricSpec(
            "contact_plate",
            "1",
            "Number of the force plate that measured the contact (1-based); 0 when "
            "no plate did (kinematic events)",
        ),
        MetricSpec(
            "event_source",
            "1",
            "1 = events from the force plate (METHODS §2.1), 2 = from kinematics "
            "(Handsaker 2016, §2.2), 3 = edited or given in the trial",
        ),
        MetricSpec(
            "event_threshold",
            "N",
            "Vertical-force threshold T_ev used for initial contact and toe-off",
            per_step=False,
        ),
        MetricSpec(
            "force_noise_sd",
            "N",
            "Standard deviation of the unloaded vertical force (σ of METHODS §2.1)",
            per_step=False,
        ),
        MetricSpec(
            "kinematic_ic_offset",
            "s",
            "Mean (kinematic − force-plate) initial-contact time over contacts "
            "measured both ways",
            per_step=False,
        ),
        MetricSpec(
            "kinematic_to_offset",
            "s",
            "Mean (kinematic − force-plate) toe-off time over contacts measured "
            "both ways",
            per_step=False,
        ),
    ),
)
def gait_events(
    trial: TrialView,
    ctx: RunContext,
    *,
    threshold_n: Annotated[
        float,
        Param(
            min=0,
            max=200,
            unit="N",
            doc="T0 of METHODS §2.1; 0 = automatic (20 N overground, 50 N treadmill)",
        ),
    ] = 0.0,
    noise_factor: Annotated[
        float, Param(min=0, max=20, doc="T_ev is at least this many noise SDs")
    ] = 5.0,
    detection_lowpass_hz: Annotated[
        float,
        Param(
            min=0,
            max=500,
            unit="Hz",
            doc="Zero-lag low-pass of the vertical force for detection only; 0 = none",
        ),
    ] = 0.0,
    kinematic_lowpass_hz: Annotated[
        float,
        Param(
            min=10,
            max=50,
            unit="Hz",
            doc="Low-pass of foot markers for kinematic events",
        ),
    ] = 20.0,
    source: Literal["auto", "force", "kinematic"] = "auto",
    use_edited_events: Annotated[
        bool,
        Param(doc="Use events edited by the user in the project instead of detecting"),
    ] = True,
) -> Result:
    """Initial contact and toe-off of each foot contact, with side and clean flags."""
    result = Result()
    edited = [e for e in trial.events if e.origin == "user"]
    if use_edited_events and edited:
        return _from_edited(trial, result, edited)
    force_contacts: list[dict] = []
    if source in ("auto", "force") and trial.forceplates:
        force_contacts = _force_contacts(
            trial, result, threshold_n, noise_factor, detection_lowpass_hz
        )
    kinematic: list[dict] = []
    if source in ("auto", "kinematic") and trial.has_landmark("l_heel"):
        kinematic = _kinematic_contacts(trial, kinematic_lowpass_hz)
        if force_contacts:
            _report_offsets(result, force_contacts, kinematic)
            kinematic = [k for k in kinematic if not _overlaps(k, force_contacts)]
        if kinematic:
            result.note(
                "kinematic events: Handsaker et al. 2016"
                + (
                    ""
                    if trial.has_landmark("l_hallux")
                    else " (PiG variant: toe marker "
                    "for metatarsal and hallux; not validated)"
                )
            )
    contacts = sorted(force_contacts + kinematic, key=lambda c: c["ic"])
    if not contacts:
        raise Skip(
            "no complete foot contact found"
            + (" on the force plates" if trial.forceplates else "")
            + (" or from the foot markers" if trial.has_landmark("l_heel") else "")
        )
    for step, contact in enumerate(contacts, start=1):
        context = contact["side"] or "General"
        result.add_event(contact["ic"], FOOT_STRIKE, context)
        result.add_event(contact["to"], FOOT_OFF, context)
        side = contact["side"]
        for name, value in (
            ("contact_clean", float(contact["clean"])),
            ("contact_plate", float(contact["plate"])),
            ("event_source", float(contact["source"])),
        ):
            result.add_metric(name, value, step=step, side=side, time_s=contact["ic"])
    return result


# ---------------------------------------------------------------- force plates


def _force_contacts(
    trial: TrialView,
    result: Result,
    threshold_n: float,
    noise_factor: float,
    lowpass_hz: float,
) -> list[dict]:
    treadmill = _is_treadmill(trial)
    t0 = threshold_n or (50.0 if treadmill else 20.0)
    contacts = []
    thresholds, noises = [], []
    for number, plate in enumerate(trial.forceplates, start=1):
        vertical = plate.force @ trial.up
        if lowpass_hz > 0:
            vertical = lowpass(vertical, plate.rate_hz, lowpass_hz)
        level, sigma = _unloaded_level(vertical, t0, plate.rate_hz)
        if np.isfinite(level) and abs(level) > max(5.0, 2.0 * sigma):
            result.note(
                f"plate {number}: unloaded vertical force sits at {level:.1f} N; "
                "detection measures from that level"
            )
        if np.isfinite(level):
            vertical = vertical - level
        threshold = max(t0, noise_factor * sigma) if np.isfinite(sigma) else t0
        thresholds.append(threshold)
        noises.append(sigma)
        for ic, to, peak in _episodes(vertical, plate.rate_hz, plate.t0_s, threshold):
            contacts.append(
                {"ic": ic, "to": to, "peak": peak, "plate": number, "source": 1}
            )
    result.add_metric("event_threshold", max(thresholds))
    finite_noise = [n for n in noises if np.isfinite(n)]
    if finite_noise:
        result.add_metric("force_noise_sd", max(finite_noise))
    else:
        result.add_metric(
            "force_noise_sd", np.nan, message="no unloaded stretch to measure noise"
        )
    mass = trial.subject.mass_kg if trial.subject and trial.subject.mass_kg else None
    feet = _feet(trial)
    for contact in contacts:
        _assign_side_and_cleanliness(trial, feet, contact)
        if mass and contact["peak"] < 1.5 * mass * GRAVITY:
            result.note(
                f"contact at {contact['ic']:.3f} s peaks at "
                f"{contact['peak'] / (mass * GRAVITY):.2f} BW (< 1.5 BW expected in "
                "running: walking, partial contact or wrong mass)"
            )
    return _merge_split_contacts(contacts)


def _is_treadmill(trial: TrialView) -> bool:
    """Stationary pelvis (METHODS §5.1), else a plate long enough to be a treadmill."""
    if trial.progression.treadmill is not None:
        return trial.progression.treadmill
    lengths = [
        np.linalg.norm(p.corners[0] - p.corners[1]) for p in trial.forceplates
    ] + [np.linalg.norm(p.corners[0] - p.corners[3]) for p in trial.forceplates]
    return max(lengths) > TREADMILL_PLATE_LENGTH_M


def _unloaded_level(
    vertical: np.ndarray, t0: float, rate_hz: float
) -> tuple[float, float]:
    """Median and SD (N) of the vertical force when nothing is on the plate.

    Unloaded stretches are those within T0 of the lowest force level (the
    5th percentile), at least 20 ms long; only the middle half of each counts,
    as its edges are the tails of the neighbouring contacts. A constant offset
    left in the signal would otherwise keep the hysteresis from ever leaving
    a contact (METHODS §2.1 step 2).
    """
    if len(vertical) == 0:
        return np.nan, np.nan
    low = float(np.percentile(vertical, 5))
    quiet = vertical < low + t0
    minimum = max(4, int(MIN_FLIGHT_S * rate_hz))
    stretches = [
        vertical[a + (b - a) // 4 : b - (b - a) // 4]
        for a, b in runs(quiet)
        if b - a >= minimum
    ]
    if not stretches:
        return np.nan, np.nan
    samples = np.concatenate(stretches)
    return float(np.median(samples)), float(samples.std())


def _episodes(
    vertical: np.ndarray, rate_hz: float, t0_s: float, threshold: float
) -> list[tuple[float, float, float]]:
    """(IC s, TO s, peak N) of complete contact episodes (METHODS §2.1 steps 4–5)."""
    n = len(vertical)
    if n < 3:
        return []
    loaded = _schmitt(vertical, threshold, 0.5 * threshold)
    episodes = runs(loaded)
    min_flight = round(MIN_FLIGHT_S * rate_hz)
    merged: list[list[int]] = []
    for a, b in episodes:
        if merged and a - merged[-1][1] < min_flight:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    found = []
    for a, b in merged:
        if (b - a) / rate_hz < MIN_CONTACT_S or a == 0 or b >= n:
            continue
        peak_index = a + int(np.argmax(vertical[a:b]))
        above = vertical > threshold
        ups = np.flatnonzero(~above[a - 1 : peak_index] & above[a : peak_index + 1])
        downs = np.flatnonzero(above[peak_index:b] & ~above[peak_index + 1 : b + 1])
        if ups.size == 0 or downs.size == 0:
            continue
        i_up = a - 1 + ups[-1]
        i_down = peak_index + downs[0]
        ic = _crossing(vertical, i_up, threshold)
        to = _crossing(vertical, i_down, threshold)
        found.append(
            (t0_s + ic / rate_hz, t0_s + to / rate_hz, float(vertical[peak_index]))
        )
    return found


def _schmitt(signal: np.ndarray, enter: float, leave: float) -> np.ndarray:
    """Hysteresis state: True after a sample above ``enter`` until one below ``leave``."""
    marks = np.where(signal > enter, 1, np.where(signal < leave, 0, -1))
    index = np.where(marks >= 0, np.arange(len(signal)), -1)
    last = np.maximum.accumulate(index)
    state = np.where(last >= 0, marks[np.maximum(last, 0)], 0)
    return state.astype(bool)


def _crossing(signal: np.ndarray, i: int, level: float) -> float:
    """Fractional sample index where the signal crosses ``level`` between i and i+1."""
    a, b = signal[i], signal[i + 1]
    return i + (level - a) / (b - a) if b != a else float(i)


def _assign_side_and_cleanliness(
    trial: TrialView, feet: dict[str, list[np.ndarray]], contact: dict
) -> None:
    """Side = foot nearest the COP at mid-contact; clean = alone and inside the plate."""
    contact["side"], contact["clean"] = "", True
    if not feet:
        return
    plate = trial.forceplates[contact["plate"] - 1]
    mid = 0.5 * (contact["ic"] + contact["to"])
    frame = _frame(trial, mid)
    cop = _plate_cop_at(plate, mid)
    if cop is None or not np.all(np.isfinite(cop)):
        cop = plate.centre
    up = trial.up
    distances = {}
    for side, points in feet.items():
        centre = _mean_points([p[frame] for p in points])
        offset = centre - cop
        offset -= (offset @ up) * up
        distances[side] = np.linalg.norm(offset)
    finite = {s: d for s, d in distances.items() if np.isfinite(d)}
    if not finite:
        return
    side = min(finite, key=finite.get)
    contact["side"] = side
    inside = all(_on_plate(plate, p[frame : frame + 1], up)[0] for p in feet[side])
    other = "Right" if side == "Left" else "Left"
    frames = slice(_frame(trial, contact["ic"]), _frame(trial, contact["to"]) + 1)
    other_on = other in feet and any(
        _on_plate(plate, p[frames], up, clearance=OTHER_FOOT_CLEARANCE_M).any()
        for p in feet[other]
    )
    contact["clean"] = bool(inside and not other_on)


def _merge_split_contacts(contacts: list[dict]) -> list[dict]:
    """One foot on two plates at once: one contact, marked unclean."""
    contacts.sort(key=lambda c: c["ic"])
    merged: list[dict] = []
    for contact in contacts:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and contact["side"]
            and contact["side"] == previous["side"]
            and contact["ic"] < previous["to"]
        ):
            previous["ic"] = min(previous["ic"], contact["ic"])
            previous["to"] = max(previous["to"], contact["to"])
            previous["clean"] = False
            continue
        merged.append(contact)
    return merged


def _feet(trial: TrialView) -> dict[str, list[np.ndarray]]:
    feet = {}
    for prefix, side in (("l", "Left"), ("r", "Right")):
        points = [
            trial.landmark(f"{prefix}_{name}")
            for name in ("heel", "toe")
            if trial.has_landmark(f"{prefix}_{name}")
        ]
        if points:
            feet[side] = points
    return feet


def _frame(trial: TrialView, time_s: float) -> int:
    markers = trial.markers
    index = round((time_s - markers.t0_s) * markers.rate_hz)
    return min(max(index, 0), markers.n_frames - 1)


def _plate_cop_at(plate: ForcePlate, time_s: float) -> np.ndarray | None:
    index = round((time_s - plate.t0_s) * plate.rate_hz)
    if 0 <= index < plate.n_samples:
        return plate.cop[index]
    return None


def _on_plate(
    plate: ForcePlate,
    points: np.ndarray,
    up: np.ndarray,
    *,
    clearance: float | None = None,
) -> np.ndarray:
    """For each point (n, 3): inside the plate outline (± margin)? NaN → False.

    With ``clearance``, a point must also be within that height of the plate
    surface (a foot on the plate rather than above it).
    """
    c1, c2, _, c4 = plate.corners
    e_x = (c1 - c2) / np.linalg.norm(c1 - c2)
    e_y = (c1 - c4) / np.linalg.norm(c1 - c4)
    half_x = 0.5 * np.linalg.norm(c1 - c2) + FOOT_ON_PLATE_MARGIN_M
    half_y = 0.5 * np.linalg.norm(c1 - c4) + FOOT_ON_PLATE_MARGIN_M
    offset = np.asarray(points) - plate.centre
    with np.errstate(invalid="ignore"):
        inside = (np.abs(offset @ e_x) <= half_x) & (np.abs(offset @ e_y) <= half_y)
        if clearance is not None:
            inside &= (offset @ up) <= clearance
    return inside


def _mean_points(points: list[np.ndarray]) -> np.ndarray:
    """Mean of points ignoring NaN ones (NaN where all are NaN), without warnings."""
    stack = np.stack(points)
    count = np.isfinite(stack).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(stack, axis=0) / np.where(count > 0, count, np.nan)


# ---------------------------------------------------------------- kinematics


def _kinematic_contacts(trial: TrialView, cutoff_hz: float) -> list[dict]:
    """Handsaker 2016 events in Zeni 2008 windows, for each foot with markers."""
    rate = trial.markers.rate_hz
    t0 = trial.markers.t0_s
    up, forward = trial.up, trial.progression.direction
    pelvis = _pelvis_centre(trial)
    if pelvis is None:
        return []
    floor = _floor_height(trial)
    contacts = []
    for prefix, side in (("l", "Left"), ("r", "Right")):
        heel = trial.landmark_or_none(f"{prefix}_heel")
        toe = (
            trial.landmark_or_none(f"{prefix}_toe")
            if trial.has_landmark(f"{prefix}_toe")
            else trial.landmark_or_none(f"{prefix}_mt1")
        )
        if heel is None or toe is None:
            continue
        mt1 = trial.landmark_or_none(f"{prefix}_mt1")
        hallux = trial.landmark_or_none(f"{prefix}_hallux")
        strike_markers = [heel, mt1 if mt1 is not None else toe]
        off_marker = hallux if hallux is not None else toe
        heel_ahead = lowpass((heel - pelvis) @ forward, rate, cutoff_hz)
        toe_ahead = lowpass((toe - pelvis) @ forward, rate, cutoff_hz)
        strikes = _extrema(heel_ahead, rate, maximum=True)
        offs = _extrema(toe_ahead, rate, maximum=False)
        lowest = np.fmin(heel @ up, toe @ up)
        accelerations = [
            derivative(lowpass(m @ up, rate, cutoff_hz), rate, 2)
            for m in strike_markers
        ]
        jerk = derivative(lowpass(off_marker @ up, rate, cutoff_hz), rate, 3)
        for strike in strikes:
            later = offs[offs > strike]
            if later.size == 0:
                continue
            off = later[0]
            window = slice(strike, min(strike + int(0.15 * rate), off))
            if window.stop <= window.start:
                continue
            peaks = [
                window.start + int(np.nanargmax(a[window]))
                for a in accelerations
                if np.isfinite(a[window]).any()
            ]
            off_window = slice(
                max(off - int(0.1 * rate), strike + 1), off + int(0.1 * rate)
            )
            off_window = slice(off_window.start, min(off_window.stop, len(jerk)))
            if not peaks or not np.isfinite(jerk[off_window]).any():
                continue
            ic = min(peaks)
            to = off_window.start + int(np.nanargmax(jerk[off_window]))
            if to <= ic or ic == 0 or to >= len(jerk) - 1:
                continue
            duration = (to - ic) / rate
            mid_height = lowest[(ic + to) // 2] - floor
            if not MIN_CONTACT_S <= duration <= MAX_KINEMATIC_CONTACT_S or not (
                mid_height <= FOOT_ON_FLOOR_M
            ):
                continue
            contacts.append(
                {
                    "ic": t0 + ic / rate,
                    "to": t0 + to / rate,
                    "side": side,
                    "clean": False,
                    "plate": 0,
                    "source": 2,
                }
            )
    return _without_overlaps(contacts)


def _floor_height(trial: TrialView) -> float:
    """Height of the floor along ``up``: the plate surfaces, else the lowest foot markers."""
    if trial.forceplates:
        return float(np.median([p.centre @ trial.up for p in trial.forceplates]))
    heights = [
        trial.landmark(n) @ trial.up
        for n in ("l_heel", "r_heel", "l_toe", "r_toe")
        if trial.has_landmark(n)
    ]
    finite = np.concatenate(heights)
    finite = finite[np.isfinite(finite)]
    return float(np.percentile(finite, 2)) if finite.size else 0.0


def _without_overlaps(contacts: list[dict]) -> list[dict]:
    """Of two overlapping contacts of one foot, keep the longer."""
    kept: list[dict] = []
    for contact in sorted(contacts, key=lambda c: (c["side"], c["ic"])):
        previous = kept[-1] if kept else None
        if (
            previous
            and previous["side"] == contact["side"]
            and contact["ic"] < previous["to"]
        ):
            if contact["to"] - contact["ic"] > previous["to"] - previous["ic"]:
                kept[-1] = contact
            continue
        kept.append(contact)
    return kept


def _pelvis_centre(trial: TrialView) -> np.ndarray | None:
    names = [
        n for n in ("l_asis", "r_asis", "l_psis", "r_psis") if trial.has_landmark(n)
    ]
    if names:
        return _mean_points([trial.landmark(n) for n in names])
    return trial.landmark_or_none("sacrum")


def _extrema(signal: np.ndarray, rate_hz: float, *, maximum: bool) -> np.ndarray:
    """Indices of local maxima (or minima) at least 0.2 s apart."""
    from scipy.signal import find_peaks

    values = signal if maximum else -signal
    finite = np.where(np.isfinite(values), values, -np.inf)
    peaks, _ = find_peaks(
        finite, distance=max(1, int(0.2 * rate_hz)), prominence=MIN_EXCURSION_M
    )
    return peaks


def _overlaps(kinematic: dict, force: list[dict]) -> bool:
    return any(kinematic["ic"] < f["to"] and f["ic"] < kinematic["to"] for f in force)


def _report_offsets(result: Result, force: list[dict], kinematic: list[dict]) -> None:
    ic_offsets, to_offsets = [], []
    for k in kinematic:
        match = [
            f for f in force if f["side"] == k["side"] and abs(f["ic"] - k["ic"]) < 0.1
        ]
        if match:
            ic_offsets.append(k["ic"] - match[0]["ic"])
            to_offsets.append(k["to"] - match[0]["to"])
    if ic_offsets:
        result.add_metric("kinematic_ic_offset", float(np.mean(ic_offsets)))
        result.add_metric("kinematic_to_offset", float(np.mean(to_offsets)))
        result.note(
            f"kinematic vs force-plate events over {len(ic_offsets)} contacts: IC "
            f"{1000 * np.mean(ic_offsets):+.1f} ± {1000 * np.std(ic_offsets):.1f} ms, "
            f"TO {1000 * np.mean(to_offsets):+.1f} ± {1000 * np.std(to_offsets):.1f} ms"
        )


# ---------------------------------------------------------------- edited events


def _from_edited(trial: TrialView, result: Result, edited: list) -> Result:
    """The user's events, kept as they are (sides as edited)."""
    for event in edited:
        if event.label in (FOOT_STRIKE, FOOT_OFF):
            result.add_event(event.time_s, event.label, event.context)
    contacts = contacts_from_events(result.events)
    if not contacts:
        raise Skip("the edited events hold no complete Foot Strike → Foot Off contact")
    for contact in contacts:
        plate = _plate_under(trial, contact.ic_s, contact.to_s)
        for name, value in (
            ("contact_clean", 1.0 if plate else 0.0),
            ("contact_plate", float(plate)),
            ("event_source", 3.0),
        ):
            result.add_metric(
                name, value, step=contact.step, side=contact.side, time_s=contact.ic_s
            )
    result.note(f"{len(contacts)} contacts from events edited by the user")
    return result


def _plate_under(trial: TrialView, start_s: float, stop_s: float) -> int:
    """The plate loaded most during a time span (0 if none above 50 N)."""
    best, best_load = 0, 50.0
    for number, plate in enumerate(trial.forceplates, start=1):
        a = int(max((start_s - plate.t0_s) * plate.rate_hz, 0))
        b = int(min((stop_s - plate.t0_s) * plate.rate_hz, plate.n_samples))
        if b > a:
            load = float(np.median(plate.force[a:b] @ trial.up))
            if load > best_load:
                best, best_load = number, load
    return best
