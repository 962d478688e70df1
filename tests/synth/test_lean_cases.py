"""Analytic lean cases of METHODS §8.3 (cases 3 and 6)."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab.synth.lean_cases import constant_acceleration, falling_pendulum

G = 9.81


def _sagittal(vector: np.ndarray, case) -> tuple[np.ndarray, np.ndarray]:
    return vector @ case.e_forward, vector @ case.e_up


@pytest.mark.parametrize(("a", "published"), [(1.0, 5.8), (3.0, 17.0), (5.0, 27.0)])
@pytest.mark.parametrize(("up", "forward"), [("z", "+x"), ("y", "-x")])
def test_constant_acceleration_force_weighted_lean(
    a: float, published: float, up: str, forward: str
) -> None:
    case = constant_acceleration(a, up=up, forward=forward)
    _, fz = _sagittal(case.grf_n, case)
    dx, dz = _sagittal(case.com_m - case.cop_m, case)
    lean = np.arctan2(dx, dz)
    weighted = np.degrees(np.arctan(np.sum(fz * np.tan(lean)) / np.sum(fz)))
    assert weighted == pytest.approx(published, abs=0.05)
    np.testing.assert_allclose(np.degrees(lean), case.lean_deg, atol=1e-12)
    # Newton: the COM's second difference is GRF/m - g, exactly (a quadratic path)
    dt = case.time_s[1] - case.time_s[0]
    acceleration = np.diff(case.com_m, 2, axis=0) / dt**2
    expected = case.grf_n[1:-1] / case.mass_kg - G * case.e_up
    np.testing.assert_allclose(acceleration, expected, atol=1e-6)
    np.testing.assert_allclose(case.cop_m @ case.e_up, 0.0, atol=1e-12)


@pytest.mark.parametrize(("up", "forward"), [("z", "+y"), ("y", "-x")])
def test_falling_pendulum_grf_points_along_the_rod(up: str, forward: str) -> None:
    case = falling_pendulum(up=up, forward=forward)
    assert case.time_s.size == 401
    assert case.time_s[-1] == pytest.approx(0.4)
    fx, fz = _sagittal(case.grf_n, case)
    dx, dz = _sagittal(case.com_m - case.cop_m, case)
    assert fz.min() > 0.0
    np.testing.assert_array_less(np.abs(np.arctan2(fx, fz) - np.arctan2(dx, dz)), 1e-6)
    np.testing.assert_allclose(np.hypot(dx, dz), 1.0, atol=1e-12)
    assert np.degrees(np.arctan2(dx[0], dz[0])) == pytest.approx(5.0, abs=1e-9)
    # energy of the falling mass is conserved: g·z + v²/2 = g·L·cos θ0
    dt = case.time_s[1] - case.time_s[0]
    velocity = np.gradient(case.com_m, dt, axis=0, edge_order=2)
    energy = G * dz + 0.5 * np.sum(velocity**2, axis=1)
    np.testing.assert_allclose(energy, G * np.cos(np.radians(5.0)), atol=1e-4)
    # Newton, with finite differences of the COM path (O(dt²) error)
    acceleration = np.diff(case.com_m, 2, axis=0) / dt**2
    expected = case.grf_n[1:-1] / case.mass_kg - G * case.e_up
    np.testing.assert_allclose(acceleration, expected, atol=1e-3)
    # the forward acceleration is (g + a_up)·tan θ, larger than g·tan θ
    a_forward, a_up = _sagittal(acceleration, case)
    tan = dx[1:-1] / dz[1:-1]
    np.testing.assert_allclose(a_forward, (G + a_up) * tan, atol=1e-3)
    assert np.all(a_forward[100:] < G * tan[100:] - 1e-3)
