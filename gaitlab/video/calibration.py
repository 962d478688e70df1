"""A side camera's 2D calibration: the sagittal plane to the image's pixels.

Given two or more known points, each a position in the body view's sagittal
plane (``forward_m``, ``up_m``: the lab coordinates along the progression and
the vertical, m) and where the camera sees it (``u_px`` right, ``v_px`` down
from the top-left corner of the frame), the calibration maps any point of
the plane to the image, so the body view's lean lines can be drawn over the
video:

* **2 points**: a similarity (scale, rotation, translation). Two points fix
  it up to a mirror image; the mirror is the one that shows "up" upwards in
  the image (a camera is not upside down).
* **3 points**: an affine map (also shears and unequal scales).
* **4 or more**: a plane homography (the camera's perspective), the
  least-squares fit of the normalised direct linear transform (Hartley &
  Zisserman 2004, algorithm 4.2) when there are more than four.

The map is exact through 2 or 3 points; with more, :attr:`residual_px` says
how far the points are from where it puts them. It is only as good as the
plane: points out of the sagittal plane (the far leg, an arm swinging out)
are drawn where their projection onto the plane would be.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

__all__ = ["PlaneCalibration"]

CalibrationPoint = tuple[float, float, float, float]
"""(forward_m, up_m, u_px, v_px): a plane point and where the image shows it."""


@dataclass(frozen=True)
class PlaneCalibration:
    """Maps the sagittal plane (m) to a camera's image (pixels).

    Parameters
    ----------
    points : sequence of (forward_m, up_m, u_px, v_px)
        Two or more known points.

    Raises
    ------
    ValueError
        Fewer than two points, a value that is not a finite number, two
        points at one place (in the plane or the image), or three or more
        points on one line (their map is not fixed).

    Examples
    --------
    >>> c = PlaneCalibration(((0.0, 0.0, 100.0, 900.0), (1.0, 0.0, 600.0, 900.0)))
    >>> c.kind, c.to_image([[0.5, 1.0]]).round(1).tolist()
    ('similarity', [[350.0, 400.0]])
    """

    points: tuple[CalibrationPoint, ...]

    def __post_init__(self) -> None:
        points = tuple(tuple(float(v) for v in p) for p in self.points)
        if len(points) < 2 or any(len(p) != 4 for p in points):
            raise ValueError(
                "a calibration needs at least two points (forward, up, u, v)"
            )
        array = np.array(points)
        if not np.isfinite(array).all():
            raise ValueError("calibration points must be finite numbers")
        for columns, where in (((0, 1), "plane"), ((2, 3), "image")):
            coords = array[:, columns]
            gaps = np.linalg.norm(coords[:, None] - coords[None], axis=-1)
            np.fill_diagonal(gaps, np.inf)
            if gaps.min() < 1e-9 * max(1.0, float(np.abs(coords).max())):
                raise ValueError(
                    f"two calibration points are at one place in the {where}"
                )
        if len(points) >= 3 and (_collinear(array[:, :2]) or _collinear(array[:, 2:])):
            raise ValueError(
                "the calibration points lie on one line: they fix no 2D map "
                "(use two points, or add one off the line)"
            )
        object.__setattr__(self, "points", points)

    @classmethod
    def from_json(cls, values: Iterable[Sequence[float]]) -> PlaneCalibration:
        """A calibration from :meth:`to_json`'s lists (ValueError if invalid)."""
        return cls(tuple(tuple(float(v) for v in p) for p in values))  # type: ignore[misc]

    def to_json(self) -> list[list[float]]:
        """The points as JSON-able lists."""
        return [list(p) for p in self.points]

    @property
    def kind(self) -> str:
        """``similarity`` (2 points), ``affine`` (3) or ``homography`` (4+)."""
        return {2: "similarity", 3: "affine"}.get(len(self.points), "homography")

    @cached_property
    def matrix(self) -> np.ndarray:
        """The 3×3 map of homogeneous plane points ``(forward, up, 1)`` to pixels."""
        array = np.array(self.points)
        plane, image = array[:, :2], array[:, 2:]
        if self.kind == "similarity":
            return _similarity(plane, image)
        if self.kind == "affine":
            return _affine(plane, image)
        return _homography(plane, image)

    @property
    def residual_px(self) -> float:
        """RMS distance from each point's pixel to where the map puts it, px."""
        array = np.array(self.points)
        error = self.to_image(array[:, :2]) - array[:, 2:]
        return float(np.sqrt(np.mean(np.sum(error**2, axis=1))))

    def to_image(self, plane_m: npt.ArrayLike) -> np.ndarray:
        """Pixels (u, v) of sagittal points (..., 2) in m (NaN stays NaN)."""
        plane = np.asarray(plane_m, dtype=float)
        ones = np.ones((*plane.shape[:-1], 1))
        mapped = np.concatenate([plane, ones], axis=-1) @ self.matrix.T
        with np.errstate(invalid="ignore", divide="ignore"):
            return mapped[..., :2] / mapped[..., 2:3]


def _collinear(points: np.ndarray) -> bool:
    """True when every point lies on one line (relative tolerance 1e-6)."""
    centred = points - points.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    return bool(singular[1] <= 1e-6 * singular[0])


def _similarity(plane: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Scale, rotation and translation through two points; the mirror that
    shows the plane's up (+y) upwards in the image (−v)."""
    candidates = []
    for mirror in (1.0, -1.0):  # image v runs down: the usual map mirrors
        a = plane[:, 0] + 1j * mirror * plane[:, 1]
        b = image[:, 0] + 1j * image[:, 1]
        scale = (b[1] - b[0]) / (a[1] - a[0])  # complex: scale and rotation
        shift = b[0] - scale * a[0]
        s, c = scale.imag, scale.real
        matrix = np.array(
            [[c, -s * mirror, shift.real], [s, c * mirror, shift.imag], [0, 0, 1.0]]
        )
        candidates.append(matrix)
    # the up direction (0, 1) in the image: v must decrease
    return min(candidates, key=lambda m: m[1, 1])


def _affine(plane: np.ndarray, image: np.ndarray) -> np.ndarray:
    """The affine map through three points."""
    design = np.column_stack([plane, np.ones(len(plane))])
    solution = np.linalg.solve(design, image)  # (3, 2): rows x, y, 1
    return np.vstack([solution.T, [0.0, 0.0, 1.0]])


def _normaliser(points: np.ndarray) -> np.ndarray:
    """Similarity moving the points' centroid to 0 and their mean distance to √2."""
    centre = points.mean(axis=0)
    spread = np.mean(np.linalg.norm(points - centre, axis=1))
    k = np.sqrt(2.0) / spread
    return np.array([[k, 0, -k * centre[0]], [0, k, -k * centre[1]], [0, 0, 1.0]])


def _homography(plane: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Normalised DLT: the homography through 4 points, least squares beyond."""
    t_plane, t_image = _normaliser(plane), _normaliser(image)
    p = np.column_stack([plane, np.ones(len(plane))]) @ t_plane.T
    q = np.column_stack([image, np.ones(len(image))]) @ t_image.T
    rows = []
    for (x, y, w), (u, v, z) in zip(p, q, strict=True):
        rows.append([0, 0, 0, -z * x, -z * y, -z * w, v * x, v * y, v * w])
        rows.append([z * x, z * y, z * w, 0, 0, 0, -u * x, -u * y, -u * w])
    _, _, vt = np.linalg.svd(np.array(rows))
    h = vt[-1].reshape(3, 3)
    matrix = np.linalg.inv(t_image) @ h @ t_plane
    return matrix / matrix[2, 2]
