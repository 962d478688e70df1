"""The braking plugin: impulses and peaks (METHODS §5.2) and overstriding (§5.3).

Known answers: the SLIP reference of §8.2 (through the synthetic running C3D
files), analytic half-sine forces on hand-built trials, the generator's true
joint centres and landing distances, and the Fukuchi RBDS001 reference of §8.5.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import ezc3d
import numpy as np
import pytest

from gaitlab.api import Result, TrialView
from gaitlab.core.landmarks import MarkerMap
from gaitlab.core.results import USABLE_STATUSES
from gaitlab.core.trial import AnalogSet, ForcePlate, MarkerSet, Subject, Trial
from gaitlab.io.c3d import read_c3d
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import call_plugin
from gaitlab.pipeline.spec import resolve_parameters
from gaitlab.synth.labframe import lab_axes as synth_lab_axes
from gaitlab.synth.running import make_running_trial
from gaitlab.testing import analyse_file, analyse_trial_object

G = 9.81
SLIP_IMPULSE = 0.2757  # N·s/kg, METHODS §8.2
SLIP_PEAK_BW = 0.369  # BW, METHODS §8.2 (printed to 3 decimals)
RBDS = "pfjrf-methods/data/RBDS001/RBDS001runT25.c3d"
REFERENCE_EVENTS = {"gait_events": {"threshold_n": 50.0, "noise_factor": 0.0}}


@pytest.fixture(scope="module")
def spec():
    return discover().specs["braking"]


def run_braking(spec, view: TrialView, **params) -> Result:
    """The plugin through the runner's checks (needs, declared outputs, units)."""
    result = call_plugin(spec, view, resolve_parameters(spec, params))
    assert result.status in USABLE_STATUSES, result.message
    return result


def values(result: Result, name: str) -> np.ndarray:
    return result.metric_values(name)


def metric(result: Result, name: str, step: int):
    return next(m for m in result.metrics if m.name == name and m.step == step)


# ---------------------------------------------------------------- hand-built trials

ANALOG_HZ = 2000.0
MARKER_HZ = 200.0


def lab_axes(up: str, forward: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(e_forward, e_up, e_right) of a lab frame ("z", "+x" ...)."""
    e_up, e_forward = synth_lab_axes(up, forward)
    return e_forward, e_up, np.cross(e_forward, e_up)


def events_result(contacts) -> Result:
    """A gait_events result: (side, ic, to, clean, plate, source) per contact."""
    result = Result()
    for step, (side, ic, to, clean, plate, source) in enumerate(contacts, start=1):
        result.add_event(ic, "Foot Strike", side)
        result.add_event(to, "Foot Off", side)
        for name, value in (
            ("contact_clean", float(clean)),
            ("contact_plate", float(plate)),
            ("event_source", float(source)),
        ):
            result.add_metric(name, value, step=step, side=side, time_s=ic)
    return result


def hand_trial(
    ap_n: np.ndarray,
    vertical_n: np.ndarray,
    *,
    up: str = "y",
    forward: str = "-x",
    mass_kg: float | None = 70.0,
    points: dict[str, tuple[float, float, float]] | None = None,
) -> tuple[Trial, MarkerMap]:
    """A trial with one plate carrying (AP, vertical) force, and static markers.

    ``points`` maps marker labels to model (forward, up, right) positions in m;
    pelvis markers facing forward are always added, so the progression is
    found from the pelvis (METHODS §5.1).
    """
    e_forward, e_up, e_right = lab_axes(up, forward)
    n = len(ap_n)
    force = np.outer(ap_n, e_forward) + np.outer(vertical_n, e_up)
    cop = np.where((vertical_n >= 50.0)[:, None], np.zeros((n, 3)), np.nan)
    corners = np.array(
        [
            s * 0.3 * e_forward + t * 0.2 * e_right
            for s, t in ((1, 1), (-1, 1), (-1, -1), (1, -1))
        ]
    )
    plate = ForcePlate(
        force=force,
        moment=np.zeros((n, 3)),
        cop=cop,
        free_moment=np.where(np.isfinite(cop[:, 0]), 0.0, np.nan),
        corners=corners,
        rate_hz=ANALOG_HZ,
    )
    model = {
        "LASI": (0.08, 0.95, -0.12),
        "RASI": (0.08, 0.95, 0.12),
        "LPSI": (-0.08, 0.98, -0.05),
        "RPSI": (-0.08, 0.98, 0.05),
        **(points or {}),
    }
    n_frames = round(n / ANALOG_HZ * MARKER_HZ)
    labels = tuple(model)
    lab = np.array(
        [f * e_forward + u * e_up + r * e_right for f, u, r in model.values()]
    )
    markers = MarkerSet(
        np.broadcast_to(lab, (n_frames, *lab.shape)).copy(), labels, MARKER_HZ
    )
    trial = Trial(
        markers=markers,
        analogs=AnalogSet(np.zeros((n, 0)), (), (), ANALOG_HZ),
        forceplates=(plate,),
        subject=Subject("s1", mass_kg=mass_kg),
        up_axis=e_up,
    )
    overrides = {
        name: label
        for name, label in (
            ("l_hip_jc", "LHJC"),
            ("r_hip_jc", "RHJC"),
            ("l_knee_jc", "LKJC"),
            ("r_knee_jc", "RKJC"),
            ("l_ankle_jc", "LAJC"),
            ("r_ankle_jc", "RAJC"),
        )
        if label in labels
    }
    return trial, MarkerMap(labels, preset="plug_in_gait", overrides=overrides)


def half_sine(time: np.ndarray, start: float, duration: float, amplitude: float):
    """amplitude·sin(π(t - start)/duration) on [start, start + duration], else 0."""
    phase = (time - start) / duration
    inside = (phase >= 0) & (phase <= 1)
    return np.where(inside, amplitude * np.sin(np.pi * np.clip(phase, 0, 1)), 0.0)


def triangle(time: np.ndarray, start: float, duration: float, height: float):
    """A triangle of the given height on [start, start + duration], else 0."""
    phase = (time - start) / duration
    return np.where(
        (phase >= 0) & (phase <= 1), height * (1 - np.abs(2 * phase - 1)), 0.0
    )


# ---------------------------------------------------------------- analytic forces

MASS = 70.0
BRAKE_S = 0.124  # braking half-sine, then a propulsive half-sine of the same length
STEP_S = 0.35
AMPLITUDE_N = 250.0
SECOND_IC_OFFSET_S = 0.23 / ANALOG_HZ  # puts the second IC between samples


def two_contacts(up: str, forward: str):
    """Two stances: AP = -A·sin then +A·sin (each BRAKE_S); vertical half-sine
    scaled so ∫GRF_up over the step is m·g·T_step. The second IC lies between
    samples (sub-sample integration)."""
    time = np.arange(int(0.9 * ANALOG_HZ)) / ANALOG_HZ
    contact = 2 * BRAKE_S
    vertical_amplitude = math.pi * MASS * G * STEP_S / (2 * contact)
    ap = np.zeros_like(time)
    vertical = np.zeros_like(time)
    ics = (0.1, 0.1 + STEP_S + SECOND_IC_OFFSET_S)
    for ic in ics:
        ap += half_sine(time, ic, BRAKE_S, -AMPLITUDE_N)
        ap += half_sine(time, ic + BRAKE_S, BRAKE_S, AMPLITUDE_N)
        vertical += half_sine(time, ic, contact, vertical_amplitude)
    trial, marker_map = hand_trial(ap, vertical, up=up, forward=forward, mass_kg=MASS)
    events = events_result(
        [
            ("Right", ics[0], ics[0] + contact, True, 1, 1),
            ("Left", ics[1], ics[1] + contact, True, 1, 1),
        ]
    )
    return trial, marker_map, events


@pytest.mark.parametrize(("up", "forward"), [("y", "-x"), ("z", "+y"), ("z", "+x")])
def test_half_sine_impulses_are_analytic(spec, up, forward):
    """∫ of A·sin over a half period T is 2AT/π; peaks ∓A; braking phase = T."""
    trial, marker_map, events = two_contacts(up, forward)
    view = TrialView(trial, marker_map=marker_map, results={"gait_events": events})
    result = run_braking(spec, view)
    impulse = 2 * AMPLITUDE_N * BRAKE_S / math.pi  # N·s
    rel = 1e-4  # trapezoidal rule on 248 samples per half-sine: error ~1e-5
    np.testing.assert_allclose(
        values(result, "braking_impulse"), -impulse / MASS, rtol=rel
    )
    np.testing.assert_allclose(
        values(result, "propulsive_impulse"), impulse / MASS, rtol=rel
    )
    np.testing.assert_allclose(
        values(result, "net_impulse"), 0.0, atol=rel * impulse / MASS
    )
    np.testing.assert_allclose(
        values(result, "braking_impulse_bw"), -impulse / (MASS * G), rtol=rel
    )
    np.testing.assert_allclose(
        values(result, "propulsive_impulse_bw"), impulse / (MASS * G), rtol=rel
    )
    np.testing.assert_allclose(
        values(result, "braking_impulse_phase"), -impulse / MASS, rtol=rel
    )
    np.testing.assert_allclose(
        values(result, "propulsive_impulse_phase"), impulse / MASS, rtol=rel
    )
    np.testing.assert_allclose(values(result, "braking_duration"), BRAKE_S, atol=1e-9)
    np.testing.assert_allclose(
        values(result, "peak_braking_force"), -AMPLITUDE_N / (MASS * G), rtol=rel
    )
    np.testing.assert_allclose(
        values(result, "peak_propulsive_force"), AMPLITUDE_N / (MASS * G), rtol=rel
    )
    ratio = values(result, "vertical_impulse_ratio")
    step_time = STEP_S + SECOND_IC_OFFSET_S  # the vertical impulse is m·g·STEP_S
    assert ratio[0] == pytest.approx(STEP_S / step_time, rel=rel)
    assert math.isnan(ratio[1])  # no next initial contact
    assert metric(result, "vertical_impulse_ratio", 2).status == "invalid"
    assert any("recorded mass 70.00 kg" in note for note in result.notes)
    assert any("facing" in note for note in result.notes)


def test_mirrored_progression_gives_identical_values(spec):
    """The same forces with progression +X and -X (and Z- or Y-up) agree exactly."""
    names = (
        "braking_impulse",
        "propulsive_impulse",
        "peak_braking_force",
        "braking_duration",
    )
    outputs = []
    for up, forward in (("z", "+x"), ("z", "-x"), ("y", "-x")):
        trial, marker_map, events = two_contacts(up, forward)
        view = TrialView(trial, marker_map=marker_map, results={"gait_events": events})
        result = run_braking(spec, view)
        outputs.append(np.concatenate([values(result, n) for n in names]))
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-12)
    np.testing.assert_allclose(outputs[2], outputs[0], rtol=1e-12)


SPIKE_AT_S = 0.030  # first braking half-sine
SPIKE_S = 0.006  # positive triangle spike (shorter than the 10 ms default)
SPIKE_N = 40.0
SECOND_BRAKE_S = 0.090
PUSH_S = 0.120
PUSH_N = 280.0


def spike_trial():
    """Braking -A·sin (30 ms), a 6 ms positive triangle spike of 40 N, braking
    -A·sin (90 ms), propulsion +P·sin (120 ms)."""
    time = np.arange(int(0.6 * ANALOG_HZ)) / ANALOG_HZ
    ic = 0.1
    ap = (
        half_sine(time, ic, SPIKE_AT_S, -AMPLITUDE_N)
        + triangle(time, ic + SPIKE_AT_S, SPIKE_S, SPIKE_N)
        + half_sine(time, ic + SPIKE_AT_S + SPIKE_S, SECOND_BRAKE_S, -AMPLITUDE_N)
        + half_sine(time, ic + SPIKE_AT_S + SPIKE_S + SECOND_BRAKE_S, PUSH_S, PUSH_N)
    )
    to = ic + SPIKE_AT_S + SPIKE_S + SECOND_BRAKE_S + PUSH_S
    vertical = half_sine(time, ic, to - ic, 1500.0)
    trial, marker_map = hand_trial(ap, vertical, mass_kg=MASS)
    events = events_result([("Right", ic, to, True, 1, 1)])
    return TrialView(trial, marker_map=marker_map, results={"gait_events": events})


def test_phase_based_and_sign_based_differ_with_an_early_positive_spike(spec):
    """Sign-based counts the spike as propulsion; phase-based keeps it in braking."""
    result = run_braking(spec, spike_trial())
    first = 2 * AMPLITUDE_N * SPIKE_AT_S / math.pi
    second = 2 * AMPLITUDE_N * SECOND_BRAKE_S / math.pi
    push = 2 * PUSH_N * PUSH_S / math.pi
    spike = 0.5 * SPIKE_N * SPIKE_S  # triangle: exact with the trapezoidal rule
    rel = 1e-3  # 60 samples on the shortest half-sine: trapezoid error 2e-4
    assert values(result, "braking_impulse")[0] == pytest.approx(
        -(first + second) / MASS, rel=rel
    )
    assert values(result, "propulsive_impulse")[0] == pytest.approx(
        (spike + push) / MASS, rel=rel
    )
    assert values(result, "braking_impulse_phase")[0] == pytest.approx(
        (spike - first - second) / MASS, rel=rel
    )
    assert values(result, "propulsive_impulse_phase")[0] == pytest.approx(
        push / MASS, rel=rel
    )
    assert values(result, "braking_duration")[0] == pytest.approx(
        SPIKE_AT_S + SPIKE_S + SECOND_BRAKE_S, abs=1e-9
    )


def test_a_shorter_sustain_ends_braking_at_the_spike(spec):
    """With sustained_crossing_s below the spike length the spike ends braking."""
    result = run_braking(spec, spike_trial(), sustained_crossing_s=0.004)
    first = 2 * AMPLITUDE_N * SPIKE_AT_S / math.pi
    second = 2 * AMPLITUDE_N * SECOND_BRAKE_S / math.pi
    push = 2 * PUSH_N * PUSH_S / math.pi
    spike = 0.5 * SPIKE_N * SPIKE_S
    assert values(result, "braking_duration")[0] == pytest.approx(SPIKE_AT_S, abs=1e-9)
    assert values(result, "braking_impulse_phase")[0] == pytest.approx(
        -first / MASS, rel=1e-3
    )
    assert values(result, "propulsive_impulse_phase")[0] == pytest.approx(
        (spike - second + push) / MASS, rel=1e-3
    )


def test_unclean_unmeasured_and_massless_contacts(spec):
    """Unclean: values with status unclean; no plate (kinematic events): NaN with
    the reason; a next IC from kinematics: vertical ratio flagged; no mass: NaN."""
    time = np.arange(int(1.2 * ANALOG_HZ)) / ANALOG_HZ
    ap = np.zeros_like(time)
    vertical = np.zeros_like(time)
    for ic in (0.1, 0.8):  # contacts 1 and 3 on the plate; 2 is off the plate
        ap += half_sine(time, ic, 0.1, -200.0) + half_sine(time, ic + 0.1, 0.1, 200.0)
        vertical += half_sine(time, ic, 0.2, 1500.0)
    trial, marker_map = hand_trial(ap, vertical, mass_kg=MASS)
    events = events_result(
        [
            ("Right", 0.1, 0.3, True, 1, 1),
            ("Left", 0.45, 0.65, False, 0, 2),
            ("Right", 0.8, 1.0, False, 1, 1),
        ]
    )
    view = TrialView(trial, marker_map=marker_map, results={"gait_events": events})
    result = run_braking(spec, view)
    impulse = -2 * 200 * 0.1 / math.pi / MASS
    clean = metric(result, "braking_impulse", 1)
    assert (clean.status, clean.value) == ("ok", pytest.approx(impulse, rel=1e-3))
    assert metric(result, "vertical_impulse_ratio", 1).status == "warning"
    unmeasured = metric(result, "braking_impulse", 2)
    assert math.isnan(unmeasured.value)
    assert "no force plate" in unmeasured.message
    unclean = metric(result, "braking_impulse", 3)
    assert (unclean.status, unclean.value) == (
        "unclean",
        pytest.approx(impulse, rel=1e-3),
    )

    trial, marker_map = hand_trial(ap, vertical, mass_kg=None)
    events = events_result([("Right", 0.1, 0.3, True, 1, 1)])
    view = TrialView(trial, marker_map=marker_map, results={"gait_events": events})
    result = run_braking(spec, view)
    massless = metric(result, "peak_braking_force", 1)
    assert math.isnan(massless.value)
    assert "no body mass" in massless.message


# ------------------------------------------------------- overstriding, hand-built

COM = (0.0, 0.95, 0.0)
POSTURE = {
    # right leg reaching forward: ankle ahead of the knee
    "RHJC": (0.0, 0.90, 0.09),
    "RKJC": (0.22, 0.50, 0.09),
    "RAJC": (0.30, 0.08, 0.09),
    "RHEE": (0.25, 0.05, 0.09),
    # left leg: ankle behind the knee
    "LHJC": (0.0, 0.90, -0.09),
    "LKJC": (0.12, 0.50, -0.09),
    "LAJC": (0.05, 0.08, -0.09),
    "LHEE": (0.0, 0.05, -0.09),
}


@pytest.mark.parametrize(("up", "forward"), [("y", "-x"), ("z", "+y")])
def test_landing_distances_and_shank_angle_sign_on_a_hand_built_posture(
    spec, up, forward
):
    """Shank angle = atan2((AJC - KJC)·e_prog, (KJC - AJC)·e_up): + ankle ahead."""
    time = np.arange(int(0.9 * ANALOG_HZ)) / ANALOG_HZ
    ap = half_sine(time, 0.1, 0.1, -200.0) + half_sine(time, 0.2, 0.1, 200.0)
    ap += half_sine(time, 0.45, 0.1, -200.0) + half_sine(time, 0.55, 0.1, 200.0)
    vertical = half_sine(time, 0.1, 0.2, 1500.0) + half_sine(time, 0.45, 0.2, 1500.0)
    trial, marker_map = hand_trial(ap, vertical, up=up, forward=forward, points=POSTURE)
    e_forward, e_up, e_right = lab_axes(up, forward)
    com_lab = COM[0] * e_forward + COM[1] * e_up + COM[2] * e_right
    com = Result()
    com.add_series(
        "com", np.tile(com_lab, (trial.markers.n_frames, 1)), rate_hz=MARKER_HZ
    )
    events = events_result(
        [("Right", 0.1, 0.3, True, 1, 1), ("Left", 0.45, 0.65, True, 1, 1)]
    )
    view = TrialView(
        trial,
        marker_map=marker_map,
        results={"gait_events": events, "center_of_mass": com},
    )
    result = run_braking(spec, view)
    np.testing.assert_allclose(
        values(result, "landing_distance_com"), [0.30, 0.05], atol=1e-9
    )
    np.testing.assert_allclose(
        values(result, "landing_distance_heel"), [0.25, 0.0], atol=1e-9
    )
    np.testing.assert_allclose(
        values(result, "landing_distance_hip"), [0.30, 0.05], atol=1e-9
    )
    np.testing.assert_allclose(
        values(result, "landing_distance_knee"), [0.08, -0.07], atol=1e-9
    )
    np.testing.assert_allclose(
        values(result, "shank_angle_ic"),
        [math.degrees(math.atan2(0.08, 0.42)), math.degrees(math.atan2(-0.07, 0.42))],
        atol=1e-9,
    )
    # the COP of the hand-built plate is its centre, the lab origin
    np.testing.assert_allclose(
        values(result, "landing_distance_cop"), [0.0, 0.0], atol=1e-9
    )


def test_overstride_metrics_left_out_with_the_reason_without_markers_or_com(spec):
    trial, marker_map, events = two_contacts("z", "+x")
    view = TrialView(trial, marker_map=marker_map, results={"gait_events": events})
    result = run_braking(spec, view)
    names = {m.name for m in result.metrics}
    assert not names & {
        "landing_distance_com",
        "shank_angle_ic",
        "landing_distance_hip",
    }
    assert result.status == "partial"
    assert result.left_out["shank_angle_ic"] == (
        "no ankle joint centre or knee joint centre at any IC"
    )
    assert result.left_out["landing_distance_cop"] == (
        "no COM (center_of_mass result) at any IC"
    )
    overstride = {
        "landing_distance_com",
        "landing_distance_heel",
        "landing_distance_cop",
        "landing_distance_hip",
        "landing_distance_knee",
        "shank_angle_ic",
    }
    assert set(result.left_out) == overstride - names


# ---------------------------------------------------------------- SLIP reference (§8.2)


@pytest.fixture(scope="module")
def slip_runs(tmp_path_factory):
    """Synthetic SLIP runners in several lab frames, analysed with defaults."""
    folder = tmp_path_factory.mktemp("slip")
    runs = {}
    for key, options in {
        "treadmill +x z-up": {"treadmill": True},
        "treadmill -x y-up": {"treadmill": True, "up": "y", "forward": "-x"},
        "overground +y z-up": {"treadmill": False, "forward": "+y"},
        "overground -x y-up": {"treadmill": False, "up": "y", "forward": "-x"},
    }.items():
        run = make_running_trial(folder / f"{len(runs)}.c3d", **options)
        runs[key] = (run, analyse_file(run.path, plugins=["braking"]))
    return runs


@pytest.mark.parametrize(
    "key",
    [
        "treadmill +x z-up",
        "treadmill -x y-up",
        "overground +y z-up",
        "overground -x y-up",
    ],
)
def test_slip_impulses_and_peaks(slip_runs, key):
    """METHODS §8.2: ∓0.2757 N·s/kg (±0.5 %), peaks ∓0.369 BW (3 decimals)."""
    run, results = slip_runs[key]
    result = results["braking"]
    assert result.status == "ok", result.message
    truth_brake = run.braking_impulse_n_s / run.mass_kg
    truth_push = run.propulsive_impulse_n_s / run.mass_kg
    assert truth_brake == pytest.approx(-SLIP_IMPULSE, rel=5e-4)
    for name, expected in (
        ("braking_impulse", truth_brake),
        ("propulsive_impulse", truth_push),
    ):
        measured = values(result, name)
        assert len(measured) == len(run.sides)
        np.testing.assert_allclose(measured, expected, rtol=0.005)
        np.testing.assert_allclose(
            measured, np.sign(expected) * SLIP_IMPULSE, rtol=0.005
        )
    np.testing.assert_allclose(
        values(result, "peak_braking_force"), -SLIP_PEAK_BW, atol=5e-4
    )
    np.testing.assert_allclose(
        values(result, "peak_propulsive_force"), SLIP_PEAK_BW, atol=5e-4
    )
    # symmetric gait: the braking phase is half the stance (IC/TO at the threshold)
    np.testing.assert_allclose(
        values(result, "braking_duration"), 0.5 * run.gait.contact_time_s, atol=0.004
    )
    ratio = values(result, "vertical_impulse_ratio")
    np.testing.assert_allclose(ratio[:-1], 1.0, rtol=0.005)  # ∫GRF_up = m·g·T_step


def test_slip_values_do_not_depend_on_the_lab_frame(slip_runs):
    """Mirrored progression (+X ↔ -X) and Y- vs Z-up give the same numbers."""
    names = (
        "braking_impulse",
        "propulsive_impulse",
        "peak_braking_force",
        "braking_duration",
    )
    reference = slip_runs["treadmill +x z-up"][1]["braking"]
    mirrored = slip_runs["treadmill -x y-up"][1]["braking"]
    for name in names:
        np.testing.assert_allclose(
            values(mirrored, name), values(reference, name), rtol=1e-5
        )


def test_slip_landing_distance_end_to_end(slip_runs):
    """COP ahead of the COM at IC: L0·cos(alpha0) = 0.407 m at touchdown (METHODS §8.2),
    minus the forward travel of the COM relative to the foot between the true
    touchdown and the detected IC (20 N threshold overground, about 1 ms)."""
    run, results = slip_runs["overground -x y-up"]
    detected = np.array(
        [e.time_s for e in results["gait_events"].events if e.label == "Foot Strike"]
    )
    lag = detected - run.touchdown_s
    assert np.all((lag > 0) & (lag < 0.003))
    expected = run.gait.foot_ahead_at_touchdown_m - run.gait.touchdown_state[2] * lag
    assert run.gait.foot_ahead_at_touchdown_m == pytest.approx(0.407, abs=5e-4)
    np.testing.assert_allclose(
        values(results["braking"], "landing_distance_cop"), expected, atol=1e-3
    )


# ------------------------------------------------- overstriding, full-body runner


@pytest.fixture(scope="module")
def overstride_case(tmp_path_factory, spec):
    """Full-body runner, markers at 1 kHz, exact events (as user-edited events)
    and the true COM: isolates the plugin's geometry from event detection."""
    path = tmp_path_factory.mktemp("overstride") / "run.c3d"
    run = make_running_trial(
        path,
        treadmill=False,
        up="y",
        forward="-x",
        point_rate_hz=1000.0,
        analog_rate_hz=1000.0,
        foot_strike_angle_deg=8.0,
        lean_from_ankles_deg=3.0,
    )
    trial = read_c3d(run.path)
    trial.events = tuple(dataclasses.replace(e, origin="user") for e in trial.events)
    upstream = analyse_trial_object(trial, plugins=["gait_events", "body_mass"])
    com = Result()
    com.add_series("com", run.com_m, rate_hz=run.point_rate_hz)
    view = TrialView(trial, results={**upstream, "center_of_mass": com})
    return run, run_braking(spec, view)


def true_at_touchdown(run, name: str) -> np.ndarray:
    """A true point of the stance leg at each touchdown (linear in time)."""
    rows = []
    for side, time in zip(run.sides, run.touchdown_s, strict=True):
        points = getattr(run.points, f"{side[0].lower()}_{name}")
        rows.append([np.interp(time, run.frame_time_s, points[:, i]) for i in range(3)])
    return np.array(rows)


def test_full_body_runner_landing_distances(overstride_case):
    """(P - COM)·e_prog at IC equal the generator's truths.

    Tolerance 1 mm: the markers are interpolated linearly between 1 ms frames
    across the touchdown, where the ankle's velocity jumps.
    """
    run, result = overstride_case
    steps = run.steps
    assert len(values(result, "landing_distance_com")) == len(run.sides)
    np.testing.assert_allclose(
        values(result, "landing_distance_com"), steps.ajc_ahead_of_com_m, atol=1e-3
    )
    np.testing.assert_allclose(
        values(result, "landing_distance_heel"), steps.heel_ahead_of_com_m, atol=1e-3
    )
    np.testing.assert_allclose(
        values(result, "landing_distance_cop"), steps.cop_ahead_of_com_m, atol=1e-3
    )
    np.testing.assert_allclose(steps.cop_ahead_of_com_m, 0.407, atol=5e-4)  # SLIP §8.2
    e_forward = run.e_forward
    ajc = true_at_touchdown(run, "ajc")
    midh = np.array(
        [
            np.interp(run.touchdown_s, run.frame_time_s, run.points.midh[:, i])
            for i in range(3)
        ]
    ).T
    kjc = true_at_touchdown(run, "kjc")
    np.testing.assert_allclose(
        values(result, "landing_distance_hip"), (ajc - midh) @ e_forward, atol=1e-3
    )
    np.testing.assert_allclose(
        values(result, "landing_distance_knee"), (ajc - kjc) @ e_forward, atol=1e-3
    )


def test_full_body_runner_shank_angle(overstride_case):
    """Shank angle at IC = the generator's -θ(AJC→KJC), within 0.1° (METHODS §8.2)."""
    run, result = overstride_case
    np.testing.assert_allclose(
        values(result, "shank_angle_ic"), run.steps.shank_angle_deg, atol=0.1
    )


# ------------------------------------------------------- Fukuchi RBDS001 (§8.5)


def raw_force_trial(path: Path) -> Trial:
    """RBDS001 with the plate force as stored (ezc3d), without gaitlab's baseline."""
    trial = read_c3d(path)
    c3d = ezc3d.c3d(str(path), extract_forceplat_data=True)
    raw = np.asarray(c3d["data"]["platform"][0]["force"], dtype=float).T
    plate = trial.forceplates[0]
    assert raw.shape == plate.force.shape
    trial.forceplates = (dataclasses.replace(plate, force=raw),)
    return trial


@pytest.fixture(scope="module")
def rbds(shared_data):
    path = shared_data / RBDS
    imported = analyse_file(path, plugins=["braking"], params=REFERENCE_EVENTS)
    raw = analyse_trial_object(
        raw_force_trial(path), plugins=["braking"], params=REFERENCE_EVENTS
    )
    c3d = ezc3d.c3d(str(path), extract_forceplat_data=True)
    raw_force = np.asarray(c3d["data"]["platform"][0]["force"], dtype=float).T
    removed = np.median(raw_force - read_c3d(path).forceplates[0].force, axis=0)
    return imported, raw, removed


def test_rbds001_reference_conditions(rbds):
    """METHODS §8.5: braking -0.202, propulsive +0.207 N·s/kg, force-derived mass
    60.61 kg, 77 complete contacts (T_ev = 50 N, exit 25 N).

    The reference used the raw channels. gaitlab's importer removes the
    flight-phase baseline of every channel (2.7 N vertical, 1.4 N along +X),
    so this test restores the stored force (ezc3d) to reproduce the reference
    conditions: then the force-derived mass is the reference 60.61 kg and the
    impulses must match within ±0.5 % plus the rounding of the 3-decimal
    reference values (±0.0005 N·s/kg). The pelvis-facing progression is 2°
    off +X; it changes the impulses by < 0.1 %.
    """
    _, raw, _ = rbds
    assert raw["body_mass"].metric_values("body_mass")[0] == pytest.approx(
        60.61, abs=0.005
    )
    result = raw["braking"]
    braking = values(result, "braking_impulse")
    propulsive = values(result, "propulsive_impulse")
    assert len(braking) == 77
    assert np.mean(braking) == pytest.approx(-0.202, abs=0.005 * 0.202 + 0.0005)
    assert np.mean(propulsive) == pytest.approx(0.207, abs=0.005 * 0.207 + 0.0005)


def test_rbds001_with_gaitlab_baseline_removal(rbds):
    """The default import: mass 60.33 kg (2.7 N vertical baseline removed), and
    a constant AP offset δ removed (1.4 N). In N·s the impulses differ from the
    reference (times 60.61 kg) by at most |δ|·t_c (a constant offset changes any part
    of a stance integral by at most |δ| times the contact time) plus 0.5 %.
    """
    imported, _, removed = rbds
    mass = imported["body_mass"].metric_values("body_mass")[0]
    assert mass == pytest.approx(60.33, abs=0.01)
    assert mass == pytest.approx(60.61 - removed[1] / G, abs=0.01)
    result = imported["braking"]
    offset_bound = abs(removed[0]) * 0.2765  # |δ_AP| times the mean contact time (§8.5)
    for name, reference in (("braking_impulse", -0.202), ("propulsive_impulse", 0.207)):
        measured_n_s = np.mean(values(result, name)) * mass
        reference_n_s = reference * 60.61
        assert abs(measured_n_s - reference_n_s) <= offset_bound + 0.005 * abs(
            reference_n_s
        )
    # braking before propulsion and a mean AP impulse near zero on a treadmill (§8.6)
    assert np.mean(values(result, "braking_duration")) < 0.5 * 0.2765 + 0.01
    assert abs(np.mean(values(result, "net_impulse"))) < 0.01
