"""The Fukuchi et al. (2017) CAST recordings: landmarks rebuilt from the static trial.

RBDS001's running trials carry pelvis markers, thigh and shank plates (4
markers each) and heel/metatarsal markers; the trochanters, femoral
epicondyles and malleoli were only placed for RBDS001static. Without them the
ankle and knee joint centres, and so the leg line and the bend index, were
missing in every running trial.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import gaitlab
from gaitlab.io.c3d import read_c3d
from gaitlab.pipeline.runner import run_pipeline
from gaitlab.pipeline.view import TrialView

FOLDER = "pfjrf-methods/data/RBDS001"
RUNS = ("RBDS001runT25", "RBDS001runT45")
REBUILT = {
    f"{side}_{name}"
    for side in "lr"
    for name in ("trochanter", "knee", "knee_medial", "ankle", "ankle_medial")
}


@pytest.fixture(scope="module")
def views(shared_data: Path) -> dict[str, TrialView]:
    static = read_c3d(shared_data / FOLDER / "RBDS001static.c3d")
    static.label = "RBDS001static"
    static_view = TrialView(static)
    out = {}
    for name in RUNS:
        trial = read_c3d(shared_data / FOLDER / f"{name}.c3d")
        out[name] = TrialView(trial, static=static_view)
    return out


@pytest.mark.parametrize("name", RUNS)
def test_knee_and_ankle_landmarks_are_rebuilt(views: dict, name: str) -> None:
    view = views[name]
    assert view.reconstructed_landmarks == REBUILT
    reconstruction = view.reconstruction
    assert not reconstruction.refused
    assert not reconstruction.problems
    assert set(reconstruction.segments) == {"l_thigh", "r_thigh", "l_shank", "r_shank"}
    for segment, rebuilt in reconstruction.segments.items():
        assert len(rebuilt.labels) == 4, segment
        assert reconstruction.calibrations[segment].residual_mm < 0.5, segment
        assert rebuilt.fitted_fraction > 0.99, segment
        # rigid CAST plates: medians 0.3-1.4 mm, p95 at most 3.2 mm (T45 right thigh)
        assert np.nanmedian(rebuilt.residual_mm) < 2.0, segment
        assert np.nanpercentile(rebuilt.residual_mm, 95) < 4.0, segment
        assert not rebuilt.flagged.any(), segment
    body = view.body
    for point in ("l_kjc", "r_kjc", "l_ajc", "r_ajc"):
        assert getattr(body, point) is not None, point
    assert body.reconstructed == REBUILT - {"l_trochanter", "r_trochanter"}


@pytest.mark.parametrize("name", RUNS)
def test_malleoli_agree_between_triplets_of_the_shank_plate(
    views: dict, name: str
) -> None:
    """Every triplet of the 4 shank markers rebuilds the malleoli within 5 mm RMS.

    Measured: worst pair of triplets 2.2-4.2 mm RMS over the trial (the plate
    is not perfectly rigid on the skin). The thigh plate is looser: 9-17 mm
    between triplets at the epicondyles and trochanter.
    """
    view = views[name]
    for segment in ("l_shank", "r_shank"):
        calibration = view.reconstruction.calibrations[segment]
        rebuilt = {
            triplet: calibration.subset(triplet)
            .reconstruct({label: view.markers[label] for label in triplet})
            .landmarks
            for triplet in itertools.combinations(calibration.labels, 3)
        }
        assert len(rebuilt) == 4
        for first, second in itertools.combinations(rebuilt.values(), 2):
            for landmark in calibration.landmarks:
                distance = np.linalg.norm(first[landmark] - second[landmark], axis=1)
                rms_mm = 1000 * np.sqrt(np.nanmean(distance**2))
                assert rms_mm < 5.0, (segment, landmark, rms_mm)


@pytest.fixture(scope="module")
def analysed(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> gaitlab.Project:
    project = gaitlab.create_project(tmp_path_factory.mktemp("cast") / "cast.gaitlab")
    files = [shared_data / FOLDER / f"{n}.c3d" for n in (*RUNS, "RBDS001static")]
    events = list(project.import_files(files, subject="rbds001"))
    assert not [e for e in events if e.kind == "refused"], events
    for event in run_pipeline(project, workers=1):
        assert not event.error, event.error
    return project


@pytest.mark.parametrize("name", [n.lower() for n in RUNS])
def test_leg_line_for_every_running_trial(analysed: gaitlab.Project, name: str) -> None:
    """Leg line and whole-body lean at the ankle from the rebuilt AJC (was: none).

    The bend index and the trunk-thigh angle need a trunk line, and this
    marker set has no trunk marker (no C7, CLAV or acromion): they are left
    out with that reason (status ``partial``).
    """
    assert analysed.static_trial_for(name) == "rbds001static"
    lean = analysed.load_results(name)["lean"]
    assert lean.status == "partial", lean.message
    for metric in ("leg_line", "whole_body_lean_ankle"):
        values = lean.metric_values(metric)
        assert values.size > 50, metric
        assert np.isfinite(values).mean() > 0.95, metric
    assert not {"leg_line", "whole_body_lean_ankle"} & set(lean.left_out)
    assert "rebuilt from the l_shank technical markers (4)" in lean.message
    # the stance leg line of running: within ±15° of vertical on average
    assert np.nanmedian(np.abs(lean.metric_values("leg_line"))) < 15.0
    for metric in ("bend_index", "trunk_thigh_angle"):
        assert lean.metric_values(metric).size == 0, metric
        assert lean.left_out[metric].startswith("needs the trunk line"), metric
        assert "missing landmarks l_shoulder, r_shoulder, c7" in lean.left_out[metric]
    assert "30 of 48 metrics left out" in lean.message


def test_cluster_settings_of_the_project_reach_the_trials(
    analysed: gaitlab.Project,
) -> None:
    """Per-project cluster override and flagging threshold (kept by `gaitlab markers`)."""
    from gaitlab.cli.main import main
    from gaitlab.pipeline.runner import marker_map_for

    three = ["L.Shank.Top.Lateral", "L.Shank.Top.Medial", "L.Shank.Bottom.Medial"]
    analysed.set_setting(
        "markers",
        {"clusters": {"l_shank": three}, "cluster_residual_threshold_mm": 0.5},
    )
    assert main(["markers", str(analysed.path), "--preset", "auto"]) == 0
    settings = analysed.settings["markers"]
    assert settings["clusters"] == {"l_shank": three}
    trial = analysed.load_trial("rbds001runt25")
    static = analysed.load_trial("rbds001static")
    view = TrialView(
        trial,
        marker_map=marker_map_for(analysed, trial.markers.labels),
        static=TrialView(
            static, marker_map=marker_map_for(analysed, static.markers.labels)
        ),
    )
    shank = view.reconstruction.segments["l_shank"]
    assert shank.labels == tuple(three)
    assert shank.threshold_mm == 0.5
    assert 0 < shank.flagged.mean() < 0.5  # median residual is below 0.5 mm
