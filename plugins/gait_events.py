"""Gait events: initial contact and toe-off of every foot contact, and their source.

Force plates (METHODS §2.1, the gold standard): vertical GRF per plate; the
unloaded level and noise σ of each plate are measured on its quiet stretches
(within T0 = 20 N overground, 50 N on a treadmill, of the lowest level).
Contact episodes are found with hysteresis (enter above ``T_ev = max(T0,
5σ)``, leave below T_ev/2; episodes under 80 ms and flights under 20 ms
discarded). The events are then timed where the force crosses the *timing
level* ``T_t = max(3σ, 5 N)`` next to the episode's peak, refined to
sub-sample time by linear interpolation: a 50 N level puts IC ~10 ms late
where loading is slow, while stored Vicon events sit at 20-30 N and
Qualisys/Cortex ones at 0-3 N. An explicit ``threshold_n`` restores the
single level of METHODS §2.1 (T_ev for detection and timing). Episodes
touching the first or last sample are truncated and dropped.

A loaded stretch longer than a contact can be (more than 2.2 times the
typical contact duration: the shorter of the medians of the markers' Zeni
contacts and of the plates' loaded stretches) is a plate that stays loaded after the foot leaves (a belt plate's offset) or
never unloads. It is said in a note and recovered: contacts are split at the
flat valleys where the force comes back to a local floor well below the
neighbouring peaks, each event timed from its own floor; where no such valley
exists, the contacts of that stretch come from the markers.

Gait: *running* when the plates show flight phases between consecutive
contacts (or, without that evidence, when the markers' Zeni contacts of the
two feet do not overlap), else *walking* (``gait_running`` = 1 or 0).

Markers (METHODS §2.2, for contacts no plate measured): the detector follows
the gait of the trial. Walking: Zeni et al. (2008) coordinate method, IC at
the maximum of (heel − pelvis) along the progression, TO at the minimum of
(toe − pelvis), refined to sub-frame time by a parabola through the extremum.
Running: Handsaker et al. (2016) in Zeni windows, IC = the first of the
vertical-acceleration peaks of the heel and first-metatarsal (or toe)
markers, TO = the vertical-jerk peak of the hallux (or toe) marker (with
Plug-in Gait markers the "PiG variant, not validated").

Marker gaps (beyond METHODS): the pelvis centre is kept through the frames
where some pelvis markers are lost, each visible one (the sacrum too)
standing in with its median offset to the full centre. A walking contact
whose toe marker is lost before its toe-off gets the toe-off from the heel
(or ankle) marker: the next minimum of (heel − pelvis) plus its median lag
to the Zeni toe-off over the trial's contacts where both are seen (at least
two), counted in ``heel_timed_toe_offs``; without that lag the strike stays
an event without a contact.

Bias correction: where plates measured some contacts of the trial alone
(one foot on the plate), the marker detector's offset (markers − plate) is
measured per event kind and side (the other side's when a side has none),
every marker event of a contact no plate measured is corrected by it
(source "markers corrected"), and the residual is reported: the RMS of the
leave-one-out corrected errors of the contacts measured both ways.

Sides: the foot whose heel/toe midpoint is nearest to the COP a quarter into
the contact (METHODS §1.8). Clean contacts (§1.8): the foot inside the plate
outline, and alone on it. In running a contact bounded by flight phases
carries one foot's load whatever the markers say, so only the foot's own
position counts. In walking the force cannot separate two feet on one plate:
the other foot counts as on the plate when its markers are inside the
outline and within 5 cm of the surface; when the markers show the other foot
landing on the plate during the episode, the episode holds both feet and is
split: the first foot's IC and the second foot's TO from the plate, the
first foot's TO and the second foot's IC from the markers, both unclean.

Every contact carries the source of its IC (``event_source``) and of its TO
(``toe_off_source``): 1 plate, 2 markers, 3 edited or given in the trial,
4 markers corrected by the plate-measured bias. Events edited by the user in
the project replace detection (the user has the last word).

Written only against :mod:`gaitlab.api`, like any researcher's plugin.
"""

from __future__ import annotations

import functools
import itertools
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

TIMING_NOISE_SDS = 3.0
MIN_TIMING_LEVEL_N = 5.0
"""Automatic timing level ``T_t = max(3σ, 5 N)`` above the unloaded level: clear
of the noise and of the 1-2 N steps of 12-16 bit plate channels, whose slow
tails at toe-off would otherwise add tens of ms."""

OVERLONG_FACTOR = 2.2
"""A loaded stretch longer than this many typical contact durations holds more
than one contact (two feet in walking double support stay below 1.9)."""
FLOOR_CONTRAST = 2.0
"""A valley inside a loaded stretch is a flight on a still-loaded plate when the
neighbouring peaks rise above it by more than twice its own load."""

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

MAX_RUNNING_CONTACT_S = 0.42
ZENI_OVERLAP_IN_RUNNING_S = 0.05
"""Gait from plate contact durations (running contacts are shorter) and from
the overlap of the two feet's Zeni contacts (a few ms in running)."""

SIDE_FRACTION = 0.25
"""The side is read this far into the contact: in a walking episode holding
two feet, the first foot is then still alone on the plate."""

PLATE, MARKERS, EDITED, CORRECTED = 1.0, 2.0, 3.0, 4.0
SOURCES = ((1, "plate"), (2, "markers"), (3, "edited"), (4, "markers corrected"))


@plugin(
    name="gait_events",
    version="2.2.0",
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
            "Source of the initial contact: 1 = force plate (METHODS §2.1), 2 = "
            "markers (Zeni 2008 walking, Handsaker 2016 running, §2.2), 3 = edited "
            "or given in the trial, 4 = markers corrected by their bias against "
            "the plates in this trial",
            categories=SOURCES,
        ),
        MetricSpec(
            "toe_off_source",
            "1",
            "Source of the toe-off, coded as event_source",
            categories=SOURCES,
        ),
        MetricSpec(
            "unpaired_strike_source",
            "1",
            "Source of the initial contacts kept as events without a contact "
            "(the toe-off not seen: the toe marker lost or the recording ended), "
            "coded as event_source; 0 when every initial contact has its toe-off",
            per_step=False,
            categories=((0, "none"), *SOURCES),
        ),
        MetricSpec(
            "heel_timed_toe_offs",
            "1",
            "Number of toe-offs timed from the heel (or ankle) marker because the "
            "toe marker is lost before them (walking only; lag to the toe-off "
            "measured on this trial's other contacts)",
            per_step=False,
        ),
        MetricSpec(
            "gait_running",
            "1",
            "1 when the trial is running (flight phases), 0 when walking (double "
            "support)",
            per_step=False,
        ),
        MetricSpec(
            "event_threshold",
            "N",
            "Vertical-force level above the unloaded level at which initial contact "
            "and toe-off are timed (largest over the plates)",
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
            "Mean (markers − force-plate) initial-contact time over contacts "
            "measured both ways (the bias corrected)",
            per_step=False,
        ),
        MetricSpec(
            "kinematic_to_offset",
            "s",
            "Mean (markers − force-plate) toe-off time over contacts measured "
            "both ways (the bias corrected)",
            per_step=False,
        ),
        MetricSpec(
            "kinematic_ic_residual",
            "s",
            "RMS error of bias-corrected marker initial contacts against the "
            "plates (leave-one-out over contacts measured both ways)",
            per_step=False,
        ),
        MetricSpec(
            "kinematic_to_residual",
            "s",
            "RMS error of bias-corrected marker toe-offs against the plates "
            "(leave-one-out over contacts measured both ways)",
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
            doc="One level for detection and timing (METHODS §2.1); 0 = automatic "
            "(detect at max(20 N overground / 50 N treadmill, 5σ), time at "
            "max(3σ, 5 N))",
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
    correct_kinematic_bias: Annotated[
        bool,
        Param(
            doc="Correct marker events by their bias against the plates in the "
            "same trial"
        ),
    ] = True,
    use_edited_events: Annotated[
        bool,
        Param(doc="Use events edited by the user in the project instead of detecting"),
    ] = True,
) -> Result:
    """Initial contact and toe-off of each foot contact, with side, source and clean flags."""
    result = Result()
    edited = [e for e in trial.events if e.origin == "user"]
    if use_edited_events and edited:
        return _from_edited(trial, result, edited)
    zeni, foot_signals = _zeni_contacts(trial, kinematic_lowpass_hz)
    markers = source in ("auto", "kinematic") and bool(zeni)
    force_contacts: list[dict] = []
    if source in ("auto", "force") and trial.forceplates:
        force_contacts = _force_contacts(
            trial, result, threshold_n, noise_factor, detection_lowpass_hz, zeni
        )
    else:
        result.leave_out(
            ("event_threshold", "force_noise_sd"),
            "no force plate in the trial"
            if not trial.forceplates
            else "the plates are not used (source='kinematic')",
        )
    running, reason = _gait(trial, force_contacts, zeni)
    result.add_metric("gait_running", float(running))
    result.note(f"gait: {'running' if running else 'walking'} ({reason})")
    feet = _feet(trial)
    if force_contacts:
        centres = {side: _mean_points(points) for side, points in feet.items()}
        for contact in force_contacts:
            _assign_side_and_cleanliness(trial, feet, centres, contact, running, zeni)
    _plausible_peaks(trial, result, force_contacts, running)
    kinematic: list[dict] = []
    if markers:
        kinematic = (
            _handsaker_contacts(trial, kinematic_lowpass_hz, zeni)
            if running
            else [dict(c) for c in zeni]
        )
        if kinematic:
            result.note(_detector_note(trial, running))
    if force_contacts and not running:
        _split_two_feet(trial, feet, force_contacts, kinematic)
    force_contacts = _merge_split_contacts(force_contacts)
    strikes_only, heel_timed = (
        _unseen_toe_off_strikes(
            trial,
            foot_signals,
            kinematic_lowpass_hz,
            running,
            force_contacts + kinematic,
        )
        if markers
        else ([], [])
    )
    kinematic += heel_timed
    result.add_metric("heel_timed_toe_offs", float(len(heel_timed)))
    if force_contacts and kinematic:
        kinematic = _calibrated(
            result, force_contacts, kinematic, correct_kinematic_bias, strikes_only
        )
    else:
        result.leave_out(
            BIAS_METRICS,
            "no contact measured both by a force plate and by the foot markers"
            + (
                ": no force-plate contact"
                if not force_contacts
                else ": no foot markers"
                if not markers
                else ": no contact found from the foot markers"
            ),
        )
    if heel_timed:  # the times after the bias correction
        result.note(
            f"{len(heel_timed)} toe-offs timed from the heel marker (the toe marker "
            "is lost before them): the next minimum of (heel − pelvis) plus its lag "
            "to the toe-off measured on this trial's other contacts: "
            + ", ".join(f"{c['side']} {c['to']:.3f} s" for c in heel_timed)
        )
    contacts = sorted(force_contacts + kinematic, key=lambda c: c["ic"])
    if not contacts:
        raise Skip(
            "no complete foot contact found"
            + (" on the force plates" if trial.forceplates else "")
            + (" or from the foot markers" if trial.has_landmark("l_heel") else "")
        )
    for strike in strikes_only:
        result.add_event(strike["ic"], FOOT_STRIKE, strike["side"])
    result.add_metric(
        "unpaired_strike_source", strikes_only[0]["source"] if strikes_only else 0.0
    )
    if strikes_only:
        result.note(
            f"{len(strikes_only)} initial contacts from the markers whose toe-off is "
            "not seen (the toe marker is lost or the recording ends first) are kept "
            "as Foot Strike events without a contact: "
            + ", ".join(f"{s['side']} {s['ic']:.3f} s" for s in strikes_only)
        )
    for step, contact in enumerate(contacts, start=1):
        context = contact["side"] or "General"
        result.add_event(contact["ic"], FOOT_STRIKE, context)
        result.add_event(contact["to"], FOOT_OFF, context)
        side = contact["side"]
        for name, value in (
            ("contact_clean", float(contact["clean"])),
            ("contact_plate", float(contact["plate"])),
            ("event_source", contact["source"]),
            ("toe_off_source", contact.get("to_source", contact["source"])),
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
    zeni: list[dict],
) -> list[dict]:
    """Plate contacts (IC, TO, peak, plate) with per-plate noise-based levels."""
    treadmill = _is_treadmill(trial)
    band = threshold_n or (50.0 if treadmill else 20.0)
    typical = _typical_contact_s(trial, zeni, band)
    contacts = []
    levels, noises = [], []
    for number, plate in enumerate(trial.forceplates, start=1):
        vertical = plate.force @ trial.up
        if lowpass_hz > 0:
            vertical = lowpass(vertical, plate.rate_hz, lowpass_hz)
        level, sigma = _unloaded_level(vertical, band, plate.rate_hz)
        if np.isfinite(level) and abs(level) > max(5.0, 2.0 * sigma):
            result.note(
                f"plate {number}: unloaded vertical force sits at {level:.1f} N; "
                "detection measures from that level"
            )
        if np.isfinite(level):
            vertical = vertical - level
        noise = sigma if np.isfinite(sigma) else 0.0
        detect = max(band, noise_factor * noise)
        timing = (
            detect if threshold_n else max(TIMING_NOISE_SDS * noise, MIN_TIMING_LEVEL_N)
        )
        levels.append(timing)
        noises.append(sigma)
        for ic, to, peak in _plate_episodes(
            vertical, plate, number, detect, timing, typical, result
        ):
            contacts.append(
                {
                    "ic": ic,
                    "to": to,
                    "peak": peak,
                    "plate": number,
                    "source": PLATE,
                    "to_source": PLATE,
                }
            )
    result.add_metric("event_threshold", max(levels))
    finite_noise = [n for n in noises if np.isfinite(n)]
    if finite_noise:
        result.add_metric("force_noise_sd", max(finite_noise))
    else:
        result.add_metric(
            "force_noise_sd", np.nan, message="no unloaded stretch to measure noise"
        )
    return sorted(contacts, key=lambda c: c["ic"])


def _is_treadmill(trial: TrialView) -> bool:
    """Stationary pelvis (METHODS §5.1), else a plate long enough to be a treadmill."""
    if trial.progression.treadmill is not None:
        return trial.progression.treadmill
    lengths = [
        np.linalg.norm(p.corners[0] - p.corners[1]) for p in trial.forceplates
    ] + [np.linalg.norm(p.corners[0] - p.corners[3]) for p in trial.forceplates]
    return max(lengths) > TREADMILL_PLATE_LENGTH_M


def _typical_contact_s(trial: TrialView, zeni: list[dict], band: float) -> float:
    """Typical contact duration (s): the shorter of the medians of the markers'
    Zeni contacts (two or more) and of the plates' complete loaded stretches
    (NaN when neither has any). Zeni's contacts run long in running, and a
    plate that stays loaded makes its stretches long: the shorter holds."""
    medians = []
    if len(zeni) >= 2:
        medians.append(float(np.median([c["to"] - c["ic"] for c in zeni])))
    durations = []
    for plate in trial.forceplates:
        vertical = plate.force @ trial.up
        level, _ = _unloaded_level(vertical, band, plate.rate_hz)
        loaded = _schmitt(
            vertical - (level if np.isfinite(level) else 0.0), band, band / 2
        )
        durations += [
            (b - a) / plate.rate_hz
            for a, b in runs(loaded)
            if a > 0 and b < len(vertical) and (b - a) / plate.rate_hz >= MIN_CONTACT_S
        ]
    if durations:
        medians.append(float(np.median(durations)))
    return min(medians) if medians else np.nan


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


def _loaded_runs(
    vertical: np.ndarray, rate_hz: float, detect: float
) -> list[list[int]]:
    """[start, stop) of loaded stretches (hysteresis; short flights bridged)."""
    loaded = _schmitt(vertical, detect, 0.5 * detect)
    min_flight = round(MIN_FLIGHT_S * rate_hz)
    merged: list[list[int]] = []
    for a, b in runs(loaded):
        if merged and a - merged[-1][1] < min_flight:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return merged


def _plate_episodes(
    vertical: np.ndarray,
    plate: ForcePlate,
    number: int,
    detect: float,
    timing: float,
    typical_s: float,
    result: Result,
) -> list[tuple[float, float, float]]:
    """(IC s, TO s, peak N) of the complete contacts on one plate.

    Loaded stretches longer than a contact can be are reported and split at
    the valleys where the force returns to a local floor; without such
    valleys their contacts are left to the markers.
    """
    n, rate = len(vertical), plate.rate_hz
    if n < 3:
        return []
    loaded = _loaded_runs(vertical, rate, detect)
    if not loaded:
        return []
    bounds = [0] + [b for _, b in loaded[:-1]], [a for a, _ in loaded[1:]] + [n]
    found = []
    for (a, b), lo, hi in zip(loaded, *bounds, strict=True):
        duration = (b - a) / rate
        if not (np.isfinite(typical_s) and duration > OVERLONG_FACTOR * typical_s):
            if duration < MIN_CONTACT_S or a == 0 or b >= n:
                continue
            episode = _time_episode(
                vertical, a, b, (lo, hi), (0.0, 0.0), (timing, detect)
            )
            if episode is not None:
                found.append(_seconds(episode, plate))
            continue
        pieces = _split_at_floors(vertical, (a, b), (lo, hi), rate, detect, timing)
        where = (
            f"plate {number}: loaded for {duration:.2f} s from "
            f"{plate.t0_s + a / rate:.3f} s (typical contact {typical_s:.2f} s)"
        )
        if pieces:
            result.note(
                f"{where} without coming back to its unloaded level (it stays "
                f"loaded between contacts): {len(pieces)} contacts recovered from "
                "the flat valleys between them, each event timed from its own floor"
            )
            found += [_seconds(p, plate) for p in pieces]
        else:
            result.note(
                f"{where} without unloading (longer than a contact can be): no "
                "contact taken from this plate there; the foot markers give them"
            )
    return found


def _seconds(
    episode: tuple[float, float, float], plate: ForcePlate
) -> tuple[float, float, float]:
    ic, to, peak = episode
    return plate.t0_s + ic / plate.rate_hz, plate.t0_s + to / plate.rate_hz, peak


def _time_episode(
    vertical: np.ndarray,
    a: int,
    b: int,
    search: tuple[int, int],
    floors: tuple[float, float],
    levels: tuple[float, float],
) -> tuple[float, float, float] | None:
    """(IC, TO in fractional samples, peak N) of the episode [a, b).

    IC = the last up-crossing of ``floors[0] + levels[0]`` before the
    episode's peak and TO = the first down-crossing of ``floors[1] +
    levels[0]`` after it, searched within ``search`` (the neighbouring
    episodes' ends) and linearly interpolated. Where the force does not come
    down to that level there, ``levels[1]`` (the detection level) is used.
    """
    lo, hi = search
    peak = a + int(np.argmax(vertical[a:b]))
    events = []
    for rising, floor in ((True, floors[0]), (False, floors[1])):
        for level in (floor + levels[0], floor + levels[1]):
            if rising:
                below = np.flatnonzero(vertical[lo:peak] <= level)
                index = lo + int(below[-1]) if below.size else -1
            else:
                below = np.flatnonzero(vertical[peak:hi] <= level)
                index = peak + int(below[0]) - 1 if below.size else -1
            if 0 <= index < len(vertical) - 1:
                events.append(_crossing(vertical, index, level))
                break
        else:
            return None
    return events[0], events[1], float(vertical[peak])


def _split_at_floors(
    vertical: np.ndarray,
    stretch: tuple[int, int],
    search: tuple[int, int],
    rate: float,
    detect: float,
    timing: float,
) -> list[tuple[float, float, float]]:
    """Contacts inside an overlong loaded stretch, split at flight-like valleys.

    A valley is a flat stretch (over every 20 ms window the force varies by
    less than twice the detection level) of at least 20 ms whose load is less
    than half the rise of the peaks on both sides above it: a flight on a
    plate that stays loaded (a walking mid-stance trough is not one); a flat
    loaded stretch at either end of the stretch is a floor too. Each
    contact is timed ``timing`` above the floors on either side of it (the
    unloaded level 0 outside the stretch; the lowest force between the floor
    and the contact's peak where the force dips below the floor first).
    """
    from scipy.ndimage import maximum_filter1d, median_filter, minimum_filter1d

    a, b = stretch
    segment = vertical[a:b]
    width = max(3, round(MIN_FLIGHT_S * rate))
    spread = maximum_filter1d(segment, width, mode="nearest") - minimum_filter1d(
        segment, width, mode="nearest"
    )
    flat = spread < 2.0 * detect
    anchors = [(search[0], a, 0.0)]  # (start, stop, level) of the floors
    for i, j in runs(flat):
        if j - i < width:
            continue
        i, j = a + i, a + j
        level = float(np.median(vertical[i:j]))
        if level <= detect:
            continue
        before, after = vertical[anchors[-1][1] : i], vertical[j:b]
        if before.size < width or after.size < width:  # the stretch's own edge
            anchors.append((i, j, level))
            continue
        if min(before.max(), after.max()) - level > FLOOR_CONTRAST * level:
            anchors.append((i, j, level))
    if len(anchors) < 2:
        return []
    anchors.append((b, search[1], 0.0))
    if b >= len(vertical):  # the stretch runs to the end: its last contact is truncated
        anchors.pop()
    if a == 0:
        anchors.pop(0)
    smooth = median_filter(vertical, size=5, mode="nearest")
    pieces = []
    for left, right in itertools.pairwise(anchors):
        if (right[0] - left[1]) / rate < MIN_CONTACT_S:
            continue
        peak = left[1] + int(np.argmax(vertical[left[1] : right[0]]))
        floors = (  # where the force dips below a floor, the foot left from lower
            min(left[2], float(smooth[left[1] : peak].min())),
            min(right[2], float(smooth[peak : right[0]].min())),
        )
        episode = _time_episode(
            vertical,
            left[1],
            right[0],
            (left[0], right[1]),
            floors,
            (timing, detect),
        )
        if episode is not None:
            ic, to, top = episode
            pieces.append((ic, to, top - 0.5 * (floors[0] + floors[1])))
    return pieces


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


def _plausible_peaks(
    trial: TrialView, result: Result, contacts: list[dict], running: bool
) -> None:
    """Note running contacts whose force peak is below 1.5 BW (METHODS §2.1 step 7)."""
    mass = trial.subject.mass_kg if trial.subject and trial.subject.mass_kg else None
    if not mass or not running:
        return
    for contact in contacts:
        if contact["peak"] < 1.5 * mass * GRAVITY:
            result.note(
                f"contact at {contact['ic']:.3f} s peaks at "
                f"{contact['peak'] / (mass * GRAVITY):.2f} BW (< 1.5 BW expected in "
                "running: partial contact or wrong mass)"
            )


# ---------------------------------------------------------------- gait


def _gait(trial: TrialView, force: list[dict], zeni: list[dict]) -> tuple[bool, str]:
    """(running?, the evidence in words).

    Plates first: consecutive contacts on one plate separated by a flight
    shorter than 0.3 s (running), against contacts on different plates that
    overlap in time (double support: walking). Then the plate contact
    durations (median above 0.42 s: walking). Then the markers: the median
    gap between a foot's Zeni toe-off and the other foot's next strike, above
    -50 ms for running (Zeni's events overlap by a few ms in running, by
    100 ms and more of double support in walking).
    """
    flights = overlaps = 0
    for i, first in enumerate(force):
        for second in force[i + 1 :]:
            gap = second["ic"] - first["to"]
            if gap > 0.3:
                break
            if second["plate"] == first["plate"] and gap > 0:
                flights += 1
            elif second["plate"] != first["plate"] and gap < -MIN_FLIGHT_S:
                overlaps += 1
    if flights != overlaps:
        return flights > overlaps, (
            f"{flights} flights between consecutive contacts on one plate, "
            f"{overlaps} double supports across plates"
        )
    durations = [c["to"] - c["ic"] for c in force]
    if durations:
        median = float(np.median(durations))
        return (
            median <= MAX_RUNNING_CONTACT_S,
            f"median plate contact {1000 * median:.0f} ms",
        )
    gaps = []
    ordered = sorted(zeni, key=lambda c: c["ic"])
    for first, second in itertools.pairwise(ordered):
        if first["side"] != second["side"]:
            gaps.append(second["ic"] - first["to"])
    if gaps:
        median = float(np.median(gaps))
        return median > -ZENI_OVERLAP_IN_RUNNING_S, (
            f"the feet's Zeni contacts {'leave a flight' if median > 0 else 'overlap'}"
            f" of {1000 * abs(median):.0f} ms (median)"
        )
    return True, "no evidence either way: taken for running"


# ---------------------------------------------------------------- sides, cleanliness


def _assign_side_and_cleanliness(
    trial: TrialView,
    feet: dict[str, list[np.ndarray]],
    centres: dict[str, np.ndarray],
    contact: dict,
    running: bool,
    zeni: list[dict],
) -> None:
    """Side = foot nearest the COP early in the contact; clean = alone and inside.

    In running only the foot's own position counts (flight phases bound the
    contact: one foot's load). In walking the other foot's markers on the
    plate add doubt while that foot is on the ground (within its Zeni
    contacts, when it has any): a swing foot passing low over the plate
    carries no load. ``centres``: each foot's marker midpoint per frame
    (:func:`_mean_points` of ``feet``), computed once for all contacts.
    """
    contact["side"], contact["clean"] = "", True
    if not feet:
        return
    plate = trial.forceplates[contact["plate"] - 1]
    when = contact["ic"] + SIDE_FRACTION * (contact["to"] - contact["ic"])
    frame = _frame(trial, when)
    cop = _plate_cop_at(plate, when)
    if cop is None or not np.all(np.isfinite(cop)):
        cop = plate.centre
    up = trial.up
    distances = {}
    for side in feet:
        offset = centres[side][frame] - cop
        offset -= (offset @ up) * up
        distances[side] = np.linalg.norm(offset)
    finite = {s: d for s, d in distances.items() if np.isfinite(d)}
    if not finite:
        return
    side = min(finite, key=finite.get)
    contact["side"] = side
    mid = _frame(trial, 0.5 * (contact["ic"] + contact["to"]))
    inside = all(_on_plate(plate, p[mid : mid + 1], up)[0] for p in feet[side])
    other = "Right" if side == "Left" else "Left"
    other_on = (
        not running
        and other in feet
        and _other_foot_on(trial, plate, feet[other], contact, zeni, other)
    )
    contact["clean"] = bool(inside and not other_on)


def _other_foot_on(
    trial: TrialView,
    plate: ForcePlate,
    points: list[np.ndarray],
    contact: dict,
    zeni: list[dict],
    other: str,
) -> bool:
    """Walking: a marker of the other foot on the plate while that foot is grounded.

    Grounded: the frames of the contact inside one of the other foot's Zeni
    contacts (every frame of the contact when it has none).
    """
    frames = np.arange(_frame(trial, contact["ic"]), _frame(trial, contact["to"]) + 1)
    grounded = [c for c in zeni if c["side"] == other]
    if grounded:
        times = trial.markers.t0_s + frames / trial.markers.rate_hz
        during = np.zeros(len(frames), dtype=bool)
        for c in grounded:
            if c["ic"] <= times[-1] and c["to"] >= times[0]:
                during |= (times >= c["ic"]) & (times <= c["to"])
        frames = frames[during]
    return any(
        _on_plate(plate, p[frames], trial.up, clearance=OTHER_FOOT_CLEARANCE_M).any()
        for p in points
    )


def _split_two_feet(
    trial: TrialView,
    feet: dict[str, list[np.ndarray]],
    force: list[dict],
    kinematic: list[dict],
) -> None:
    """Walking: a plate episode during which the other foot lands on the plate.

    The episode holds both feet: its IC is the first foot's and its TO the
    second foot's. The first foot's TO is taken from its own marker contact
    and the second foot's marker contact gets the plate's TO; both unclean
    (marked ``two_feet`` for the bias estimate to leave them out).
    """
    up = trial.up
    for contact in list(force):
        side = contact["side"]
        if not side:
            continue
        plate = trial.forceplates[contact["plate"] - 1]
        for other in kinematic:
            if other["side"] == side or other["side"] not in feet:
                continue
            if not contact["ic"] < other["ic"] < contact["to"]:
                continue
            landing = _frame(
                trial, 0.5 * (other["ic"] + min(other["to"], contact["to"]))
            )
            if not any(
                _on_plate(plate, p[landing : landing + 1], up)[0]
                for p in feet[other["side"]]
            ):
                continue
            own = [
                k
                for k in kinematic
                if k["side"] == side and k["ic"] < other["ic"] and k["to"] > other["ic"]
            ]
            plate_to = contact["to"]
            contact["clean"] = False
            contact["two_feet"] = True
            if own:
                contact["to"] = own[0]["to"]
                contact["to_source"] = own[0]["source"]
                kinematic.remove(own[0])
            if abs(other["to"] - plate_to) < 0.5 * (other["to"] - other["ic"]):
                other["to"] = plate_to
                other["to_source"] = PLATE
                other["plate"] = contact["plate"]
            other["two_feet"] = True
            break


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
    e_x, e_y, half_x, half_y = _outline(
        np.asarray(plate.corners, dtype=float).tobytes()
    )
    offset = np.asarray(points) - plate.centre
    with np.errstate(invalid="ignore"):
        inside = (np.abs(offset @ e_x) <= half_x) & (np.abs(offset @ e_y) <= half_y)
        if clearance is not None:
            inside &= (offset @ up) <= clearance
    return inside


@functools.lru_cache(maxsize=16)
def _outline(corners: bytes) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Unit vectors along a plate's sides and half-lengths plus margin (m).

    ``corners``: the plate's (4, 3) float64 corners as bytes (a cache key).
    """
    c1, c2, _, c4 = np.frombuffer(corners).reshape(4, 3)
    e_x = (c1 - c2) / np.linalg.norm(c1 - c2)
    e_y = (c1 - c4) / np.linalg.norm(c1 - c4)
    half_x = 0.5 * np.linalg.norm(c1 - c2) + FOOT_ON_PLATE_MARGIN_M
    half_y = 0.5 * np.linalg.norm(c1 - c4) + FOOT_ON_PLATE_MARGIN_M
    return e_x, e_y, half_x, half_y


def _mean_points(points: list[np.ndarray]) -> np.ndarray:
    """Mean of points ignoring NaN ones (NaN where all are NaN), without warnings."""
    stack = np.stack(points)
    count = np.isfinite(stack).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(stack, axis=0) / np.where(count > 0, count, np.nan)


# ---------------------------------------------------------------- kinematics


def _foot_markers(trial: TrialView, prefix: str) -> tuple | None:
    """(heel, toe, mt1, hallux) of one foot; None without heel and toe (or mt1).

    Without a heel marker the lateral malleolus (ankle marker) stands in for it
    (it moves with the heel along the progression; the note says so).
    """
    heel = trial.landmark_or_none(f"{prefix}_heel")
    if heel is None:
        heel = trial.landmark_or_none(f"{prefix}_ankle")
    toe = (
        trial.landmark_or_none(f"{prefix}_toe")
        if trial.has_landmark(f"{prefix}_toe")
        else trial.landmark_or_none(f"{prefix}_mt1")
    )
    if heel is None or toe is None:
        return None
    return (
        heel,
        toe,
        trial.landmark_or_none(f"{prefix}_mt1"),
        trial.landmark_or_none(f"{prefix}_hallux"),
    )


def _feet_markers(trial: TrialView) -> dict[str, tuple]:
    """:func:`_foot_markers` of each foot that has them, by side (Left first)."""
    feet = {}
    for prefix, side in (("l", "Left"), ("r", "Right")):
        foot = _foot_markers(trial, prefix)
        if foot is not None:
            feet[side] = foot
    return feet


def _lowpass_columns(
    signals: list[np.ndarray], rate_hz: float, cutoff_hz: float
) -> np.ndarray:
    """The signals (n_frames,) low-passed together, one column each (n_frames, k).

    One filter design and one pass for all of them; each column is filtered
    on its own as :func:`lowpass` does (gaps per column).
    """
    if not signals:
        return np.empty((0, 0))
    return lowpass(np.column_stack(signals), rate_hz, cutoff_hz)


def _zeni_contacts(
    trial: TrialView, cutoff_hz: float
) -> tuple[list[dict], dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Zeni et al. (2008) coordinate-method contacts of each foot with markers.

    IC at the maximum of (heel − pelvis) along the progression, TO at the
    following minimum of (toe − pelvis), each refined to sub-frame time by a
    parabola through the extreme frame and its neighbours; kept when
    plausible (duration 80 ms to 1.5 s, the foot on the floor at mid-contact).
    Also returns, by side, the low-passed (heel − pelvis) and (toe − pelvis)
    along the progression (m) and the frames of the strikes (the maxima).
    """
    rate = trial.markers.rate_hz
    t0 = trial.markers.t0_s
    up, forward = trial.up, trial.progression.direction
    pelvis = _pelvis_centre(trial)
    if pelvis is None:
        return [], {}
    floor = _floor_height(trial)
    feet = _feet_markers(trial)
    ahead = _lowpass_columns(
        [(f[i] - pelvis) @ forward for f in feet.values() for i in (0, 1)],
        rate,
        cutoff_hz,
    )
    contacts = []
    signals = {}
    for k, (side, foot) in enumerate(feet.items()):
        heel, toe = foot[0], foot[1]
        heel_ahead, toe_ahead = ahead[:, 2 * k], ahead[:, 2 * k + 1]
        strikes = _extrema(heel_ahead, rate, maximum=True)
        signals[side] = (heel_ahead, toe_ahead, strikes)
        offs = _extrema(toe_ahead, rate, maximum=False)
        lowest = np.fmin(heel @ up, toe @ up)
        for k, strike in enumerate(strikes):
            later = offs[offs > strike]
            if later.size == 0:
                continue
            off = int(later[0])
            if k + 1 < len(strikes) and strikes[k + 1] < off:
                continue
            if strike == 0 or off >= len(heel_ahead) - 1:
                continue
            ic = _vertex(heel_ahead, int(strike))
            to = _vertex(toe_ahead, off)
            duration = (to - ic) / rate
            mid_height = lowest[(int(strike) + off) // 2] - floor
            if not MIN_CONTACT_S <= duration <= MAX_KINEMATIC_CONTACT_S or not (
                mid_height <= FOOT_ON_FLOOR_M
            ):
                continue
            contacts.append(
                {
                    "ic": t0 + ic / rate,
                    "to": t0 + to / rate,
                    "ic_frame": int(strike),
                    "to_frame": off,
                    "side": side,
                    "clean": False,
                    "plate": 0,
                    "source": MARKERS,
                    "to_source": MARKERS,
                }
            )
    return _without_overlaps(contacts), signals


def _vertex(signal: np.ndarray, i: int) -> float:
    """Fractional index of the extremum of the parabola through i-1, i, i+1."""
    a, b, c = signal[i - 1], signal[i], signal[i + 1]
    curvature = a - 2 * b + c
    if not np.isfinite(curvature) or curvature == 0:
        return float(i)
    return i + float(np.clip(0.5 * (a - c) / curvature, -0.5, 0.5))


def _handsaker_contacts(
    trial: TrialView, cutoff_hz: float, zeni: list[dict]
) -> list[dict]:
    """Handsaker 2016 events (running) in the Zeni windows of each foot."""
    rate = trial.markers.rate_hz
    t0 = trial.markers.t0_s
    up = trial.up
    floor = _floor_height(trial)
    feet = _feet_markers(trial)
    heights = _lowpass_columns(
        [
            marker @ up
            for heel, toe, mt1, hallux in feet.values()
            for marker in (
                heel,
                mt1 if mt1 is not None else toe,
                hallux if hallux is not None else toe,
            )
        ],
        rate,
        cutoff_hz,
    )
    contacts = []
    for k, (side, (heel, toe, _, _)) in enumerate(feet.items()):
        lowest = np.fmin(heel @ up, toe @ up)
        accelerations = [derivative(heights[:, 3 * k + i], rate, 2) for i in (0, 1)]
        jerk = derivative(heights[:, 3 * k + 2], rate, 3)
        for window in (c for c in zeni if c["side"] == side):
            strike, off = window["ic_frame"], window["to_frame"]
            span = slice(strike, min(strike + int(0.15 * rate), off))
            if span.stop <= span.start:
                continue
            peaks = [
                span.start + int(np.nanargmax(a[span]))
                for a in accelerations
                if np.isfinite(a[span]).any()
            ]
            off_span = slice(
                max(off - int(0.1 * rate), strike + 1),
                min(off + int(0.1 * rate), len(jerk)),
            )
            if not peaks or not np.isfinite(jerk[off_span]).any():
                continue
            ic = min(peaks)
            to = off_span.start + int(np.nanargmax(jerk[off_span]))
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
                    "source": MARKERS,
                    "to_source": MARKERS,
                }
            )
    return _without_overlaps(contacts)


def _unseen_toe_off_strikes(
    trial: TrialView,
    signals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    cutoff_hz: float,
    running: bool,
    contacts: list[dict],
) -> tuple[list[dict], list[dict]]:
    """Initial contacts from the markers whose toe-off cannot be seen.

    A heel strike (a Zeni maximum of heel − pelvis) that no contact holds,
    followed by no toe-off because the toe marker is lost, or the recording
    ends, less than ``MAX_KINEMATIC_CONTACT_S`` after it, with the heel
    (or ankle) marker within ``FOOT_ON_FLOOR_M`` of the floor 0.1 s after the
    strike (a landing, not a swing). In running the strike is timed as
    Handsaker does (the first vertical-acceleration peak of the heel and
    first-metatarsal markers within 150 ms). These are events only: with no
    toe-off there is no contact to measure.

    In walking, when the toe marker is lost during the contact but the heel
    (or ankle) marker is not, the toe-off is timed from the heel instead:
    the next minimum of (heel − pelvis), delayed by the median lag from that
    minimum to the Zeni toe-off over the contacts of this trial where both
    are seen (at least two). Those strikes come back as contacts (second
    list, ``heel_timed``), measured and bias-corrected like the others.
    """
    rate = trial.markers.rate_hz
    t0 = trial.markers.t0_s
    up = trial.up
    floor = _floor_height(trial)
    strikes: list[dict] = []
    heel_timed: list[dict] = []
    lag = None if running else _heel_to_toe_off_lag(signals, rate)
    for side, (heel, toe, mt1, _) in _feet_markers(trial).items():
        if side not in signals:
            continue
        heel_ahead, toe_ahead, candidates = signals[side]
        heel_lows = (
            _extrema(heel_ahead, rate, maximum=False) if lag is not None else None
        )
        held = [c for c in contacts if c["side"] == side]
        for strike in candidates:
            time_s = t0 + strike / rate
            if any(c["ic"] - 0.1 <= time_s <= c["to"] for c in held):
                continue
            toe_known = np.isfinite(toe_ahead[strike:])
            toe_ends = int(np.argmin(toe_known)) if not toe_known.all() else None
            seen_for = (
                len(toe_ahead) - strike if toe_ends is None else toe_ends
            ) / rate
            if held and max(c["ic"] for c in held) > time_s:
                continue  # a later contact of this foot: its toe-off was seen
            if seen_for > MAX_KINEMATIC_CONTACT_S:
                continue
            landed = strike + int(0.1 * rate)
            if landed >= len(heel) or not heel[landed] @ up - floor <= FOOT_ON_FLOOR_M:
                continue  # the landing is not seen
            ic = _vertex(heel_ahead, int(strike)) if strike > 0 else float(strike)
            if running:
                ic = _handsaker_strike(
                    trial,
                    heel,
                    mt1 if mt1 is not None else toe,
                    int(strike),
                    cutoff_hz,
                    ic,
                )
            to = (
                None
                if heel_lows is None
                or toe_ends is None
                or strike + toe_ends >= len(toe) - 1
                else _heel_timed_toe_off(
                    heel_ahead, heel_lows, candidates, int(strike), rate
                )
            )
            if to is not None and (to + lag - ic) / rate >= MIN_CONTACT_S:
                heel_timed.append(
                    {
                        "ic": t0 + ic / rate,
                        "to": t0 + (to + lag) / rate,
                        "ic_frame": int(strike),
                        "to_frame": round(to + lag),
                        "side": side,
                        "clean": False,
                        "plate": 0,
                        "source": MARKERS,
                        "to_source": MARKERS,
                        "heel_timed": True,
                    }
                )
                continue
            strikes.append(
                {
                    "ic": t0 + ic / rate,
                    "side": side,
                    "source": MARKERS,
                    "to_source": None,
                }
            )
    return strikes, heel_timed


def _heel_timed_toe_off(
    heel_ahead: np.ndarray,
    heel_lows: np.ndarray,
    strikes: np.ndarray,
    strike: int,
    rate: float,
) -> float | None:
    """Frame (sub-frame) of the first minimum of (heel − pelvis) (among
    ``heel_lows``, its minima) after ``strike`` and before the foot's next
    strike, within ``MAX_KINEMATIC_CONTACT_S``; None when there is none."""
    later = [int(i) for i in strikes if i > strike]
    end = min([strike + int(MAX_KINEMATIC_CONTACT_S * rate), *later])
    inside = heel_lows[(heel_lows > strike) & (heel_lows < end)]
    return _vertex(heel_ahead, int(inside[0])) if inside.size else None


def _heel_to_toe_off_lag(
    signals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], rate: float
) -> float | None:
    """Median lag (frames) from the minimum of (heel − pelvis) to the Zeni
    toe-off (minimum of toe − pelvis) over the contacts of the trial where
    both are seen; None with fewer than two such contacts."""
    lags = []
    for heel_ahead, toe_ahead, strikes in signals.values():
        offs = _extrema(toe_ahead, rate, maximum=False)
        heel_lows = _extrema(heel_ahead, rate, maximum=False)
        for strike in strikes:
            heel_low = _heel_timed_toe_off(
                heel_ahead, heel_lows, strikes, int(strike), rate
            )
            later = offs[offs > strike]
            if heel_low is None or later.size == 0:
                continue
            toe_off = _vertex(toe_ahead, int(later[0]))
            if 0 <= toe_off - heel_low <= 0.15 * rate:  # the same push-off
                lags.append(toe_off - heel_low)
    return float(np.median(lags)) if len(lags) >= 2 else None


def _handsaker_strike(
    trial: TrialView,
    heel: np.ndarray,
    metatarsal: np.ndarray,
    strike: int,
    cutoff_hz: float,
    fallback: float,
) -> float:
    """Frame of the first vertical-acceleration peak of the heel and metatarsal
    markers within 150 ms of a Zeni strike (``fallback`` when neither has one)."""
    rate = trial.markers.rate_hz
    heights = _lowpass_columns(
        [heel @ trial.up, metatarsal @ trial.up], rate, cutoff_hz
    )
    span = slice(strike, min(strike + int(0.15 * rate), len(heights)))
    peaks = []
    for column in heights.T:
        acceleration = derivative(column, rate, 2)[span]
        if np.isfinite(acceleration).any():
            peaks.append(span.start + int(np.nanargmax(acceleration)))
    return float(min(peaks)) if peaks else fallback


def _detector_note(trial: TrialView, running: bool) -> str:
    heel = (
        ""
        if trial.has_landmark("l_heel") or trial.has_landmark("r_heel")
        else "; no heel markers: the ankle markers stand in for them"
    )
    if not running:
        return "marker events: Zeni et al. 2008 coordinate method (walking)" + heel
    return (
        "marker events: Handsaker et al. 2016 (running)"
        + (
            ""
            if trial.has_landmark("l_hallux")
            else " (PiG variant: toe marker for metatarsal and hallux; not validated)"
        )
        + heel
    )


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
    """Mean of the ASIS/PSIS markers (else the sacrum), kept through marker gaps.

    In a frame where some pelvis markers are lost, each visible marker (the
    sacrum too) stands in with its median offset to the full centre over
    the frames where every marker is seen; the pelvis rotates a few degrees
    in gait, so this holds the centre within about a centimetre instead of
    jumping to the mean of the markers left, or ending.
    """
    names = [
        n for n in ("l_asis", "r_asis", "l_psis", "r_psis") if trial.has_landmark(n)
    ]
    if not names:
        return trial.landmark_or_none("sacrum")
    points = [trial.landmark(n) for n in names]
    centre = np.stack(points).mean(axis=0)  # NaN wherever one marker is lost
    whole = np.isfinite(centre).all(axis=1)
    if whole.all() or not whole.any():
        return _mean_points(points)
    sacrum = trial.landmark_or_none("sacrum")
    stand_ins = []
    for point in points + ([sacrum] if sacrum is not None else []):
        offset = np.nanmedian(centre[whole] - point[whole], axis=0)
        if np.isfinite(offset).all():
            stand_ins.append(point + offset)
    filled = _mean_points(stand_ins)
    return np.where(whole[:, None], centre, filled)


def _extrema(signal: np.ndarray, rate_hz: float, *, maximum: bool) -> np.ndarray:
    """Indices of local maxima (or minima) at least 0.2 s apart.

    Each must stand ``MIN_EXCURSION_M`` above the signal on both sides down
    to its bases (as a peak prominence), except on a side where the base is
    the end of the recording: an extremum a few frames before the end (a
    contact ending there) needs its excursion on the other side only. An
    extremum next to a gap (a missing sample) is not one: the signal may go
    on beyond it.
    """
    from scipy.signal import find_peaks, peak_prominences

    values = signal if maximum else -signal
    n = len(values)
    known = np.isfinite(values)
    finite = np.where(known, values, -np.inf)
    peaks, _ = find_peaks(finite, distance=max(1, int(0.2 * rate_hz)))
    peaks = peaks[known[peaks - 1] & known[peaks + 1]]
    if peaks.size == 0:
        return peaks
    _, left, right = peak_prominences(finite, peaks)
    kept = []
    for peak, a, b in zip(peaks, left, right, strict=True):
        rise = finite[peak] - finite[a : peak + 1].min()
        fall = finite[peak] - finite[peak : b + 1].min()
        if max(rise, fall) < MIN_EXCURSION_M:
            continue
        if (rise >= MIN_EXCURSION_M or a == 0) and (
            fall >= MIN_EXCURSION_M or b == n - 1
        ):
            kept.append(peak)
    return np.array(kept, dtype=int)


# ---------------------------------------------------------------- bias correction

BIAS_METRICS = (
    "kinematic_ic_offset",
    "kinematic_to_offset",
    "kinematic_ic_residual",
    "kinematic_to_residual",
)
"""Metrics of the marker events' bias against the plates (needs contacts
measured both ways)."""


def _calibrated(
    result: Result,
    force: list[dict],
    kinematic: list[dict],
    correct: bool,
    strikes_only: list[dict],
) -> list[dict]:
    """Marker contacts no plate measured, corrected by the bias measured on the plates.

    A marker contact overlapping a plate contact of the same foot is that
    contact measured twice: its offsets (markers − plate) per event kind and
    side give the bias; it is then dropped. The rest, and the initial
    contacts in ``strikes_only`` (corrected in place), are corrected by the
    bias of their side (the other side's when a side has no plate contact).
    """
    offsets: dict[tuple[str, str], list[float]] = {}
    remaining = []
    force_ic = np.array([f["ic"] for f in force])
    force_to = np.array([f["to"] for f in force])
    force_side = np.array([f["side"] for f in force])
    for k in kinematic:
        overlapping = (
            (force_side == k["side"]) & (force_ic < k["to"]) & (k["ic"] < force_to)
        )
        same_foot = [force[i] for i in np.flatnonzero(overlapping)]
        if not same_foot:
            remaining.append(k)
            continue
        alone = [f for f in same_foot if not f.get("two_feet") and f["source"] == PLATE]
        if alone and not k.get("two_feet"):
            plate = min(alone, key=lambda f: abs(f["ic"] - k["ic"]))
            offsets.setdefault(("ic", k["side"]), []).append(k["ic"] - plate["ic"])
            offsets.setdefault(("to", k["side"]), []).append(k["to"] - plate["to"])
    if not offsets:
        result.leave_out(
            BIAS_METRICS,
            "no contact measured both by a force plate and by the foot markers "
            "with that foot alone on the plate (the marker bias cannot be measured)",
        )
        return remaining
    for kind, name in (("ic", "initial contact"), ("to", "toe-off")):
        pooled = [x for (k, _), v in offsets.items() if k == kind for x in v]
        result.add_metric(f"kinematic_{kind}_offset", float(np.mean(pooled)))
        residual = _leave_one_out_rms(offsets, kind)
        result.add_metric(
            f"kinematic_{kind}_residual",
            residual,
            message="" if np.isfinite(residual) else "one contact measured both ways",
        )
        per_side = ", ".join(
            f"{side} {1000 * np.mean(v):+.1f} ± {1000 * np.std(v):.1f} ms (n={len(v)})"
            for (k, side), v in sorted(offsets.items())
            if k == kind
        )
        result.note(
            f"marker vs force-plate {name}: {per_side}; residual after correction "
            f"{1000 * residual:.1f} ms RMS (leave-one-out)"
        )
    if not correct:
        return remaining
    corrected = 0
    marker_timed = remaining + [f for f in force if f.get("to_source") == MARKERS]
    for k in strikes_only:
        bias = _bias(offsets, "ic", k["side"])
        if bias is not None:
            k["ic"] -= bias
            k["source"] = CORRECTED
    for k in marker_timed:
        for kind, key in (("ic", "source"), ("to", "to_source")):
            if k.get(key, MARKERS) != MARKERS:
                continue
            bias = _bias(offsets, kind, k["side"])
            if bias is not None:
                k[kind] -= bias
                k[key] = CORRECTED
        corrected += CORRECTED in (k["source"], k["to_source"])
    if corrected:
        result.note(
            f"{corrected} contacts with marker events corrected by the bias measured "
            "on the plates"
        )
    return remaining


def _bias(
    offsets: dict[tuple[str, str], list[float]], kind: str, side: str
) -> float | None:
    own = offsets.get((kind, side))
    if own:
        return float(np.mean(own))
    other = [x for (k, _), v in offsets.items() if k == kind for x in v]
    return float(np.mean(other)) if other else None


def _leave_one_out_rms(offsets: dict[tuple[str, str], list[float]], kind: str) -> float:
    """RMS (s) of each offset minus the bias from the other contacts (same side
    first, else the other side); NaN with a single contact."""
    errors = []
    for (k, side), values in offsets.items():
        if k != kind:
            continue
        others = [
            x for (k2, s2), v in offsets.items() if k2 == kind and s2 != side for x in v
        ]
        for i, value in enumerate(values):
            rest = values[:i] + values[i + 1 :]
            if rest:  # the same side's bias without this contact
                errors.append(value - float(np.mean(rest)))
            elif others:  # alone on its side: the other side's
                errors.append(value - float(np.mean(others)))
    return float(np.sqrt(np.mean(np.square(errors)))) if errors else np.nan


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
            ("event_source", EDITED),
            ("toe_off_source", EDITED),
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
