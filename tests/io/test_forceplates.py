"""Force-plate reconstruction (METHODS §1.3-1.6) against analytic loads.

The channels are built here from a known load by the inverse of §1.3-1.4,
derived independently of gaitlab.io.forceplates, for every plate type.
"""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab.io.forceplates import (
    PlateDefinition,
    compute_forceplate,
    cop_threshold_n,
    plate_rotation,
    wrench_in_plate_frame,
)

FORCE = np.array([-150.0, 80.0, 1500.0])  # N, on the plate, plate frame (z down)
COP = np.array([0.031, -0.052])  # m from the surface centre
TZ = 4.2  # N·m
ORIGIN = np.array([0.002, -0.001, -0.040])  # m, from O to the surface centre
A, B, AZ0 = 0.210, 0.350, -0.053  # Kistler geometry, m
# plate rotated in the lab: plate x = lab X, plate y = -lab Y, plate z = -lab Z
CORNERS = np.array([[1.2, 0.3, 0.0], [0.8, 0.3, 0.0], [0.8, 0.7, 0.0], [1.2, 0.7, 0.0]])


def _moment_about_origin(origin: np.ndarray) -> np.ndarray:
    """M_O such that the load acts at COP with free moment TZ (surface at origin)."""
    r_cop = np.array([COP[0], COP[1], 0.0])  # from C
    moment_c = np.cross(r_cop, FORCE) + np.array([0.0, 0.0, TZ])
    # M_C = M_O + F x r  =>  M_O = M_C - F x r, r = vector O -> C
    return moment_c - np.cross(FORCE, origin)


def _channels(plate_type: int, cal: np.ndarray | None = None) -> np.ndarray:
    if plate_type == 2:
        row = np.concatenate([FORCE, _moment_about_origin(ORIGIN)])
    elif plate_type == 4:
        assert cal is not None
        row = np.linalg.solve(
            cal, np.concatenate([FORCE, _moment_about_origin(ORIGIN)])
        )
    elif plate_type == 3:
        mx, my, mz = _moment_about_origin(np.array([0.0, 0.0, AZ0]))
        # split: fz1+fz2+fz3+fz4 = Fz ; b(fz1+fz2-fz3-fz4) = Mx ; a(-fz1+fz2+fz3-fz4) = My
        # choose fz1 - fz2 + fz3 - fz4 = 0 for a unique solution
        system = np.array(
            [[1, 1, 1, 1], [B, B, -B, -B], [-A, A, A, -A], [1, -1, 1, -1]]
        )
        fz = np.linalg.solve(system, [FORCE[2], mx, my, 0.0])
        # fx12 + fx34 = Fx ; fy14 + fy23 = Fy ; b(-fx12 + fx34) + a(fy14 - fy23) = Mz
        fx34 = (FORCE[0] + mz / B) / 2
        fx12 = FORCE[0] - fx34
        fy14 = fy23 = FORCE[1] / 2
        row = np.array([fx12, fx34, fy14, fy23, *fz])
    else:  # type 1: Fx, Fy, Fz, COPx, COPy, Tz
        row = np.array([*FORCE, *COP, TZ])
    return np.tile(row, (5, 1))


def _definition(
    plate_type: int, origin: np.ndarray | None = None, cal: np.ndarray | None = None
) -> PlateDefinition:
    if origin is None:
        origin = np.array([A, B, AZ0]) if plate_type == 3 else ORIGIN
    n = 8 if plate_type == 3 else 6
    return PlateDefinition(
        plate_type=plate_type,
        channels=np.arange(n),
        corners_m=CORNERS,
        origin_m=origin,
        cal_matrix=cal,
    )


CAL = np.array(
    [
        [500.0, 3.0, -2.0, 0.0, 1.0, 0.0],
        [2.0, 498.0, 4.0, 1.0, 0.0, -1.0],
        [-1.0, 2.0, 1000.0, 0.0, 0.0, 2.0],
        [0.5, 0.0, 1.0, 800.0, 4.0, 0.0],
        [0.0, 0.5, -1.0, 3.0, 250.0, 1.0],
        [1.0, 0.0, 0.0, 0.0, 2.0, 400.0],
    ]
)

CASES = {
    "type1": (1, None, None),
    "type2": (2, None, None),
    "type3": (3, None, None),
    "type4": (4, None, CAL),
    "type2-mis-signed-origin": (2, -ORIGIN, None),
}


def _lab_plate(
    definition: PlateDefinition, channels: np.ndarray, rate_hz: float = 1000.0
):
    """compute_forceplate with one sample per frame and +Z up."""
    return compute_forceplate(
        definition,
        channels,
        rate_hz=rate_hz,
        t0_s=0.0,
        frames_to_samples=1.0,
        up_axis=np.array([0.0, 0.0, 1.0]),
    )


@pytest.mark.parametrize("case", list(CASES))
def test_plate_frame_round_trip(case: str) -> None:
    plate_type, stored_origin, cal = CASES[case]
    definition = _definition(plate_type, stored_origin, cal)
    force, _, cop, free_moment, notes = wrench_in_plate_frame(
        definition, _channels(plate_type, cal)
    )
    np.testing.assert_allclose(force, np.tile(FORCE, (5, 1)), rtol=1e-9)
    np.testing.assert_allclose(cop, np.tile(COP, (5, 1)), rtol=1e-9)
    np.testing.assert_allclose(free_moment, TZ, rtol=1e-9)
    assert bool(notes) == (case == "type2-mis-signed-origin")


def test_kistler_origin_repair_flips_z_only() -> None:
    definition = _definition(3, np.array([A, B, -AZ0]))
    _, _, cop, _, notes = wrench_in_plate_frame(definition, _channels(3))
    np.testing.assert_allclose(cop, np.tile(COP, (5, 1)), rtol=1e-9)
    assert "ORIGIN z was positive" in notes[0]


@pytest.mark.parametrize("case", list(CASES))
def test_lab_frame_and_subject_sign(case: str) -> None:
    """METHODS §1.10: F on the subject (150, 80, 1500) N in the lab, COP, Tz."""
    plate_type, stored_origin, cal = CASES[case]
    plate = _lab_plate(
        _definition(plate_type, stored_origin, cal), _channels(plate_type, cal)
    )
    assert plate.sign == -1
    np.testing.assert_allclose(plate.force[0], [150.0, 80.0, 1500.0], rtol=1e-9)
    np.testing.assert_allclose(plate.cop[0], [1.031, 0.552, 0.0], rtol=1e-9)
    np.testing.assert_allclose(plate.free_moment, 4.2, rtol=1e-9)


def test_cop_is_nan_below_threshold() -> None:
    channels = _channels(2)
    channels[2:] *= 20.0 / FORCE[2]  # vertical force of 20 N from sample 2 on
    plate = compute_forceplate(
        _definition(2),
        channels,
        rate_hz=1000.0,
        t0_s=0.0,
        frames_to_samples=1.0,
        up_axis=np.array([0.0, 0.0, 1.0]),
    )
    assert np.isfinite(plate.cop[:2]).all()
    assert np.isnan(plate.cop[2:]).all()
    assert np.isnan(plate.free_moment[2:]).all()


def test_zero_range_baseline_is_removed_when_unloaded() -> None:
    load = _channels(2)[0]
    offset = np.array([3.0, -2.0, 12.0, 0.5, -0.4, 0.1])
    channels = np.vstack([np.zeros((20, 6)), np.tile(load, (20, 1))]) + offset
    definition = _definition(2)
    definition.zero_frames = (1, 10)
    plate = compute_forceplate(
        definition,
        channels,
        rate_hz=100.0,
        t0_s=0.0,
        frames_to_samples=1.0,
        up_axis=np.array([0.0, 0.0, 1.0]),
    )
    np.testing.assert_allclose(plate.force[-1], [150.0, 80.0, 1500.0], rtol=1e-9)
    np.testing.assert_allclose(plate.cop[-1], [1.031, 0.552, 0.0], rtol=1e-9)
    assert any("ZERO frames 1-10" in note for note in plate.notes)


def test_zero_range_is_kept_when_loaded() -> None:
    """A subject standing in the ZERO range must not be subtracted (§1.1)."""
    load = _channels(2)[0]
    channels = np.vstack([np.tile(load, (30, 1)), np.zeros((30, 6))])
    definition = _definition(2)
    definition.zero_frames = (1, 10)
    plate = compute_forceplate(
        definition,
        channels,
        rate_hz=100.0,
        t0_s=0.0,
        frames_to_samples=1.0,
        up_axis=np.array([0.0, 0.0, 1.0]),
    )
    np.testing.assert_allclose(plate.force[0], [150.0, 80.0, 1500.0], rtol=1e-9)
    assert any("no baseline was removed" in note for note in plate.notes)


def test_constant_offset_without_zero_range_is_removed() -> None:
    load = _channels(2)[0]
    offset = np.array([1.0, 2.0, -200.0, 3.0, -2.0, 0.2])
    channels = (
        np.vstack([np.zeros((100, 6)), np.tile(load, (30, 1)), np.zeros((100, 6))])
        + offset
    )
    plate = compute_forceplate(
        _definition(2),
        channels,
        rate_hz=100.0,
        t0_s=0.0,
        frames_to_samples=1.0,
        up_axis=np.array([0.0, 0.0, 1.0]),
    )
    np.testing.assert_allclose(plate.force[110], [150.0, 80.0, 1500.0], rtol=1e-9)
    np.testing.assert_allclose(plate.cop[110], [1.031, 0.552, 0.0], rtol=1e-9)


def test_rotation_from_corners() -> None:
    rotation, centre = plate_rotation(CORNERS)
    np.testing.assert_allclose(rotation, np.diag([1.0, -1.0, -1.0]), atol=1e-12)
    np.testing.assert_allclose(centre, [1.0, 0.5, 0.0])


def test_cop_threshold() -> None:
    assert cop_threshold_n(None) == 50.0
    assert cop_threshold_n(60.0) == 50.0
    assert cop_threshold_n(120.0) == pytest.approx(0.05 * 120 * 9.81)
