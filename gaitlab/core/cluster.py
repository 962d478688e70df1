"""Cluster marker protocols: anatomical landmarks carried by technical markers.

In a cluster protocol (CAST, "6DOF" marker sets) anatomical markers (femoral
epicondyles, malleoli, trochanters ...) are placed for a static calibration
trial and removed for the dynamic trials, where rigid clusters of technical
markers on each segment carry the motion (Cappozzo et al. 1995). This module

1. **calibrates** a segment from the static trial (:func:`calibrate_segment`):
   the technical markers' mean static configuration is the segment's
   technical frame, and each anatomical landmark is expressed in it by a
   least-squares rigid fit per static frame (Kabsch / SVD method, Söderkvist
   & Wedin 1993), averaged over the static frames;
2. **reconstructs** the landmarks in a dynamic trial
   (:meth:`SegmentCalibration.reconstruct`): per frame, the static
   configuration of the visible technical markers is fitted (rigid, least
   squares) to their measured positions and the landmarks are carried along.
   Frames with fewer than 3 visible technical markers, or visible markers
   that are (nearly) collinear, get NaN, never a guess.

The fit residual, the RMS distance between measured technical markers and
their fitted static positions, is the quality measure (in mm): it grows with
soft-tissue movement, a cluster marker swapped or moved, or a static trial
that is not this subject's.

Segments and the landmarks they carry are fixed here
(:data:`SEGMENT_LANDMARKS`); which technical markers belong to a segment
comes from the marker-set presets and the project's overrides
(:attr:`gaitlab.core.landmarks.MarkerPreset.clusters`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from gaitlab.core.errors import StaticMismatchError
from gaitlab.core.types import SIDE_PREFIX, FloatArray

if TYPE_CHECKING:
    from gaitlab.core.landmarks import MarkerMap
    from gaitlab.core.trial import MarkerSet

__all__ = [
    "DEFAULT_MISMATCH_MM",
    "DEFAULT_RESIDUAL_THRESHOLD_MM",
    "MIN_SPREAD_M",
    "SEGMENT_LANDMARKS",
    "SegmentCalibration",
    "SegmentReconstruction",
    "StaticMismatchError",
    "TrialReconstruction",
    "calibrate_segment",
    "reconstruct_trial",
    "rigid_fit",
    "segment_of",
]

DEFAULT_RESIDUAL_THRESHOLD_MM = 10.0
"""Per-frame fit residual (RMS over the technical markers, mm) above which a
frame of a dynamic trial is flagged. On the CAST plates of the Fukuchi et al.
(2017) running trials the residual is 0.3-1.4 mm (median) and at most 4.5 mm;
10 mm means a marker was swapped, knocked or lost its place, or the skin under
a cluster of separate markers moved far."""

DEFAULT_MISMATCH_MM = 15.0
"""Median fit residual (mm) over a dynamic trial above which the static trial is
refused for that segment: the cluster does not have the shape it had in the
static trial (another subject, or the cluster was re-applied)."""

MIN_SPREAD_M = 0.005
"""Technical markers whose RMS distance from their best-fit line is below this
(m) are treated as collinear: they do not define a rotation about that line."""

_SIDED_SEGMENTS = {
    "thigh": ("trochanter", "thigh", "knee", "knee_medial", "knee_jc"),
    "shank": ("tibia", "ankle", "ankle_medial", "ankle_jc"),
    "foot": ("heel", "toe", "mt1", "mt5", "hallux"),
    "upper_arm": ("elbow", "elbow_medial"),
    "forearm": ("wrist_radial", "wrist_ulnar"),
    "hand": ("hand",),
}

SEGMENT_LANDMARKS: dict[str, tuple[str, ...]] = {
    "pelvis": (
        "l_asis",
        "r_asis",
        "l_psis",
        "r_psis",
        "l_iliac_crest",
        "r_iliac_crest",
        "sacrum",
        "l_hip_jc",
        "r_hip_jc",
    ),
    "trunk": ("c7", "t10", "clavicle", "sternum", "l_shoulder", "r_shoulder"),
    "head": ("l_head_front", "r_head_front", "l_head_back", "r_head_back", "head_top"),
    **{
        f"{side}_{segment}": tuple(f"{side}_{name}" for name in names)
        for side in SIDE_PREFIX.values()
        for segment, names in _SIDED_SEGMENTS.items()
    },
}
"""Segment -> the canonical landmarks fixed to it (knee epicondyles on the thigh,
malleoli on the shank, as in CAST; the acromion on the trunk)."""


def segment_of(landmark: str) -> str | None:
    """Return the segment that carries a canonical landmark, or None.

    Examples
    --------
    >>> segment_of("r_ankle_medial"), segment_of("l_trochanter"), segment_of("c7")
    ('r_shank', 'l_thigh', 'trunk')
    """
    for segment, names in SEGMENT_LANDMARKS.items():
        if landmark in names:
            return segment
    return None


def rigid_fit(
    reference: npt.ArrayLike, measured: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.int_]]:
    """Least-squares rigid transforms of a marker configuration, frame by frame.

    For each frame, the rotation R and translation t minimising
    ``Σ_k |R·ref_k + t - meas_k|²`` over the markers visible in that frame
    (Kabsch / SVD method, with the reflection fix). Frames with fewer than 3
    visible markers, or whose visible markers are collinear within
    :data:`MIN_SPREAD_M`, give NaN.

    Parameters
    ----------
    reference : array_like, shape (k, 3)
        Marker positions in the segment's technical frame, m.
    measured : array_like, shape (n_frames, k, 3)
        Measured positions in the lab frame, m; NaN where a marker is not seen.

    Returns
    -------
    rotation : ndarray, shape (n_frames, 3, 3)
        Technical frame -> lab rotation (NaN where no fit).
    translation : ndarray, shape (n_frames, 3)
        Technical-frame origin in the lab, m.
    residual_m : ndarray, shape (n_frames,)
        RMS distance between measured and fitted markers over the visible
        markers, m (NaN where no fit).
    n_used : ndarray of int, shape (n_frames,)
        Markers visible in each frame.

    Examples
    --------
    >>> ref = np.array([[0.0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]])
    >>> turn = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
    >>> rotation, translation, residual, n = rigid_fit(ref, [ref @ turn.T + 1.0])
    >>> np.allclose(rotation[0], turn), translation[0].round(6), residual.round(9)
    (True, array([1., 1., 1.]), array([0.]))
    """
    ref = np.asarray(reference, float)
    meas = np.asarray(measured, float)
    if ref.ndim != 2 or ref.shape[1] != 3:
        raise ValueError(f"reference must have shape (k, 3), got {ref.shape}")
    if meas.ndim != 3 or meas.shape[1:] != ref.shape:
        raise ValueError(
            f"measured must have shape (n_frames, {ref.shape[0]}, 3), got {meas.shape}"
        )
    n = meas.shape[0]
    rotation = np.full((n, 3, 3), np.nan)
    translation = np.full((n, 3), np.nan)
    residual = np.full(n, np.nan)
    visible = np.isfinite(meas).all(axis=2)
    n_used = visible.sum(axis=1)
    # frames grouped by which markers they see (one bit per marker)
    codes = visible @ (1 << np.arange(ref.shape[0]))
    for code in np.unique(codes):
        frames = np.flatnonzero(codes == code)
        pattern = visible[frames[0]]
        if pattern.sum() < 3 or _spread(ref[pattern]) < MIN_SPREAD_M:
            continue
        r, t, res = _kabsch(ref[pattern], meas[frames][:, pattern])
        rotation[frames], translation[frames], residual[frames] = r, t, res
    return rotation, translation, residual, n_used


def _spread(points: FloatArray) -> float:
    """RMS distance (m) of points from their best-fit straight line."""
    centred = points - points.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    return float(np.sqrt(np.sum(singular[1:] ** 2) / len(points)))


def _kabsch(
    ref: FloatArray, meas: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Kabsch fit of one marker subset over frames (every marker visible)."""
    ref_centre = ref.mean(axis=0)
    meas_centre = meas.mean(axis=1)
    cross = (ref - ref_centre).T @ (meas - meas_centre[:, None])  # (n, 3, 3)
    rotation = _kabsch_rotations(cross)
    translation = meas_centre - rotation @ ref_centre
    fitted = ref @ rotation.transpose(0, 2, 1) + translation[:, None]
    residual = np.sqrt(np.mean(np.sum((fitted - meas) ** 2, axis=2), axis=1))
    return rotation, translation, residual


_MIN_GAP = 1e-3
"""Smallest gap between squared singular values, relative to the largest, for
the closed-form rotation; closer ones (a cluster with two equal spreads, or a
degenerate fit) take the SVD."""


def _kabsch_rotations(cross: FloatArray) -> FloatArray:
    """Return the proper rotation of each frame's Kabsch fit.

    With ``H = Σ refᵢ·measᵢᵀ = U·S·Vᵀ`` (shape (n, 3, 3)), Kabsch's rotation is
    ``R = V·diag(1, 1, sign det(V·Uᵀ))·Uᵀ``. Batched LAPACK SVDs of 3×3
    matrices cost far more in per-call overhead than in arithmetic, so ``V``
    and ``S`` come in closed form from the eigen-decomposition of ``HᵀH``
    (trigonometric eigenvalues, eigenvectors as cross products of the rows of
    ``HᵀH − λI``), ``uᵢ = H·vᵢ / sᵢ`` for the two largest singular values,
    and ``v₃ = v₁ × v₂``, ``u₃ = u₁ × u₂``: ``V·Uᵀ`` built from these proper
    bases is the sign-corrected Kabsch rotation, also for the flat (rank-2)
    clusters of marker plates. The arithmetic runs on the nine entries as
    separate arrays (four times faster than the SVD on 4500 frames) and
    equals the SVD's to ~1e-12; frames whose singular values are too close
    for the closed form take the SVD.
    """
    rotation = np.empty_like(cross)
    h = [[cross[:, i, j] for j in range(3)] for i in range(3)]
    with np.errstate(divide="ignore", invalid="ignore"):
        gram = [
            [
                h[0][i] * h[0][j] + h[1][i] * h[1][j] + h[2][i] * h[2][j]
                for j in range(3)
            ]
            for i in range(3)
        ]
        lam1, lam2, lam3 = _symmetric_eigenvalues(gram)
        v1 = _eigenvector(gram, lam1)
        v2 = _eigenvector(gram, lam2)
        v2 = _unit(_minus_projection(v2, v1))
        u1 = _unit(_times(h, v1))
        u2 = _unit(_minus_projection(_times(h, v2), u1))
        v3, u3 = _cross(v1, v2), _cross(u1, u2)
        for i in range(3):
            for j in range(3):
                rotation[:, i, j] = v1[i] * u1[j] + v2[i] * u2[j] + v3[i] * u3[j]
        closed = (
            np.isfinite(lam1)
            & (lam1 > 0)
            & (lam1 - lam2 > _MIN_GAP * lam1)
            & (lam2 - lam3 > _MIN_GAP * lam1)
            & np.all(np.isfinite(rotation), axis=(1, 2))
        )
    if not closed.all():
        rotation[~closed] = _svd_rotations(cross[~closed])
    return rotation


def _svd_rotations(cross: FloatArray) -> FloatArray:
    """Return Kabsch's rotations by SVD, ``R = V·diag(1, 1, sign)·Uᵀ`` (any H)."""
    u, _, vt = np.linalg.svd(cross)
    sign = np.sign(np.linalg.det(u @ vt))
    sign[sign == 0] = 1.0
    correction = np.ones((len(cross), 3))
    correction[:, 2] = sign
    return (vt.transpose(0, 2, 1) * correction[:, None, :]) @ u.transpose(0, 2, 1)


Vector = list[FloatArray]
"""A 3-vector per frame as its three components, each shape (n,)."""
Matrix = list[list[FloatArray]]
"""A 3×3 matrix per frame as its rows of components, each shape (n,)."""


def _symmetric_eigenvalues(a: Matrix) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return the eigenvalues of symmetric 3×3 matrices, largest first.

    The trigonometric solution of the characteristic cubic (Smith 1961):
    NaN where all three are equal (the caller falls back to the SVD).
    """
    off = a[0][1] ** 2 + a[0][2] ** 2 + a[1][2] ** 2
    q = (a[0][0] + a[1][1] + a[2][2]) / 3.0
    d0, d1, d2 = a[0][0] - q, a[1][1] - q, a[2][2] - q
    p = np.sqrt((d0**2 + d1**2 + d2**2 + 2.0 * off) / 6.0)
    det = (
        d0 * (d1 * d2 - a[1][2] ** 2)
        - a[0][1] * (a[0][1] * d2 - a[1][2] * a[0][2])
        + a[0][2] * (a[0][1] * a[1][2] - d1 * a[0][2])
    )
    phi = np.arccos(np.clip(det / (2.0 * p**3), -1.0, 1.0)) / 3.0
    largest = q + 2.0 * p * np.cos(phi)
    smallest = q + 2.0 * p * np.cos(phi + 2.0 * np.pi / 3.0)
    return largest, 3.0 * q - largest - smallest, smallest


def _eigenvector(a: Matrix, lam: FloatArray) -> Vector:
    """Return the unit eigenvector of symmetric ``a`` for its simple eigenvalue ``lam``.

    The null vector of ``a − λI``: the longest cross product of two of its rows.
    """
    rows = [[a[i][j] - lam if i == j else a[i][j] for j in range(3)] for i in range(3)]
    candidates = [
        _cross(rows[0], rows[1]),
        _cross(rows[0], rows[2]),
        _cross(rows[1], rows[2]),
    ]
    norms = np.stack([c[0] ** 2 + c[1] ** 2 + c[2] ** 2 for c in candidates])
    best = np.argmax(norms, axis=0)
    chosen = [np.choose(best, [c[k] for c in candidates]) for k in range(3)]
    return _unit(chosen)


def _cross(a: Vector, b: Vector) -> Vector:
    """Return a × b."""
    return [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]


def _times(m: Matrix, v: Vector) -> Vector:
    """Return m·v."""
    return [m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2] for i in range(3)]


def _minus_projection(a: Vector, unit: Vector) -> Vector:
    """Return a without its component along ``unit``."""
    along = a[0] * unit[0] + a[1] * unit[1] + a[2] * unit[2]
    return [a[k] - along * unit[k] for k in range(3)]


def _unit(v: Vector) -> Vector:
    """Return v scaled to length 1."""
    length = np.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
    return [v[0] / length, v[1] / length, v[2] / length]


@dataclass(frozen=True)
class SegmentReconstruction:
    """Landmarks of one segment rebuilt in a dynamic trial, with their quality.

    Attributes
    ----------
    segment : str
        Segment name (a key of :data:`SEGMENT_LANDMARKS`).
    landmarks : dict of str to ndarray
        Canonical landmark -> trajectory, shape (n_frames, 3), m, lab frame;
        NaN where the cluster could not be fitted.
    residual_mm : ndarray, shape (n_frames,)
        Fit residual per frame (RMS over the visible technical markers), mm.
    n_markers : ndarray of int, shape (n_frames,)
        Technical markers visible per frame.
    flagged : ndarray of bool, shape (n_frames,)
        Frames whose residual exceeds ``threshold_mm``.
    threshold_mm : float
        The flagging threshold used, mm.
    labels : tuple of str
        The technical markers used.
    """

    segment: str
    landmarks: dict[str, FloatArray]
    residual_mm: FloatArray
    n_markers: npt.NDArray[np.int_]
    flagged: npt.NDArray[np.bool_]
    threshold_mm: float
    labels: tuple[str, ...]

    @property
    def fitted_fraction(self) -> float:
        """Fraction of frames with a fit (at least 3 non-collinear markers)."""
        if self.residual_mm.size == 0:
            return 0.0
        return float(np.isfinite(self.residual_mm).mean())

    def summary(self) -> str:
        """One line: markers, frames fitted, median and 95th-percentile residual."""
        fitted = np.isfinite(self.residual_mm)
        text = (
            f"{self.segment}: {', '.join(sorted(self.landmarks))} rebuilt from "
            f"{len(self.labels)} technical markers ({', '.join(self.labels)}), "
            f"{100 * self.fitted_fraction:.1f} % of frames fitted"
        )
        if fitted.any():
            median, p95 = np.percentile(self.residual_mm[fitted], [50, 95])
            text += f", residual median {median:.1f} mm, p95 {p95:.1f} mm"
        if self.flagged.any():
            text += (
                f"; {int(self.flagged.sum())} frames flagged above "
                f"{self.threshold_mm:g} mm"
            )
        return text


@dataclass(frozen=True)
class SegmentCalibration:
    """One segment calibrated from a static trial.

    Attributes
    ----------
    segment : str
        Segment name.
    labels : tuple of str
        The technical markers, in the order of ``reference``.
    reference : ndarray, shape (k, 3)
        Their positions in the segment's technical frame (origin at their
        centroid, axes along their principal directions), m.
    landmarks : dict of str to ndarray
        Canonical landmark -> position in the technical frame, shape (3,), m.
    residual_mm : float
        RMS fit residual of the technical markers over the static frames, mm.
    landmark_spread_mm : dict of str to float
        RMS scatter of each landmark's technical-frame position over the static
        frames, mm (how still the landmark was relative to the cluster).
    n_frames : int
        Static frames used.
    source : str
        Label of the static trial.
    """

    segment: str
    labels: tuple[str, ...]
    reference: FloatArray
    landmarks: dict[str, FloatArray]
    residual_mm: float
    landmark_spread_mm: dict[str, float]
    n_frames: int
    source: str = ""

    def subset(self, labels: Sequence[str]) -> SegmentCalibration:
        """Restrict the calibration to some of the technical markers.

        Used to rebuild the landmarks from another triplet of the cluster (a
        consistency check); the technical frame is unchanged.

        Raises
        ------
        ValueError
            A label is not a technical marker of this calibration.
        """
        unknown = [label for label in labels if label not in self.labels]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)} not among the technical markers of "
                f"{self.segment} ({', '.join(self.labels)})"
            )
        rows = [self.labels.index(label) for label in labels]
        return SegmentCalibration(
            self.segment,
            tuple(labels),
            self.reference[rows],
            self.landmarks,
            self.residual_mm,
            self.landmark_spread_mm,
            self.n_frames,
            self.source,
        )

    def reconstruct(
        self,
        measured: Mapping[str, npt.ArrayLike],
        *,
        threshold_mm: float = DEFAULT_RESIDUAL_THRESHOLD_MM,
        max_mismatch_mm: float | None = DEFAULT_MISMATCH_MM,
    ) -> SegmentReconstruction:
        """Rebuild the landmarks in a dynamic trial.

        Parameters
        ----------
        measured : mapping of str to array_like
            Technical marker label -> trajectory, shape (n_frames, 3), m; every
            label of this calibration must be present (NaN where unseen).
        threshold_mm : float
            Frames whose fit residual exceeds this (mm) are flagged.
        max_mismatch_mm : float or None
            Refuse when the median residual over the trial exceeds this (mm):
            the cluster's shape differs from the static trial's. None: never.

        Returns
        -------
        reconstruction : SegmentReconstruction

        Raises
        ------
        StaticMismatchError
            The median residual exceeds ``max_mismatch_mm``.
        KeyError
            A technical marker is absent from ``measured``.
        """
        stack = np.stack([np.asarray(measured[label], float) for label in self.labels])
        stack = np.swapaxes(stack, 0, 1)
        rotation, translation, residual, n_used = rigid_fit(self.reference, stack)
        residual_mm = 1000.0 * residual
        fitted = np.isfinite(residual_mm)
        if max_mismatch_mm is not None and fitted.any():
            median = float(np.median(residual_mm[fitted]))
            if median > max_mismatch_mm:
                raise StaticMismatchError(
                    f"the static trial {self.source} does not fit this trial's "
                    f"{self.segment} markers ({', '.join(self.labels)}): median "
                    f"rigid-fit residual {median:.1f} mm > {max_mismatch_mm:g} mm "
                    "(a static trial of another subject, or the cluster was "
                    "re-applied between trials)"
                )
        landmarks = {
            name: np.einsum("nij,j->ni", rotation, local) + translation
            for name, local in self.landmarks.items()
        }
        with np.errstate(invalid="ignore"):
            flagged = residual_mm > threshold_mm
        return SegmentReconstruction(
            self.segment,
            landmarks,
            residual_mm,
            n_used,
            flagged,
            float(threshold_mm),
            self.labels,
        )


def calibrate_segment(
    segment: str,
    technical: Mapping[str, npt.ArrayLike],
    landmarks: Mapping[str, npt.ArrayLike],
    *,
    source: str = "",
) -> SegmentCalibration:
    """Express anatomical landmarks in a segment's technical frame (static trial).

    The reference configuration is the mean of the static frames after each
    is rigidly aligned to the first complete one (so sway does not blur it),
    centred on its centroid and turned to its principal axes. Each static
    frame is then fitted by that reference (:func:`rigid_fit`) and each
    landmark's position in the technical frame is the mean over the frames
    where both exist.

    Parameters
    ----------
    segment : str
        Segment name, for messages.
    technical : mapping of str to array_like
        Technical marker label -> static trajectory, shape (n_frames, 3), m.
        At least 3 non-collinear markers.
    landmarks : mapping of str to array_like
        Canonical landmark -> static trajectory, shape (n_frames, 3), m.
    source : str
        Label of the static trial, for messages.

    Returns
    -------
    calibration : SegmentCalibration

    Raises
    ------
    ValueError
        Fewer than 3 technical markers, collinear markers, or no static frame
        where all technical markers and a landmark are visible.
    """
    labels = tuple(technical)
    where = f"{segment} in the static trial {source}".rstrip()
    if len(labels) < 3:
        raise ValueError(
            f"{where}: {len(labels)} technical markers "
            f"({', '.join(labels) or 'none'}), at least 3 are needed"
        )
    stack = np.swapaxes(
        np.stack([np.asarray(technical[label], float) for label in labels]), 0, 1
    )
    complete = np.isfinite(stack).all(axis=(1, 2))
    if not complete.any():
        raise ValueError(f"{where}: no frame shows all of {', '.join(labels)}")
    first = stack[np.flatnonzero(complete)[0]]
    if _spread(first) < MIN_SPREAD_M:
        raise ValueError(
            f"{where}: the technical markers {', '.join(labels)} are collinear "
            f"(within {1000 * MIN_SPREAD_M:g} mm of a line)"
        )
    centred = first - first.mean(axis=0)
    rotation, translation, _, _ = rigid_fit(centred, stack[complete])
    in_first = np.einsum(
        "nji,nkj->nki", rotation, stack[complete] - translation[:, None]
    )
    mean_shape = in_first.mean(axis=0)
    mean_shape -= mean_shape.mean(axis=0)
    _, _, axes = np.linalg.svd(mean_shape)
    if np.linalg.det(axes) < 0:
        axes[2] *= -1
    reference = mean_shape @ axes.T
    rotation, translation, residual, _ = rigid_fit(reference, stack)
    local: dict[str, FloatArray] = {}
    spread: dict[str, float] = {}
    for name, trajectory in landmarks.items():
        position = np.asarray(trajectory, float)
        inside = np.einsum("nji,nj->ni", rotation, position - translation)
        good = np.isfinite(inside).all(axis=1)
        if not good.any():
            raise ValueError(
                f"{where}: no frame shows both {name} and the technical markers"
            )
        local[name] = inside[good].mean(axis=0)
        deviation = np.linalg.norm(inside[good] - local[name], axis=1)
        spread[name] = float(1000 * np.sqrt(np.mean(deviation**2)))
    fitted = np.isfinite(residual)
    return SegmentCalibration(
        segment,
        labels,
        reference,
        local,
        float(1000 * np.sqrt(np.mean(residual[fitted] ** 2))),
        spread,
        int(fitted.sum()),
        source,
    )


@dataclass(frozen=True)
class TrialReconstruction:
    """Every landmark of a dynamic trial rebuilt from its static trial.

    Attributes
    ----------
    static_label : str
        The static trial used.
    calibrations : dict of str to SegmentCalibration
        Per segment, the static calibration.
    segments : dict of str to SegmentReconstruction
        Per segment, the rebuilt landmarks and their fit quality.
    problems : dict of str to str
        Per segment with static-only landmarks that could not be rebuilt, why
        (too few technical markers, static trial refused ...).
    refused : str
        Why the static trial was refused as a whole ("" if it was not).
    """

    static_label: str
    calibrations: dict[str, SegmentCalibration] = field(default_factory=dict)
    segments: dict[str, SegmentReconstruction] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    refused: str = ""

    @property
    def landmarks(self) -> dict[str, FloatArray]:
        """Rebuilt landmark -> trajectory (n_frames, 3), m, over all segments."""
        return {
            name: position
            for segment in self.segments.values()
            for name, position in segment.landmarks.items()
        }

    def problem_for(self, landmark: str) -> str | None:
        """Why ``landmark`` (only in the static trial) was not rebuilt, or None."""
        if self.refused:
            return self.refused
        segment = segment_of(landmark)
        return self.problems.get(segment) if segment is not None else None

    def notes(self) -> list[str]:
        """One line per segment: what was rebuilt and how well, or why not."""
        lines = [
            f"{s.summary()}; static calibration residual "
            f"{self.calibrations[name].residual_mm:.1f} mm ({self.static_label})"
            for name, s in self.segments.items()
        ]
        lines += [f"{name}: {text}" for name, text in self.problems.items()]
        return [self.refused] if self.refused else lines

    def describe(self, segment: str) -> str:
        """How the landmarks of a rebuilt segment were obtained, in one line."""
        rebuilt = self.segments[segment]
        fitted = np.isfinite(rebuilt.residual_mm)
        median = float(np.median(rebuilt.residual_mm[fitted])) if fitted.any() else 0
        return (
            f"{', '.join(rebuilt.landmarks)} rebuilt from the {segment} technical "
            f"markers ({len(rebuilt.labels)}) calibrated on the static trial "
            f"{self.static_label} (static residual "
            f"{self.calibrations[segment].residual_mm:.1f} mm; here median "
            f"{median:.1f} mm, {100 * rebuilt.fitted_fraction:.0f} % of frames "
            f"fitted, {int(rebuilt.flagged.sum())} flagged > "
            f"{rebuilt.threshold_mm:g} mm)"
        )


def reconstruct_trial(
    static_markers: MarkerSet,
    static_map: MarkerMap,
    markers: MarkerSet,
    marker_map: MarkerMap,
    *,
    static_label: str = "",
    threshold_mm: float = DEFAULT_RESIDUAL_THRESHOLD_MM,
    max_mismatch_mm: float | None = DEFAULT_MISMATCH_MM,
) -> TrialReconstruction:
    """Rebuild the landmarks a dynamic trial lacks from its static trial.

    A landmark is rebuilt when it resolves in the static trial but not in the
    dynamic one. Its segment (:func:`segment_of`) is calibrated on the
    technical markers present in both trials: the segment's cluster labels
    (:meth:`MarkerMap.cluster_labels`) and the markers of the segment's
    landmarks that both trials carry (heel and metatarsal markers on the
    foot, ASIS and PSIS on the pelvis ...).

    Parameters
    ----------
    static_markers, static_map : MarkerSet, MarkerMap
        The static trial's markers (m) and landmark resolution.
    markers, marker_map : MarkerSet, MarkerMap
        The dynamic trial's.
    static_label : str
        Name of the static trial, for messages.
    threshold_mm : float
        Residual above which frames are flagged (mm).
    max_mismatch_mm : float or None
        Median residual above which a segment's calibration is refused (mm).

    Returns
    -------
    reconstruction : TrialReconstruction
    """
    wanted: dict[str, list[str]] = {}
    for landmark, segment in _landmark_segments():
        if (
            marker_map.resolve(landmark) is None
            and static_map.resolve(landmark) is not None
        ):
            wanted.setdefault(segment, []).append(landmark)
    result = TrialReconstruction(static_label)
    for segment, names in wanted.items():
        pairs = _technical_pairs(
            segment, static_markers, static_map, markers, marker_map
        )
        if len(pairs) < 3:
            found = ", ".join(label for label, _ in pairs) or "none"
            result.problems[segment] = (
                f"{', '.join(names)} only in the static trial {static_label}, and "
                f"{len(pairs)} technical markers in both trials ({found}): at "
                "least 3 are needed to carry them"
            )
            continue
        try:
            calibration = calibrate_segment(
                segment,
                {moving: static_markers[still] for still, moving in pairs},
                {  # every wanted landmark resolves in the static trial
                    name: position
                    for name in names
                    if (position := static_map.position(static_markers, name))
                    is not None
                },
                source=static_label,
            )
            rebuilt = calibration.reconstruct(
                {moving: markers[moving] for _, moving in pairs},
                threshold_mm=threshold_mm,
                max_mismatch_mm=max_mismatch_mm,
            )
        except ValueError as error:  # StaticMismatchError, or a degenerate cluster
            result.problems[segment] = str(error)
            continue
        result.calibrations[segment] = calibration
        result.segments[segment] = rebuilt
    return result


def _landmark_segments() -> list[tuple[str, str]]:
    return [
        (landmark, segment)
        for segment, names in SEGMENT_LANDMARKS.items()
        for landmark in names
    ]


def _technical_pairs(
    segment: str,
    static_markers: MarkerSet,
    static_map: MarkerMap,
    markers: MarkerSet,
    marker_map: MarkerMap,
) -> list[tuple[str, str]]:
    """Pair the segment's technical markers: (static label, dynamic label).

    Markers seen in fewer than half the static frames, or never in the dynamic
    trial, are left out.
    """
    candidates = list(marker_map.cluster_labels(segment))
    for landmark in SEGMENT_LANDMARKS[segment]:
        resolution = marker_map.resolve(landmark)
        if resolution is not None and static_map.resolve(landmark) is not None:
            candidates.extend(resolution.labels)
    pairs = {}
    for label in candidates:
        still = static_map.find(label)
        if still is None or label in pairs:
            continue
        seen = np.isfinite(static_markers[still]).all(axis=1)
        if seen.mean() >= 0.5 and np.isfinite(markers[label]).any():
            pairs[label] = still
    return [(still, moving) for moving, still in pairs.items()]
