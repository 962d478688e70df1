"""Centre of mass from markers, from the ground reaction force, and both fused.

Three estimates (METHODS §3):

* **Kinematic COM** (marker rate, §3.1-3.4): the most complete segmental model
  the landmarks allow: 14-segment full body, else the reduced "running" model
  (legs + lumped HAT on the trunk markers; both ``best_com``), else, for
  pelvis + leg marker sets without trunk markers (cluster protocols such as
  the Fukuchi CAST set), the legs segmental + the HAT carried by the pelvis
  (``legs_pelvis_hat_com``: an approximation, trunk turning with the slow
  pelvis orientation; see there for the placement and the expected error),
  else the pelvis approximation ``pelvis centroid + R_pelvis·d_static``, with
  ``d_static`` from the subject's static trial when that trial allows a
  segmental COM (else d = 0, the pelvis centroid). The COM trajectory is
  low-pass filtered (§7: 2nd-order Butterworth, 2 passes, 12 Hz design
  cut-off) instead of every marker: the COM is a fixed linear combination of
  the segment end points, so filtering it equals filtering them, except for
  the small nonlinearity of the pelvis-frame hip centres and offsets (the
  pelvis rotates slowly) — a departure made because it costs one filter
  instead of dozens.
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
    SIDE_PREFIX,
    BodyPoints,
    ComEstimate,
    Contact,
    FloatArray,
    MetricSpec,
    Param,
    Result,
    RunContext,
    SeriesSpec,
    Skip,
    TrialView,
    best_com,
    derivative,
    full_body_com,
    hat_parameters,
    lowpass,
    pelvis_offset_from_static,
    plugin,
    runs,
    sample_at,
    segment_parameters,
    unit,
)

Segment = tuple[float, float]

LEGS_PELVIS_HAT = "legs_pelvis_hat"
"""Model name of `legs_pelvis_hat_com` (legs + HAT carried by the pelvis)."""

LEG_SEGMENTS = (
    ("thigh", "hjc", "kjc", "primary"),
    ("shank", "kjc", "ajc", "alt_ajc"),
    ("foot", "heel", "ttip", "primary"),
)
"""Leg segments of the running model (METHODS §3.3): de Leva segment, origin
and other point (``BodyPoints`` names without side), de Leva row."""

DE_LEVA_STATURE_M = {"F": 1.735, "M": 1.741}
"""Statures of de Leva's (1996) reference subjects (METHODS §3.2), m."""

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
            label="COM",
            plot="Centre of mass",
            components=("vertical", "ap"),
            point="com",
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
    hat_orientation_lowpass_hz: Annotated[
        float,
        Param(
            min=0,
            max=10,
            unit="Hz",
            doc="Legs + pelvis-HAT model (no trunk markers): the HAT turns with the "
            "pelvis orientation low-pass filtered at this frequency, below the step "
            "frequency (the trunk does not follow the pelvis's within-step "
            "oscillations); 0 = HAT rigid with the pelvis",
        ),
    ] = 1.0,
) -> Result:
    """Centre of mass: kinematic, force-derived and fused, with quality indices."""
    result = Result()
    kinematic, kinematic_reason = _kinematic_com(
        trial,
        result,
        hat_com_fraction,
        hat_orientation_lowpass_hz,
        marker_lowpass_hz,
        cutoff_mode,
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
    hat_orientation_lowpass_hz: float,
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
        legs = legs_pelvis_hat_com(
            trial,
            sex,
            hat_com_fraction,
            hat_orientation_lowpass_hz,
            reasons=estimate.notes,
        )
        if isinstance(legs, ComEstimate):
            estimate = legs
        else:
            result.note(f"{LEGS_PELVIS_HAT} model not possible: {legs}")
            d_static = _static_offset(trial, sex, hat_com_fraction, result)
            if d_static is not None:
                estimate = best_com(
                    trial.body,
                    sex,
                    hat_com_fraction=hat_com_fraction,
                    d_static=d_static,
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


def legs_pelvis_hat_com(
    trial: TrialView,
    sex: str | None,
    hat_com_fraction: float,
    orientation_lowpass_hz: float,
    *,
    reasons: tuple[str, ...] = (),
) -> ComEstimate | str:
    """Legs segmental + HAT carried by the pelvis, for sets without trunk markers.

    ``COM = (Σ_legs μ_i·COM_i + μ_HAT·(MIDH + LP{R_pelvis}·h)) / Σ μ``: the six
    leg segments of the running model (METHODS §3.3: thigh HJC→KJC, shank
    KJC→AJC ``alt_ajc`` row, foot HEEL→TTIP; de Leva 1996) and the lumped HAT
    mass of `hat_parameters` (60.28 % M, 58.23 % F) at a point ``h`` given in
    the ISB pelvis frame (x anterior, y superior, z right), from MIDH. The
    HAT moves with MIDH; it turns with the pelvis orientation low-pass
    filtered at ``orientation_lowpass_hz`` (each element of R_pelvis, 2nd-order
    Butterworth, 2 passes, then the nearest rotation by SVD): the pelvis tilts,
    rolls and rotates by several degrees within each step and the trunk does
    not follow (thorax and pelvis counter-rotate in running), while the slow
    part (mean lean, heading, turns) is kept. On RBDS001 this halves the AP
    disagreement with the force-derived COM (see below). ``h`` is, in this
    order (`_hat_offset`):

    1. when the static trial allows the full-body model: its HAT COM
       (``(Σμ·COM_full - Σ_legs μ_i·COM_i) / μ_HAT``, arms hanging), mean over
       the static frames in its pelvis frame: the METHODS §3.4 idea (an
       offset from the static trial, carried by the pelvis) applied to the
       HAT alone, the legs staying segmental;
    2. when it has only the trunk line: the running model's HAT point
       (``hat_com_fraction`` of MIDH→CERV, or the MIDS equivalent) there;
    3. when the static trial has no trunk markers: the lab vertical of the
       static trial (mean over its frames, in the pelvis frame), at the height
       ``hat_com_fraction·L_CERV→MIDH`` above MIDH. That the trunk line is
       vertical when standing is the posture de Leva's CERV→MIDH lengths and
       the lumped HAT fractions of METHODS §3.3 refer to. ``L`` is de Leva's
       mean CERV→MIDH length (603.3 mm M, 614.8 mm F) scaled by stature /
       de Leva reference stature (1741 / 1735 mm), or, stature unknown, by the
       measured (thigh + shank) / de Leva mean (thigh + shank) length;
    4. without a static trial: the same height along the pelvis superior axis
       y. The ISB y axis leans forward by the pelvis's anterior tilt (the
       ASIS-PSIS line, about 10-15° standing), which puts the HAT about
       0.34 m·sin(12°) = 70 mm, the COM about 40 mm, too far forward.

    Departure from METHODS §3.3 (approximation): trunk, head and arms are
    not measured; they are taken as one body whose slow orientation is the
    pelvis's. Expected error of the COM: each degree of trunk pitch
    not shared by the filtered pelvis moves it 0.6·0.34 m·π/180 ≈ 3.5 mm,
    arm swing is ignored (a few mm), and the HAT height carries the spread
    of trunk proportions (about ±4 % of the trunk length with the sex
    unknown: ±8 mm vertical, constant). Measured (tests/plugins/
    test_com_legs_pelvis_hat.py, test_center_of_mass.py): on the synthetic
    runner without trunk, head and arm markers (its trunk rigid with the
    pelvis) the error against the true COM is 1.1 mm vertical, 0.1 mm AP RMS
    about a mean of -4.8 / -2.2 mm (static trial without trunk markers),
    against 17.3 / 13.3 mm about -46 / -74 mm for the pelvis centroid; on
    RBDS001 (Fukuchi CAST set) the kinematic COM follows the force-derived
    one within 3.1 / 5.2 mm (T25) and 3.6 / 5.5 mm (T45) RMS per stride,
    against 4.2 / 11.3 and 4.4 / 13.2 mm for the pelvis centroid.

    Parameters
    ----------
    trial : TrialView
        The trial; its body needs MIDH, the pelvis frame and both legs' HJC,
        KJC, AJC, HEEL and TTIP.
    sex : str | None
        ``"F"``, ``"M"``; None uses the mean of the female and male parameters.
    hat_com_fraction : float
        HAT COM as a fraction of MIDH → CERV from MIDH (METHODS §3.3).
    orientation_lowpass_hz : float
        Cut-off (Hz, design) of the low-pass on the pelvis orientation that
        turns the HAT; 0: the HAT is rigid with the pelvis.
    reasons : tuple of str
        Why the better models were not possible (put first in the notes).

    Returns
    -------
    estimate : ComEstimate or str
        Model ``"legs_pelvis_hat"``; or, when the points are missing, a
        sentence naming them.
    """
    points = trial.body
    needed = ["midh", "pelvis_rotation"] + [
        f"{side}_{point}"
        for side in SIDE_PREFIX.values()
        for _, origin, other, _ in LEG_SEGMENTS
        for point in (origin, other)
    ]
    absent = [name for name in dict.fromkeys(needed) if getattr(points, name) is None]
    if absent:
        return "needs " + "; ".join(
            f"{name} (missing {', '.join(points.missing[name])})"
            if points.missing.get(name)
            else name
            for name in absent
        )
    hat_mass, _ = hat_parameters(sex)
    offset, source = _hat_offset(trial, sex, hat_com_fraction)
    rotation = _slow_rotation(
        points.pelvis_rotation, trial.markers.rate_hz, orientation_lowpass_hz
    )
    leg_mass, leg_moment, names = _legs(points, sex)
    com = (leg_moment + hat_mass * (points.midh + rotation @ offset)) / (
        leg_mass + hat_mass
    )
    sexes = {"F": "female", "M": "male"}
    notes = (
        *(n for n in reasons if " model not possible: " in n),
        (
            f"de Leva 1996 {sexes[sex]} parameters"
            if sex in sexes
            else "sex unknown: mean of the female and male de Leva 1996 parameters"
        ),
        "legs segmental (thigh HJC→KJC, shank KJC→AJC alt_ajc row, foot "
        f"HEEL→TTIP) + HAT {100 * hat_mass:.2f} % of body mass carried by the "
        "pelvis at MIDH + R·("
        + ", ".join(f"{1000 * v:.0f}" for v in offset)
        + f") mm in the pelvis frame (x anterior, y superior, z right): {source}",
        "approximation (no trunk markers): head, arms and trunk turn with "
        + (
            f"R = the pelvis orientation low-passed at {orientation_lowpass_hz:g} Hz"
            if orientation_lowpass_hz > 0
            else "R = the pelvis orientation (rigid)"
        )
        + "; expected COM error about 3.5 mm per degree of trunk pitch not "
        "shared by R, a few mm from the arm swing, and a constant offset of up "
        "to about 8 mm vertical from the HAT height (about 40 mm forward "
        "without a static trial)",
    )
    return ComEstimate(com, LEGS_PELVIS_HAT, ("hat", *names), notes)


def _legs(points: BodyPoints, sex: str | None) -> tuple[float, FloatArray, list[str]]:
    """Leg mass fraction Σμ_i, first moment Σμ_i·COM_i (m) and segment names."""
    mass, moment, names = 0.0, 0.0, []
    for side in SIDE_PREFIX.values():
        for name, origin, other, variant in LEG_SEGMENTS:
            parameters = segment_parameters(name, sex, variant)
            start = getattr(points, f"{side}_{origin}")
            end = getattr(points, f"{side}_{other}")
            mass += parameters.mass_fraction
            moment = moment + parameters.mass_fraction * (
                start + parameters.com_fraction * (end - start)
            )
            names.append(f"{side}_{name}")
    return mass, moment, names


def _hat_offset(
    trial: TrialView, sex: str | None, hat_com_fraction: float
) -> tuple[FloatArray, str]:
    """HAT COM - MIDH in the pelvis frame (m) and how it was found.

    See `legs_pelvis_hat_com` for the sources, tried in order. A static
    trial refused as calibration (another subject's) is not used.
    """
    static = trial.static
    refused = trial.reconstruction.refused if static is not None else ""
    if refused:
        static = None
    points = static.body if static is not None else None
    try:
        full = full_body_com(points, sex) if points is not None else None
    except ValueError:
        full = None
    if full is not None and points.pelvis_rotation is not None:
        hat_mass, _ = hat_parameters(sex)
        leg_mass, leg_moment, _ = _legs(points, sex)
        hat = ((leg_mass + hat_mass) * full.com - leg_moment) / hat_mass
        local = _in_pelvis_frame(points.pelvis_rotation, hat - points.midh)
        if local is not None:
            return local, (
                "the HAT COM of the full-body model of the static trial "
                f"{static.label} (standing, arms hanging)"
            )
    if points is not None and points.midh is not None:
        rotation = points.pelvis_rotation
        top, line = (
            (points.cerv, "cerv") if points.cerv is not None else (points.mids, "mids")
        )
        if rotation is not None and top is not None:
            _, fraction = hat_parameters(sex, com_fraction=hat_com_fraction, line=line)
            local = _in_pelvis_frame(rotation, fraction * (top - points.midh))
            if local is not None:
                return local, (
                    f"the running model's HAT point ({100 * fraction:.1f} % of "
                    f"MIDH→{line.upper()}) in the static trial {static.label}"
                )
    height, scaling = _hat_height(trial, sex, hat_com_fraction)
    if points is not None and points.pelvis_rotation is not None:
        rotation = points.pelvis_rotation
        up = np.broadcast_to(static.up, (len(rotation), 3))
        direction = _in_pelvis_frame(rotation, up)
        if direction is not None:
            return height * unit(direction), (
                f"{1000 * height:.0f} mm above MIDH along the vertical of the static "
                f"trial {static.label} (no trunk markers there; standing trunk "
                f"assumed vertical), {scaling}"
            )
    why = (
        f"no pelvis in {static.label}"
        if static is not None
        else (refused or "no static trial")
    )
    return np.array([0.0, height, 0.0]), (
        f"{1000 * height:.0f} mm along the pelvis superior axis ({why}: the "
        f"pelvis's anterior tilt, about 10-15°, puts the HAT too far forward), "
        f"{scaling}"
    )


def _hat_height(
    trial: TrialView, sex: str | None, hat_com_fraction: float
) -> tuple[float, str]:
    """``hat_com_fraction·L_CERV→MIDH`` scaled to the subject (m), and how."""
    trunk = segment_parameters("trunk", sex, "alt_cerv")
    subject = trial.subject
    if subject is not None and subject.height_m:
        reference = DE_LEVA_STATURE_M.get(
            sex, np.mean(list(DE_LEVA_STATURE_M.values()))
        )
        scale = subject.height_m / reference
        how = (
            f"de Leva CERV→MIDH length × stature {subject.height_m:.3f} m / "
            f"{reference:.3f} m"
        )
    else:
        points = trial.body
        mean = sum(
            segment_parameters(name, sex, variant).mean_length_m
            for name, _, _, variant in LEG_SEGMENTS[:2]
        )
        lengths = [
            np.linalg.norm(
                getattr(points, f"{s}_{b}") - getattr(points, f"{s}_{a}"), axis=1
            )
            for s in SIDE_PREFIX.values()
            for _, a, b, _ in LEG_SEGMENTS[:2]
        ]
        measured = 0.5 * float(np.nanmedian(np.sum(lengths, axis=0)))
        scale = measured / mean
        how = (
            "de Leva CERV→MIDH length × measured thigh + shank "
            f"{1000 * measured:.0f} mm / de Leva {1000 * mean:.0f} mm (stature "
            "unknown)"
        )
    return hat_com_fraction * trunk.mean_length_m * scale, how


def _slow_rotation(
    rotation: FloatArray, rate_hz: float, cutoff_hz: float
) -> FloatArray:
    """Rotations (n, 3, 3) low-pass filtered element-wise and re-orthonormalised.

    Each frame's filtered matrix is replaced by the nearest rotation (SVD,
    ``U·Vᵀ``); NaN frames stay NaN. ``cutoff_hz`` 0 returns ``rotation``.
    """
    if cutoff_hz <= 0:
        return rotation
    filtered = lowpass(rotation.reshape(len(rotation), 9), rate_hz, cutoff_hz)
    filtered = filtered.reshape(rotation.shape)
    out = np.full_like(filtered, np.nan)
    valid = np.isfinite(filtered).all(axis=(1, 2))
    u, _, vt = np.linalg.svd(filtered[valid])
    out[valid] = u @ vt
    return out


def _in_pelvis_frame(rotation: FloatArray, vectors: FloatArray) -> FloatArray | None:
    """Mean over the frames of ``R_pelvisᵀ·v`` (NaN frames left out), or None."""
    local = np.einsum("nji,nj->ni", rotation, vectors)
    valid = np.isfinite(local).all(axis=1)
    return local[valid].mean(axis=0) if valid.any() else None


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
