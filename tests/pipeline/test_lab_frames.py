"""The whole default pipeline on synthetic runners in other lab frames.

A runner the other tests do not use (female de Leva body, 62 kg, 1.88 m,
leaning 6° from the ankles and bending 4° more at the waist, landing with the
toes 8° up, with a static trial), recorded on a treadmill and overground,
each in two lab frames (Z up or Y up; progression along ±X, −Y or −Z), once
noise-free and once with 2 N of white noise on every force component. Every
per-step number is checked against answers computed here from the
generator's noise-free force and true body points, not through gaitlab; and
the same trial in two frames must give the same numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab.api import Result
from gaitlab.pipeline.discovery import discover
from gaitlab.synth.running import SyntheticRun, make_running_trial, make_static_trial
from gaitlab.testing import analyse_file

G = 9.81
MASS_KG = 62.0
BODY = {"mass_kg": MASS_KG, "height_m": 1.88, "sex": "F"}
POSTURE = {
    "lean_from_ankles_deg": 6.0,
    "bend_at_waist_deg": 4.0,
    "foot_strike_angle_deg": 8.0,
}
NOISE_N = 2.0
# (noise in N, treadmill, up, forward): each plate set in two frames
FRAMES = [(True, "z", "+x"), (True, "y", "-z"), (False, "z", "-y"), (False, "y", "+x")]
CASES = [(noise, *frame) for noise in (0.0, NOISE_N) for frame in FRAMES]
# gait events' default timing level: max(3σ, 5 N) above the unloaded level
# (σ, the plate noise, is measured: ~0 noise-free, ~2 N here)
THRESHOLD_N = {0.0: 5.0, NOISE_N: 3 * NOISE_N}
# the generator's markers are points (no radius): tell the foot_strike plugin
PARAMS = {"foot_strike": {"heel_marker_radius_m": 0.0}}


def case_id(case: tuple) -> str:
    noise, treadmill, up, forward = case
    return f"{'treadmill' if treadmill else 'overground'}-{up}{forward}-{noise:g}N"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple, tuple]:
    folder = tmp_path_factory.mktemp("lab_frames")
    out = {}
    for case in CASES:
        noise, treadmill, up, forward = case
        name = case_id(case)
        run = make_running_trial(
            folder / f"{name}.c3d",
            treadmill=treadmill,
            up=up,
            forward=forward,
            noise_n=noise,
            seed=7,
            **BODY,
            **POSTURE,
        )
        static = make_static_trial(
            folder / f"{name}_static.c3d", up=up, forward=forward, **BODY
        )
        out[case] = (run, analyse_file(run.path, static=static.path, params=PARAMS))
    return out


def per_step(result: Result, name: str) -> np.ndarray:
    """The metric's per-step values, in step order (NaN where not valid)."""
    values = {m.step: m.value for m in result.metrics if m.name == name and m.step}
    return np.array([values[step] for step in sorted(values)], dtype=float)


def trial_value(result: Result, name: str) -> float:
    (value,) = [m.value for m in result.metrics if m.name == name and m.step is None]
    return float(value)


def threshold_crossings(run: SyntheticRun, threshold_n: float) -> np.ndarray:
    """(n_steps, 2) times in s where the true vertical GRF rises above and falls
    below ``threshold_n`` around each true contact (linear interpolation)."""
    t = run.analog_time_s
    vertical = run.grf_n @ run.e_up
    out = []
    for touchdown, liftoff in zip(
        run.steps.touchdown_s, run.steps.liftoff_s, strict=True
    ):
        inside = np.flatnonzero((t >= touchdown) & (t <= liftoff))
        above = inside[vertical[inside] >= threshold_n]
        first, last = above[0], above[-1]
        rise = np.interp(
            threshold_n, vertical[first - 1 : first + 1], t[first - 1 : first + 1]
        )
        fall = np.interp(
            threshold_n, vertical[last : last + 2][::-1], t[last : last + 2][::-1]
        )
        out.append((rise, fall))
    return np.array(out)


def true_impulses(
    run: SyntheticRun, windows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Braking (negative) and propulsive impulse per step, N·s/kg, of the true
    AP force inside each window."""
    t = run.analog_time_s
    ap = run.grf_n @ run.e_forward
    braking, propulsive = [], []
    for start, end in windows:
        inside = (t >= start) & (t <= end)
        force, time = ap[inside], t[inside]
        braking.append(np.trapezoid(np.minimum(force, 0.0), time) / MASS_KG)
        propulsive.append(np.trapezoid(np.maximum(force, 0.0), time) / MASS_KG)
    return np.array(braking), np.array(propulsive)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_analysis_succeeds(runs, case):
    results = dict(runs[case][1])
    drill = results.pop("drill")  # a running trial is no lean-and-fall drill
    assert (drill.status, drill.message) == ("skipped", drill.message)
    assert "not a lean-and-fall drill" in drill.message
    assert {name: r.status for name, r in results.items()} == dict.fromkeys(
        results, "ok"
    )
    assert {*results, "drill"} == set(discover().specs)  # every plugin found ran


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_temporal_measures_are_the_threshold_crossings_of_the_true_force(runs, case):
    run, results = runs[case]
    noise = case[0]
    crossings = threshold_crossings(run, THRESHOLD_N[noise])
    measures = results["running_measures"]
    # noise-free: sub-sample timing (1 ms samples); with noise the 50 Hz
    # detection filter and the noise move each crossing by a fraction of a ms
    tolerance_s = 2e-4 if noise == 0 else 1.5e-3
    contact = per_step(measures, "contact_time")
    assert len(contact) == len(run.steps.side)
    np.testing.assert_allclose(
        contact, np.diff(crossings, axis=1)[:, 0], atol=tolerance_s
    )
    flight = crossings[1:, 0] - crossings[:-1, 1]
    np.testing.assert_allclose(
        per_step(measures, "flight_time")[:-1], flight, atol=tolerance_s
    )
    step_time = np.diff(crossings[:, 0])
    np.testing.assert_allclose(
        per_step(measures, "step_time")[:-1], step_time, atol=tolerance_s
    )
    np.testing.assert_allclose(
        per_step(measures, "cadence")[:-1], 60.0 / step_time, rtol=tolerance_s / 0.3
    )
    sides = [m.side for m in measures.metrics if m.name == "contact_time" and m.step]
    assert tuple(sides) == run.steps.side


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_forces_and_impulses_match_the_true_force(runs, case):
    run, results = runs[case]
    noise = case[0]
    assert trial_value(results["body_mass"], "body_mass") == pytest.approx(
        MASS_KG, rel=2e-3
    )
    vertical = run.grf_n @ run.e_up
    t = run.analog_time_s
    peaks = [
        vertical[(t >= a) & (t <= b)].max() / (MASS_KG * G)
        for a, b in zip(run.steps.touchdown_s, run.steps.liftoff_s, strict=True)
    ]
    measured = per_step(results["running_measures"], "peak_vertical_grf")
    if noise == 0:
        np.testing.assert_allclose(measured, peaks, rtol=1e-4)  # float32 channels
    else:
        # the peak of the summed plates carries their noise, σ = 2·√(n_plates) N;
        # a maximum over many samples sits a few σ above the truth
        sigma_bw = noise * np.sqrt(len(run.plates)) / (MASS_KG * G)
        error = (measured - peaks) / sigma_bw
        assert np.all((error > -1) & (error < 5)), error
    braking, propulsive = true_impulses(
        run, threshold_crossings(run, THRESHOLD_N[noise])
    )
    assert braking.max() < -0.2  # a real braking phase, not a near-zero comparison
    # noise-free: trapezoids on the same samples; noisy: ±2 N over ~0.2 s
    rtol = 2e-3 if noise == 0 else 0.02
    np.testing.assert_allclose(
        per_step(results["braking"], "braking_impulse"), braking, rtol=rtol
    )
    np.testing.assert_allclose(
        per_step(results["braking"], "propulsive_impulse"), propulsive, rtol=rtol
    )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_lean_and_foot_strike_match_the_true_body(runs, case):
    run, results = runs[case]
    noise = case[0]
    lean, foot = results["lean"], results["foot_strike"]
    # trunk lean is constant in this runner: θ + β = 10° (markers carry no noise)
    np.testing.assert_allclose(per_step(lean, "trunk_lean"), 10.0, atol=0.01)
    np.testing.assert_allclose(
        per_step(lean, "trunk_lean_midstance"), run.steps.trunk_lean_deg, atol=0.01
    )
    np.testing.assert_allclose(
        per_step(lean, "bend_index_midstance"), run.steps.bend_index_deg, atol=0.1
    )
    # COP→COM, force-weighted over stance: ≈ 0 at constant speed (METHODS §4.2)
    np.testing.assert_allclose(per_step(lean, "whole_body_lean"), 0.0, atol=0.1)
    # Strike index, noise-free: overground within 0.3 % of foot length. On the
    # treadmill the heel jumps from swing speed to belt speed at touchdown and
    # 200 Hz markers interpolated linearly cut that corner: ~1.5 % (3-4 mm) low.
    # With noise, a 0.6 N (filtered) error in the 50 N of the first COP sample
    # moves the COP by ~1 % of its distance from the plate's origin (up to 0.5 m
    # on the treadmill): a few % of foot length.
    tolerance_pct = (2.0 if case[1] else 0.3) if noise == 0 else 6.0
    np.testing.assert_allclose(
        per_step(foot, "strike_index"), run.steps.strike_index_pct, atol=tolerance_pct
    )
    # the foot rotates ~300°/s after IC and the markers are low-passed at 20 Hz
    # (METHODS §6.1 sensitivity): the FSA reads up to 1.5° low
    fsa_error = per_step(foot, "foot_strike_angle") - run.steps.foot_strike_angle_deg
    assert np.all((fsa_error < 0.1) & (fsa_error > -1.5)), fsa_error


@pytest.mark.parametrize("treadmill", [True, False], ids=["treadmill", "overground"])
def test_the_same_trial_in_two_lab_frames_gives_the_same_numbers(runs, treadmill):
    first, second = [
        results
        for (noise, tm, *_frame), (_run, results) in runs.items()
        if noise == 0 and tm == treadmill
    ]
    for plugin in first:
        keys = [(m.name, m.step, m.side) for m in first[plugin].metrics]
        assert keys == [(m.name, m.step, m.side) for m in second[plugin].metrics], (
            plugin
        )
        a = np.array([m.value for m in first[plugin].metrics], dtype=float)
        b = np.array([m.value for m in second[plugin].metrics], dtype=float)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=plugin)
        # the C3D files store float32 numbers in other axes
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4, err_msg=plugin)
