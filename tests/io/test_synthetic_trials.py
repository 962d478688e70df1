"""Known-answer C3D files written by gaitlab.synth, read back through read_c3d.

METHODS §1.10 item 2 (plates rotated in the lab, types 2, 3, 4 and a
mis-signed ORIGIN), and spring-mass running trials in four lab frames.

C3D stores numbers as float32, so values that pass through a file agree to
float32 precision (relative ~1e-7); the 1e-9 relative checks of §1.10 item 1
are made on the plate computation itself in test_forceplates.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlab.io.c3d import read_c3d
from gaitlab.synth.forceplate_cases import CASE_NAMES, write_all_cases
from gaitlab.synth.running import make_running_trial

FLOAT32_RTOL = 1e-6


@pytest.fixture(scope="module")
def plate_cases(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("cases")
    profile = np.concatenate([np.linspace(0.2, 1.0, 50), np.linspace(1.0, 0.5, 50)])
    return write_all_cases(folder, profile=profile)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_methods_1_10_plate_cases(plate_cases: dict, name: str) -> None:
    path, case = plate_cases[name]
    trial = read_c3d(path)
    np.testing.assert_array_equal(trial.up_axis, [0.0, 0.0, 1.0])
    (plate,) = trial.forceplates
    assert plate.sign == -1  # channels follow the C3D convention: load on the plate
    expected = case.expected
    np.testing.assert_allclose(
        plate.force, -expected.force_lab_n, rtol=FLOAT32_RTOL, atol=1e-4
    )
    np.testing.assert_allclose(
        plate.cop, expected.cop_lab_m, rtol=FLOAT32_RTOL, atol=1e-7
    )
    np.testing.assert_allclose(
        plate.free_moment, expected.free_moment_up_n_m, rtol=FLOAT32_RTOL, atol=1e-6
    )
    peak = int(np.argmax(plate.force[:, 2]))
    np.testing.assert_allclose(
        plate.force[peak], [150.0, 80.0, 1500.0], rtol=FLOAT32_RTOL
    )
    np.testing.assert_allclose(
        plate.cop[peak], [1.031, 0.552, 0.0], rtol=FLOAT32_RTOL, atol=1e-7
    )
    np.testing.assert_allclose(plate.free_moment[peak], 4.2, rtol=FLOAT32_RTOL)
    assert any("ORIGIN z was positive" in n for n in plate.notes) == (
        name == "type2_positive_origin"
    )


@pytest.mark.parametrize(
    ("treadmill", "up", "forward"),
    [(True, "z", "+x"), (True, "y", "-x"), (False, "z", "-y"), (False, "y", "+z")],
)
def test_running_trial_in_any_lab_frame(
    tmp_path: Path, treadmill: bool, up: str, forward: str
) -> None:
    run = make_running_trial(
        tmp_path / "run.c3d",
        n_steps=6,
        treadmill=treadmill,
        up=up,
        forward=forward,
        mass_kg=64.0,
    )
    trial = read_c3d(run.path)
    np.testing.assert_array_equal(trial.up_axis, run.e_up)
    assert trial.subject is not None
    assert trial.subject.mass_kg == pytest.approx(64.0)
    assert trial.markers.labels == run.marker_labels
    np.testing.assert_allclose(trial.markers.data, run.markers_m, atol=1e-6)
    total = sum(p.force for p in trial.forceplates)
    np.testing.assert_allclose(total, run.grf_n, atol=1e-3 * run.peak_vertical_grf_n)
    vertical = total @ trial.up_axis
    assert vertical.max() == pytest.approx(run.peak_vertical_grf_n, rel=1e-4)
    # whole steps, mid-flight to mid-flight: mean vertical GRF = m g (§8.6)
    assert vertical.mean() == pytest.approx(64.0 * 9.81, rel=2e-3)
    loaded = vertical > trial.forceplates[0].cop_threshold_n
    cop = np.nansum(
        [
            np.nan_to_num(p.cop) * (p.force @ trial.up_axis)[:, None]
            for p in trial.forceplates
        ],
        axis=0,
    )
    cop = cop[loaded] / vertical[loaded, None]
    np.testing.assert_allclose(cop, run.cop_m[loaded], atol=1e-4)
    strikes = [e.time_s for e in trial.events if e.label == "Foot Strike"]
    np.testing.assert_allclose(strikes, run.touchdown_s, atol=1e-6)
