"""The lean-and-fall drill plugin against synthetic drills with known answers.

Each synthetic drill (``gaitlab.synth.drill``) is written as a C3D file in a lab
frame and run through the real pipeline (``gaitlab.testing.analyse_file``, the
project runner's code path); the answers come from the generator's true points.
Tolerances from issue 12: lean and bend within 0.5°, times within one frame.
"""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab.core.results import USABLE_STATUSES
from gaitlab.io.c3d_writer import write_c3d
from gaitlab.synth.drill import SyntheticDrill, make_drill_trial
from gaitlab.synth.running import _processing, make_running_trial, make_static_trial
from gaitlab.testing import analyse_file

# (name, options): straight and bent, four lab frames, a catch contact between
# frames, another body and rate
CASES = {
    "straight-z+x": {"up": "z", "forward": "+x"},
    "straight-y-x": {"up": "y", "forward": "-x", "point_units": "m"},
    "bend15-z-y": {"up": "z", "forward": "-y", "bend_at_waist_deg": 15.0},
    "bend25-y+z": {
        "up": "y",
        "forward": "+z",
        "bend_at_waist_deg": 25.0,
        "fall_angle_deg": 12.0,
        "step_length_m": 0.35,
        "fall_s": 0.8875,  # catch contact half-way between two frames
    },
    "plate-bend10-y-z": {
        "up": "y",
        "forward": "-z",
        "bend_at_waist_deg": 10.0,
        "force_plate": True,
        "cop_travel_m": 0.07,
    },
    "bend8-female-150Hz": {
        "bend_at_waist_deg": 8.0,
        "sex": "F",
        "height_m": 1.62,
        "mass_kg": 55.0,
        "point_rate_hz": 150.0,
        "fall_angle_deg": 17.0,
        "step_length_m": 0.4,
    },
}
ANGLES = {
    "drill_max_lean": "max_lean_deg",
    "drill_trunk_lean": "trunk_lean_deg",
    "drill_leg_line": "leg_line_deg",
    "drill_bend_index": "bend_index_deg",
}
TIMES = {
    "drill_onset_time": "onset_time_s",
    "drill_max_lean_time": "max_lean_time_s",
    "drill_fall_duration": "fall_duration_s",
    "drill_catch_ic_time": "catch_ic_time_s",
}


@pytest.fixture(scope="module")
def drills(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    folder = tmp_path_factory.mktemp("drills")
    out = {}
    for name, options in CASES.items():
        drill = make_drill_trial(folder / f"{name}.c3d", **options)
        out[name] = (drill, analyse_file(drill.path, plugins=["drill"])["drill"])
    return out


def value(result, name: str) -> float:
    (metric,) = [m for m in result.metrics if m.name == name]
    return metric.value


@pytest.mark.parametrize("case", CASES)
def test_drill_angles_match_the_truth(case: str, drills: dict) -> None:
    drill, result = drills[case]
    assert result.status in USABLE_STATUSES, result.message
    for metric, field in ANGLES.items():
        truth = getattr(drill.truth, field)
        assert value(result, metric) == pytest.approx(truth, abs=0.5), metric


@pytest.mark.parametrize("case", CASES)
def test_drill_times_match_the_truth_within_one_frame(case: str, drills: dict) -> None:
    drill, result = drills[case]
    frame = 1.0 / drill.point_rate_hz
    for metric, field in TIMES.items():
        truth = getattr(drill.truth, field)
        assert value(result, metric) == pytest.approx(truth, abs=frame), metric


@pytest.mark.parametrize("case", CASES)
def test_drill_straightness_and_catch_step(case: str, drills: dict) -> None:
    drill, result = drills[case]
    straight = abs(drill.truth.bend_index_deg) < 5.0
    assert value(result, "drill_straight") == (1.0 if straight else 0.0)
    (ic,) = [m for m in result.metrics if m.name == "drill_catch_ic_time"]
    assert ic.side == drill.truth.catch_side
    landing = value(result, "drill_catch_landing_distance")
    assert landing == pytest.approx(drill.truth.catch_landing_distance_m, abs=0.005)


def test_markers_only_says_what_it_could_not_measure(drills: dict) -> None:
    _, result = drills["straight-z+x"]
    assert result.status == "partial"
    assert result.left_out == {
        "drill_cop_travel": "no force plates",
        "drill_braking_impulse": "no force plates",
    }
    names = {m.name for m in result.metrics}
    assert not names & {"drill_cop_travel", "drill_braking_impulse"}


def test_catch_contact_between_frames_is_found_between_frames(drills: dict) -> None:
    drill, result = drills["bend25-y+z"]
    assert drill.truth.catch_ic_time_s == pytest.approx(1.8875)  # half a frame
    assert value(result, "drill_catch_ic_time") == pytest.approx(1.8875, abs=2e-4)
    assert value(result, "drill_bend_index") == pytest.approx(25.0, abs=0.05)


def test_cop_travel_with_a_force_plate(drills: dict) -> None:
    drill, result = drills["plate-bend10-y-z"]
    assert drill.truth.cop_travel_m == 0.07
    assert value(result, "drill_cop_travel") == pytest.approx(0.07, abs=0.001)


def test_drill_series_run_through_the_fall_and_stop_at_the_catch(drills: dict) -> None:
    drill, result = drills["bend15-z-y"]
    series = result.series["drill_bend_index"]
    time = series.t0_s + np.arange(len(series.values)) / series.rate_hz
    ic = drill.truth.catch_ic_time_s
    assert np.isnan(series.values[time > ic + 1e-9]).all()
    before = np.isfinite(series.values) & (time > 0.1)  # past the filter's edge
    assert before[time <= ic].sum() == (time[time <= ic] > 0.1).sum()
    # bend grows with the fall: 0 in quiet stance, 15° at the catch
    assert series.values[(time > 0.2) & (time < 0.8)] == pytest.approx(0.0, abs=0.05)
    assert series.values[np.searchsorted(time, ic)] == pytest.approx(15.0, abs=0.5)


def test_same_drill_in_two_lab_frames_gives_the_same_numbers(tmp_path) -> None:
    results = []
    for up, forward in (("z", "+y"), ("y", "-z")):
        drill = make_drill_trial(
            tmp_path / f"{up}{forward}.c3d",
            bend_at_waist_deg=10.0,
            up=up,
            forward=forward,
        )
        results.append(analyse_file(drill.path, plugins=["drill"])["drill"])
    first, second = ([m.value for m in r.metrics] for r in results)
    np.testing.assert_allclose(first, second, atol=1e-3, equal_nan=True)


def test_running_trial_is_not_a_drill(tmp_path) -> None:
    run = make_running_trial(tmp_path / "run.c3d")
    result = analyse_file(run.path, plugins=["drill"])["drill"]
    assert result.status == "skipped"
    assert "not a lean-and-fall drill" in result.message


def test_standing_without_a_step_is_not_a_drill(tmp_path) -> None:
    static = make_static_trial(tmp_path / "stand.c3d", duration_s=2.0)
    result = analyse_file(static.path, plugins=["drill"])["drill"]
    assert result.status == "skipped"
    assert "no catch step" in result.message


def test_a_step_without_a_fall_is_not_a_drill(tmp_path) -> None:
    drill: SyntheticDrill = make_drill_trial(
        tmp_path / "small.c3d", fall_angle_deg=3.0, step_length_m=0.04
    )
    result = analyse_file(drill.path, plugins=["drill"])["drill"]
    assert result.status == "skipped"
    assert "no forward fall" in result.message


def test_a_step_before_the_lean_is_not_a_drill(tmp_path) -> None:
    drill = make_drill_trial(tmp_path / "step.c3d", swing_s=0.9, step_length_m=0.3)
    result = analyse_file(drill.path, plugins=["drill"])["drill"]
    assert result.status == "skipped"
    assert "before the lean onset" in result.message


def test_support_heel_rising_in_the_fall_is_not_a_drill(tmp_path) -> None:
    drill = make_drill_trial(tmp_path / "drill.c3d")
    markers = drill.markers_m.copy()
    time = np.arange(len(markers)) / drill.point_rate_hz
    heel = drill.marker_labels.index("LHEE")
    rise = np.clip((time - 1.5) / 0.2, 0.0, 1.0) * 0.04  # 4 cm from 1.5 s on
    markers[:, heel] += rise[:, None] * drill.e_up
    path = write_c3d(
        tmp_path / "heel_up.c3d",
        markers=markers,
        marker_labels=drill.marker_labels,
        point_rate_hz=drill.point_rate_hz,
        subject_name="DRILL01",
        mass_kg=70.0,
        height_m=1.80,
        processing=_processing(drill.body),
    )
    result = analyse_file(path, plugins=["drill"])["drill"]
    assert result.status == "skipped"
    assert "(support) heel rose 0.040 m" in result.message
