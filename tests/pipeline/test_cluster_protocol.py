"""Cluster protocols on the synthetic runner: landmarks rebuilt from the static trial.

The runner of gaitlab.synth.running is re-marked as a cluster protocol
(gaitlab.synth.cluster): 4-marker plates on thighs and shanks, 3 markers on
each foot, the epicondyles, malleoli, heel and toe markers only in the static
trial. The truth is the runner's own joint centres and landmarks.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gaitlab import read_c3d
from gaitlab.core.results import USABLE_STATUSES
from gaitlab.core.trial import MarkerSet, Trial
from gaitlab.pipeline.view import MissingInput, TrialView
from gaitlab.synth.cluster import ClusterProtocol, cluster_protocol
from gaitlab.synth.running import make_running_trial, make_static_trial
from gaitlab.testing import analyse_trial_object

REBUILT = {
    f"{side}_{name}"
    for side in "lr"
    for name in ("knee", "knee_medial", "ankle", "ankle_medial", "heel", "toe")
}


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("cluster")
    run = make_running_trial(folder / "run.c3d", n_steps=6)
    static = make_static_trial(folder / "static.c3d")
    other = make_static_trial(
        folder / "other_static.c3d", height_m=1.65, mass_kg=58.0, subject_name="B02"
    )
    return {
        "run": run,
        "run_trial": read_c3d(run.path),
        "static": static,
        "static_trial": read_c3d(static.path),
        "other": other,
        "other_trial": read_c3d(other.path),
        "folder": folder,
    }


def protocol(runner: dict, **kwargs) -> ClusterProtocol:
    return cluster_protocol(
        runner["run"],
        runner["run_trial"],
        runner["static"],
        runner["static_trial"],
        **kwargs,
    )


def view_of(case: ClusterProtocol, static: Trial | None = None) -> TrialView:
    static = case.static if static is None else static
    return TrialView(case.dynamic, static=TrialView(static))


def rms_mm(a: np.ndarray, b: np.ndarray) -> float:
    error = np.linalg.norm(a - b, axis=1)
    return float(1000 * np.sqrt(np.nanmean(error**2)))


def with_markers(trial: Trial, changes: dict[str, np.ndarray]) -> Trial:
    data = trial.markers.data.copy()
    for label, value in changes.items():
        data[:, trial.markers.labels.index(label)] = value
    markers = trial.markers
    return replace(
        trial,
        markers=MarkerSet(data, markers.labels, markers.rate_hz, markers.t0_s),
    )


def test_the_running_trial_lacks_the_anatomical_leg_markers(runner: dict) -> None:
    case = protocol(runner)
    alone = TrialView(case.dynamic)
    for name in REBUILT:
        assert not alone.has_landmark(name)
    with pytest.raises(MissingInput, match="l_shank cluster could carry it"):
        alone.landmark("l_ankle")


def test_rebuilt_landmarks_and_joint_centres_match_the_truth(runner: dict) -> None:
    case = protocol(runner)
    view = view_of(case)
    assert view.reconstructed_landmarks == REBUILT
    for name in REBUILT:
        assert rms_mm(view.landmark(name), case.truth[name]) < 2.0, name
    body = view.body
    for point in ("l_kjc", "r_kjc", "l_ajc", "r_ajc", "l_hjc", "r_hjc"):
        assert rms_mm(getattr(body, point), getattr(case.points, point)) < 2.0, point
    assert body.reconstructed == REBUILT
    assert any(
        "rebuilt from the l_thigh technical markers (4)" in n for n in body.notes
    )
    for segment, rebuilt in view.reconstruction.segments.items():
        assert rebuilt.fitted_fraction == 1.0, segment
        assert np.nanmax(rebuilt.residual_mm) < 0.1, segment  # float32 file only
        assert not rebuilt.flagged.any(), segment


def test_soft_tissue_noise_stays_at_its_level(runner: dict) -> None:
    """3 mm RMS artefact, 90 % of its variance a sliding of the whole cluster.

    The sliding (rigid plates on the skin) cannot be seen by any fit and moves
    the landmarks with the plate, error = its level; the rest (each marker on
    its own, sqrt(0.1) x 3 mm = 0.95 mm) is amplified by the lever arm from the
    cluster to the landmark: the error is 1.0-1.2 times the marker noise.
    """
    noise = 3.0
    case = protocol(runner, noise_mm=noise, seed=1)
    view = view_of(case)
    errors = {name: rms_mm(view.landmark(name), case.truth[name]) for name in REBUILT}
    assert max(errors.values()) < 1.2 * noise, errors
    assert min(errors.values()) > 0.9 * noise, errors  # the noise did reach them
    for point in ("l_kjc", "r_kjc", "l_ajc", "r_ajc"):
        error = rms_mm(getattr(view.body, point), getattr(case.points, point))
        assert error < 1.2 * noise, point
    for segment, rebuilt in view.reconstruction.segments.items():
        median = np.median(rebuilt.residual_mm)
        assert 0.3 < median < 1.2, (segment, median)  # the independent part


def test_independent_marker_noise_is_reported_as_residual(runner: dict) -> None:
    noise = 3.0
    case = protocol(runner, noise_mm=noise, rigid_fraction=0.0, seed=2)
    view = view_of(case)
    for name in REBUILT:
        assert rms_mm(view.landmark(name), case.truth[name]) < 2.5 * noise, name
    for segment, rebuilt in view.reconstruction.segments.items():
        median = np.median(rebuilt.residual_mm)
        assert 1.0 < median < noise, (segment, median)


def test_leg_line_and_bend_index_match_the_truth(runner: dict) -> None:
    """The lean plugin on the cluster trial equals the truth (METHODS §4.1)."""
    case = protocol(runner)
    run = runner["run"]
    results = analyse_trial_object(
        case.dynamic,
        static=case.static,
        params={"lean": {"marker_cutoff_hz": 30.0}},
    )
    lean = results["lean"]
    assert lean.status in USABLE_STATUSES, lean.message
    assert lean.metric_values("leg_line").size == 6
    assert lean.metric_values("bend_index").size == 6
    measured = analyse_trial_object(  # the same runner with every marker on
        runner["run_trial"], params={"lean": {"marker_cutoff_hz": 30.0}}
    )["lean"]
    for name, expected in (
        ("leg_line", run.angles.leg_line_deg),
        ("bend_index", run.angles.bend_index_deg),
    ):
        series = lean.series[name].values
        both = np.isfinite(series) & np.isfinite(expected)
        assert both.sum() >= 0.95 * np.isfinite(expected).sum(), name
        # 30 Hz marker filter: up to 0.06° off the truth at the stance ends
        np.testing.assert_allclose(series[both], expected[both], atol=0.1)
        np.testing.assert_allclose(
            series, measured.series[name].values, atol=1e-3, equal_nan=True
        )
        np.testing.assert_allclose(
            lean.metric_values(name), measured.metric_values(name), atol=1e-3
        )
    com = results["center_of_mass"]
    assert "full_body" in com.message
    assert results["foot_strike"].status in USABLE_STATUSES, results[
        "foot_strike"
    ].message
    without = analyse_trial_object(case.dynamic, plugins=["lean"])["lean"]
    assert without.metric_values("leg_line").size == 0  # before: no AJC


def test_a_cluster_marker_missing_for_a_stretch(runner: dict) -> None:
    case = protocol(runner)
    labels = case.dynamic.markers.labels
    n = case.dynamic.markers.n_frames
    one_gone, two_gone = slice(100, 200), slice(250, 270)
    sk1 = case.dynamic.markers.data[:, labels.index("LSK1")].copy()
    sk2 = case.dynamic.markers.data[:, labels.index("LSK2")].copy()
    sk1[one_gone] = np.nan
    sk1[two_gone] = np.nan
    sk2[two_gone] = np.nan
    view = view_of(
        replace(case, dynamic=with_markers(case.dynamic, {"LSK1": sk1, "LSK2": sk2}))
    )
    ankle = view.landmark("l_ankle")
    shank = view.reconstruction.segments["l_shank"]
    assert shank.n_markers[one_gone].tolist() == [3] * 100
    assert rms_mm(ankle[one_gone], case.truth["l_ankle"][one_gone]) < 0.1
    assert np.isnan(ankle[two_gone]).all()  # 2 markers: NaN, not a guess
    assert np.isnan(shank.residual_mm[two_gone]).all()
    rest = np.ones(n, bool)
    rest[two_gone] = False
    assert np.isfinite(ankle[rest]).all()
    assert shank.fitted_fraction == pytest.approx((n - 20) / n)


def test_a_moved_cluster_marker_flags_its_frames(runner: dict) -> None:
    case = protocol(runner)
    labels = case.dynamic.markers.labels
    th3 = case.dynamic.markers.data[:, labels.index("RTH3")].copy()
    knocked = slice(150, 190)
    th3[knocked] += np.array([0.0, 0.0, 0.04])  # 40 mm
    view = view_of(replace(case, dynamic=with_markers(case.dynamic, {"RTH3": th3})))
    thigh = view.reconstruction.segments["r_thigh"]
    assert thigh.threshold_mm == 10.0
    flagged = np.flatnonzero(thigh.flagged)
    assert flagged.tolist() == list(range(150, 190))
    assert thigh.residual_mm[160] > 10.0
    assert "40 frames flagged above 10 mm" in thigh.summary()
    assert not view.reconstruction.segments["l_thigh"].flagged.any()
    assert "40 flagged > 10 mm" in view.reconstruction.describe("r_thigh")


def test_a_static_trial_of_another_subject_is_refused(runner: dict) -> None:
    case = protocol(runner)
    other = cluster_protocol(
        runner["run"], runner["run_trial"], runner["other"], runner["other_trial"]
    ).static
    view = view_of(case, other)
    assert view.reconstructed_landmarks == frozenset()
    assert "subject 'b02', this trial of 'slip01'" in view.reconstruction.refused
    with pytest.raises(MissingInput, match="not rebuilt: the static trial"):
        view.landmark("l_knee")
    # same subject id, another body: the segment lengths give it away
    disguised = replace(other, subject=case.static.subject)
    view = view_of(case, disguised)
    assert view.reconstructed_landmarks == frozenset()
    refused = view.reconstruction.refused
    assert "l_thigh HJC→KJC" in refused
    assert "refused as calibration" in refused
    results = analyse_trial_object(case.dynamic, static=disguised, plugins=["lean"])
    assert results["lean"].metric_values("leg_line").size == 0
    assert "not rebuilt" in results["lean"].message


def test_project_cluster_settings_replace_the_preset(runner: dict) -> None:
    """A per-project cluster override: three thigh markers only."""
    from gaitlab.core.landmarks import MarkerMap

    case = protocol(runner)
    labels = case.dynamic.markers.labels
    marker_map = MarkerMap(
        labels, clusters={"l_thigh": ["LTH1", "LTH2", "LTH4"]}, residual_threshold_mm=3
    )
    assert marker_map.cluster_labels("l_thigh") == ("LTH1", "LTH2", "LTH4")
    assert marker_map.cluster_labels("r_thigh") == ("RTH1", "RTH2", "RTH3", "RTH4")
    view = TrialView(case.dynamic, marker_map=marker_map, static=TrialView(case.static))
    thigh = view.reconstruction.segments["l_thigh"]
    assert thigh.labels == ("LTH1", "LTH2", "LTH4")
    assert thigh.threshold_mm == 3.0
    assert rms_mm(view.landmark("l_knee"), case.truth["l_knee"]) < 0.1
    with pytest.raises(ValueError, match="unknown segment 'thigh'"):
        MarkerMap(labels, clusters={"thigh": ["LTH1"]})
