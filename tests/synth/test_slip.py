"""SLIP running reference (METHODS §8.2) and the synthetic running C3D trial."""

from __future__ import annotations

import ezc3d
import numpy as np
import pytest

from gaitlab.synth.running import MARKER_LABELS, make_running_trial
from gaitlab.synth.slip import SlipParameters, simulate_steps, solve_periodic_gait

G = 9.81
MASS = 70.0
BW = MASS * G


def _table(value: float, decimals: int) -> dict:
    """Tolerance of a table entry: half a unit of its last printed digit."""
    return {"expected": value, "abs": 0.5 * 10.0**-decimals}


@pytest.fixture(scope="module")
def gait():
    return solve_periodic_gait()


@pytest.fixture(scope="module")
def series():
    return simulate_steps(6, 1000.0)


def _check(measured, value, decimals):
    tolerance = _table(value, decimals)
    assert measured == pytest.approx(tolerance["expected"], abs=tolerance["abs"])


# ---- §8.2 table, from the periodic solution


def test_touchdown_and_velocities(gait):
    assert np.degrees(gait.touchdown_angle_rad) == pytest.approx(65.98, abs=0.1)
    _check(np.degrees(gait.touchdown_angle_rad), 65.98, 2)
    _check(gait.touchdown_state[2], 3.597, 3)
    _check(gait.min_horizontal_velocity_m_s, 3.321, 3)
    _check(gait.touchdown_state[3], -0.5396, 4)


def test_temporal_and_spatial(gait):
    _check(gait.contact_time_s, 0.2356, 4)
    _check(gait.step_frequency_hz, 2.893, 3)
    _check(60.0 * gait.step_frequency_hz, 173.6, 1)
    _check(gait.duty_factor, 0.341, 3)
    _check(gait.step_length_m, 1.210, 3)
    _check(gait.contact_length_m, 0.814, 3)
    _check(gait.foot_ahead_at_touchdown_m, 0.407, 3)


def test_forces_and_impulses(gait):
    _check(gait.peak_vertical_grf_n / BW, 2.348, 3)
    _check(gait.peak_braking_grf_n / BW, -0.369, 3)
    _check(gait.peak_propulsive_grf_n / BW, 0.369, 3)
    assert gait.braking_impulse_n_s / MASS == pytest.approx(-0.2757, rel=0.005)
    assert gait.propulsive_impulse_n_s / MASS == pytest.approx(0.2757, rel=0.005)
    _check(gait.braking_impulse_n_s / MASS, -0.2757, 4)


def test_compression_stiffness_and_lean(gait):
    _check(gait.com_drop_m, 0.0600, 4)
    _check(gait.max_leg_compression_m, 0.1466, 4)
    assert gait.peak_vertical_grf_n / gait.com_drop_m == pytest.approx(26880, rel=0.01)
    assert gait.touchdown_lean_deg == pytest.approx(-24.0, abs=0.1)
    assert gait.liftoff_lean_deg == pytest.approx(24.0, abs=0.1)


def test_gait_is_symmetric_and_has_the_target_speed(gait):
    td, lo = gait.touchdown_state, gait.liftoff_state
    np.testing.assert_allclose(lo, [-td[0], td[1], td[2], -td[3]], atol=1e-8)
    assert gait.step_length_m / gait.step_time_s == pytest.approx(3.5, rel=1e-9)


def test_other_speed_converges():
    gait = solve_periodic_gait(SlipParameters(speed_m_s=5.0, flight_time_s=0.12))
    assert gait.step_length_m / gait.step_time_s == pytest.approx(5.0, rel=1e-9)
    assert gait.liftoff_state[3] == pytest.approx(-gait.touchdown_state[3], abs=1e-8)


# ---- §8.2 from the sampled time series


@pytest.mark.parametrize("fs", [150.0, 1000.0])
def test_contacts_within_one_sample(fs):
    series = simulate_steps(5, fs)
    onsets = np.flatnonzero(np.diff(series.contact.astype(int)) == 1) + 1
    offsets = np.flatnonzero(np.diff(series.contact.astype(int)) == -1) + 1
    assert onsets.size == offsets.size == 5
    np.testing.assert_array_less(
        np.abs(series.time_s[onsets] - series.touchdown_s), 1 / fs
    )
    np.testing.assert_array_less(
        np.abs(series.time_s[offsets] - series.liftoff_s), 1 / fs
    )
    contact_time = (offsets - onsets) / fs
    np.testing.assert_array_less(np.abs(contact_time - 0.2356), 1 / fs + 5e-5)
    assert not series.grf_n[~series.contact].any()
    assert series.grf_n[onsets + 1, 1].min() > 0


def test_series_impulses(series):
    dt = 1.0 / series.rate_hz
    fx = series.grf_n[:, 0]
    n_steps = series.touchdown_s.size
    braking = np.trapezoid(np.minimum(fx, 0.0), dx=dt) / n_steps / MASS
    propulsive = np.trapezoid(np.maximum(fx, 0.0), dx=dt) / n_steps / MASS
    assert braking == pytest.approx(-0.2757, rel=0.005)
    assert propulsive == pytest.approx(0.2757, rel=0.005)
    vertical = np.trapezoid(series.grf_n[:, 1], dx=dt)
    duration = n_steps * series.gait.step_time_s
    assert vertical / (BW * duration) == pytest.approx(1.0, rel=0.005)


def test_series_obeys_newton(series):
    dt = 1.0 / series.rate_hz
    acceleration = np.gradient(series.com_velocity_m_s, dt, axis=0)
    expected = series.grf_n / MASS - (0.0, G)
    # central differences: error ~ jerk·dt at touchdown and lift-off
    np.testing.assert_allclose(acceleration[1:-1], expected[1:-1], atol=0.1)
    velocity = np.gradient(series.com_position_m, dt, axis=0)
    np.testing.assert_allclose(velocity[1:-1], series.com_velocity_m_s[1:-1], atol=1e-3)


def test_series_stiffness(series):
    stance = series.contact & (series.time_s < series.liftoff_s[0])
    y = series.com_position_m[stance, 1]
    drop = y[0] - y.min()
    f_max = series.grf_n[stance, 1].max()
    assert f_max / drop == pytest.approx(26880, rel=0.01)
    contact_time = stance.sum() / series.rate_hz
    for speed, k_leg in [
        (series.com_velocity_m_s[stance, 0].mean(), 11000),
        (3.5, 10823),
    ]:
        half_sweep = np.arcsin(speed * contact_time / 2.0)
        assert f_max / (drop + 1.0 - np.cos(half_sweep)) == pytest.approx(
            k_leg, rel=0.01
        )


def test_series_geometry(series):
    gait = series.gait
    assert series.com_position_m[0, 0] == 0.0
    np.testing.assert_allclose(np.diff(series.foot_position_m), gait.step_length_m)
    np.testing.assert_allclose(np.diff(series.touchdown_s), gait.step_time_s)
    at_contact = series.contact
    step = np.searchsorted(series.touchdown_s, series.time_s[at_contact], "right") - 1
    offset = series.com_position_m[at_contact, 0] - series.foot_position_m[step]
    leg = np.hypot(offset, series.com_position_m[at_contact, 1])
    assert leg.max() <= 1.0 + 1e-9
    lean = np.degrees(np.arctan2(offset, series.com_position_m[at_contact, 1]))
    assert np.abs(lean).max() <= 24.02


# ---- the running trial written as C3D (gaitlab.synth.running)


@pytest.mark.parametrize("treadmill", [True, False])
@pytest.mark.parametrize(("up", "forward"), [("z", "+x"), ("y", "-x")])
def test_running_trial_reads_back(tmp_path, treadmill, up, forward):
    run = make_running_trial(
        tmp_path / "run.c3d", n_steps=4, treadmill=treadmill, up=up, forward=forward
    )
    reader = ezc3d.c3d(str(run.path), extract_forceplat_data=True)
    parameters = reader["parameters"]
    assert parameters["POINT"]["LABELS"]["value"] == list(MARKER_LABELS)
    assert parameters["POINT"]["RATE"]["value"][0] == 200.0
    assert parameters["ANALOG"]["RATE"]["value"][0] == 1000.0
    points = reader["data"]["points"][:3].transpose(2, 1, 0) / 1000.0
    np.testing.assert_allclose(points, run.markers_m, atol=1e-6)
    analogs = reader["data"]["analogs"][0].T
    np.testing.assert_allclose(
        analogs, run.analogs, atol=1e-6 * np.abs(run.analogs).max()
    )
    assert analogs.shape[0] == 5 * points.shape[0]

    platforms = reader["data"]["platform"]
    assert len(platforms) == (1 if treadmill else 4)
    force = sum(plate["force"].T for plate in platforms)
    np.testing.assert_allclose(force, -run.grf_n, atol=2e-3)
    for plate in platforms:
        loaded = -plate["force"].T @ run.e_up > 50.0
        cop = plate["center_of_pressure"].T[loaded] / 1000.0
        np.testing.assert_allclose(cop, run.cop_m[loaded], atol=1e-6)

    assert parameters["EVENT"]["USED"]["value"][0] == 8
    assert parameters["EVENT"]["LABELS"]["value"][:2] == ["Foot Strike", "Foot Off"]
    assert parameters["EVENT"]["CONTEXTS"]["value"][:3] == ["Right", "Right", "Left"]
    assert parameters["SUBJECTS"]["NAMES"]["value"] == ["SLIP01"]
    assert parameters["PROCESSING"]["Bodymass"]["value"][0] == 70.0


def test_running_trial_answers(tmp_path):
    run = make_running_trial(
        tmp_path / "run.c3d", treadmill=False, up="y", forward="-x"
    )
    assert run.sides == ("Right", "Left") * 4
    np.testing.assert_allclose(run.contact_time_s, 0.2356, atol=5e-5)
    np.testing.assert_allclose(run.step_time_s, 1 / 2.893, atol=1e-4)
    assert run.peak_vertical_grf_n / BW == pytest.approx(2.348, abs=5e-4)
    assert run.grf_n[:, 1].max() == pytest.approx(run.peak_vertical_grf_n, rel=1e-3)
    assert np.abs(run.grf_n[:, 2]).max() == 0.0
    assert run.braking_impulse_n_s / MASS == pytest.approx(-0.2757, rel=0.005)
    np.testing.assert_allclose(run.e_forward, [-1.0, 0.0, 0.0])

    # default posture: upright from the ankles, trunk bent 5° at the waist
    trunk = run.points.mids - run.points.midh
    lean = np.degrees(np.arctan2(trunk @ run.e_forward, trunk @ run.e_up))
    np.testing.assert_allclose(lean, 5.0, atol=1e-9)
    assert run.trunk_lean_deg == 5.0

    # Overground, the stance foot stays put once flat; the COM travels forward.
    labels = list(run.marker_labels)
    frame_time = run.frame_time_s
    first = (frame_time >= run.touchdown_s[0] + 0.05) & (
        frame_time < run.liftoff_s[0] - 0.08
    )
    heel = run.markers_m[first, labels.index("RHEE")]
    np.testing.assert_allclose(heel - heel[0], 0.0, atol=1e-12)
    assert 0.0 < heel[0] @ run.e_up < 0.06
    travel = (run.com_m[-1] - run.com_m[0]) @ run.e_forward
    assert travel / frame_time[-1] == pytest.approx(3.5, rel=0.05)


def test_treadmill_removes_forward_motion(tmp_path):
    run = make_running_trial(tmp_path / "tm.c3d", noise_n=5.0, seed=3)
    forward = run.com_m @ run.e_forward
    assert abs(forward.mean()) < 1e-6
    assert np.ptp(forward) < 0.1
    stance = ~np.isnan(run.cop_m[:, 0])
    belt = np.diff(run.cop_m @ run.e_forward) * run.analog_rate_hz
    np.testing.assert_allclose(belt[stance[1:] & stance[:-1]], -3.5, rtol=1e-9)
    again = make_running_trial(tmp_path / "tm2.c3d", noise_n=5.0, seed=3)
    np.testing.assert_array_equal(run.analogs, again.analogs)
    clean = make_running_trial(tmp_path / "tm3.c3d")
    noise = (run.analogs - clean.analogs) @ run.plates[0].cal_matrix.T
    assert noise[:, :3].std() == pytest.approx(5.0, rel=0.1)


def test_running_trial_rejects_bad_frames(tmp_path):
    with pytest.raises(ValueError, match="horizontal"):
        make_running_trial(tmp_path / "x.c3d", up="y", forward="+y")
    with pytest.raises(ValueError, match="integer multiple"):
        make_running_trial(
            tmp_path / "x.c3d", point_rate_hz=300.0, analog_rate_hz=1000.0
        )


def test_states_at_extends_the_series_periodically(series):
    states = series.states_at(series.time_s)
    np.testing.assert_allclose(states[:, :2], series.com_position_m, atol=1e-12)
    np.testing.assert_allclose(states[:, 2:], series.com_velocity_m_s, atol=1e-12)
    gait = series.gait
    later = series.states_at(series.time_s + 3 * gait.step_time_s)
    np.testing.assert_allclose(later[:, 0] - states[:, 0], 3 * gait.step_length_m)
    np.testing.assert_allclose(later[:, 1:], states[:, 1:], atol=1e-9)
    before = series.states_at([series.touchdown_s[0] - gait.step_time_s])
    np.testing.assert_allclose(
        before[0, :2],
        np.array([series.foot_position_m[0] - gait.step_length_m, 0.0])
        + gait.touchdown_state[:2],
        atol=1e-9,
    )
