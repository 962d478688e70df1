"""Centre of mass from markers, from the ground reaction force, and both fused.

Three estimates (METHODS §3):

* **Kinematic COM** (marker rate, §3.1-3.4): the most complete segmental model
  the landmarks allow (``best_com``): 14-segment full body, else the reduced
  "running" model (legs + lumped HAT), else the pelvis approximation
  ``pelvis centroid + R_pelvis·d_static``, with ``d_static`` from the subject's
  static trial when that trial allows a segmental COM (else d = 0, the pelvis
  centroid). The COM trajectory is low-pass filtered (§7: 2nd-order
  Butterworth, 2 passes, 12 Hz design cut-off) instead of every marker: the
  COM is a fixed linear combination of the segment end points, so filtering
  it equals filtering them, except for the small nonlinearity of the
  pelvis-frame hip centres and offset (the pelvis rotates slowly) — a
  departure made because it costs one filter instead of dozens.
* **Force-derived COM** (analog rate, §3.5): ``a = GRF/m + g_vec`` (all plates
  summed, unfiltered), trapezoidal double integration, segment by segment:
  on a treadmill one stride at a time (initial contact to the initial contact
  two steps later); the velocity constant makes the position at the end of
  the stride equal to that at its start (mean velocity zero in the treadmill
  frame, all axes, over the exact stride), the position constant makes the
  mean over the stride equal to the mean kinematic COM (zero without
  kinematics: a relative COM). Overground, each stretch whose ground contacts
  were all on plates (flights need none: a = g_vec) gets (p0, v0) by linear
  least squares against the kinematic COM, all axes; long stretches are cut
  at every second initial contact (each piece at least one stride). In walking the other
  foot is still (or already) on the floor at the ends of a run of plate
  contacts: the stretch is shortened at both ends by the double-support time
  of the plate contacts (a departure: the off-plate contacts are not
  detected). The mass is ``trial.body_mass_kg()`` (force-derived when the
  body_mass plugin ran); without any mass it is fitted to the kinematic COM
  overground (shared 1/m in the least squares) or taken as mean vertical
  GRF / g over the analysed strides on a treadmill (§3.5 b). Without pelvis
  markers a trial whose contacts are all on plates is integrated as on a
  treadmill (its horizontal COM is then relative to a frame moving with each
  stride's mean velocity).
* **Fused COM** (marker rate, §3.6): ``p_fused = LP{p_kin} + p_dyn -
  LP{p_dyn}``, computed as ``p_dyn + LP{p_kin - p_dyn}`` (identical for the
  linear zero-phase filter on the same samples, one filter instead of two),
  LP = 2nd-order Butterworth, 2 passes, crossover ``crossover_hz`` (0.75 Hz).
  ``p_dyn`` is brought to the marker rate after a zero-phase anti-alias
  low-pass at a quarter of the marker rate (§7, last rule).

The series ``com`` is the fused COM where it exists, else the kinematic COM,
else the force-derived COM resampled to the marker rate (or at the analog
rate when the trial has no markers).

Metrics: the flight-phase gravity test of §8.4 on the kinematic COM (and on
the fused COM), the vertical COM excursion per stride, and the §3.7
agreement figures between the estimates.

Written only against :mod:`gaitlab.api`, like any researcher's plugin.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt

from gaitlab.api import (
    GRAVITY,
    ComEstimate,
    Contact,
    MetricSpec,
    Param,
    Result,
    RunContext,
    SeriesSpec,
    Skip,
    TrialView,
    best_com,
    derivative,
    lowpass,
    pelvis_offset_from_static,
    plugin,
    runs,
    sample_at,
)

FloatArray = npt.NDArray[np.float64]
Segment = tuple[float, float]

FLIGHT_CENTRE_FRACTION = 0.6
"""Part of each flight phase, centred, used for the gravity test (METHODS §8.4)."""

MAX_FLIGHT_S = 0.3
"""A longer gap between two contacts holds an undetected contact, not a flight."""

STEP_GAP_FACTOR = 2.0
"""Consecutive initial contacts further apart than this times the median step
time are not consecutive steps (a contact was missed)."""

ANTI_ALIAS_FRACTION = 0.25
"""Design cut-off of the anti-alias low-pass before resampling the force-derived
COM to the marker rate, as a fraction of the marker rate (half the Nyquist)."""

MIN_SEGMENT_S = 0.2
"""Shortest stretch integrated overground, in s."""

MASS_RANGE_KG = (20.0, 250.0)
"""A mass fitted to the kinematic COM outside this range is refused."""

KINEMATIC_METRICS = (
    "flight_gravity_error",
    "flight_gravity_error_rms",
    "flight_gravity_error_fused",
    "fused_vs_force_rms_vertical",
    "fused_vs_force_rms_ap",
    "kinematic_vs_force_rms_vertical",
    "kinematic_vs_force_rms_ap",
)
"""Metrics that need the kinematic COM (NaN without it)."""

FUSED_METRICS = KINEMATIC_METRICS[2:]
"""Metrics that also need the force-derived COM."""


@plugin(
    name="center_of_mass",
    version="1.0.0",
    title="Centre of mass",
    category="Kinematics",
    needs=("markers|forceplates",),
    optional=("result:gait_events", "result:body_mass"),
    series=(
        SeriesSpec(
            "com",
            "m",
            "Best centre-of-mass estimate, lab frame, shape (n, 3): fused COM "
            "(METHODS §3.6) where both estimates exist, else the kinematic COM, else "
            "the force-derived COM; at the marker rate (analog rate without markers)",
        ),
        SeriesSpec(
            "com_kinematic",
            "m",
            "Segmental COM from the markers (full body, running or pelvis model, "
            "METHODS §3.1-3.4), low-pass filtered (METHODS §7), marker rate",
        ),
        SeriesSpec(
            "com_force",
            "m",
            "COM from double integration of the total GRF (METHODS §3.5), stride by "
            "stride with periodic (treadmill) or least-squares (overground) "
            "constants; analog rate, NaN outside the analysed strides",
        ),
        SeriesSpec(
            "com_velocity",
            "m/s",
            "Time derivative of `com` (central differences), same rate",
        ),
    ),
    metrics=(
        MetricSpec(
            "flight_gravity_error",
            "%",
            "Flight-phase gravity test of the kinematic COM (METHODS §8.4): per "
            "flight phase, |mean vertical acceleration + g| over its central 60 %, "
            "in % of g, averaged over the flight phases",
            per_step=False,
        ),
        MetricSpec(
            "flight_gravity_error_rms",
            "%",
            "RMS over all samples of the central 60 % of the flight phases of "
            "(vertical acceleration of the kinematic COM + g), in % of g (§8.4)",
            per_step=False,
        ),
        MetricSpec(
            "flight_gravity_error_fused",
            "%",
            "flight_gravity_error of the fused COM (METHODS §3.6): 0 for a COM whose "
            "acceleration equals the force",
            per_step=False,
        ),
        MetricSpec(
            "com_vertical_range",
            "m",
            "Vertical excursion (max - min) of `com` per stride (initial contact to "
            "the initial contact two steps later), averaged over the strides",
            per_step=False,
        ),
        MetricSpec(
            "fused_vs_force_rms_vertical",
            "m",
            "RMS difference fused - force-derived COM, vertical, within the "
            "analysed strides (each stride's mean difference removed; METHODS §3.7 "
            "acceptance ≤ 5 mm), marker rate",
            per_step=False,
        ),
        MetricSpec(
            "fused_vs_force_rms_ap",
            "m",
            "As fused_vs_force_rms_vertical along the direction of progression "
            "(METHODS §3.7 acceptance ≤ 10 mm)",
            per_step=False,
        ),
        MetricSpec(
            "kinematic_vs_force_rms_vertical",
            "m",
            "RMS difference kinematic - force-derived COM, vertical, within the "
            "analysed strides (each stride's mean difference removed): how well the "
            "marker model follows the COM (METHODS §3.4, §3.7)",
            per_step=False,
        ),
        MetricSpec(
            "kinematic_vs_force_rms_ap",
            "m",
            "As kinematic_vs_force_rms_vertical along the direction of progression",
            per_step=False,
        ),
    ),
)
def center_of_mass(
    trial: TrialView,
    ctx: RunContext,
    *,
    marker_lowpass_hz: Annotated[
        float,
        Param(
            min=0,
            max=50,
            unit="Hz",
            doc="Zero-lag low-pass of the kinematic COM (METHODS §7); 0 = none",
        ),
    ] = 12.0,
    cutoff_mode: Literal["design", "effective"] = "design",
    crossover_hz: Annotated[
        float,
        Param(
            min=0.1,
            max=3,
            unit="Hz",
            doc="Crossover of the kinematic/force complementary filter (METHODS §3.6)",
        ),
    ] = 0.75,
    hat_com_fraction: Annotated[
        float,
        Param(
            min=0.4,
            max=0.7,
            doc="HAT COM position along MIDH→CERV in the running model (METHODS §3.3)",
        ),
    ] = 0.56,
) -> Result:
    """Centre of mass: kinematic, force-derived and fused, with quality indices."""
    result = Result()
    kinematic, kinematic_reason = _kinematic_com(
        trial, result, hat_com_fraction, marker_lowpass_hz, cutoff_mode
    )
    contacts = trial.contacts()
    force, segments, force_reason = _force_com(trial, result, contacts, kinematic)
    if kinematic is None and force is None:
        raise Skip(
            f"no centre of mass: kinematic: {kinematic_reason}; force: {force_reason}"
        )
    if kinematic_reason:
        result.note(f"no kinematic COM: {kinematic_reason}")
    if force_reason:
        result.note(f"no force-derived COM: {force_reason}")
    grf = trial.grf
    up, forward = trial.up, trial.progression.direction
    if kinematic is None:
        rate, t0 = grf.rate_hz, grf.t0_s
        com = force
        result.note("com = force-derived COM at the analog rate (no kinematic COM)")
        for name in KINEMATIC_METRICS:
            result.add_metric(name, np.nan, message="no kinematic COM")
    else:
        rate, t0 = trial.markers.rate_hz, trial.markers.t0_s
        result.add_series("com_kinematic", kinematic, rate_hz=rate, t0_s=t0)
        com = kinematic
        if force is not None:
            force_at_markers = resample_force_com(
                force, grf.rate_hz, grf.t0_s, trial.marker_time, rate
            )
            fused = fuse(kinematic, force_at_markers, rate, crossover_hz)
            com = best_of(fused, kinematic, force_at_markers)
            _agreement_metrics(
                result,
                rate,
                t0,
                segments,
                fused,
                kinematic,
                force_at_markers,
                up,
                forward,
            )
            _gravity_metrics(
                result,
                "flight_gravity_error_fused",
                None,
                fused,
                rate,
                t0,
                contacts,
                up,
            )
            result.note(
                f"com = fused COM (crossover {crossover_hz:g} Hz) on "
                f"{np.mean(np.isfinite(fused[:, 0])):.0%} of the frames, kinematic COM "
                "elsewhere"
            )
        else:
            for name in FUSED_METRICS:
                result.add_metric(name, np.nan, message="no force-derived COM")
        _gravity_metrics(
            result,
            "flight_gravity_error",
            "flight_gravity_error_rms",
            kinematic,
            rate,
            t0,
            contacts,
            up,
        )
    if force is not None:
        result.add_series("com_force", force, rate_hz=grf.rate_hz, t0_s=grf.t0_s)
    result.add_series("com", com, rate_hz=rate, t0_s=t0)
    result.add_series("com_velocity", derivative(com, rate), rate_hz=rate, t0_s=t0)
    _range_metric(result, com, rate, t0, contacts, up)
    return result


# ---------------------------------------------------------------- kinematic COM


def _kinematic_com(
    trial: TrialView,
    result: Result,
    hat_com_fraction: float,
    cutoff_hz: float,
    cutoff_mode: str,
) -> tuple[FloatArray | None, str]:
    """Filtered best segmental COM at the marker rate, or (None, why not)."""
    if trial.markers.n_frames == 0 or not trial.markers.labels:
        return None, "no marker trajectories"
    sex = trial.subject.sex if trial.subject is not None else None
    try:
        estimate = best_com(trial.body, sex, hat_com_fraction=hat_com_fraction)
    except ValueError as error:
        return None, str(error)
    if estimate.model == "pelvis":
        d_static = _static_offset(trial, sex, hat_com_fraction, result)
        if d_static is not None:
            estimate = best_com(
                trial.body, sex, hat_com_fraction=hat_com_fraction, d_static=d_static
            )
    _note_model(result, estimate, trial.body.notes)
    com = estimate.com
    if cutoff_hz > 0:
        com = lowpass(com, trial.markers.rate_hz, cutoff_hz, cutoff_mode=cutoff_mode)
        result.note(
            f"kinematic COM low-pass: Butterworth 2nd order, 2 passes, {cutoff_hz:g} Hz "
            f"({cutoff_mode} cut-off), applied to the COM trajectory"
        )
    return com, ""


def _static_offset(
    trial: TrialView, sex: str | None, hat_com_fraction: float, result: Result
) -> FloatArray | None:
    """``d_static`` of METHODS §3.4 from the static trial, or None (with a note)."""
    static = trial.static
    if static is None:
        result.note("pelvis model without static offset: no static trial")
        return None
    try:
        estimate = best_com(static.body, sex, hat_com_fraction=hat_com_fraction)
    except ValueError as error:
        result.note(f"static trial {static.label}: no COM ({error})")
        return None
    if estimate.model == "pelvis":
        result.note(
            f"pelvis model without static offset: the static trial {static.label} has "
            "no markers for a segmental COM either (d = 0: pelvis centroid)"
        )
        return None
    try:
        offset = pelvis_offset_from_static(static.body, estimate.com)
    except ValueError as error:
        result.note(f"static trial {static.label}: no pelvis offset ({error})")
        return None
    result.note(
        f"pelvis offset d_static from the {estimate.model} COM of the static trial "
        f"{static.label}"
    )
    return offset


def _note_model(
    result: Result, estimate: ComEstimate, body_notes: tuple[str, ...]
) -> None:
    result.note(f"kinematic COM model: {estimate.model}")
    for text in estimate.notes:
        result.note(f"kinematic COM: {text}")
    for text in body_notes:
        result.note(f"body points: {text}")


# ---------------------------------------------------------------- force-derived COM


def _force_com(
    trial: TrialView,
    result: Result,
    contacts: list[Contact],
    kinematic: FloatArray | None,
) -> tuple[FloatArray | None, list[Segment], str]:
    """Force-derived COM at the analog rate, its segments, or (None, [], why not)."""
    grf = trial.grf
    if grf is None:
        return None, [], "no force plates"
    if len(contacts) < 2:
        return None, [], "fewer than two foot contacts (gait events)"
    on_plate = _on_plates(trial, contacts)
    treadmill = trial.progression.treadmill
    if treadmill is None:
        treadmill = all(on_plate)
    if treadmill and trial.progression.treadmill is None:
        result.note(
            "pelvis motion unknown and every contact on plates: integrated as on a "
            "treadmill (overground, the horizontal COM is relative to a frame moving "
            "with each stride's mean velocity)"
        )
    reference = None
    if kinematic is not None:
        reference = sample_at(
            kinematic, trial.markers.rate_hz, trial.markers.t0_s, grf.time
        )
    if treadmill:
        segments = _treadmill_strides(contacts, on_plate)
    else:
        if reference is None:
            return None, [], "overground integration needs the kinematic COM"
        segments = _overground_segments(contacts, on_plate, result)
    if not segments:
        return None, [], "no stride (or stretch) whose contacts are all on plates"
    unclean = sum(
        1 for c, p in zip(contacts, on_plate, strict=True) if p and not c.clean
    )
    if unclean:
        result.note(
            f"{unclean} plate contacts not clean (foot near the plate edge or two "
            "feet on a plate): integrated all the same"
        )
    mass = trial.body_mass_kg()
    if trial.has_result("body_mass"):
        result.note(f"force integration with the force-derived mass {mass:.2f} kg")
    elif mass is not None:
        result.note(
            f"force integration with the recorded subject mass {mass:.2f} kg (no "
            "force-derived mass: a 1 % error drifts ~4 mm per stride, METHODS §3.5)"
        )
    elif treadmill:
        mass = stride_mean_mass(grf.force @ trial.up, grf.rate_hz, grf.t0_s, segments)
        result.note(
            f"no body mass known: {mass:.2f} kg = mean vertical GRF / g over the "
            "analysed strides (METHODS §3.5 b)"
        )
    else:
        mass = fit_mass(grf.force, grf.rate_hz, grf.t0_s, trial.up, segments, reference)
        if not MASS_RANGE_KG[0] <= mass <= MASS_RANGE_KG[1]:
            return (
                None,
                [],
                f"no body mass known and the fitted mass {mass:.1f} kg is implausible",
            )
        result.note(
            f"no body mass known: {mass:.2f} kg fitted to the kinematic COM (least "
            "squares, shared 1/m over the stretches)"
        )
    position = com_from_force(
        grf.force,
        grf.rate_hz,
        grf.t0_s,
        mass,
        trial.up,
        segments,
        treadmill=treadmill,
        reference=reference,
    )
    how = (
        "treadmill: per stride, mean velocity 0 and mean position = "
        + ("mean kinematic COM" if reference is not None else "0 (relative COM)")
        if treadmill
        else "overground: (p0, v0) by least squares against the kinematic COM"
    )
    result.note(
        f"force-derived COM over {len(segments)} segments "
        f"({sum(b - a for a, b in segments):.2f} s); {how}"
    )
    return position, segments, ""


def _on_plates(trial: TrialView, contacts: list[Contact]) -> list[bool]:
    """True for each contact measured by a force plate."""
    if trial.has_result("gait_events"):
        plates = {
            m.time_s: m.value
            for m in trial.result("gait_events").metrics
            if m.name == "contact_plate"
        }
        if plates:
            return [plates.get(c.ic_s, 0.0) > 0 for c in contacts]
    grf = trial.grf
    mids = [0.5 * (c.ic_s + c.to_s) for c in contacts]
    vertical = sample_at(grf.vertical, grf.rate_hz, grf.t0_s, mids)
    return [bool(v > grf.cop_threshold_n) for v in vertical]


def _consecutive(contacts: list[Contact]) -> list[bool]:
    """For each contact but the last: the next contact is the next step."""
    ics = np.array([c.ic_s for c in contacts])
    steps = np.diff(ics)
    return list(steps <= STEP_GAP_FACTOR * np.median(steps))


def _treadmill_strides(contacts: list[Contact], on_plate: list[bool]) -> list[Segment]:
    """Non-overlapping strides IC_k → IC_k+2 of consecutive contacts on plates."""
    consecutive = _consecutive(contacts)
    strides = []
    k = 0
    while k + 2 < len(contacts):
        if on_plate[k] and on_plate[k + 1] and consecutive[k] and consecutive[k + 1]:
            strides.append((contacts[k].ic_s, contacts[k + 2].ic_s))
            k += 2
        else:
            k += 1
    return strides


def _overground_segments(
    contacts: list[Contact], on_plate: list[bool], result: Result
) -> list[Segment]:
    """Stretches whose ground contacts were all on plates (flights included)."""
    overlaps = [a.to_s - b.ic_s for a, b in pairwise(contacts) if b.ic_s < a.to_s]
    double_support = float(np.median(overlaps)) if overlaps else 0.0
    if overlaps:
        result.note(
            "walking (double support): each run of plate contacts is shortened by "
            f"the double-support time {double_support:.3f} s at both ends (the other "
            "foot is on the floor there)"
        )
    consecutive = _consecutive(contacts)
    segments = []
    k = 0
    while k < len(contacts):
        if not on_plate[k]:
            k += 1
            continue
        chain = [k]
        while (
            chain[-1] + 1 < len(contacts)
            and on_plate[chain[-1] + 1]
            and consecutive[chain[-1]]
        ):
            chain.append(chain[-1] + 1)
        k = chain[-1] + 1
        start = contacts[chain[0]].ic_s + double_support
        last = contacts[chain[-1]]
        stop = last.to_s - double_support
        if (
            not overlaps
            and k < len(contacts)
            and consecutive[chain[-1]]
            and contacts[k].ic_s >= last.to_s
        ):
            stop = contacts[k].ic_s  # the flight before the next contact is measured
        # cut at every second initial contact, leaving at least one stride after it
        cuts = [contacts[i].ic_s for i in chain[2::2] if i < chain[-1]]
        bounds = [start, *[c for c in cuts if start < c < stop], stop]
        segments += [(a, b) for a, b in pairwise(bounds) if b - a >= MIN_SEGMENT_S]
    return segments


def double_integrate(
    acceleration: npt.ArrayLike,
    rate_hz: float,
    v0: npt.ArrayLike = 0.0,
    p0: npt.ArrayLike = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """Velocity and position by cumulative trapezoidal integration (METHODS §3.5).

    Parameters
    ----------
    acceleration : array_like, shape (n_samples, ...)
        Acceleration in m/s² sampled at ``rate_hz``.
    rate_hz : float
        Sampling rate in Hz.
    v0, p0 : array_like
        Velocity (m/s) and position (m) at the first sample.

    Returns
    -------
    velocity, position : ndarray, same shape as ``acceleration``

    Examples
    --------
    >>> v, p = double_integrate([2.0, 2.0, 2.0], 1.0)
    >>> v.tolist(), p.tolist()
    ([0.0, 2.0, 4.0], [0.0, 1.0, 4.0])
    """
    a = np.asarray(acceleration, dtype=float)
    dt = 1.0 / rate_hz
    velocity = np.concatenate([np.zeros_like(a[:1]), np.cumsum(a[1:] + a[:-1], axis=0)])
    velocity = velocity * (0.5 * dt) + v0
    position = np.concatenate(
        [np.zeros_like(a[:1]), np.cumsum(velocity[1:] + velocity[:-1], axis=0)]
    )
    return velocity, position * (0.5 * dt) + p0


def com_from_force(
    force: npt.ArrayLike,
    rate_hz: float,
    t0_s: float,
    mass_kg: float,
    up: npt.ArrayLike,
    segments: list[Segment],
    *,
    treadmill: bool,
    reference: FloatArray | None = None,
) -> FloatArray:
    """COM by double integration of the GRF, segment by segment (METHODS §3.5).

    ``a = F/m - g·e_up`` is integrated twice (trapezoid); in each segment
    ``[start, stop]`` (s) the result is ``P(t) + p0 + v0·t`` with its own
    constants (the integration is done once over all samples: a different
    starting point only changes a linear function of time, which the
    constants absorb):

    * ``treadmill``: v0 such that the position at ``stop`` equals that at
      ``start`` (mean velocity 0 over the exact segment: use whole strides),
      p0 such that the mean over the segment's samples equals that of
      ``reference`` (its finite samples), or 0 without reference;
    * overground: (p0, v0) per axis by least squares against ``reference``.

    Parameters
    ----------
    force : array_like, shape (n_samples, 3)
        Total GRF on the subject in N, lab frame.
    rate_hz, t0_s : float
        Sampling rate in Hz and time of the first sample in s.
    mass_kg : float
        Body mass in kg.
    up : array_like, shape (3,)
        Upward unit vector.
    segments : list of (float, float)
        Start and stop times in s, in time order; a sample shared by two
        segments belongs to the later one.
    treadmill : bool
        Periodic (treadmill) or least-squares (overground) constants.
    reference : ndarray, shape (n_samples, 3) or None
        Kinematic COM at the force sample times, m (NaN where missing);
        required overground.

    Returns
    -------
    position : ndarray, shape (n_samples, 3)
        COM in m; NaN outside the segments and in segments with a non-finite
        force sample or too few reference samples.
    """
    force = np.asarray(force, dtype=float)
    n = len(force)
    if not segments:
        return np.full(force.shape, np.nan)
    spans = np.array([_sample_span(a, b, rate_hz, t0_s, n) for a, b in segments])
    owner = np.full(n, -1)
    for k, (a, b) in enumerate(spans):
        owner[a:b] = k
    acceleration = force / mass_kg - GRAVITY * np.asarray(up, dtype=float)
    usable = (owner >= 0)[:, None] & np.isfinite(acceleration)
    _, integral = double_integrate(np.where(usable, acceleration, 0.0), rate_hz)
    time = np.arange(n) / rate_hz
    broken = _window_sums((~usable.all(axis=1)).astype(float), spans) > 0
    if treadmill:
        start, stop = (
            (np.array([s[i] for s in segments]) - t0_s) * rate_hz for i in (0, 1)
        )
        slope = -(_interpolate(integral, stop) - _interpolate(integral, start)) / (
            (stop - start)[:, None] / rate_hz
        )
        if reference is None:
            finite = np.ones(n)
            target = np.zeros((n, 3))
        else:
            finite = np.isfinite(reference).all(axis=1).astype(float)
            target = np.where(finite[:, None] > 0, reference, 0.0)
        count = _window_sums(finite, spans)
        residual = _window_sums(finite[:, None] * (target - integral), spans)
        weighted_time = _window_sums(finite * time, spans)
        with np.errstate(invalid="ignore", divide="ignore"):
            offset = (residual - slope * weighted_time[:, None]) / count[:, None]
    elif reference is None:
        raise ValueError("overground integration needs the kinematic COM (reference)")
    else:
        offset, slope = _least_squares_lines(time, reference - integral, spans)
    position = integral + offset[owner] + slope[owner] * time[:, None]
    position[(owner < 0) | broken[owner]] = np.nan
    return position


def fit_mass(
    force: npt.ArrayLike,
    rate_hz: float,
    t0_s: float,
    up: npt.ArrayLike,
    segments: list[Segment],
    reference: FloatArray,
) -> float:
    """Body mass that makes the force-derived COM fit the kinematic COM best.

    Least squares of ``reference + g·e_up·t²/2 ≈ p0 + v0·t + (1/m)·∬F`` with p0
    and v0 per segment and axis and one 1/m for all; p0 and v0 are projected
    out first (Frisch-Waugh), leaving a one-parameter fit.

    Parameters
    ----------
    force, rate_hz, t0_s, up, segments, reference
        As in :func:`com_from_force` (``reference`` required).

    Returns
    -------
    mass_kg : float
        NaN when the fit is degenerate.
    """
    force = np.asarray(force, dtype=float)
    gravity = GRAVITY * np.asarray(up, dtype=float)
    numerator = denominator = 0.0
    for start, stop in segments:
        a, b = _sample_span(start, stop, rate_hz, t0_s, len(force))
        tau = (np.arange(a, b) - a) / rate_hz
        _, integral = double_integrate(force[a:b], rate_hz)
        target = reference[a:b] + 0.5 * np.outer(tau**2, gravity)
        finite = np.isfinite(target).all(axis=1) & np.isfinite(integral).all(axis=1)
        if finite.sum() < 3:
            continue
        x = _line_residual(tau[finite], integral[finite])
        y = _line_residual(tau[finite], target[finite])
        numerator += float(np.sum(x * y))
        denominator += float(np.sum(x * x))
    return denominator / numerator if numerator > 0 else np.nan


def _line_residual(time: FloatArray, values: FloatArray) -> FloatArray:
    """``values`` minus their least-squares line ``offset + slope·time`` (per column)."""
    offset, slope = _least_squares_lines(time, values, np.array([[0, len(time)]]))
    return values - offset - np.outer(time, slope[0])


def stride_mean_mass(
    vertical_force: npt.ArrayLike, rate_hz: float, t0_s: float, segments: list[Segment]
) -> float:
    """Mean vertical GRF / g over whole strides, in kg (METHODS §3.5 b)."""
    vertical = np.asarray(vertical_force, dtype=float)
    parts = [
        vertical[slice(*_sample_span(a, b, rate_hz, t0_s, len(vertical)))]
        for a, b in segments
    ]
    return float(np.mean(np.concatenate(parts))) / GRAVITY


def _sample_span(
    start: float, stop: float, rate_hz: float, t0_s: float, n: int
) -> tuple[int, int]:
    """Sample slice covering [start, stop] s (first sample at or before start)."""
    a = max(int(np.floor((start - t0_s) * rate_hz)), 0)
    b = min(int(np.ceil((stop - t0_s) * rate_hz)) + 1, n)
    return a, b


def _interpolate(values: FloatArray, index: FloatArray) -> FloatArray:
    """Rows of ``values`` at fractional indices, linearly interpolated."""
    lower = np.clip(np.floor(index).astype(int), 0, len(values) - 2)
    weight = (index - lower)[:, None]
    return values[lower] * (1.0 - weight) + values[lower + 1] * weight


def _window_sums(values: FloatArray, spans: npt.NDArray[np.int_]) -> FloatArray:
    """Sums of ``values`` over the sample windows ``[a, b)`` of ``spans`` (cumsum)."""
    cumulative = np.concatenate([np.zeros_like(values[:1]), np.cumsum(values, axis=0)])
    return cumulative[spans[:, 1]] - cumulative[spans[:, 0]]


def _window(
    start: float, stop: float, rate_hz: float, t0_s: float, n: int
) -> tuple[int, int]:
    """Sample indices ``[a, b)`` of the times within [start, stop] s."""
    a = min(max(int(np.ceil((start - t0_s) * rate_hz - 1e-9)), 0), n)
    b = min(int(np.floor((stop - t0_s) * rate_hz + 1e-9)) + 1, n)
    return a, max(a, b)


def _least_squares_lines(
    time: FloatArray, values: FloatArray, spans: npt.NDArray[np.int_]
) -> tuple[FloatArray, FloatArray]:
    """Per window, ``offset + slope·time`` fitted per column to the finite rows.

    Returns offset and slope, shape (n_windows, n_columns); NaN for a window
    with fewer than two finite rows.
    """
    finite = np.isfinite(values).all(axis=1)
    weight = finite.astype(float)
    y = np.where(finite[:, None], values, 0.0)
    origin = time[spans[:, 0]]  # per-window time origin, for conditioning
    s0 = _window_sums(weight, spans)
    s1 = _window_sums(weight * time, spans) - s0 * origin
    s2 = (
        _window_sums(weight * time**2, spans)
        - 2 * origin * _window_sums(weight * time, spans)
        + s0 * origin**2
    )
    sy = _window_sums(y, spans)
    sty = _window_sums(time[:, None] * y, spans) - origin[:, None] * sy
    with np.errstate(invalid="ignore", divide="ignore"):
        determinant = np.where(s0 >= 2, s0 * s2 - s1**2, np.nan)
        slope = (s0[:, None] * sty - s1[:, None] * sy) / determinant[:, None]
        offset = (sy - slope * s1[:, None]) / s0[:, None] - slope * origin[:, None]
    return offset, slope


# ---------------------------------------------------------------- fusion


def resample_force_com(
    force_com: FloatArray,
    analog_rate_hz: float,
    analog_t0_s: float,
    marker_time: FloatArray,
    marker_rate_hz: float,
) -> FloatArray:
    """Force-derived COM at the marker times, after an anti-alias low-pass (§7).

    Each finite stretch is filtered on its own (no gap filling) at
    ``ANTI_ALIAS_FRACTION`` times the marker rate, then sampled linearly.
    """
    smooth = _lowpass_stretches(
        force_com, analog_rate_hz, ANTI_ALIAS_FRACTION * marker_rate_hz
    )
    return sample_at(smooth, analog_rate_hz, analog_t0_s, marker_time)


def fuse(
    kinematic: npt.ArrayLike,
    force: npt.ArrayLike,
    rate_hz: float,
    crossover_hz: float,
) -> FloatArray:
    """Complementary fusion ``LP{p_kin} + p_dyn - LP{p_dyn}`` (METHODS §3.6).

    Computed as ``p_dyn + LP{p_kin - p_dyn}`` with LP the zero-phase
    2nd-order Butterworth (2 passes) at ``crossover_hz``, on each stretch where
    both are finite (NaN elsewhere).

    Parameters
    ----------
    kinematic, force : array_like, shape (n_frames, 3)
        Kinematic and force-derived COM on the same time base, m.
    rate_hz : float
        Sampling rate in Hz.
    crossover_hz : float
        Crossover (design cut-off) in Hz.

    Returns
    -------
    fused : ndarray, shape (n_frames, 3)

    Examples
    --------
    >>> p = np.column_stack([np.sin(np.arange(200) / 7.0)] * 3)
    >>> bool(np.allclose(fuse(p, p, 100.0, 1.0), p))
    True
    """
    kinematic = np.asarray(kinematic, dtype=float)
    force = np.asarray(force, dtype=float)
    return force + _lowpass_stretches(kinematic - force, rate_hz, crossover_hz)


def _lowpass_stretches(
    values: FloatArray, rate_hz: float, cutoff_hz: float
) -> FloatArray:
    """Zero-lag low-pass of each stretch of all-finite rows on its own; NaN elsewhere.

    No gap is filled: every stretch is filtered as a whole record (METHODS §7).
    """
    filtered = np.full(values.shape, np.nan)
    for a, b in runs(np.isfinite(values).all(axis=1)):
        filtered[a:b] = lowpass(values[a:b], rate_hz, cutoff_hz, max_gap_s=0.0)
    return filtered


def best_of(*estimates: FloatArray) -> FloatArray:
    """Per frame, the first estimate whose sample is finite (NaN if none)."""
    best = np.full(estimates[0].shape, np.nan)
    for estimate in reversed(estimates):
        finite = np.isfinite(estimate).all(axis=1)
        best[finite] = estimate[finite]
    return best


# ---------------------------------------------------------------- metrics


def _agreement_metrics(
    result: Result,
    rate_hz: float,
    t0_s: float,
    segments: list[Segment],
    fused: FloatArray,
    kinematic: FloatArray,
    force: FloatArray,
    up: FloatArray,
    forward: FloatArray,
) -> None:
    """RMS differences to the force-derived COM within segments (METHODS §3.7).

    Each segment's mean difference is removed (the force-derived COM takes
    its position constant from the kinematic COM): what remains is the
    disagreement in shape within the stride.
    """
    spans = np.array(
        [_window(start, stop, rate_hz, t0_s, len(force)) for start, stop in segments]
    )
    for name, estimate in (("fused", fused), ("kinematic", kinematic)):
        for axis_name, axis in (("vertical", up), ("ap", forward)):
            metric = f"{name}_vs_force_rms_{axis_name}"
            difference = (estimate - force) @ axis
            finite = np.isfinite(difference)
            values = np.where(finite, difference, 0.0)
            count = _window_sums(finite.astype(float), spans)
            total = _window_sums(values, spans)
            squares = _window_sums(values**2, spans)
            complete = (count == spans[:, 1] - spans[:, 0]) & (count > 1)
            if not complete.any():
                result.add_metric(metric, np.nan, message="no analysed stride")
                continue
            spread = squares[complete] - total[complete] ** 2 / count[complete]
            rms = np.sqrt(np.sum(spread) / np.sum(count[complete]))
            result.add_metric(metric, float(rms))


def _gravity_metrics(
    result: Result,
    mean_name: str,
    rms_name: str | None,
    com: FloatArray,
    rate_hz: float,
    t0_s: float,
    contacts: list[Contact],
    up: FloatArray,
) -> None:
    """Flight-phase gravity test (METHODS §8.4) of one COM series."""
    margin = 0.5 * (1.0 - FLIGHT_CENTRE_FRACTION)
    windows = [
        _window(
            before.to_s + margin * (after.ic_s - before.to_s),
            after.ic_s - margin * (after.ic_s - before.to_s),
            rate_hz,
            t0_s,
            len(com),
        )
        for before, after in pairwise(contacts)
        if 0 < after.ic_s - before.to_s <= MAX_FLIGHT_S
    ]
    error = 100.0 * (derivative(com @ up, rate_hz, 2) + GRAVITY) / GRAVITY
    finite = np.isfinite(error)
    values = np.where(finite, error, 0.0)
    spans = np.array(windows, dtype=int).reshape(-1, 2)
    count = _window_sums(finite.astype(float), spans)
    complete = (count == spans[:, 1] - spans[:, 0]) & (count >= 3)
    if not complete.any():
        message = "no flight phase (walking, or no contacts)"
        result.add_metric(mean_name, np.nan, message=message)
        if rms_name:
            result.add_metric(rms_name, np.nan, message=message)
        return
    count = count[complete]
    means = _window_sums(values, spans)[complete] / count
    result.add_metric(mean_name, float(np.mean(np.abs(means))))
    if rms_name:
        squares = _window_sums(values**2, spans)[complete]
        result.add_metric(rms_name, float(np.sqrt(np.sum(squares) / np.sum(count))))


def _range_metric(
    result: Result,
    com: FloatArray,
    rate_hz: float,
    t0_s: float,
    contacts: list[Contact],
    up: FloatArray,
) -> None:
    """Mean vertical excursion of ``com`` over the strides IC_k → IC_k+2."""
    height = com @ up
    consecutive = _consecutive(contacts) if len(contacts) > 1 else []
    ranges = []
    for k in range(len(contacts) - 2):
        if not (consecutive[k] and consecutive[k + 1]):
            continue
        a, b = _window(contacts[k].ic_s, contacts[k + 2].ic_s, rate_hz, t0_s, len(com))
        values = height[a:b]
        if values.size > 1 and np.isfinite(values).all():
            ranges.append(values.max() - values.min())
    if ranges:
        result.add_metric("com_vertical_range", float(np.mean(ranges)))
    else:
        result.add_metric(
            "com_vertical_range", np.nan, message="no complete stride with a COM"
        )
