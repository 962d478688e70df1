"""The whole default pipeline, end to end, on real recordings of several labs.

Running, walking and a jump, from Vicon, Motion Analysis, Codamotion, Qualisys
and an instrumented treadmill, in Y-up and Z-up labs. Nothing may fail; what
cannot apply is skipped with a reason a researcher understands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import gaitlab
from gaitlab.core.results import USABLE_STATUSES
from gaitlab.pipeline.runner import NO_REASON, run_pipeline

RECORDINGS = {
    "rbds001runt25": "pfjrf-methods/data/RBDS001/RBDS001runT25.c3d",
    "rbds001static": "pfjrf-methods/data/RBDS001/RBDS001static.c3d",
    "walking2": "opensim-core/walking2.c3d",
    "codamotion_gaitwands_20150204": "pyc3dserver_examples/Samples_C3D/Sample00/Codamotion/codamotion_gaitwands_20150204.c3d",
    "gait": "BTKData/others/Gait.c3d",
    "capture0002": "pyc3dserver_examples/Samples_C3D/Sample26/Capture0002.c3d",
    "sample_jump2": "c3dio/tests/c3d_org_samples/sample_00/Motion Analysis Corporation/Sample_Jump2.c3d",
    "gait-pig": "c3dio/tests/c3d_org_samples/sample_03/gait-pig.c3d",
    "type-2": "BTKData/c3d.org/sample10/TYPE-2.C3D",
}


@pytest.fixture(scope="module")
def analysed(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[gaitlab.Project, dict]:
    project = gaitlab.create_project(tmp_path_factory.mktemp("real") / "real.gaitlab")
    for trial_id, name in RECORDINGS.items():
        subject = "rbds001" if trial_id.startswith("rbds") else trial_id
        events = list(project.import_files([shared_data / name], subject=subject))
        assert not [e for e in events if e.kind == "refused"], events
    events = {
        e.trial_id: e for e in run_pipeline(project, workers=2) if e.kind == "trial"
    }
    return project, events


def test_nothing_fails_and_every_skip_says_why(analysed: tuple) -> None:
    project, events = analysed
    assert "rbds001static" not in events  # static trials are references
    assert set(events) == set(RECORDINGS) - {"rbds001static"}
    for trial_id, event in events.items():
        assert not event.error, f"{trial_id}: {event.error}"
        for plugin, status in event.statuses.items():
            assert status != "failed", (
                f"{trial_id}/{plugin}: {event.messages.get(plugin)}"
            )
            if status == "skipped":
                assert len(event.messages[plugin]) > 20, (trial_id, plugin)
        results = project.load_results(trial_id)
        assert results["gait_events"].status in USABLE_STATUSES, trial_id
        assert results["quality"].status in USABLE_STATUSES, trial_id
        for plugin, result in results.items():  # every left-out metric says why
            if plugin == "gait_events":  # its kinematic_* checks: reason pending
                continue
            assert NO_REASON not in result.left_out.values(), (trial_id, plugin)


def test_treadmill_running_gets_every_analysis(analysed: tuple) -> None:
    project, _ = analysed
    assert project.static_trial_for("rbds001runt25") == "rbds001static"
    results = project.load_results("rbds001runt25")
    assert {name: r.status for name, r in results.items() if name != "drill"} == {
        "gait_events": "ok",
        "body_mass": "partial",
        "center_of_mass": "ok",
        "lean": "partial",
        "braking": "ok",
        "foot_strike": "ok",
        "running_measures": "ok",
        "quality": "partial",
    }
    # no recorded subject mass in the Fukuchi files, no trunk markers
    assert results["body_mass"].left_out == {
        "subject_mass_difference": "no recorded subject mass to compare with"
    }
    assert list(results["quality"].left_out) == ["mean_vertical_grf_ratio"]
    assert len(results["lean"].left_out) == 30
    lean = results["lean"]
    assert lean.metric_values("whole_body_lean").size == 77
    assert lean.metric_values("trunk_lean").size == 0  # no upper-body markers
    assert "trunk_lean" in lean.message
    assert "c7" in lean.message
    assert "pelvis" in results["center_of_mass"].message


def test_walking_and_jumping_are_flagged_not_misreported(analysed: tuple) -> None:
    project, _ = analysed
    for trial_id in ("walking2", "gait", "sample_jump2"):
        quality = project.load_results(trial_id)["quality"]
        implausible = [m for m in quality.metrics if m.name == "contacts_implausible"]
        assert implausible, trial_id
        assert implausible[0].value >= 1, trial_id
        assert implausible[0].status == "warning", trial_id
    jump = project.load_results("sample_jump2")
    assert jump["body_mass"].status == "skipped"
