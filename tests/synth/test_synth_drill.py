"""The synthetic drill generator: geometry of its known answers."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab.io.c3d import read_c3d
from gaitlab.synth.drill import make_drill_trial


@pytest.mark.parametrize(
    ("bend", "up", "forward"), [(0.0, "z", "-x"), (20.0, "y", "+z")]
)
def test_truth_of_the_lean_lines_is_the_posture(tmp_path, bend, up, forward) -> None:
    drill = make_drill_trial(
        tmp_path / "d.c3d",
        bend_at_waist_deg=bend,
        fall_angle_deg=14.0,
        step_length_m=0.4,
        up=up,
        forward=forward,
    )
    truth = drill.truth
    # at the catch contact the legs have turned Φ about the ankles, the trunk Φ + B
    assert truth.max_lean_time_s == pytest.approx(truth.catch_ic_time_s)
    assert truth.leg_line_deg == pytest.approx(14.0, abs=1e-9)
    assert truth.trunk_lean_deg == pytest.approx(14.0 + bend, abs=1e-9)
    assert truth.bend_index_deg == pytest.approx(bend, abs=1e-9)
    assert truth.fall_start_s < truth.onset_time_s < truth.catch_ic_time_s
    assert truth.fall_duration_s == pytest.approx(
        truth.catch_ic_time_s - truth.onset_time_s
    )
    assert truth.catch_landing_distance_m > 0  # the catch foot lands ahead of the COM


def test_file_holds_the_markers_in_the_lab_frame(tmp_path) -> None:
    drill = make_drill_trial(tmp_path / "d.c3d", up="y", forward="-x")
    trial = read_c3d(drill.path)
    assert trial.markers.rate_hz == drill.point_rate_hz
    assert list(trial.markers.labels) == list(drill.marker_labels)
    np.testing.assert_allclose(trial.markers.data, drill.markers_m, atol=1e-4)
    heel = drill.markers_m[:, drill.marker_labels.index("LHEE")]
    # the support foot never moves; the pelvis falls towards -X
    np.testing.assert_allclose(heel - heel[0], 0.0, atol=1e-9)
    sacrum = drill.markers_m[:, drill.marker_labels.index("LPSI")]
    assert sacrum[-1, 0] < sacrum[0, 0] - 0.1


def test_quiet_stance_then_the_catch_foot_lands_at_the_contact(tmp_path) -> None:
    drill = make_drill_trial(tmp_path / "d.c3d", fall_start_s=0.8, fall_s=1.1)
    time = np.arange(len(drill.markers_m)) / drill.point_rate_hz
    heel = drill.markers_m[:, drill.marker_labels.index("RHEE"), 2]
    ic = drill.truth.catch_ic_time_s
    assert ic == pytest.approx(1.9)
    lifted = heel > heel[0] + 1e-6
    assert not lifted[time < ic - 0.3 - 1e-9].any()
    assert lifted[(time > ic - 0.3 + 0.01) & (time < ic - 0.01)].all()
    assert not lifted[time >= ic - 1e-9].any()
    assert drill.com_m[time < 0.8, 0] == pytest.approx(drill.com_m[0, 0])
