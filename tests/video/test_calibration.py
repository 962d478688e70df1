"""A side camera's 2D calibration: known maps recovered from their points."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlab.cli.main import main
from gaitlab.pipeline.videos import set_video_calibration, trial_videos
from gaitlab.store.project import open_project
from gaitlab.video import PlaneCalibration, VideoRecord
from gaitlab.video.synthetic import write_video
from tests.video.test_video import project as project  # the fixture

GRID = np.array([[x, y] for x in (-0.5, 0.0, 0.7, 1.5) for y in (0.0, 0.4, 1.1, 1.8)])
"""Sagittal points (m) the maps are checked on, beyond the calibration points."""


def camera(matrix: np.ndarray, plane: np.ndarray) -> np.ndarray:
    """Pixels of plane points under a 3×3 homogeneous map."""
    mapped = np.column_stack([plane, np.ones(len(plane))]) @ matrix.T
    return mapped[:, :2] / mapped[:, 2:]


def calibrated(matrix: np.ndarray, plane: np.ndarray) -> PlaneCalibration:
    pixels = camera(matrix, plane)
    return PlaneCalibration(tuple((*p, *q) for p, q in zip(plane, pixels, strict=True)))


@pytest.mark.parametrize("facing", [1.0, -1.0])
def test_two_points_give_the_camera_s_scale_rotation_and_mirror(facing):
    """A camera 400 px/m, tilted 3°, the runner going right (facing +1) or left:
    two points on the floor recover it, up showing up in the image."""
    angle = np.radians(3.0)
    scale = 400.0
    c, s = np.cos(angle), np.sin(angle)
    # forward → ±u, up → −v (image rows run down), then a 3° roll
    matrix = np.array(
        [
            [scale * facing * c, scale * s, 960.0],
            [scale * facing * s, -scale * c, 980.0],
            [0.0, 0.0, 1.0],
        ]
    )
    calibration = calibrated(matrix, np.array([[0.0, 0.0], [1.2, 0.0]]))
    assert calibration.kind == "similarity"
    np.testing.assert_allclose(
        calibration.to_image(GRID), camera(matrix, GRID), atol=1e-6
    )
    assert calibration.residual_px == pytest.approx(0.0, abs=1e-9)


def test_three_points_give_an_affine_map():
    matrix = np.array([[380.0, 25.0, 900.0], [-10.0, -420.0, 1000.0], [0, 0, 1.0]])
    calibration = calibrated(matrix, np.array([[0.0, 0.0], [1.2, 0.0], [0.0, 1.5]]))
    assert calibration.kind == "affine"
    np.testing.assert_allclose(
        calibration.to_image(GRID), camera(matrix, GRID), atol=1e-6
    )


def test_four_or_more_points_give_the_perspective():
    """A camera seeing the plane obliquely: four points recover the homography;
    eight noisy ones (±1 px) fit it within about a pixel, the residual says so."""
    matrix = np.array(
        [[350.0, 30.0, 800.0], [-20.0, -380.0, 1000.0], [0.08, 0.02, 1.0]]
    )
    four = np.array([[0.0, 0.0], [1.2, 0.0], [1.2, 1.8], [0.0, 1.6]])
    calibration = calibrated(matrix, four)
    assert calibration.kind == "homography"
    np.testing.assert_allclose(
        calibration.to_image(GRID), camera(matrix, GRID), atol=1e-6
    )
    rng = np.random.default_rng(3)
    eight = GRID[::2]
    pixels = camera(matrix, eight) + rng.uniform(-1, 1, (len(eight), 2))
    noisy = PlaneCalibration(
        tuple((*p, *q) for p, q in zip(eight, pixels, strict=True))
    )
    assert 0.2 < noisy.residual_px < 1.5
    error = np.linalg.norm(noisy.to_image(GRID) - camera(matrix, GRID), axis=1)
    assert error.max() < 2.0


@pytest.mark.parametrize(
    ("points", "problem"),
    [
        (((0, 0, 1, 1),), "at least two points"),
        (((0, 0, 1, 1), (0, 0, 5, 5)), "one place in the plane"),
        (((0, 0, 1, 1), (1, 0, 1, 1)), "one place in the image"),
        (((0, 0, 1, 1), (1, 0, 2, 1), (2, 0, 3, 1)), "on one line"),
        (((0, 0, 1, 1), (float("nan"), 0, 2, 1)), "finite"),
    ],
)
def test_unusable_points_are_refused_naming_why(points, problem):
    with pytest.raises(ValueError, match=problem):
        PlaneCalibration(points)


def test_a_calibration_is_stored_with_its_video(project: Path) -> None:
    video = write_video(project.parent / "captures" / "run_03_side.mp4", frames=10)
    assert main(["video", str(project), "run_03", "add", str(video)]) == 0
    opened = open_project(project)
    points = ((0.0, 0.0, 100.0, 900.0), (1.0, 0.0, 500.0, 900.0))
    set_video_calibration(opened, "run_03", "side", PlaneCalibration(points))
    (record,) = trial_videos(open_project(project), "run_03")
    assert record.calibration == PlaneCalibration(points)
    assert VideoRecord.from_dict(record.to_dict()) == record
    set_video_calibration(opened, "run_03", "side", None)
    (record,) = trial_videos(open_project(project), "run_03")
    assert record.calibration is None
    assert "calibration" not in record.to_dict()


def test_the_cli_calibrates_a_camera(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = write_video(project.parent / "captures" / "run_03_side.mp4", frames=10)
    assert main(["video", str(project), "run_03", "add", str(video)]) == 0
    capsys.readouterr()
    args = ["video", str(project), "run_03", "calibrate", "side"]
    points = ["--point", "0,0=100,900", "--point", "1.2,0=580,900"]
    assert main([*args, *points, "--point", "0,1.5=100,300"]) == 0
    assert (
        "calibrated from 3 points (affine); residual 0.00 px" in capsys.readouterr().out
    )
    assert main(["video", str(project), "run_03", "list"]) == 0
    assert "affine (3)" in capsys.readouterr().out
    assert main([*args, "--point", "0,0=100,900"]) == 2
    assert "at least two points" in capsys.readouterr().err
    assert main([*args, "--point", "0,0=100"]) == 2
    assert "expected FWD,UP=U,V" in capsys.readouterr().err
    assert main(args) == 2  # neither points nor --clear
    assert main([*args, "--clear"]) == 0
    assert "calibration removed" in capsys.readouterr().out
    (record,) = trial_videos(open_project(project), "run_03")
    assert record.calibration is None
