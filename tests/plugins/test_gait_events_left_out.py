"""The marker-bias metrics of gait_events are left out with a reason, never silently."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from gaitlab.io.c3d import read_c3d
from gaitlab.testing import analyse_file, analyse_trial_object

BIAS = {
    "kinematic_ic_offset",
    "kinematic_to_offset",
    "kinematic_ic_residual",
    "kinematic_to_residual",
}


def test_markers_only_trial_says_there_is_no_plate_contact(
    demo_files: list[Path],
) -> None:
    run = next(f for f in demo_files if f.stem == "demo_overground_run")
    trial = replace(read_c3d(run), forceplates=())  # the same running, markers only
    result = analyse_trial_object(trial, plugins=["gait_events"])["gait_events"]
    assert result.status == "partial"
    assert set(result.left_out) >= BIAS
    for name in BIAS:
        assert "no force-plate contact" in result.left_out[name]
    assert "no reason given" not in result.message


def test_a_jump_on_plates_names_why(shared_data: Path) -> None:
    """Sample_Jump2 (Motion Analysis): no contact is measured both ways."""
    (jump,) = shared_data.rglob("Sample_Jump2.c3d")
    result = analyse_file(jump, plugins=["gait_events"])["gait_events"]
    assert set(result.left_out) >= BIAS
    assert all("no reason given" not in reason for reason in result.left_out.values())
