"""Body mass from the force plates (METHODS §3.5), for normalising and integrating.

Two ways, in order of preference:

1. Quiet standing on the plates for at least 1 s (in this trial or in the
   subject's static trial): m = mean vertical GRF / g over the quietest
   second.
2. Continuous running on plates that see every contact (an instrumented
   treadmill): m = mean vertical GRF / g over a whole number of strides, from
   one initial contact to the initial contact an even number of steps later
   (the mean vertical acceleration over whole periods is zero).

Never mix a scale mass with plate data when integrating forces: a 1 % mass
error drifts the integrated COM by metres within seconds (METHODS §3.5).
The recorded subject mass is reported beside it for comparison.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np

from gaitlab.api import (
    GRAVITY,
    GroundReaction,
    MetricSpec,
    Param,
    Result,
    RunContext,
    Skip,
    TrialView,
    plugin,
)


@plugin(
    name="body_mass",
    version="1.0.0",
    title="Body mass from forces",
    category="Kinetics",
    needs=("forceplates", "result:gait_events"),
    metrics=(
        MetricSpec(
            "body_mass",
            "kg",
            "Force-derived body mass: mean vertical GRF / g over quiet standing "
            "(≥ 1 s) or over whole strides of continuous running (METHODS §3.5)",
            per_step=False,
            headline=True,
        ),
        MetricSpec(
            "subject_mass_difference",
            "%",
            "100 × (force-derived − recorded subject mass) / recorded mass",
            per_step=False,
        ),
    ),
)
def body_mass(
    trial: TrialView,
    ctx: RunContext,
    *,
    standing_window_s: Annotated[
        float, Param(min=0.5, max=10, unit="s", doc="Length of quiet standing used")
    ] = 1.0,
    standing_cv_max: Annotated[
        float,
        Param(min=0, max=0.2, doc="Largest coefficient of variation of quiet standing"),
    ] = 0.02,
) -> Result:
    """Body mass in kg from the vertical ground reaction force."""
    result = Result()
    mass, how = _from_running(trial)
    if mass is None:
        mass, how = _from_standing(trial.grf, standing_window_s, standing_cv_max)
        how = how and f"{how} in this trial"
    if mass is None and trial.static is not None and trial.static.grf is not None:
        mass, how = _from_standing(trial.static.grf, standing_window_s, standing_cv_max)
        how = how and f"{how} in the static trial {trial.static.label}"
    if mass is None:
        raise Skip(
            "no quiet standing (≥ 1 s) on the plates and no continuous running on "
            "plates that see every step: the force-derived mass needs one of them"
        )
    result.add_metric("body_mass", mass)
    result.note(f"body mass {mass:.2f} kg from {how}")
    recorded = trial.subject.mass_kg if trial.subject else None
    if recorded:
        result.add_metric(
            "subject_mass_difference", 100.0 * (mass - recorded) / recorded
        )
    else:
        result.leave_out(
            "subject_mass_difference", "no recorded subject mass to compare with"
        )
    return result


def _from_running(trial: TrialView) -> tuple[float | None, str]:
    """Mean vertical GRF over whole strides when every contact is on the plates."""
    grf = trial.grf
    contacts = trial.contacts()
    if grf is None or len(contacts) < 5:
        return None, ""
    sources = trial.result("gait_events").metric_values("event_source")
    if np.any(sources != 1.0):
        return None, ""
    steps = np.diff([c.ic_s for c in contacts])
    if np.any(steps > 2.0 * np.median(steps)):  # a contact missed: not continuous
        return None, ""
    n_steps = len(contacts) - 1
    n_steps -= n_steps % 2
    start, stop = contacts[0].ic_s, contacts[n_steps].ic_s
    a = round((start - grf.t0_s) * grf.rate_hz)
    b = round((stop - grf.t0_s) * grf.rate_hz)
    mass = float(np.mean(grf.vertical[a:b])) / GRAVITY
    return (
        mass,
        f"continuous running over {n_steps // 2} strides ({stop - start:.2f} s)",
    )


def _from_standing(
    grf: GroundReaction | None, window_s: float, cv_max: float
) -> tuple[float | None, str]:
    """Mean vertical GRF over the steadiest window of quiet standing."""
    if grf is None:
        return None, ""
    n = round(window_s * grf.rate_hz)
    vertical = grf.vertical
    if n < 2 or len(vertical) < n:
        return None, ""
    kernel = np.ones(n) / n
    mean = np.convolve(vertical, kernel, mode="valid")
    square = np.convolve(vertical**2, kernel, mode="valid")
    sd = np.sqrt(np.maximum(square - mean**2, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(mean > 100.0, sd / mean, np.inf)
    best = int(np.argmin(cv))
    if not cv[best] <= cv_max:
        return None, ""
    return float(
        mean[best]
    ) / GRAVITY, f"quiet standing ({window_s:.1f} s, CV {cv[best]:.3f})"
