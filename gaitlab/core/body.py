"""Joint centres and the body's centre of mass from landmark trajectories.

This module implements gaitlab's body model (METHODS §3.1-3.4 and the joint-centre
conventions 1-12 of the project notes). It never sees lab marker labels: callers
pass a function ``get(name)`` that returns the trajectory of a *canonical*
landmark (``"l_asis"``, ``"c7"``, ``"l_knee_medial"``, ...), shape (n_frames, 3)
in metres, or None when the recording does not have it. A landmark whose
trajectory holds no finite sample counts as missing.

Everything is vectorised over frames and makes no assumption about the lab's
axes (Z-up or Y-up, any direction of progression). A NaN landmark sample gives NaN
in every point and COM value that depends on it, at that frame only.

Joint centres (``body_points``)
    HJC: the file's ``l_hip_jc``/``r_hip_jc``, else Harrington et al. (2007) in the
    ISB pelvis frame (rules 1-2). KJC/AJC: the file's joint centre, else the
    midpoint of the lateral and medial markers, else the lateral marker moved
    medially by half the knee/ankle width along the pelvis lateral axis
    (rules 3-4). SJC: Rab et al. (2002) (rule 5). EJC, WJC, MET3, CERV, SUPR,
    head COM, HEEL and TTIP: rules 6-9. Every approximation used is listed in
    ``BodyPoints.notes``.

Centre-of-mass models (rules 10-12)
    ``full_body_com``: 14 de Leva (1996) segments. ``running_com``: 2 x (thigh,
    shank, foot) + one lumped HAT on MIDH → CERV. ``pelvis_com``: pelvis marker
    centroid plus an offset fixed in the pelvis frame. ``best_com`` picks the
    first model the points allow, in that order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gaitlab.core.anthropometry import foot_length_m, hat_parameters, segment_parameters
from gaitlab.core.geometry import unit
from gaitlab.core.types import SIDE_PREFIX, SIDES, FloatArray

__all__ = [
    "DEFAULT_ANKLE_WIDTH_M",
    "DEFAULT_ELBOW_WIDTH_M",
    "DEFAULT_KNEE_WIDTH_M",
    "SJC_OFFSET_FRACTION",
    "BodyPoints",
    "ComEstimate",
    "best_com",
    "body_points",
    "full_body_com",
    "hip_joint_centres",
    "pelvis_com",
    "pelvis_frame",
    "pelvis_offset_from_static",
    "running_com",
]

LandmarkGetter = Callable[[str], "npt.ArrayLike | None"]

DEFAULT_KNEE_WIDTH_M = 0.100
"""Knee width used when ``extra["knee_width_m"]`` is not given (rule 3), metres."""

DEFAULT_ANKLE_WIDTH_M = 0.070
"""Ankle width used when ``extra["ankle_width_m"]`` is not given (rule 4), metres."""

DEFAULT_ELBOW_WIDTH_M = 0.070
"""Elbow width used when ``extra["elbow_width_m"]`` is not given (rule 6), metres."""

SJC_OFFSET_FRACTION = 0.17
"""Rab et al. (2002): SJC lies this fraction of the bi-acromial distance below the
acromion marker, along the trunk axis (rule 5)."""

_SIDES = {SIDE_PREFIX[side]: side.lower() for side in SIDES}
"""Side prefix of the point names -> the side's word in the notes."""
_POINT_SEGMENTS = {
    "thigh": ("hjc", "kjc", "primary"),
    "shank": ("kjc", "ajc", "alt_ajc"),
    "foot": ("heel", "ttip", "primary"),
    "upper_arm": ("sjc", "ejc", "primary"),
    "forearm": ("ejc", "wjc", "primary"),
    "hand": ("wjc", "met3", "primary"),
}
"""Limb segment → (origin point, other point, de Leva variant), per side (rule 10)."""

_LEG_SEGMENTS = ("thigh", "shank", "foot")
_ARM_SEGMENTS = ("upper_arm", "forearm", "hand")


@dataclass(frozen=True)
class BodyPoints:
    """Joint centres and reference points of one trial.

    Every point is an array of shape (n_frames, 3) in metres (lab frame), or None
    when the landmarks it needs are missing. Names follow de Leva's endpoints
    (METHODS §3.2) with an ``l_``/``r_`` side prefix.

    Attributes
    ----------
    l_hjc, r_hjc, midh : ndarray | None
        Hip joint centres and their midpoint MIDH.
    l_kjc, r_kjc, l_ajc, r_ajc : ndarray | None
        Knee and ankle joint centres.
    l_sjc, r_sjc, mids : ndarray | None
        Shoulder joint centres and their midpoint MIDS.
    cerv, supr : ndarray | None
        Cervicale (C7 marker) and suprasternale (clavicle marker).
    head_com : ndarray | None
        Head centre of mass (centroid of the four head markers).
    l_ejc, r_ejc, l_wjc, r_wjc, l_met3, r_met3 : ndarray | None
        Elbow and wrist joint centres and 3rd metacarpale.
    l_heel, r_heel, l_ttip, r_ttip : ndarray | None
        Pternion (heel marker) and acropodion (toe tip) of each foot.
    pelvis_centroid : ndarray | None
        Mean of the two ASIS and the two PSIS markers (or of mid-ASIS and the
        sacrum marker).
    pelvis_rotation : ndarray | None
        Shape (n_frames, 3, 3): columns are the pelvis x (anterior), y (superior)
        and z (right) axes in lab coordinates, so ``R @ p_pelvis`` is a lab vector.
    notes : tuple of str
        Every approximation or default used, in words.
    missing : Mapping of str to tuple of str
        For each point that could not be computed, the canonical landmarks that
        were missing.
    reconstructed : frozenset of str
        Canonical landmarks used here that were rebuilt from a static
        calibration (cluster protocols) rather than measured by a marker of
        the trial; points computed from them (e.g. the KJC from rebuilt
        epicondyles) carry the calibration's error.
    """

    l_hjc: FloatArray | None = None
    r_hjc: FloatArray | None = None
    midh: FloatArray | None = None
    l_kjc: FloatArray | None = None
    r_kjc: FloatArray | None = None
    l_ajc: FloatArray | None = None
    r_ajc: FloatArray | None = None
    l_sjc: FloatArray | None = None
    r_sjc: FloatArray | None = None
    mids: FloatArray | None = None
    cerv: FloatArray | None = None
    supr: FloatArray | None = None
    head_com: FloatArray | None = None
    l_ejc: FloatArray | None = None
    r_ejc: FloatArray | None = None
    l_wjc: FloatArray | None = None
    r_wjc: FloatArray | None = None
    l_met3: FloatArray | None = None
    r_met3: FloatArray | None = None
    l_heel: FloatArray | None = None
    r_heel: FloatArray | None = None
    l_ttip: FloatArray | None = None
    r_ttip: FloatArray | None = None
    pelvis_centroid: FloatArray | None = None
    pelvis_rotation: FloatArray | None = None
    notes: tuple[str, ...] = ()
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reconstructed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ComEstimate:
    """A centre-of-mass trajectory and how it was obtained.

    Attributes
    ----------
    com : ndarray
        Shape (n_frames, 3), metres, lab frame; NaN where a needed point is NaN.
    model : str
        ``"full_body"``, ``"running"`` or ``"pelvis"``.
    segments : tuple of str
        Segments (or points) that entered the estimate.
    notes : tuple of str
        Parameters used and, for ``best_com``, why a better model was not
        possible. Approximations made for the joint centres are in
        ``BodyPoints.notes``.
    """

    com: FloatArray
    model: str
    segments: tuple[str, ...]
    notes: tuple[str, ...]


def pelvis_frame(
    l_asis: npt.ArrayLike, r_asis: npt.ArrayLike, mid_psis: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """ISB pelvis frame of Harrington et al. (2007) (conventions rule 1).

    Origin mid-ASIS; z = unit(r_asis - l_asis) (right); x = the part of
    (mid-ASIS - mid-PSIS) perpendicular to z, normalised (anterior); y = cross(z, x)
    (superior).

    Parameters
    ----------
    l_asis, r_asis, mid_psis : array_like, shape (n_frames, 3)
        Landmarks in metres, lab frame (mid_psis: midpoint of the PSIS markers or
        the sacrum marker).

    Returns
    -------
    origin : ndarray, shape (n_frames, 3)
        Mid-ASIS in metres.
    rotation : ndarray, shape (n_frames, 3, 3)
        Columns x, y, z of the pelvis frame in lab coordinates.

    Examples
    --------
    >>> origin, rotation = pelvis_frame(
    ...     [[0.0, 0.1, 1.0]], [[0.0, -0.1, 1.0]], [[-0.15, 0.0, 1.0]])
    >>> rotation[0] + 0.0  # Z-up lab, progression +X: x = +X, y = +Z, z = -Y
    array([[ 1.,  0.,  0.],
           [ 0.,  0., -1.],
           [ 0.,  1.,  0.]])
    """
    left = np.asarray(l_asis, float)
    right = np.asarray(r_asis, float)
    origin = (left + right) / 2
    z_axis = unit(right - left)
    depth = origin - np.asarray(mid_psis, float)
    x_axis = unit(depth - np.sum(depth * z_axis, axis=-1, keepdims=True) * z_axis)
    y_axis = np.cross(z_axis, x_axis)
    return origin, np.stack([x_axis, y_axis, z_axis], axis=-1)


def hip_joint_centres(
    l_asis: npt.ArrayLike,
    r_asis: npt.ArrayLike,
    l_psis: npt.ArrayLike,
    r_psis: npt.ArrayLike,
    *,
    leg_length_m: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Hip joint centres by the Harrington et al. (2007) regressions (rules 1-2).

    In the pelvis frame, in mm, with PW = inter-ASIS distance, PD = mid-ASIS to
    mid-PSIS distance (both per frame) and LL = leg length:
    ``x = -0.24·PD - 9.9``, ``y = -0.16·PW - 0.04·LL - 7.1``,
    ``z = ±(0.28·PD + 0.16·PW + 7.9)``; without LL (PW-only variant)
    ``x = -0.138·PW - 10.4``, ``y = -0.305·PW - 10.9``, ``z = ±(0.33·PW + 7.3)``
    (+ right, - left). No marker-radius correction.

    Parameters
    ----------
    l_asis, r_asis, l_psis, r_psis : array_like, shape (n_frames, 3)
        Pelvis landmarks in metres, lab frame. Pass the sacrum marker as both
        PSIS when only a sacrum marker exists.
    leg_length_m : float | None
        Leg length in metres (mean of both sides); None selects the PW-only
        regression.

    Returns
    -------
    l_hjc, r_hjc : ndarray, shape (n_frames, 3)
        Hip joint centres in metres, lab frame.

    Examples
    --------
    >>> l_hjc, r_hjc = hip_joint_centres(
    ...     [[0.0, 0.1, 1.0]], [[0.0, -0.1, 1.0]],
    ...     [[-0.15, 0.05, 1.0]], [[-0.15, -0.05, 1.0]])
    >>> l_hjc.round(4)  # PW = 0.2 m: x = -38.0, y = -71.9, z = -(73.3) mm
    array([[-0.038 ,  0.0733,  0.9281]])
    """
    l_asis, r_asis = np.asarray(l_asis, float), np.asarray(r_asis, float)
    mid_psis = (np.asarray(l_psis, float) + np.asarray(r_psis, float)) / 2
    origin, rotation = pelvis_frame(l_asis, r_asis, mid_psis)
    width = np.linalg.norm(r_asis - l_asis, axis=-1)
    depth = np.linalg.norm(origin - mid_psis, axis=-1)
    if leg_length_m is None:
        x = -0.138 * width - 0.0104
        y = -0.305 * width - 0.0109
        z = 0.33 * width + 0.0073
    else:
        x = -0.24 * depth - 0.0099
        y = -0.16 * width - 0.04 * leg_length_m - 0.0071
        z = 0.28 * depth + 0.16 * width + 0.0079
    right_local = np.stack([x, y, z], axis=-1)
    left_local = np.stack([x, y, -z], axis=-1)
    return (
        origin + np.einsum("...ij,...j->...i", rotation, left_local),
        origin + np.einsum("...ij,...j->...i", rotation, right_local),
    )


def body_points(
    get: LandmarkGetter,
    *,
    leg_length_m: float | None,
    height_m: float | None,
    sex: str | None,
    extra: Mapping[str, float] | None = None,
    reconstructed: Mapping[str, str] | None = None,
) -> BodyPoints:
    """Joint centres and reference points from canonical landmarks (rules 1-9).

    Parameters
    ----------
    get : callable
        ``get(name)`` returns the trajectory of a canonical landmark, shape
        (n_frames, 3) in metres, or None if the recording lacks it.
    leg_length_m : float | None
        Leg length in metres (mean of both sides), for the Harrington HJC.
    height_m : float | None
        Stature in metres, to scale the foot length when none is given.
    sex : str | None
        ``"F"``, ``"M"`` or None, for the foot-length ratio.
    extra : Mapping of str to float | None
        Optional subject measurements in metres: ``knee_width_m``,
        ``ankle_width_m``, ``elbow_width_m``, ``foot_length_m``.
    reconstructed : Mapping of str to str | None
        Landmarks that ``get`` serves from a static calibration, each with a
        one-line account of how (added to ``notes`` when the landmark is used).

    Returns
    -------
    points : BodyPoints
        The points, the approximations used (``notes``), the landmarks
        missing for each point that could not be computed (``missing``) and
        the rebuilt landmarks used (``reconstructed``).

    Raises
    ------
    ValueError
        A landmark array is not (n_frames, 3), frame counts differ, or the sex is
        not ``"F"``, ``"M"`` or None.
    """
    if sex not in (None, "F", "M"):
        raise ValueError(f"sex must be 'F', 'M' or None, got {sex!r}")
    return _BodyBuilder(
        get, leg_length_m, height_m, sex, extra or {}, reconstructed or {}
    ).build()


def full_body_com(points: BodyPoints, sex: str | None) -> ComEstimate:
    """Whole-body COM from 14 de Leva (1996) segments (rule 10, METHODS §3.1-3.3).

    Head (4-marker centroid, head mass), trunk MIDS → MIDH (``alt_mids`` row; CERV →
    MIDH ``alt_cerv`` when MIDS is missing), and per side upper arm SJC → EJC,
    forearm EJC → WJC, hand WJC → MET3, thigh HJC → KJC, shank KJC → AJC
    (``alt_ajc`` row), foot HEEL → TTIP. ``COM = Σ μ_i·COM_i / Σ μ_i``.

    Parameters
    ----------
    points : BodyPoints
        Joint centres, e.g. from `body_points`.
    sex : str | None
        ``"F"``, ``"M"``; None uses the mean of the female and male parameters.

    Returns
    -------
    estimate : ComEstimate
        Model ``"full_body"``.

    Raises
    ------
    ValueError
        Points needed by the model are missing (named in the message).
    """
    _raise_if_missing("full-body", points, _full_body_needs(points))
    trunk_origin, trunk_variant = (
        ("mids", "alt_mids") if points.mids is not None else ("cerv", "alt_cerv")
    )
    trunk = segment_parameters("trunk", sex, trunk_variant)
    head = segment_parameters("head", sex)
    masses = [head.mass_fraction, trunk.mass_fraction]
    centres = [
        _point(points, "head_com"),
        _along(
            _point(points, trunk_origin), _point(points, "midh"), trunk.com_fraction
        ),
    ]
    names = ["head", "trunk"]
    for name in _ARM_SEGMENTS + _LEG_SEGMENTS:
        for side in _SIDES:
            mass, centre = _limb_segment(points, side, name, sex)
            masses.append(mass)
            centres.append(centre)
            names.append(f"{side}_{name}")
    notes = (
        _sex_note(sex),
        f"trunk {trunk.origin}→{trunk.other} (de Leva {trunk_variant} row), "
        "head COM = centroid of the four head markers, shank KJC→AJC (alt_ajc row)",
    )
    return ComEstimate(
        _weighted_mean(masses, centres), "full_body", tuple(names), notes
    )


def running_com(
    points: BodyPoints, sex: str | None, *, hat_com_fraction: float = 0.56
) -> ComEstimate:
    """COM of the reduced running model (rule 11, METHODS §3.3).

    2 x (thigh HJC → KJC, shank KJC → AJC ``alt_ajc``, foot HEEL → TTIP) plus one
    lumped head-arms-trunk segment carrying the rest of the mass (60.28 % M,
    58.23 % F) at ``MIDH + f·(CERV - MIDH)``. Without CERV, MIDS is used with
    ``f·L_CERV/L_MIDS`` (de Leva mean trunk lengths).

    Parameters
    ----------
    points : BodyPoints
        Joint centres, e.g. from `body_points`.
    sex : str | None
        ``"F"``, ``"M"``; None uses the mean of the female and male parameters.
    hat_com_fraction : float
        HAT COM as a fraction of MIDH → CERV from MIDH (0.56 default for running;
        0.548 M / 0.559 F standing with arms hanging).

    Returns
    -------
    estimate : ComEstimate
        Model ``"running"``.

    Raises
    ------
    ValueError
        Points needed by the model are missing (named in the message).
    """
    _raise_if_missing("running", points, _running_needs(points))
    line = "cerv" if points.cerv is not None else "mids"
    hat_mass, fraction = hat_parameters(sex, com_fraction=hat_com_fraction, line=line)
    masses = [hat_mass]
    centres = [_along(_point(points, "midh"), _point(points, line), fraction)]
    names = ["hat"]
    for name in _LEG_SEGMENTS:
        for side in _SIDES:
            mass, centre = _limb_segment(points, side, name, sex)
            masses.append(mass)
            centres.append(centre)
            names.append(f"{side}_{name}")
    hat_note = (
        f"HAT {100 * hat_mass:.2f} % of body mass at {100 * fraction:.1f} % of "
        f"MIDH→{line.upper()}"
    )
    if line == "mids":
        hat_note += (
            f" (C7 missing: {100 * hat_com_fraction:.1f} % of MIDH→CERV rescaled by "
            "the de Leva trunk lengths CERV→MIDH / MIDS→MIDH)"
        )
    notes = (_sex_note(sex), hat_note + "; shank KJC→AJC (alt_ajc row)")
    return ComEstimate(_weighted_mean(masses, centres), "running", tuple(names), notes)


def pelvis_com(
    points: BodyPoints, d_static: npt.ArrayLike | None = None
) -> ComEstimate:
    """COM approximated from the pelvis markers (rule 12, METHODS §3.4).

    ``COM = pelvis_centroid + R_pelvis·d_static``; without ``d_static`` the COM is
    the pelvis centroid itself.

    Parameters
    ----------
    points : BodyPoints
        Needs ``pelvis_centroid`` (and ``pelvis_rotation`` when ``d_static`` is
        given).
    d_static : array_like, shape (3,) | None
        Offset centroid → COM in the pelvis frame (x anterior, y superior,
        z right), metres, e.g. from `pelvis_offset_from_static`.

    Returns
    -------
    estimate : ComEstimate
        Model ``"pelvis"``.

    Raises
    ------
    ValueError
        The pelvis centroid (or, with ``d_static``, the pelvis frame) is missing.
    """
    needs = ["pelvis_centroid"] + ([] if d_static is None else ["pelvis_rotation"])
    _raise_if_missing("pelvis", points, _absent(points, needs))
    if d_static is None:
        note = "COM = pelvis marker centroid (no static offset)"
        com = _point(points, "pelvis_centroid").copy()
        return ComEstimate(com, "pelvis", ("pelvis",), (note,))
    offset = np.asarray(d_static, float)
    if offset.shape != (3,):
        raise ValueError(f"d_static must have shape (3,), got {offset.shape}")
    com = _point(points, "pelvis_centroid") + _point(points, "pelvis_rotation") @ offset
    note = (
        "COM = pelvis marker centroid + static offset "
        f"({', '.join(f'{1000 * v:.1f}' for v in offset)}) mm in the pelvis frame "
        "(x anterior, y superior, z right)"
    )
    return ComEstimate(com, "pelvis", ("pelvis",), (note,))


def pelvis_offset_from_static(
    static_points: BodyPoints, static_com: npt.ArrayLike
) -> FloatArray:
    """Offset of the COM from the pelvis centroid, in the pelvis frame (METHODS §3.4).

    ``d_static = mean over frames of R_pelvisᵀ·(COM - pelvis_centroid)``, frames
    with any NaN left out.

    Parameters
    ----------
    static_points : BodyPoints
        Points of a static trial (needs the pelvis centroid and frame).
    static_com : array_like, shape (n_frames, 3)
        Segmental COM of the same trial in metres (e.g. ``full_body_com(...).com``).

    Returns
    -------
    d_static : ndarray, shape (3,)
        Offset in metres, pelvis frame (x anterior, y superior, z right).

    Raises
    ------
    ValueError
        Pelvis points missing, shapes differ, or no frame has all values.
    """
    _raise_if_missing(
        "pelvis offset",
        static_points,
        _absent(static_points, ["pelvis_centroid", "pelvis_rotation"]),
    )
    com = np.asarray(static_com, float)
    centroid = _point(static_points, "pelvis_centroid")
    if com.shape != centroid.shape:
        raise ValueError(
            f"static COM has shape {com.shape}, the pelvis points {centroid.shape}"
        )
    rotation = _point(static_points, "pelvis_rotation")
    local = np.einsum("nji,nj->ni", rotation, com - centroid)
    valid = np.isfinite(local).all(axis=1)
    if not valid.any():
        raise ValueError("no static frame has both the COM and the pelvis frame")
    return local[valid].mean(axis=0)


def best_com(
    points: BodyPoints,
    sex: str | None,
    *,
    hat_com_fraction: float = 0.56,
    d_static: npt.ArrayLike | None = None,
) -> ComEstimate:
    """Return the most complete COM model the points allow: full, running, pelvis.

    Parameters
    ----------
    points : BodyPoints
        Joint centres, e.g. from `body_points`.
    sex : str | None
        ``"F"``, ``"M"`` or None (mean parameters).
    hat_com_fraction : float
        HAT COM fraction for the running model (see `running_com`).
    d_static : array_like, shape (3,) | None
        Static offset for the pelvis model (see `pelvis_com`).

    Returns
    -------
    estimate : ComEstimate
        Its notes begin with the reason each better model was not possible.

    Raises
    ------
    ValueError
        Not even the pelvis model is possible.
    """
    full_missing = _full_body_needs(points)
    if not full_missing:
        return full_body_com(points, sex)
    reasons = [f"full-body model not possible: {_describe(points, full_missing)}"]
    running_missing = _running_needs(points)
    if not running_missing:
        estimate = running_com(points, sex, hat_com_fraction=hat_com_fraction)
    else:
        reasons.append(
            f"running model not possible: {_describe(points, running_missing)}"
        )
        try:
            estimate = pelvis_com(points, d_static)
        except ValueError as error:
            raise ValueError("; ".join([*reasons, str(error)])) from None
    return ComEstimate(
        estimate.com,
        estimate.model,
        estimate.segments,
        tuple(reasons) + estimate.notes,
    )


# ---- private helpers --------------------------------------------------------------


class _BodyBuilder:
    """Builds a BodyPoints from a landmark getter, collecting notes as it goes."""

    def __init__(
        self,
        get: LandmarkGetter,
        leg_length_m: float | None,
        height_m: float | None,
        sex: str | None,
        extra: Mapping[str, float],
        reconstructed: Mapping[str, str],
    ) -> None:
        self._get = get
        self._reconstructed = reconstructed
        self._used_reconstructed: set[str] = set()
        self._leg_length_m = leg_length_m
        self._height_m = height_m
        self._sex = sex
        self._extra = extra
        self._cache: dict[str, FloatArray | None] = {}
        self._n_frames: int | None = None
        self._notes: dict[str, list[str]] = {}
        self._lateral_axis: FloatArray | None = None
        self._mid_psis: FloatArray | None = None
        # l_asis, r_asis and mid-PSIS, when the pelvis frame could be built
        self._pelvis_markers: tuple[FloatArray, FloatArray, FloatArray] | None = None
        self.points: dict[str, FloatArray | None] = {}
        self.missing: dict[str, tuple[str, ...]] = {}

    def build(self) -> BodyPoints:
        self._pelvis()
        self._hips()
        for side in _SIDES:
            self._limb_joint(side, "kjc", "knee", DEFAULT_KNEE_WIDTH_M)
            self._limb_joint(side, "ajc", "ankle", DEFAULT_ANKLE_WIDTH_M)
        self._trunk_and_head()
        self._shoulders()
        for side in _SIDES:
            self._arm(side)
            self._foot(side)
        notes = tuple(
            text if sides == [""] else f"{' and '.join(sides)}: {text}"
            for text, sides in self._notes.items()
        )
        return BodyPoints(
            **self.points,
            notes=notes,
            missing=self.missing,
            reconstructed=frozenset(self._used_reconstructed),
        )

    # ---- landmarks and bookkeeping

    def _landmark(self, name: str) -> FloatArray | None:
        if name not in self._cache:
            self._cache[name] = self._fetch(name)
        return self._cache[name]

    def _fetch(self, name: str) -> FloatArray | None:
        value = self._get(name)
        if value is None:
            return None
        array = np.asarray(value, dtype=float)
        if array.ndim != 2 or array.shape[1] != 3:
            raise ValueError(
                f"landmark {name!r} must have shape (n_frames, 3), got {array.shape}"
            )
        if self._n_frames is None:
            self._n_frames = array.shape[0]
        elif array.shape[0] != self._n_frames:
            raise ValueError(
                f"landmark {name!r} has {array.shape[0]} frames, others "
                f"{self._n_frames}"
            )
        if not np.isfinite(array).any():
            self._note(f"landmark {name} has no valid sample: treated as missing")
            return None
        if name in self._reconstructed:
            self._used_reconstructed.add(name)
            self._note(self._reconstructed[name])
        return array

    def _absent(self, *names: str) -> tuple[str, ...]:
        return tuple(name for name in names if self._landmark(name) is None)

    def _all(self, *names: str) -> tuple[FloatArray, ...] | None:
        """Return the trajectories of ``names`` in order, or None if any is missing."""
        found = [self._landmark(name) for name in names]
        present = [array for array in found if array is not None]
        return tuple(present) if len(present) == len(found) else None

    def _note(self, text: str, side: str = "") -> None:
        sides = self._notes.setdefault(text, [])
        label = _SIDES.get(side, "")
        if label not in sides:
            sides.append(label)

    def _set(
        self, point: str, value: FloatArray | None, missing: tuple[str, ...] = ()
    ) -> None:
        self.points[point] = value
        if value is None:
            self.missing[point] = tuple(dict.fromkeys(missing))

    def _missing_of(self, *points: str) -> tuple[str, ...]:
        return tuple(name for point in points for name in self.missing.get(point, ()))

    # ---- pelvis and hips (rules 1-2)

    def _pelvis(self) -> None:
        l_asis, r_asis = self._landmark("l_asis"), self._landmark("r_asis")
        if l_asis is not None and r_asis is not None:
            self._lateral_axis = unit(r_asis - l_asis)
        psis = self._all("l_psis", "r_psis")
        sacrum = None if psis is not None else self._landmark("sacrum")
        if psis is not None:
            self._mid_psis = (psis[0] + psis[1]) / 2
        elif sacrum is not None:
            self._mid_psis = sacrum
            self._note("mid-PSIS = sacrum marker (PSIS markers missing)")
        mid_psis = self._mid_psis
        if l_asis is None or r_asis is None or mid_psis is None:
            pelvis_missing = self._absent("l_asis", "r_asis")
            if mid_psis is None:
                pelvis_missing += ("l_psis and r_psis, or sacrum",)
            self._set("pelvis_rotation", None, pelvis_missing)
            if mid_psis is not None:
                self._note("pelvis centroid = mid-PSIS/sacrum point (ASIS missing)")
            self._set("pelvis_centroid", mid_psis, pelvis_missing)
            return
        origin, rotation = pelvis_frame(l_asis, r_asis, mid_psis)
        self._pelvis_markers = (l_asis, r_asis, mid_psis)
        self._set("pelvis_rotation", rotation)
        self._set("pelvis_centroid", (origin + mid_psis) / 2)

    def _hips(self) -> None:
        file_centres = {side: self._landmark(f"{side}_hip_jc") for side in _SIDES}
        regression = None
        if (
            any(c is None for c in file_centres.values())
            and self._pelvis_markers is not None
        ):
            l_asis, r_asis, mid_psis = self._pelvis_markers
            regression = dict(
                zip(
                    _SIDES,
                    hip_joint_centres(
                        l_asis,
                        r_asis,
                        mid_psis,
                        mid_psis,
                        leg_length_m=self._leg_length_m,
                    ),
                    strict=True,
                )
            )
        for side, centre in file_centres.items():
            if centre is not None:
                self._note("HJC = hip joint centre stored in the file", side)
                self._set(f"{side}_hjc", centre)
            elif regression is not None:
                self._note(
                    "HJC: Harrington 2007 PW-only (no leg length)"
                    if self._leg_length_m is None
                    else "HJC: Harrington 2007 regression with leg length "
                    f"{self._leg_length_m:.3f} m",
                    side,
                )
                self._set(f"{side}_hjc", regression[side])
            else:
                self._set(
                    f"{side}_hjc",
                    None,
                    (f"{side}_hip_jc", *self.missing["pelvis_rotation"]),
                )
        left, right = self.points["l_hjc"], self.points["r_hjc"]
        if left is None or right is None:
            self._set("midh", None, self._missing_of("l_hjc", "r_hjc"))
            return
        self._set("midh", (left + right) / 2)
        if self._lateral_axis is None:
            self._lateral_axis = unit(right - left)
            self._note("lateral axis = unit(r_hjc - l_hjc) (ASIS markers missing)")

    # ---- knee and ankle (rules 3-4), elbow (rule 6)

    def _limb_joint(
        self, side: str, point: str, joint: str, default_width: float
    ) -> None:
        centre = self._landmark(f"{side}_{joint}_jc")
        if centre is not None:
            self._note(f"{point.upper()} = joint centre stored in the file", side)
            self._set(f"{side}_{point}", centre)
            return
        self._medial_or_shifted(
            side,
            point,
            joint,
            f"{side}_{joint}",
            f"{side}_{joint}_medial",
            default_width,
        )
        if self.points[f"{side}_{point}"] is None:
            missing = self.missing[f"{side}_{point}"]
            self.missing[f"{side}_{point}"] = (f"{side}_{joint}_jc", *missing)

    def _medial_or_shifted(
        self,
        side: str,
        point: str,
        joint: str,
        lateral_name: str,
        medial_name: str,
        default_width: float,
    ) -> None:
        lateral, medial = self._landmark(lateral_name), self._landmark(medial_name)
        if lateral is not None and medial is not None:
            self._note(
                f"{point.upper()} = midpoint of the lateral and medial {joint} markers",
                side,
            )
            self._set(f"{side}_{point}", (lateral + medial) / 2)
            return
        if lateral is None or self._lateral_axis is None:
            missing: tuple[str, ...] = (lateral_name,) if lateral is None else ()
            if self._lateral_axis is None:
                missing += (medial_name, "pelvis lateral axis (l_asis, r_asis)")
            self._set(f"{side}_{point}", None, missing)
            return
        key = f"{joint}_width_m"
        width = float(self._extra.get(key, default_width))
        source = "" if key in self._extra else ", default"
        self._note(
            f"{point.upper()}: lateral {joint} marker moved medially by "
            f"{width / 2:.3f} m along the pelvis lateral axis (half the {joint} "
            f"width {width:.3f} m{source})",
            side,
        )
        medial_direction = -1.0 if side == "r" else 1.0
        self._set(
            f"{side}_{point}",
            lateral + medial_direction * (width / 2) * self._lateral_axis,
        )

    # ---- trunk, head, shoulders and arms (rules 5-8)

    def _trunk_and_head(self) -> None:
        self._set("cerv", self._landmark("c7"), ("c7",))
        self._set("supr", self._landmark("clavicle"), ("clavicle",))
        head_names = ("l_head_front", "r_head_front", "l_head_back", "r_head_back")
        head = self._all(*head_names)
        if head is None:
            self._set("head_com", None, self._absent(*head_names))
            return
        self._note("head COM = centroid of the four head markers")
        self._set("head_com", (head[0] + head[1] + head[2] + head[3]) / 4)

    def _shoulders(self) -> None:
        shoulders = self._all("l_shoulder", "r_shoulder")
        midh = self.points["midh"]
        if shoulders is None or midh is None:
            missing = self._absent("l_shoulder", "r_shoulder") + self.missing.get(
                "midh", ()
            )
            for point in ("l_sjc", "r_sjc", "mids"):
                self._set(point, None, missing)
            return
        left, right = shoulders
        trunk_axis = unit((left + right) / 2 - midh)
        drop = SJC_OFFSET_FRACTION * np.linalg.norm(
            right - left, axis=-1, keepdims=True
        )
        self._note(
            "SJC (Rab 2002): acromion marker moved towards MIDH by 0.17 times the "
            "bi-acromial distance"
        )
        l_sjc, r_sjc = left - drop * trunk_axis, right - drop * trunk_axis
        self._set("l_sjc", l_sjc)
        self._set("r_sjc", r_sjc)
        self._set("mids", (l_sjc + r_sjc) / 2)

    def _arm(self, side: str) -> None:
        self._medial_or_shifted(
            side,
            "ejc",
            "elbow",
            f"{side}_elbow",
            f"{side}_elbow_medial",
            DEFAULT_ELBOW_WIDTH_M,
        )
        radial = self._landmark(f"{side}_wrist_radial")
        ulnar = self._landmark(f"{side}_wrist_ulnar")
        if radial is not None and ulnar is not None:
            self._set(f"{side}_wjc", (radial + ulnar) / 2)
        elif radial is not None or ulnar is not None:
            self._note("WJC = the only wrist marker present", side)
            self._set(f"{side}_wjc", radial if radial is not None else ulnar)
        else:
            self._set(
                f"{side}_wjc", None, (f"{side}_wrist_radial", f"{side}_wrist_ulnar")
            )
        self._set(f"{side}_met3", self._landmark(f"{side}_hand"), (f"{side}_hand",))

    # ---- feet (rule 9)

    def _foot(self, side: str) -> None:
        heel = self._landmark(f"{side}_heel")
        self._set(f"{side}_heel", heel, (f"{side}_heel",))
        toe = self._landmark(f"{side}_toe")
        if toe is None and (mt := self._all(f"{side}_mt1", f"{side}_mt5")) is not None:
            toe = (mt[0] + mt[1]) / 2
            self._note("toe = midpoint of the MT1 and MT5 markers", side)
        if heel is None or toe is None:
            missing: tuple[str, ...] = (f"{side}_heel",) if heel is None else ()
            if toe is None:
                missing += (f"{side}_toe or {side}_mt1 and {side}_mt5",)
            self._set(f"{side}_ttip", None, missing)
            return
        given = self._extra.get("foot_length_m")
        scaled = foot_length_m(self._height_m, self._sex)
        if given is not None:
            length = float(given)
            source = f"{length:.3f} m (given)"
        elif scaled is not None:
            length = scaled
            ratio = "mean of F and M" if self._sex is None else self._sex
            source = f"{length:.3f} m (stature times de Leva foot/stature, {ratio})"
        else:
            self._note("TTIP = toe marker (no stature or foot length known)", side)
            self._set(f"{side}_ttip", toe)
            return
        self._note(f"TTIP on the HEEL→toe line at foot length {source}", side)
        self._set(f"{side}_ttip", heel + length * unit(toe - heel))


def _along(origin: FloatArray, other: FloatArray, fraction: float) -> FloatArray:
    """``origin + fraction·(other - origin)`` (METHODS §3.1)."""
    return origin + fraction * (other - origin)


def _limb_segment(
    points: BodyPoints, side: str, segment: str, sex: str | None
) -> tuple[float, FloatArray]:
    origin, other, variant = _POINT_SEGMENTS[segment]
    parameters = segment_parameters(segment, sex, variant)
    centre = _along(
        _point(points, f"{side}_{origin}"),
        _point(points, f"{side}_{other}"),
        parameters.com_fraction,
    )
    return parameters.mass_fraction, centre


def _weighted_mean(masses: list[float], centres: list[FloatArray]) -> FloatArray:
    """``Σ μ_i·COM_i / Σ μ_i`` over segments (NaN if any segment is NaN)."""
    total = np.zeros_like(centres[0])
    for mass, centre in zip(masses, centres, strict=True):
        total = total + mass * centre
    return total / sum(masses)


def _limb_points(segments: tuple[str, ...]) -> list[str]:
    names = {end for s in segments for end in _POINT_SEGMENTS[s][:2]}
    return [f"{side}_{name}" for side in _SIDES for name in sorted(names)]


def _full_body_needs(points: BodyPoints) -> list[str]:
    needed = ["head_com", "midh", *_limb_points(_ARM_SEGMENTS + _LEG_SEGMENTS)]
    missing = _absent(points, needed)
    if points.mids is None and points.cerv is None:
        missing.append("mids or cerv")
    return missing


def _running_needs(points: BodyPoints) -> list[str]:
    missing = _absent(points, ["midh", *_limb_points(_LEG_SEGMENTS)])
    if points.cerv is None and points.mids is None:
        missing.append("cerv or mids")
    return missing


def _absent(points: BodyPoints, names: list[str]) -> list[str]:
    return [name for name in names if getattr(points, name) is None]


def _point(points: BodyPoints, name: str) -> FloatArray:
    """Return the point ``name`` of ``points``, which the caller's model needs.

    The models check their points first (`_raise_if_missing`), so this raises
    only if that check and the model disagree.
    """
    value: FloatArray | None = getattr(points, name)
    if value is None:
        raise ValueError(f"point {name} is missing: {_describe(points, [name])}")
    return value


def _describe(points: BodyPoints, absent: list[str]) -> str:
    """``"head_com (missing l_head_back), l_ttip (...)"`` for an error or note."""
    parts = []
    for name in absent:
        landmarks: tuple[str, ...] = ()
        for alternative in name.split(" or "):
            landmarks += points.missing.get(alternative, ())
        parts.append(
            f"{name} (missing {', '.join(dict.fromkeys(landmarks))})"
            if landmarks
            else name
        )
    return "needs " + "; ".join(parts)


def _raise_if_missing(model: str, points: BodyPoints, absent: list[str]) -> None:
    if absent:
        raise ValueError(f"{model} COM not possible: {_describe(points, absent)}")


def _sex_note(sex: str | None) -> str:
    if sex is None:
        return "sex unknown: mean of the female and male de Leva 1996 parameters"
    return f"de Leva 1996 {'male' if sex == 'M' else 'female'} parameters"
