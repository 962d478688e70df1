"""METHODS §1.10 force-plate cases: exact channels, and ezc3d reading the C3D files."""

from __future__ import annotations

import ezc3d
import numpy as np
import pytest

from gaitlab.synth.forceplate_cases import (
    CASE_NAMES,
    REFERENCE_LOAD,
    make_case,
    write_all_cases,
)

# METHODS §1.10: what a reader returns for the reference load, lab frame.
FORCE_LAB_N = np.array([-150.0, -80.0, -1500.0])
COP_LAB_MM = np.array([1031.0, 552.0, 0.0])
TZ_LAB_NMM = np.array([0.0, 0.0, -4200.0])

VARYING = np.linspace(0.5, 1.5, 100)


def _reconstruct(case, scale=1000.0):
    """Independent reading of the channels, METHODS §1.3-1.4 (plate frame, SI)."""
    channels = case.channels
    origin = case.plate.origin_m
    if case.plate.plate_type == 3:
        a, b, az0 = origin
        fx12, fx34, fy14, fy23, fz1, fz2, fz3, fz4 = channels.T
        force = np.column_stack([fx12 + fx34, fy14 + fy23, fz1 + fz2 + fz3 + fz4])
        moment = np.column_stack(
            [
                b * (fz1 + fz2 - fz3 - fz4),
                a * (-fz1 + fz2 + fz3 - fz4),
                b * (-fx12 + fx34) + a * (fy14 - fy23),
            ]
        )
        r = np.array([0.0, 0.0, az0])
    else:
        wrench = (
            channels @ case.plate.cal_matrix.T
            if case.plate.plate_type == 4
            else channels
        )
        force, moment = wrench[:, :3], wrench[:, 3:] / scale
        r = -origin if origin[2] > 0 else origin
    moment_c = moment + np.cross(force, r)
    x_cop = -moment_c[:, 1] / force[:, 2]
    y_cop = moment_c[:, 0] / force[:, 2]
    tz = moment_c[:, 2] - x_cop * force[:, 1] + y_cop * force[:, 0]
    return force, np.column_stack([x_cop, y_cop]), tz


@pytest.mark.parametrize("name", CASE_NAMES)
@pytest.mark.parametrize("profile", [None, VARYING])
def test_channels_give_back_the_load(name, profile):
    case = make_case(name, profile=profile)
    force, cop, tz = _reconstruct(case)
    scale = np.ones(100) if profile is None else profile
    np.testing.assert_allclose(
        force, scale[:, None] * REFERENCE_LOAD.force_n, rtol=1e-9
    )
    np.testing.assert_allclose(cop, np.tile(REFERENCE_LOAD.cop_m, (100, 1)), rtol=1e-9)
    np.testing.assert_allclose(tz, scale * REFERENCE_LOAD.free_moment_n_m, rtol=1e-9)


def test_expected_answer_is_the_methods_one():
    expected = make_case("type2", profile=VARYING).expected
    np.testing.assert_allclose(expected.force_lab_n, VARYING[:, None] * FORCE_LAB_N)
    np.testing.assert_allclose(expected.cop_lab_m, np.tile(COP_LAB_MM / 1000, (100, 1)))
    np.testing.assert_allclose(
        expected.free_moment_lab_n_m, VARYING[:, None] * TZ_LAB_NMM / 1000
    )
    np.testing.assert_allclose(expected.grf_up_n, 1500.0 * VARYING)
    np.testing.assert_allclose(expected.free_moment_up_n_m, 4.2 * VARYING)


@pytest.mark.parametrize("profile", [None, VARYING])
def test_ezc3d_returns_the_methods_numbers(tmp_path, profile):
    scale = np.ones(100) if profile is None else profile
    for name, (path, case) in write_all_cases(tmp_path, profile=profile).items():
        platform = ezc3d.c3d(str(path), extract_forceplat_data=True)["data"]["platform"]
        assert len(platform) == 1, name
        plate = platform[0]
        assert (plate["unit_force"], plate["unit_moment"]) == ("N", "Nmm")
        # float32 storage: relative error ~1e-7
        np.testing.assert_allclose(
            plate["force"].T, scale[:, None] * FORCE_LAB_N, atol=2e-3, err_msg=name
        )
        np.testing.assert_allclose(
            plate["center_of_pressure"].T, np.tile(COP_LAB_MM, (100, 1)), atol=1e-3
        )
        np.testing.assert_allclose(
            plate["Tz"].T, scale[:, None] * TZ_LAB_NMM, atol=1e-2, err_msg=name
        )
        np.testing.assert_allclose(
            plate["force"].T, case.expected.force_lab_n, atol=2e-3, err_msg=name
        )


def test_metre_files(tmp_path):
    for name, (path, _) in write_all_cases(tmp_path, point_units="m").items():
        plate = ezc3d.c3d(str(path), extract_forceplat_data=True)["data"]["platform"][0]
        assert plate["unit_moment"] == "Nm"
        np.testing.assert_allclose(
            plate["center_of_pressure"][:, 0], COP_LAB_MM / 1000, atol=1e-6
        )
        np.testing.assert_allclose(
            plate["Tz"][:, 0], TZ_LAB_NMM / 1000, atol=1e-5, err_msg=name
        )


def test_stored_plate_parameters(tmp_path):
    written = write_all_cases(tmp_path)

    def parameter(name, key):
        reader = ezc3d.c3d(str(written[name][0]))
        return reader["parameters"]["FORCE_PLATFORM"][key]["value"]

    np.testing.assert_allclose(
        parameter("type2", "ORIGIN")[:, 0], [4.0, -6.0, -41.0], rtol=1e-6
    )
    np.testing.assert_allclose(
        parameter("type2_positive_origin", "ORIGIN")[:, 0], [-4.0, 6.0, 41.0], rtol=1e-6
    )
    np.testing.assert_allclose(
        parameter("type3", "ORIGIN")[:, 0], [210.0, 350.0, -53.0], rtol=1e-6
    )
    cal = parameter("type4", "CAL_MATRIX")[:, :, 0]
    np.testing.assert_allclose(cal, written["type4"][1].plate.cal_matrix, rtol=1e-6)
    assert not np.allclose(cal, cal.T)
    assert np.count_nonzero(cal - np.diag(np.diag(cal))) == 30
    np.testing.assert_array_equal(parameter("type3", "TYPE"), [3])
    # Plate y = -lab Y, z = -lab Z: corner 1 (+x+y) at lab (1.25, 0.1, 0) m.
    np.testing.assert_allclose(
        parameter("type2", "CORNERS")[:, 0, 0], [1250.0, 100.0, 0.0]
    )


def test_unknown_case_name():
    with pytest.raises(ValueError, match="type5"):
        make_case("type5")
