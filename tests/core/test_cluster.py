"""Rigid fits, static calibration and reconstruction of cluster protocols."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab.core.cluster import (
    MIN_SPREAD_M,
    SEGMENT_LANDMARKS,
    StaticMismatchError,
    calibrate_segment,
    reconstruct_trial,
    rigid_fit,
    segment_of,
)
from gaitlab.core.errors import GaitlabError
from gaitlab.core.landmarks import LANDMARKS, MarkerMap
from gaitlab.core.trial import MarkerSet

PLATE = np.array(
    [[0.0, 0.0, 0.0], [0.08, 0.0, 0.0], [0.0, 0.10, 0.0], [0.08, 0.10, 0.01]]
)
"""A 4-marker plate (m), its own frame."""
KNEE = np.array([0.02, -0.12, -0.05])
"""A landmark 12 cm below the plate, in the plate's frame (m)."""


def rotations(n: int, seed: int = 0) -> np.ndarray:
    """Random proper rotations (n, 3, 3) by QR of Gaussian matrices."""
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    q[np.linalg.det(q) < 0, :, 0] *= -1
    return q


def moving(n: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plate and knee trajectories under random rigid motions (lab, m)."""
    rotation = rotations(n, seed)
    shift = np.random.default_rng(seed + 1).uniform(-1, 1, (n, 3))
    plate = np.einsum("nij,kj->nki", rotation, PLATE) + shift[:, None]
    knee = np.einsum("nij,j->ni", rotation, KNEE) + shift
    return plate, knee, rotation


def test_every_landmark_has_at_most_one_segment() -> None:
    names = [name for names in SEGMENT_LANDMARKS.values() for name in names]
    assert len(names) == len(set(names))
    assert set(names) <= set(LANDMARKS)
    assert segment_of("l_knee_medial") == "l_thigh"
    assert segment_of("r_heel") == "r_foot"
    assert segment_of("l_hjc") is None


def test_rigid_fit_recovers_random_motions_exactly() -> None:
    plate, _, rotation = moving()
    fitted, shift, residual, n_used = rigid_fit(PLATE, plate)
    np.testing.assert_allclose(fitted, rotation, atol=1e-12)
    np.testing.assert_allclose(shift, plate[:, 0], atol=1e-12)  # PLATE[0] = 0
    np.testing.assert_allclose(residual, 0.0, atol=1e-12)
    assert (n_used == 4).all()
    assert np.allclose(np.linalg.det(fitted), 1.0)


def test_rigid_fit_with_missing_and_too_few_markers() -> None:
    plate, _, rotation = moving(10)
    plate[2, 0] = np.nan  # 3 left: still a fit
    plate[5, :2] = np.nan  # 2 left: NaN
    fitted, _, residual, n_used = rigid_fit(PLATE, plate)
    assert n_used.tolist() == [4, 4, 3, 4, 4, 2, 4, 4, 4, 4]
    np.testing.assert_allclose(fitted[2], rotation[2], atol=1e-12)
    assert np.isnan(fitted[5]).all()
    assert np.isnan(residual[5])


def test_collinear_markers_give_no_fit() -> None:
    line = np.array([[0.0, 0, 0], [0.05, 0, 0], [0.1, 0.001, 0]])
    fitted, _, residual, _ = rigid_fit(line, line[None])
    assert np.isnan(fitted).all()
    assert np.isnan(residual).all()
    with pytest.raises(ValueError, match="collinear"):
        calibrate_segment(
            "l_shank",
            {f"M{i}": np.tile(p, (3, 1)) for i, p in enumerate(line)},
            {},
            source="s1",
        )
    assert MIN_SPREAD_M == 0.005


def test_calibration_and_reconstruction_carry_the_landmark() -> None:
    static_plate, static_knee, _ = moving(20, seed=3)
    calibration = calibrate_segment(
        "l_thigh",
        {f"T{i}": static_plate[:, i] for i in range(4)},
        {"l_knee": static_knee},
        source="static01",
    )
    assert calibration.residual_mm < 1e-9
    assert calibration.landmark_spread_mm["l_knee"] < 1e-9
    plate, knee, _ = moving(40, seed=7)
    rebuilt = calibration.reconstruct({f"T{i}": plate[:, i] for i in range(4)})
    np.testing.assert_allclose(rebuilt.landmarks["l_knee"], knee, atol=1e-12)
    three = calibration.subset(["T0", "T2", "T3"])
    np.testing.assert_allclose(
        three.reconstruct({f"T{i}": plate[:, i] for i in (0, 2, 3)}).landmarks[
            "l_knee"
        ],
        knee,
        atol=1e-12,
    )
    with pytest.raises(ValueError, match="T9 not among the technical markers"):
        calibration.subset(["T0", "T9", "T3"])


def test_a_deformed_cluster_is_refused() -> None:
    static_plate, static_knee, _ = moving(20)
    calibration = calibrate_segment(
        "r_shank",
        {f"T{i}": static_plate[:, i] for i in range(4)},
        {"r_ankle": static_knee},
        source="static01",
    )
    plate, _, rotation = moving(30, seed=5)
    plate[:, 3] += np.einsum("nij,j->ni", rotation, [0.04, 0.0, 0.0])  # 4 cm
    with pytest.raises(StaticMismatchError, match="static trial static01 does not"):
        calibration.reconstruct({f"T{i}": plate[:, i] for i in range(4)})
    rebuilt = calibration.reconstruct(
        {f"T{i}": plate[:, i] for i in range(4)}, max_mismatch_mm=None
    )
    assert rebuilt.flagged.all()
    assert np.median(rebuilt.residual_mm) > 15.0


def test_static_mismatch_is_in_the_gaitlab_hierarchy() -> None:
    """The CLI and the app catch GaitlabError: a refused static trial is one."""
    assert issubclass(StaticMismatchError, GaitlabError)
    assert issubclass(StaticMismatchError, ValueError)  # reconstruct_trial catches it


def test_calibration_needs_three_markers_seen_together() -> None:
    plate, knee, _ = moving(5)
    with pytest.raises(ValueError, match="l_thigh in the static trial s1: 2 tech"):
        calibrate_segment(
            "l_thigh",
            {"A": plate[:, 0], "B": plate[:, 1]},
            {"l_knee": knee},
            source="s1",
        )
    gappy = {f"T{i}": plate[:, i].copy() for i in range(3)}
    gappy["T0"][::2] = np.nan
    gappy["T1"][1::2] = np.nan
    with pytest.raises(ValueError, match="no frame shows all of T0, T1, T2"):
        calibrate_segment("l_thigh", gappy, {"l_knee": knee}, source="s1")


def test_reconstruct_trial_reports_segments_it_cannot_carry() -> None:
    static_plate, static_knee, _ = moving(10)
    labels = ("LTH1", "LTH2", "LKNE", "RTH1", "RTH2", "RTH3", "RKNE")
    left = [static_plate[:, 0], static_plate[:, 1], static_knee]
    right = [static_plate[:, 0], static_plate[:, 1], static_plate[:, 2], static_knee]
    static = MarkerSet(np.stack([*left, *right], axis=1), labels, 100.0)
    plate, knee, _ = moving(30, seed=4)
    dynamic = MarkerSet(
        np.stack([plate[:, 0], plate[:, 1], plate[:, 0], plate[:, 1], plate[:, 2]], 1),
        ("LTH1", "LTH2", "RTH1", "RTH2", "RTH3"),
        100.0,
    )
    result = reconstruct_trial(
        static,
        MarkerMap(static.labels, preset="plug_in_gait"),
        dynamic,
        MarkerMap(dynamic.labels, preset="plug_in_gait"),
        static_label="static01",
    )
    assert set(result.segments) == {"r_thigh"}
    np.testing.assert_allclose(result.landmarks["r_knee"], knee, atol=1e-12)
    assert (
        "l_knee only in the static trial static01, and 2 technical markers"
        in (result.problems["l_thigh"])
    )
    assert result.problem_for("l_knee") == result.problems["l_thigh"]
    assert result.problem_for("r_knee") is None


def _random_rotations(rng: np.random.Generator, n: int) -> np.ndarray:
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1)[:, None]
    a, b, c, d = q.T
    return np.stack(
        [
            np.stack(
                [
                    a * a + b * b - c * c - d * d,
                    2 * (b * c - a * d),
                    2 * (b * d + a * c),
                ],
                -1,
            ),
            np.stack(
                [
                    2 * (b * c + a * d),
                    a * a - b * b + c * c - d * d,
                    2 * (c * d - a * b),
                ],
                -1,
            ),
            np.stack(
                [
                    2 * (b * d - a * c),
                    2 * (c * d + a * b),
                    a * a - b * b - c * c + d * d,
                ],
                -1,
            ),
        ],
        axis=1,
    )


@pytest.mark.parametrize(
    "reference",
    [
        [[0, 0, 0], [0.08, 0, 0], [0, 0.05, 0], [0.08, 0.05, 0.002]],  # a flat plate
        [
            [0, 0, 0],
            [0.06, 0, 0],
            [0, 0.06, 0],
            [0.06, 0.06, 0],
        ],  # a square: equal spreads
        [[0, 0, 0], [0.05, 0.01, 0.02], [-0.01, 0.06, 0.01], [0.02, 0.01, 0.07]],  # 3-D
        [[0, 0, 0], [0.05, 0, 0], [0.1, 0, 0], [0.15, 0.0001, 0]],  # nearly collinear
    ],
    ids=["plate", "square", "solid", "collinear"],
)
def test_closed_form_kabsch_equals_the_svd(reference: list[list[float]]) -> None:
    from gaitlab.core.cluster import _kabsch_rotations, _svd_rotations

    rng = np.random.default_rng(7)
    ref = np.array(reference)
    truth = _random_rotations(rng, 2000)
    meas = ref @ truth.transpose(0, 2, 1) + rng.normal(scale=0.001, size=(2000, 4, 3))
    centred = ref - ref.mean(axis=0)
    cross = centred.T @ (meas - meas.mean(axis=1)[:, None])
    fast, exact = _kabsch_rotations(cross), _svd_rotations(cross)
    np.testing.assert_allclose(fast, exact, atol=1e-10)
    np.testing.assert_allclose(np.linalg.det(fast), 1.0, atol=1e-12)


def test_closed_form_kabsch_takes_the_svd_where_it_cannot_decide() -> None:
    from gaitlab.core.cluster import _kabsch_rotations, _svd_rotations

    rng = np.random.default_rng(8)
    rank_one = np.einsum(
        "ni,nj->nij", rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    )
    isotropic = np.repeat(np.eye(3)[None], 5, axis=0)  # three equal singular values
    mixed = np.concatenate([rank_one, isotropic, rng.normal(size=(50, 3, 3))])
    np.testing.assert_allclose(
        _kabsch_rotations(mixed), _svd_rotations(mixed), atol=1e-10
    )
    assert _kabsch_rotations(np.zeros((0, 3, 3))).shape == (0, 3, 3)
