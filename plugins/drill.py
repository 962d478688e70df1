"""The lean-and-fall drill: quiet stance → forward fall → catch step.

The drill: stand tall, lean forward as one straight line pivoting at the ankles
(heels down) until a step is needed, then step and run off. The plugin finds
the three phases in a trial and measures the fall; a trial that is not a drill
is skipped with the reason.

Phases (all from the markers; force plates only add the COP and braking):

1. **Quiet stance**: the first ``baseline_s`` of the trial. Both feet must stay
   within ``foot_lift_m`` of their standing height there, and the whole-body
   lean must vary by less than ``onset_threshold_deg``; its mean is the
   baseline lean. The standing height of a foot is the median, over that
   window, of the height (·e_up) of its lowest landmark (heel or toe marker,
   raw).
2. **Catch step**: the *catch foot* is the first foot whose lowest landmark
   rises more than ``foot_lift_m`` above its standing height after the quiet
   window (its lift-off); its initial contact (IC) is the first frame after
   that at which it is back within ``contact_tolerance_m`` of its standing
   height, refined to the instant the line through that frame and the one
   before crosses the standing height (linear extrapolation of the descent,
   kept between the frame before and one frame after the first frame within
   tolerance, and within the trial). The other foot is the *support foot*.
3. **Forward fall**: the whole-body lean θ(support AJC → COM) rises above the
   baseline by ``onset_threshold_deg`` and stays there until the catch IC; the
   onset is the last upward crossing of that level before the IC (linear
   interpolation between frames). The lean must grow by at least
   ``min_fall_deg`` before the IC; the onset must come before the catch
   foot's lift-off, and the support heel must stay down (rise
   no more than ``foot_lift_m`` above its standing height) from the onset to
   the IC.

Angles follow METHODS §4.1: ``θ(A→B) = atan2((B - A)·e_prog, (B - A)·e_up)`` in
degrees, positive forward, with ``trial.up`` and ``trial.progression``. Lines:
whole-body lean support AJC → COM (the kinematic surrogate of §4.1; the COP is
not used so the drill works without plates), trunk lean MIDH → MIDS (fallbacks
pelvis centroid; mid-point of C7 and CLAV, C7, CLAV: the line used is in a
note), leg line support AJC → HJC, bend index = trunk lean - leg line. Joint
centres come from ``trial.body`` and are low-passed (``marker_cutoff_hz``,
2nd-order Butterworth, two passes, METHODS §7). The COM is the
``center_of_mass`` plugin's ``com`` series when it ran, else the best
segmental model the markers allow, low-passed like the markers.
"""

from __future__ import annotations

import functools
from typing import Annotated

import numpy as np
import numpy.typing as npt

from gaitlab.api import (
    SIDE_PREFIX,
    BodyPoints,
    FloatArray,
    MetricSpec,
    Param,
    Result,
    RunContext,
    SeriesSpec,
    Skip,
    TrialView,
    best_com,
    lowpass,
    plugin,
    sagittal_angle_deg,
    sample_at,
)

ANGLE = "deg from the upward vertical in the sagittal plane, positive forward"

METRICS = (
    MetricSpec(
        "drill_onset_time",
        "s",
        "Lean onset: last time before the catch step's IC that the whole-body lean "
        "θ(support AJC→COM) rises above its quiet-stance mean by onset_threshold_deg "
        "(linear interpolation between frames), trial time",
        per_step=False,
    ),
    MetricSpec(
        "drill_max_lean",
        "deg",
        "Largest whole-body lean θ(support AJC→COM) from the onset to the catch "
        f"step's IC (METHODS §4.1 ankle-based surrogate); {ANGLE}",
        per_step=False,
        plausible=(0.0, 60.0),
    ),
    MetricSpec(
        "drill_max_lean_time",
        "s",
        "Time of drill_max_lean (frame time, or the IC when the lean is largest "
        "there), trial time",
        per_step=False,
    ),
    MetricSpec(
        "drill_trunk_lean",
        "deg",
        f"Trunk lean θ(MIDH→MIDS) at drill_max_lean_time (METHODS §4.1); {ANGLE}",
        per_step=False,
    ),
    MetricSpec(
        "drill_leg_line",
        "deg",
        f"Leg line θ(support AJC→HJC) at drill_max_lean_time (METHODS §4.1); {ANGLE}",
        per_step=False,
    ),
    MetricSpec(
        "drill_bend_index",
        "deg",
        "Bend index θ(MIDH→MIDS) - θ(support AJC→HJC) at drill_max_lean_time: ≈ 0 "
        "when leaning from the ankles in one straight line, large when bending at "
        "the waist (METHODS §4.1)",
        per_step=False,
    ),
    MetricSpec(
        "drill_straight",
        "1",
        "Body stayed straight: 1 (yes) when |drill_bend_index| < straight_max_bend_deg "
        "(parameter, stated in the message), else 0 (no)",
        per_step=False,
        categories=((0.0, "no"), (1.0, "yes")),
    ),
    MetricSpec(
        "drill_fall_duration",
        "s",
        "Catch step's IC minus the lean onset",
        per_step=False,
    ),
    MetricSpec(
        "drill_cop_travel",
        "m",
        "Largest forward travel (·e_prog) of the combined COP from its quiet-stance "
        "mean, between the onset and the catch foot's lift-off (force plates only)",
        per_step=False,
    ),
    MetricSpec(
        "drill_catch_ic_time",
        "s",
        "Initial contact of the catch step (catch foot back at its standing height), "
        "trial time",
        per_step=False,
    ),
    MetricSpec(
        "drill_catch_landing_distance",
        "m",
        "(catch-foot AJC - COM)·e_prog at the catch step's IC: how far ahead of the "
        "COM the foot lands (METHODS §5.3 with P_foot = AJC)",
        per_step=False,
    ),
    MetricSpec(
        "drill_braking_impulse",
        "N·s/kg",
        "Braking impulse of the first contacts from the catch step on (the braking "
        "plugin's braking_impulse, ∫min(F_ap, 0)dt / body mass, METHODS §5.2); "
        "force plates only",
    ),
)

SERIES = (
    SeriesSpec(
        "drill_lean",
        "deg",
        "θ(support AJC→COM) up to the catch IC, NaN after",
        label="drill: ankle→COM",
        lines=(("ajc", "com"),),
    ),
    SeriesSpec(
        "drill_body_line",
        "deg",
        "θ(support AJC→head centre) up to the catch IC, NaN after: the head-to-heel "
        "line of the coaching cue (≈ the leg line and trunk lean while the body "
        "stays straight)",
        label="drill: ankle→head",
        lines=(("ajc", "head_com"),),
    ),
    SeriesSpec(
        "drill_trunk_lean",
        "deg",
        "θ(MIDH→MIDS) up to the catch IC, NaN after",
        label="drill: trunk",
        lines=(("midh", "mids"),),
    ),
    SeriesSpec(
        "drill_leg_line",
        "deg",
        "θ(support AJC→HJC) up to the catch IC",
        label="drill: leg line",
        lines=(("ajc", "hjc"),),
    ),
    SeriesSpec(
        "drill_bend_index",
        "deg",
        "trunk lean - leg line up to the catch IC",
        label="drill: bend index",
        lines=(("midh", "mids"), ("ajc", "hjc")),
    ),
)
"""The drill's series; ``lines`` draw them on the body view (its support leg)."""


@plugin(
    name="drill",
    version="1.1.0",
    title="Lean-and-fall drill",
    category="Drills",
    needs=("markers",),
    optional=("result:center_of_mass", "result:braking"),
    series=SERIES,
    metrics=METRICS,
)
def drill(
    trial: TrialView,
    ctx: RunContext,
    *,
    baseline_s: Annotated[
        float, Param(min=0.1, max=5.0, unit="s", doc="Quiet stance at the start")
    ] = 0.5,
    onset_threshold_deg: Annotated[
        float,
        Param(min=0.1, max=10.0, unit="deg", doc="Lean above the baseline at onset"),
    ] = 1.0,
    min_fall_deg: Annotated[
        float,
        Param(min=1.0, max=45.0, unit="deg", doc="Smallest lean growth of a drill"),
    ] = 5.0,
    straight_max_bend_deg: Annotated[
        float,
        Param(min=0.0, max=45.0, unit="deg", doc="Largest |bend index| of 'straight'"),
    ] = 5.0,
    foot_lift_m: Annotated[
        float, Param(min=0.005, max=0.2, unit="m", doc="Foot rise that is a step")
    ] = 0.02,
    contact_tolerance_m: Annotated[
        float,
        Param(min=0.0, max=0.05, unit="m", doc="Foot back on the ground within this"),
    ] = 0.003,
    marker_cutoff_hz: Annotated[
        float, Param(min=2, max=30, unit="Hz", doc="Low-pass of the joint centres")
    ] = 12.0,
    braking_steps: Annotated[
        int, Param(min=1, max=10, doc="Contacts from the catch step with braking")
    ] = 2,
) -> Result:
    """Lean onset, maximum lean, straightness and catch step of a lean-and-fall drill."""
    result = Result()
    markers = trial.markers
    rate, t0 = markers.rate_hz, markers.t0_s
    time = trial.marker_time
    up, forward = trial.up, trial.progression.direction
    quiet = time < t0 + baseline_s
    if quiet.sum() < 2 or np.sum(~quiet) < 2:
        raise Skip(
            f"trial of {time.size} frames is too short for {baseline_s:g} s of quiet "
            "stance and a fall: not a lean-and-fall drill"
        )

    heights = _foot_heights(trial, up, quiet)
    catch_side, lift_index = _catch_foot(heights, quiet, foot_lift_m, time)
    support_side = "Left" if catch_side == "Right" else "Right"
    ic_s = _catch_contact(
        heights[catch_side], lift_index, contact_tolerance_m, time, catch_side
    )
    lift_s = float(time[lift_index])

    body = trial.body
    support, catch = SIDE_PREFIX[support_side], SIDE_PREFIX[catch_side]
    raw = {
        "ajc": getattr(body, f"{support}_ajc"),
        "hjc": getattr(body, f"{support}_hjc"),
        "catch_ajc": getattr(body, f"{catch}_ajc"),
    }
    missing = [name for name, p in raw.items() if p is None]
    if missing:
        raise Skip(
            "the drill needs both ankle joint centres and the support hip joint "
            f"centre; missing: {', '.join(missing)} ({'; '.join(body.notes)})"
        )
    trunk = _trunk_line(body)
    names = list(raw)
    arrays = [raw[n] for n in names]
    if trunk is not None:
        names += ["trunk_lower", "trunk_upper"]
        arrays += [trunk[0], trunk[1]]
    filtered = lowpass(np.concatenate(arrays, axis=1), rate, marker_cutoff_hz)
    points = {n: filtered[:, 3 * i : 3 * i + 3] for i, n in enumerate(names)}
    result.note(
        f"joint centres low-passed at {marker_cutoff_hz:g} Hz (2nd-order "
        "Butterworth, 2 passes)"
    )
    com, com_note = _com(trial, marker_cutoff_hz)
    result.note(com_note)

    lean = sagittal_angle_deg(points["ajc"], com, up, forward)
    leg = sagittal_angle_deg(points["ajc"], points["hjc"], up, forward)
    trunk_angle = None
    if trunk is not None:
        trunk_angle = sagittal_angle_deg(
            points["trunk_lower"], points["trunk_upper"], up, forward
        )
        result.note(f"trunk line: {trunk[2]}")
    else:
        result.note(
            "trunk lean and bend index not computed: needs MIDH or the pelvis "
            "centroid, and MIDS, C7 or CLAV"
        )

    if np.isfinite(lean[quiet]).sum() < 2:
        raise Skip(
            f"no whole-body lean in the first {baseline_s:g} s (markers of the "
            "support ankle or of the COM missing)"
        )
    spread = np.nanmax(lean[quiet]) - np.nanmin(lean[quiet])
    if not spread < onset_threshold_deg:
        raise Skip(
            f"no quiet stance: the whole-body lean varies by {spread:.1f}° over the "
            f"first {baseline_s:g} s (≥ onset_threshold_deg {onset_threshold_deg:g}°): "
            "not a lean-and-fall drill"
        )
    baseline = float(np.nanmean(lean[quiet]))
    onset_s = _onset(lean, baseline + onset_threshold_deg, time, ic_s, rate, t0)
    if onset_s >= lift_s:
        raise Skip(
            f"the {catch_side.lower()} foot lifted off ({lift_s:.3f} s) before the "
            f"lean onset ({onset_s:.3f} s): a step, not a fall: not a lean-and-fall "
            "drill"
        )
    window = (time >= onset_s) & (time <= ic_s)
    _check_heel_down(trial, support_side, up, quiet, window, foot_lift_m)
    ic_lean = float(sample_at(lean, rate, t0, [ic_s])[0])
    candidates_t = np.concatenate([time[window], [ic_s]])
    candidates = np.concatenate([lean[window], [ic_lean]])
    if not np.isfinite(candidates).any():
        raise Skip("no whole-body lean between the onset and the catch step")
    k = int(np.nanargmax(candidates))
    max_lean, max_time = float(candidates[k]), float(candidates_t[k])
    if max_lean - baseline < min_fall_deg:
        raise Skip(
            f"no forward fall: the whole-body lean grew by {max_lean - baseline:.1f}° "
            f"before the catch step (< min_fall_deg {min_fall_deg:g}°): not a "
            "lean-and-fall drill"
        )
    where = (
        f"{catch_side.lower()} catch foot, {support_side.lower()} support foot; "
        f"baseline lean {baseline:.2f}°"
    )
    result.note(
        f"drill: quiet stance 0-{baseline_s:g} s, onset {onset_s:.3f} s, catch foot "
        f"({catch_side}) lift-off {lift_s:.3f} s, IC {ic_s:.3f} s"
    )
    result.add_metric("drill_onset_time", onset_s, message=where)
    result.add_metric("drill_max_lean", max_lean, time_s=max_time, message=where)
    result.add_metric("drill_max_lean_time", max_time)
    leg_at = float(sample_at(leg, rate, t0, [max_time])[0])
    result.add_metric("drill_leg_line", leg_at, time_s=max_time, side=support_side)
    if trunk_angle is not None:
        trunk_at = float(sample_at(trunk_angle, rate, t0, [max_time])[0])
        bend = trunk_at - leg_at
        result.add_metric("drill_trunk_lean", trunk_at, time_s=max_time)
        result.add_metric("drill_bend_index", bend, time_s=max_time, side=support_side)
        straight = abs(bend) < straight_max_bend_deg
        result.add_metric(
            "drill_straight",
            1.0 if straight else 0.0,
            time_s=max_time,
            message=f"|bend index| {abs(bend):.1f}° "
            f"{'<' if straight else '≥'} straight_max_bend_deg "
            f"{straight_max_bend_deg:g}°",
        )
    else:
        for name in ("drill_trunk_lean", "drill_bend_index", "drill_straight"):
            result.add_metric(name, np.nan, message="no trunk line (see notes)")
    result.add_metric("drill_fall_duration", ic_s - onset_s)
    result.add_metric("drill_catch_ic_time", ic_s, side=catch_side)
    catch_at = sample_at(points["catch_ajc"], rate, t0, [ic_s])[0]
    com_at = sample_at(com, rate, t0, [ic_s])[0]
    result.add_metric(
        "drill_catch_landing_distance",
        float((catch_at - com_at) @ forward),
        side=catch_side,
        time_s=ic_s,
    )
    _cop_travel(result, trial, forward, t0 + baseline_s, onset_s, lift_s)
    _braking(result, trial, ic_s, rate, braking_steps)

    after = time > ic_s
    series = {"drill_lean": lean, "drill_leg_line": leg}
    if body.head_com is not None:
        head = lowpass(body.head_com, rate, marker_cutoff_hz)
        series["drill_body_line"] = sagittal_angle_deg(points["ajc"], head, up, forward)
    if trunk_angle is not None:
        series |= {
            "drill_trunk_lean": trunk_angle,
            "drill_bend_index": trunk_angle - leg,
        }
    for name, values in series.items():
        result.add_series(
            name, np.where(after, np.nan, values), rate_hz=rate, t0_s=t0, unit="deg"
        )
    return result


def _foot_heights(
    trial: TrialView, up: FloatArray, quiet: npt.NDArray[np.bool_]
) -> dict[str, FloatArray]:
    """Height of each foot's lowest landmark above its quiet-stance median, m."""
    heights = {}
    for side, prefix in SIDE_PREFIX.items():
        found = [
            trial.landmark(f"{prefix}_{name}") @ up
            for name in ("heel", "toe")
            if trial.has_landmark(f"{prefix}_{name}")
        ]
        if not found:
            raise Skip(
                "the drill needs a heel or toe marker on both feet: "
                + trial.missing_message(f"{prefix}_heel")
            )
        lowest = functools.reduce(np.fmin, found)  # NaN only where all are missing
        if not np.isfinite(lowest[quiet]).any():
            raise Skip(
                f"the {side.lower()} foot's heel and toe markers are missing during "
                "the quiet-stance window: no standing height"
            )
        heights[side] = lowest - np.nanmedian(lowest[quiet])
    return heights


def _catch_foot(
    heights: dict[str, FloatArray],
    quiet: npt.NDArray[np.bool_],
    lift_m: float,
    time: FloatArray,
) -> tuple[str, int]:
    """Side and lift-off frame of the first foot to leave the ground after quiet stance."""
    first = {}
    for side, height in heights.items():
        if np.any(height[quiet] > lift_m):
            raise Skip(
                f"the {side.lower()} foot rose more than {lift_m:g} m during the "
                "quiet-stance window (no quiet stance): not a lean-and-fall drill"
            )
        rising = np.flatnonzero(~quiet & (height > lift_m))
        if rising.size:
            first[side] = int(rising[0])
    if not first:
        raise Skip(
            f"no catch step: neither foot rose more than {lift_m:g} m above its "
            "standing height: not a lean-and-fall drill"
        )
    side = min(first, key=first.__getitem__)
    return side, first[side]


def _check_heel_down(
    trial: TrialView,
    side: str,
    up: FloatArray,
    quiet: npt.NDArray[np.bool_],
    fall: npt.NDArray[np.bool_],
    lift_m: float,
) -> None:
    """Skip unless the support heel stays down from the onset to the catch IC."""
    name = f"{SIDE_PREFIX[side]}_heel"
    if not trial.has_landmark(name):
        return
    height = trial.landmark(name) @ up
    if not np.isfinite(height[quiet]).any() or not np.isfinite(height[fall]).any():
        return
    rise = float(np.nanmax(height[fall]) - np.nanmedian(height[quiet]))
    if rise > lift_m:
        raise Skip(
            f"the {side.lower()} (support) heel rose {rise:.3f} m (> foot_lift_m "
            f"{lift_m:g} m) between the lean onset and the catch step: a step from "
            "standing, not a fall with the heels down: not a lean-and-fall drill"
        )


def _catch_contact(
    height: FloatArray, lift: int, tolerance_m: float, time: FloatArray, side: str
) -> float:
    """Instant the catch foot is back at its standing height (see the module doc)."""
    down = np.flatnonzero(height[lift:] <= tolerance_m)
    if down.size == 0:
        raise Skip(
            f"the {side.lower()} catch foot lifted off at {time[lift]:.3f} s and did "
            "not come back to the ground in the trial: no catch step"
        )
    k = lift + int(down[0])
    above, at = height[k - 1], height[k]
    latest = 2.0 if k + 1 < len(time) else 1.0  # one frame after k, in the trial
    descent = above - at  # > 0 unless a marker is missing there
    fraction = min(above / descent, latest) if descent > 0 else 1.0
    return float(time[k - 1] + fraction * (time[k] - time[k - 1]))


def _onset(
    lean: FloatArray,
    level: float,
    time: FloatArray,
    ic_s: float,
    rate: float,
    t0: float,
) -> float:
    """Last upward crossing of ``level`` before the IC (linear interpolation)."""
    before = np.flatnonzero(time <= ic_s)
    below = np.flatnonzero(~(lean[before] >= level))
    if below.size == 0 or below[-1] == before[-1]:
        raise Skip(
            "no forward fall: the whole-body lean is not above the onset level at "
            "the catch step: not a lean-and-fall drill"
        )
    k = int(below[-1])
    fraction = (level - lean[k]) / (lean[k + 1] - lean[k])
    return t0 + (k + fraction) / rate


def _trunk_line(body: BodyPoints) -> tuple[FloatArray, FloatArray, str] | None:
    """Lower and upper points of the trunk line and its name (METHODS §4.1)."""
    lowers = (("MIDH", body.midh), ("pelvis centroid", body.pelvis_centroid))
    lower = next(((p, n) for n, p in lowers if p is not None), None)
    c7_clav = (
        None if body.cerv is None or body.supr is None else (body.cerv + body.supr) / 2
    )
    upper = next(
        (
            (p, n)
            for n, p in (
                ("MIDS", body.mids),
                ("mid-point of C7 and CLAV", c7_clav),
                ("C7", body.cerv),
                ("CLAV", body.supr),
            )
            if p is not None
        ),
        None,
    )
    if lower is None or upper is None:
        return None
    return lower[0], upper[0], f"{lower[1]}→{upper[1]}"


def _com(trial: TrialView, cutoff_hz: float) -> tuple[FloatArray, str]:
    """COM at the marker frames: center_of_mass result, else the best model."""
    markers = trial.markers
    if trial.has_result("center_of_mass"):
        series = trial.result("center_of_mass").series.get("com")
        if series is not None and series.values.ndim == 2:
            com = sample_at(
                series.values, series.rate_hz, series.t0_s, trial.marker_time
            )
            return com, "COM: series 'com' of the center_of_mass plugin"
    sex = trial.subject.sex if trial.subject is not None else None
    try:
        estimate = best_com(trial.body, sex)
    except ValueError as error:
        raise Skip(f"no centre of mass from the markers: {error}") from error
    return (
        lowpass(estimate.com, markers.rate_hz, cutoff_hz),
        f"COM: {estimate.model} model from the markers (center_of_mass result not "
        "available), low-passed like the joint centres",
    )


def _cop_travel(
    result: Result,
    trial: TrialView,
    forward: FloatArray,
    quiet_end_s: float,
    onset_s: float,
    lift_s: float,
) -> None:
    grf = trial.grf
    if grf is None:
        result.leave_out(
            ("drill_cop_travel", "drill_braking_impulse"), "no force plates"
        )
        return
    along = grf.cop @ forward
    quiet = grf.time < quiet_end_s
    fall = (grf.time >= onset_s) & (grf.time <= lift_s)
    if not np.isfinite(along[quiet]).any() or not np.isfinite(along[fall]).any():
        result.add_metric(
            "drill_cop_travel",
            np.nan,
            message="no COP in quiet stance or during the fall (feet off the plates)",
        )
        return
    travel = np.nanmax(along[fall]) - np.nanmean(along[quiet])
    result.add_metric("drill_cop_travel", float(travel))


def _braking(
    result: Result, trial: TrialView, ic_s: float, rate: float, n_steps: int
) -> None:
    if trial.grf is None:
        return
    if not trial.has_result("braking"):
        result.leave_out(
            "drill_braking_impulse",
            "the braking plugin did not give results on this trial",
        )
        return
    values = [
        m
        for m in trial.result("braking").metrics
        if m.name == "braking_impulse"
        and m.step is not None
        and m.time_s is not None
        and m.time_s >= ic_s - 1.0 / rate
    ]
    values.sort(key=lambda m: m.time_s)
    if not values:
        result.leave_out(
            "drill_braking_impulse",
            "no contact measured on a plate from the catch step on",
        )
    for k, metric in enumerate(values[:n_steps], start=1):
        result.add_metric(
            "drill_braking_impulse",
            metric.value,
            step=k,
            side=metric.side,
            time_s=metric.time_s,
            status=metric.status,
            message=f"braking contact {metric.step}; {metric.message}".rstrip("; "),
        )
