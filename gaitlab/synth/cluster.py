"""A synthetic cluster protocol with known answers (CAST-like, "6DOF").

The synthetic runner of :mod:`gaitlab.synth.running` is re-marked the way
cluster protocols mark a subject: rigid 4-marker plates on each thigh
(``LTH1``-``LTH4``) and shank (``LSK1``-``LSK4``), 3 markers on each foot
(``LFT1``-``LFT3``); the anatomical markers of the legs (lateral and medial
femoral epicondyles ``LKNE``/``LKNM``, malleoli ``LANK``/``LMED``, heel
``LHEE``, toe ``LTOE``) are placed only in the static trial, and the thigh
and shank wands (``LTHI``, ``LTIB``) are not used. Pelvis, trunk, arm and
head markers are the Plug-in Gait ones in both trials.

Every marker is fixed in its segment's frame, built from the true joint
centres (lab frame, m):

* thigh: origin KJC, y along KJC→HJC, z lateral (right for the right leg);
* shank: origin AJC, y along AJC→KJC, z lateral;
* foot: origin the heel marker, x along heel→toe, z lateral.

The lateral and medial epicondyles are ±half the default knee width (0.100 m)
from the KJC along the lateral axis, the malleoli ±half the ankle width
(0.070 m) from the AJC, so gaitlab's midpoint rules return the true joint
centres. Plates sit at fixed fractions of the segment length: on a taller or
shorter subject they lie elsewhere relative to the joints.

Soft-tissue artefact (dynamic trial only): smooth noise (white noise
low-passed at 6 Hz) giving each cluster marker an RMS 3D displacement of
``noise_mm``. A fraction ``rigid_fraction`` of its variance moves the whole
cluster together (a plate sliding on the skin: the dominant part of the
artefact of rigid clusters, which no fit can see), the rest moves each marker
on its own (seen as fit residual).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from gaitlab.core.geometry import unit
from gaitlab.core.signal import lowpass
from gaitlab.core.trial import MarkerSet, Trial
from gaitlab.core.types import FloatArray
from gaitlab.synth.body import DEFAULT_WIDTHS_M
from gaitlab.synth.running import SyntheticRun, SyntheticStatic, TruePoints

__all__ = [
    "ANATOMICAL_LABELS",
    "CLUSTER_LABELS",
    "SOFT_TISSUE_CUTOFF_HZ",
    "ClusterProtocol",
    "cluster_markers",
    "cluster_protocol",
]


SOFT_TISSUE_CUTOFF_HZ = 6.0
"""Low-pass cut-off of the soft-tissue noise (Hz): skin moves with the impacts
and the muscles, not as white noise."""

# Local positions (m): (anterior x, along-segment y as a fraction of the
# segment length, lateral z) per marker; z is outward (lateral) positive.
_PLATES = {
    "TH": ("thigh", ((0.00, 0.30, 0.085), (0.05, 0.30, 0.070), (0.00, 0.55, 0.090),
                     (0.05, 0.55, 0.075))),
    "SK": ("shank", ((0.00, 0.35, 0.055), (0.04, 0.35, 0.045), (0.00, 0.65, 0.060),
                     (0.04, 0.65, 0.050))),
}  # fmt: skip
# Foot: (along heel->toe as a fraction of heel-toe, up m, lateral m).
_FOOT = ((0.25, 0.060, 0.030), (0.60, 0.045, 0.045), (0.45, 0.065, -0.010))

CLUSTER_LABELS = tuple(
    f"{side}{stem}{i}"
    for side in "LR"
    for stem, count in (("TH", 4), ("SK", 4), ("FT", 3))
    for i in range(1, count + 1)
)
"""Technical markers of the protocol (both trials)."""

ANATOMICAL_LABELS = tuple(
    f"{side}{name}"
    for side in "LR"
    for name in ("KNE", "KNM", "ANK", "MED", "HEE", "TOE")
)
"""Anatomical markers placed only in the static trial."""

_REMOVED = tuple(f"{side}{name}" for side in "LR" for name in ("THI", "TIB"))
_CANONICAL = {
    "KNE": "knee",
    "KNM": "knee_medial",
    "ANK": "ankle",
    "MED": "ankle_medial",
    "HEE": "heel",
    "TOE": "toe",
}


@dataclass(frozen=True)
class ClusterProtocol:
    """A dynamic and a static trial of the cluster protocol, and the truth.

    Attributes
    ----------
    dynamic : Trial
        The running trial: clusters, no anatomical leg markers.
    static : Trial
        The standing trial: clusters and anatomical markers.
    truth : dict of str to ndarray
        True positions in the dynamic trial (lab, m, shape (n_frames, 3)) of
        the canonical landmarks the static trial adds (``l_knee``,
        ``l_knee_medial``, ``l_ankle``, ``l_ankle_medial``, ``l_heel``,
        ``l_toe`` and right).
    points : TruePoints
        True joint centres of the dynamic trial.
    noise_mm : float
        RMS soft-tissue displacement of each cluster marker, mm.
    """

    dynamic: Trial
    static: Trial
    truth: dict[str, FloatArray]
    points: TruePoints
    noise_mm: float


def cluster_markers(
    points: TruePoints, e_right: npt.ArrayLike
) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    """Cluster and anatomical leg markers fixed to the true segments.

    Parameters
    ----------
    points : TruePoints
        True joint centres and heel/toe points, lab frame, m.
    e_right : array_like, shape (3,)
        The subject's rightward unit vector (lab frame).

    Returns
    -------
    clusters, anatomical : dict of str to ndarray, shape (n_frames, 3)
        By label (:data:`CLUSTER_LABELS`, :data:`ANATOMICAL_LABELS`), m.
    """
    right = np.asarray(e_right, float)
    clusters: dict[str, FloatArray] = {}
    anatomical: dict[str, FloatArray] = {}
    for side, sign in (("L", -1.0), ("R", 1.0)):
        p = side.lower()
        out = sign * right

        def get(name: str, p: str = p) -> FloatArray:
            return np.asarray(getattr(points, f"{p}_{name}"), float)

        hjc, kjc, ajc = get("hjc"), get("kjc"), get("ajc")
        heel, toe = get("heel"), get("toe")
        for stem, (segment, plate) in _PLATES.items():
            origin, top = (kjc, hjc) if segment == "thigh" else (ajc, kjc)
            along = top - origin
            length = np.linalg.norm(along, axis=1, keepdims=True)
            y = along / length
            x = unit(np.cross(y, right))  # anterior: up x right = forward
            for i, (ax, fy, az) in enumerate(plate, start=1):
                clusters[f"{side}{stem}{i}"] = (
                    origin + ax * x + fy * length * y + az * out
                )
        forward = toe - heel
        up = unit(np.cross(right, forward))
        for i, (fx, uy, lz) in enumerate(_FOOT, start=1):
            clusters[f"{side}FT{i}"] = heel + fx * forward + uy * up + lz * out
        knee, ankle = 0.5 * DEFAULT_WIDTHS_M["knee"], 0.5 * DEFAULT_WIDTHS_M["ankle"]
        anatomical |= {
            f"{side}KNE": kjc + knee * out,
            f"{side}KNM": kjc - knee * out,
            f"{side}ANK": ajc + ankle * out,
            f"{side}MED": ajc - ankle * out,
            f"{side}HEE": heel,
            f"{side}TOE": toe,
        }
    return clusters, anatomical


def _soft_tissue(
    n_frames: int, rate_hz: float, noise_mm: float, rng: np.random.Generator
) -> FloatArray:
    """Smooth displacement (n_frames, 3) with an RMS 3D length of ``noise_mm``."""
    if noise_mm <= 0:
        return np.zeros((n_frames, 3))
    white = rng.standard_normal((n_frames, 3))
    smooth = lowpass(white, rate_hz, SOFT_TISSUE_CUTOFF_HZ)
    smooth -= smooth.mean(axis=0)
    rms = np.sqrt(np.mean(np.sum(smooth**2, axis=1)))
    return smooth * (noise_mm / 1000.0 / rms)


def _e_right(e_up: FloatArray, e_forward: FloatArray) -> FloatArray:
    return np.cross(e_forward, e_up)


def _remarked(
    trial: Trial,
    drop: tuple[str, ...],
    add: dict[str, FloatArray],
) -> Trial:
    """The trial with some markers removed and others added (lab frame, m)."""
    markers = trial.markers
    keep = [i for i, label in enumerate(markers.labels) if label not in drop]
    labels = tuple(markers.labels[i] for i in keep) + tuple(add)
    data = np.concatenate(
        [markers.data[:, keep], np.stack(list(add.values()), axis=1)], axis=1
    )
    return replace(
        trial,
        markers=MarkerSet(
            data, labels, markers.rate_hz, markers.t0_s, (), markers.original_unit
        ),
    )


def cluster_protocol(
    run: SyntheticRun,
    run_trial: Trial,
    static: SyntheticStatic,
    static_trial: Trial,
    *,
    noise_mm: float = 0.0,
    rigid_fraction: float = 0.9,
    seed: int = 0,
) -> ClusterProtocol:
    """Re-mark a synthetic running trial and its static trial as a cluster protocol.

    Parameters
    ----------
    run, static : SyntheticRun, SyntheticStatic
        Answers of :func:`gaitlab.synth.running.make_running_trial` and
        :func:`~gaitlab.synth.running.make_static_trial` (true joint centres).
    run_trial, static_trial : Trial
        The same trials as read by gaitlab (``gaitlab.read_c3d(run.path)``).
    noise_mm : float
        RMS 3D soft-tissue displacement of each cluster marker in the dynamic
        trial, mm (0: rigid).
    rigid_fraction : float
        Fraction (0-1) of the artefact's variance shared by all markers of a
        cluster (a rigid displacement of the cluster).
    seed : int
        Seed of the soft-tissue noise.

    Returns
    -------
    protocol : ClusterProtocol
    """
    rng = np.random.default_rng(seed)
    clusters, anatomical = cluster_markers(
        run.points, _e_right(run.e_up, run.e_forward)
    )
    if not 0.0 <= rigid_fraction <= 1.0:
        raise ValueError(f"rigid_fraction must be in [0, 1], got {rigid_fraction}")
    n_frames, rate = run_trial.markers.n_frames, run_trial.markers.rate_hz
    shared = np.sqrt(rigid_fraction) * noise_mm
    own = np.sqrt(1.0 - rigid_fraction) * noise_mm
    plates = {label[:-1] for label in clusters}
    slide = {
        plate: _soft_tissue(n_frames, rate, shared, rng) for plate in sorted(plates)
    }
    clusters = {
        label: position + slide[label[:-1]] + _soft_tissue(n_frames, rate, own, rng)
        for label, position in clusters.items()
    }
    static_clusters, static_anatomical = cluster_markers(
        static.points, _e_right(static.e_up, static.e_forward)
    )
    truth = {
        f"{label[0].lower()}_{_CANONICAL[label[1:]]}": position
        for label, position in anatomical.items()
    }
    return ClusterProtocol(
        dynamic=_remarked(run_trial, _REMOVED + ANATOMICAL_LABELS, clusters),
        static=_remarked(
            static_trial,
            _REMOVED + ANATOMICAL_LABELS,
            static_clusters | static_anatomical,
        ),
        truth=truth,
        points=run.points,
        noise_mm=float(noise_mm),
    )
