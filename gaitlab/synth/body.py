"""A full-body sagittal model: de Leva segments, joint centres and Plug-in-Gait markers.

The synthetic runner (`gaitlab.synth.running`) poses this body at every frame.
Everything here works in the **model frame**: columns (forward, up, right), metres;
points are arrays of shape (n, 3), time first.

Segments (METHODS §3.2-3.3 and the full-body model of the gaitlab conventions):
head (centroid of the four head markers), trunk MIDS→MIDH (de Leva alt_mids row),
2 x (upper arm SJC→EJC, forearm EJC→WJC, hand WJC→MET3, thigh HJC→KJC, shank
KJC→AJC (alt_ajc row), foot HEEL→TTIP). Mean segment lengths are de Leva's scaled
to the stature; ``sex=None`` uses the mean of the female and male parameters
(masses, CM positions and length ratios), as gaitlab does for an unknown sex.

Markers are made **from** the joint centres by inverting gaitlab's conventions:

* pelvis: LASI/RASI/LPSI/RPSI placed so that the Harrington (2007) regression with
  the leg length (convention 2, no marker radius) returns the true hip joint
  centres; the pelvis is rigid with the trunk (standing anterior tilt of the
  ASIS-PSIS line `PELVIS_TILT_DEG`);
* shoulders: LSHO/RSHO 0.17 x the bi-acromial width above the shoulder joint
  centres along the MIDH→MIDS axis (convention 5, Rab 2002);
* knee, ankle and elbow markers at the joint centre plus half the default width
  (0.100, 0.070, 0.070 m) laterally (conventions 3, 4, 6); the wrist markers
  straddle the wrist centre; LFIN/RFIN are the third metacarpal heads;
* head markers: their centroid is the head COM (convention 8);
* feet: HEE on the posterior heel, TOE on the second metatarsal head; the toe tip
  is defined by convention 9, ``TTIP = HEE + (TOE - HEE)·foot_length/|TOE - HEE|``
  with ``foot_length = height x de Leva foot length / reference stature``.

The limbs move in parasagittal planes (lateral offset of each joint = that of the
hip or shoulder joint centre), so the lateral COM is zero and the pelvis never
rolls or turns.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from gaitlab.core.types import FloatArray

__all__ = [
    "DEFAULT_WIDTHS_M",
    "PIG_MARKERS",
    "BodyDimensions",
    "SegmentParameters",
    "body_dimensions",
    "body_points",
    "deleva_segments",
    "foot_points",
    "harrington_hip_m",
    "knee_joint_centre",
    "markers_from_points",
    "segmental_com",
    "standing_points",
    "upper_body_points",
]


PIG_MARKERS = (
    "LFHD", "RFHD", "LBHD", "RBHD", "C7", "T10", "CLAV", "STRN", "LSHO", "RSHO",
    "LELB", "RELB", "LWRA", "LWRB", "RWRA", "RWRB", "LFIN", "RFIN",
    "LASI", "RASI", "LPSI", "RPSI", "LTHI", "RTHI", "LKNE", "RKNE",
    "LTIB", "RTIB", "LANK", "RANK", "LHEE", "RHEE", "LTOE", "RTOE",
)  # fmt: skip
"""Plug-in Gait full-body marker labels, in the order written."""

REFERENCE_STATURE_MM = {"F": 1735.0, "M": 1741.0}
"""Statures of de Leva's reference subjects, mm."""

SEGMENT_ROWS = {
    "head": ("head", "primary"),
    "trunk": ("trunk", "alt_mids"),
    "upper_arm": ("upper_arm", "primary"),
    "forearm": ("forearm", "primary"),
    "hand": ("hand", "primary"),
    "thigh": ("thigh", "primary"),
    "shank": ("shank", "alt_ajc"),
    "foot": ("foot", "primary"),
    "head_to_cerv": ("head", "alt_cerv"),
    "cerv_to_midh": ("trunk", "alt_cerv"),
}
"""de Leva Table 4 rows used: (segment, variant). The last two give lengths only."""

MASS_SEGMENTS = (
    ("head", None),
    ("trunk", ("mids", "midh")),
    ("upper_arm", ("sjc", "ejc")),
    ("forearm", ("ejc", "wjc")),
    ("hand", ("wjc", "met3")),
    ("thigh", ("hjc", "kjc")),
    ("shank", ("kjc", "ajc")),
    ("foot", ("heel", "ttip")),
)
"""Segments of the COM model and their (origin, other) points; sided ones twice."""

DEFAULT_WIDTHS_M = {"knee": 0.100, "ankle": 0.070, "elbow": 0.070}
"""Joint widths assumed by gaitlab when a subject has none (conventions 3, 4, 6)."""

# Body proportions that de Leva does not give, as fractions of the stature.
PELVIS_WIDTH_PER_HEIGHT = 0.140  # inter-ASIS distance PW
PELVIS_DEPTH_PER_HEIGHT = 0.090  # mid-ASIS to mid-PSIS distance PD
PSIS_WIDTH_PER_HEIGHT = 0.050  # PSIS to PSIS
SHOULDER_WIDTH_PER_HEIGHT = 0.220  # SJC to SJC = bi-acromial width
C7_BEHIND_MIDS_PER_HEIGHT = 0.040  # C7 posterior to MIDS, across the trunk axis
CLAV_FROM_MIDS_PER_HEIGHT = (0.030, 0.020)  # (anterior, along the trunk axis)
STRN_FROM_MIDS_PER_HEIGHT = (0.055, -0.090)
T10_FROM_MIDS_PER_HEIGHT = (-0.060, -0.110)
HEAD_MARKERS_PER_HEIGHT = (0.050, 0.010, 0.039)  # front: (+fwd, +up, ±lateral)
THIGH_WAND_OUT_M, SHANK_WAND_OUT_M, WRIST_HALF_WIDTH_M = 0.08, 0.06, 0.03
WAND_FRACTION = 0.65  # THI/TIB along HJC→KJC / KJC→AJC
PELVIS_TILT_DEG = 12.0  # standing anterior tilt of the PSIS→ASIS line
HEAD_FORWARD_DEG = 20.0  # C7→head-COM line ahead of the trunk axis

# Foot, in the foot frame (x forward along the sole from the posterior heel, y up
# from the sole), as fractions of the foot length.
AJC_IN_FOOT = (0.22, 0.32)
HEE_IN_FOOT = (0.0, 0.15)
TOE_IN_FOOT = (0.72, 0.11)

_SIDES = (("l", -1.0), ("r", 1.0))


@dataclass(frozen=True)
class SegmentParameters:
    """One de Leva (1996) Table 4 row, for a sex or the mean of both.

    Attributes
    ----------
    mass_fraction : float
        Segment mass / body mass (not renormalised).
    com_fraction : float
        CM position from the origin endpoint, fraction of origin→other.
    length_per_height : float
        Mean segment length / reference stature.
    """

    mass_fraction: float
    com_fraction: float
    length_per_height: float


@dataclass(frozen=True)
class BodyDimensions:
    """Segment lengths and landmark geometry of the synthetic subject (m, deg).

    Attributes
    ----------
    height_m : float
        Stature.
    sex : {"M", "F"} or None
        Sex of the de Leva parameters; None = mean of both.
    segments : dict
        `SegmentParameters` by name (keys of `SEGMENT_ROWS`).
    thigh_m, shank_m, foot_m, trunk_m, upper_arm_m, forearm_m, hand_m : float
        HJC-KJC, KJC-AJC, HEEL-TTIP, MIDS-MIDH, SJC-EJC, EJC-WJC, WJC-MET3.
    cerv_to_midh_m, head_to_cerv_m : float
        CERV-MIDH and VERT-CERV lengths.
    pelvis_width_m, pelvis_depth_m, psis_width_m : float
        Inter-ASIS distance PW, mid-ASIS to mid-PSIS depth PD, inter-PSIS distance.
    leg_length_m : float
        Plug-in-Gait leg length (standing ASIS to ankle joint centre, rounded to
        the millimetre), written to PROCESSING and used in the HJC regression.
    hip_in_pelvis_m : ndarray, shape (3,)
        Harrington (2007) right HJC in the pelvis frame (anterior, superior,
        right) from PW, PD and the leg length; the left one has -z.
    shoulder_width_m : float
        SJC to SJC (= acromion to acromion).
    """

    height_m: float
    sex: str | None
    segments: dict[str, SegmentParameters]
    thigh_m: float
    shank_m: float
    foot_m: float
    trunk_m: float
    upper_arm_m: float
    forearm_m: float
    hand_m: float
    cerv_to_midh_m: float
    head_to_cerv_m: float
    pelvis_width_m: float
    pelvis_depth_m: float
    psis_width_m: float
    leg_length_m: float
    hip_in_pelvis_m: FloatArray
    shoulder_width_m: float

    @property
    def hip_half_width_m(self) -> float:
        """Lateral distance of each HJC (and each leg) from the midline."""
        return float(self.hip_in_pelvis_m[2])

    @property
    def standing_hip_height_m(self) -> float:
        """HJC height in upright standing (straight legs, flat feet)."""
        return AJC_IN_FOOT[1] * self.foot_m + self.thigh_m + self.shank_m

    def foot_point(self, name: str) -> FloatArray:
        """A foot landmark in the foot frame (forward from the heel, up), m.

        ``name`` is "ajc", "hee" or "toe".
        """
        fractions = {"ajc": AJC_IN_FOOT, "hee": HEE_IN_FOOT, "toe": TOE_IN_FOOT}
        return self.foot_m * np.asarray(fractions[name])


@cache
def _deleva_table() -> tuple[dict[str, str], ...]:
    """Rows of gaitlab/core/data/deleva1996_table4.csv."""
    text = (
        resources.files("gaitlab.core")
        .joinpath("data/deleva1996_table4.csv")
        .read_text(encoding="utf-8")
    )
    return tuple(csv.DictReader(text.splitlines()))


def deleva_segments(sex: str | None) -> dict[str, SegmentParameters]:
    """de Leva (1996) parameters of the segments in `SEGMENT_ROWS`.

    Parameters
    ----------
    sex : {"M", "F"} or None
        None averages the female and male values (masses, CM fractions and
        length / reference-stature ratios).

    Returns
    -------
    segments : dict
        `SegmentParameters` by segment name.

    Examples
    --------
    >>> round(deleva_segments("M")["trunk"].com_fraction, 4)
    0.431
    """
    if sex not in ("M", "F", None):
        raise ValueError(f"sex must be 'M', 'F' or None, got {sex!r}")
    sexes = ("F", "M") if sex is None else (sex,)
    out = {}
    for name, (segment, variant) in SEGMENT_ROWS.items():
        values = []
        for s in sexes:
            (row,) = [
                r
                for r in _deleva_table()
                if (r["segment"], r["variant"], r["sex"]) == (segment, variant, s)
            ]
            values.append(
                (
                    float(row["mass_pct"]) / 100.0,
                    float(row["cm_pct_from_origin"]) / 100.0,
                    float(row["mean_length_mm"]) / REFERENCE_STATURE_MM[s],
                )
            )
        out[name] = SegmentParameters(*np.mean(values, axis=0).tolist())
    return out


def harrington_hip_m(
    pelvis_width_m: float, pelvis_depth_m: float, leg_length_m: float
) -> FloatArray:
    """Right HJC in the pelvis frame by Harrington et al. (2007), in m.

    ``x = -0.24·PD - 9.9``, ``y = -0.16·PW - 0.04·LL - 7.1``,
    ``z = 0.28·PD + 0.16·PW + 7.9`` in mm (convention 2).
    """
    pw, pd, ll = 1000.0 * pelvis_width_m, 1000.0 * pelvis_depth_m, 1000.0 * leg_length_m
    return (
        np.array(
            [
                -0.24 * pd - 9.9,
                -0.16 * pw - 0.04 * ll - 7.1,
                0.28 * pd + 0.16 * pw + 7.9,
            ]
        )
        / 1000.0
    )


def body_dimensions(height_m: float, sex: str | None = "M") -> BodyDimensions:
    """The synthetic subject's dimensions for a stature.

    Parameters
    ----------
    height_m : float
        Stature in m.
    sex : {"M", "F"} or None
        de Leva parameter set (None: the mean of both).

    Returns
    -------
    dims : BodyDimensions

    Examples
    --------
    >>> dims = body_dimensions(1.80)
    >>> round(dims.thigh_m, 4), round(dims.foot_m, 4)
    (0.4365, 0.2668)
    """
    if not height_m > 0:
        raise ValueError(f"height_m must be > 0, got {height_m}")
    segments = deleva_segments(sex)

    def length(name: str) -> float:
        return height_m * segments[name].length_per_height

    pw = PELVIS_WIDTH_PER_HEIGHT * height_m
    pd = PELVIS_DEPTH_PER_HEIGHT * height_m
    foot = length("foot")
    hip_height = AJC_IN_FOOT[1] * foot + length("thigh") + length("shank")
    leg_length = hip_height  # first guess, refined below
    for _ in range(4):  # standing |ASIS - AJC|; depends on LL through the HJC
        hip = harrington_hip_m(pw, pd, leg_length)
        asis = -_rotate(hip[:2], -np.radians(PELVIS_TILT_DEG))
        offset = np.array([asis[0], hip_height + asis[1], 0.5 * pw - hip[2]])
        offset[1] -= AJC_IN_FOOT[1] * foot
        leg_length = round(float(np.linalg.norm(offset)), 3)
    return BodyDimensions(
        height_m=float(height_m),
        sex=sex,
        segments=segments,
        thigh_m=length("thigh"),
        shank_m=length("shank"),
        foot_m=foot,
        trunk_m=length("trunk"),
        upper_arm_m=length("upper_arm"),
        forearm_m=length("forearm"),
        hand_m=length("hand"),
        cerv_to_midh_m=length("cerv_to_midh"),
        head_to_cerv_m=length("head_to_cerv"),
        pelvis_width_m=pw,
        pelvis_depth_m=pd,
        psis_width_m=PSIS_WIDTH_PER_HEIGHT * height_m,
        leg_length_m=leg_length,
        hip_in_pelvis_m=harrington_hip_m(pw, pd, leg_length),
        shoulder_width_m=SHOULDER_WIDTH_PER_HEIGHT * height_m,
    )


def segmental_com(points: Mapping[str, FloatArray], dims: BodyDimensions) -> FloatArray:
    """Whole-body COM of the 14-segment model, ``Σ μ_i COM_i / Σ μ_i``.

    Parameters
    ----------
    points : mapping
        Joint centres and landmarks (shape (n, 3), any frame): "head_com",
        "mids", "midh" and, with prefixes "l_" and "r_", "sjc", "ejc", "wjc",
        "met3", "hjc", "kjc", "ajc", "heel", "ttip".
    dims : BodyDimensions
        Supplies the de Leva mass fractions and CM positions.

    Returns
    -------
    com : ndarray, shape (n, 3)
        In the frame of ``points``, m.
    """
    total, mass = 0.0, 0.0
    for name, ends in MASS_SEGMENTS:
        segment = dims.segments[name]
        if ends is None:
            pairs = [(points["head_com"], points["head_com"])]
        elif name == "trunk":
            pairs = [(points[ends[0]], points[ends[1]])]
        else:
            pairs = [
                (points[f"{side}_{ends[0]}"], points[f"{side}_{ends[1]}"])
                for side, _ in _SIDES
            ]
        for origin, other in pairs:
            centre = origin + segment.com_fraction * (other - origin)
            total = total + segment.mass_fraction * centre
            mass += segment.mass_fraction
    return total / mass


def upper_body_points(
    midh: FloatArray,
    trunk_lean_rad: float,
    shoulder_rad: Mapping[str, FloatArray],
    elbow_rad: float,
    dims: BodyDimensions,
) -> dict[str, FloatArray]:
    """Pelvis, trunk, head and arm points from MIDH and the posture.

    Parameters
    ----------
    midh : ndarray, shape (n, 2)
        Mid-hip (forward, up), m.
    trunk_lean_rad : float
        Angle of MIDH→MIDS from the vertical, forward positive; the pelvis and
        head turn with the trunk.
    shoulder_rad : mapping
        "l" and "r": upper-arm angle relative to the trunk axis (arm forward
        positive), shape (n,).
    elbow_rad : float
        Elbow flexion (forearm rotated forward-up from the upper-arm line).
    dims : BodyDimensions

    Returns
    -------
    points : dict of ndarray, shape (n, 3)
        Model frame; keys "midh", "mids", "cerv", "supr", "strn", "t10",
        "head_com", "head_markers" (shape (n, 4, 3): LFHD RFHD LBHD RBHD) and,
        per side "l_"/"r_": "hjc", "asis", "psis", "sjc", "acromion", "ejc",
        "wjc", "met3", "wrist_radial", "wrist_ulnar".
    """
    h = dims.height_m
    n = len(midh)
    axis = _direction(np.full(n, trunk_lean_rad))
    ahead = _direction(np.full(n, trunk_lean_rad + 0.5 * np.pi))

    def trunk(point: tuple[float, float]) -> FloatArray:
        return midh + point[0] * ahead + point[1] * axis

    mids = trunk((0.0, dims.trunk_m))
    c7_back = C7_BEHIND_MIDS_PER_HEIGHT * h
    c7_along = np.sqrt(dims.cerv_to_midh_m**2 - c7_back**2)
    points = {
        "midh": midh,
        "mids": mids,
        "cerv": trunk((-c7_back, c7_along)),
        "supr": trunk(_scaled(CLAV_FROM_MIDS_PER_HEIGHT, h, dims.trunk_m)),
        "strn": trunk(_scaled(STRN_FROM_MIDS_PER_HEIGHT, h, dims.trunk_m)),
        "t10": trunk(_scaled(T10_FROM_MIDS_PER_HEIGHT, h, dims.trunk_m)),
    }
    head_angle = np.full(n, trunk_lean_rad + np.radians(HEAD_FORWARD_DEG))
    head_up = _direction(head_angle)
    head_ahead = _direction(head_angle + 0.5 * np.pi)
    head_com = points["cerv"] + 0.5 * dims.head_to_cerv_m * head_up
    points = {name: _in_plane(p, 0.0) for name, p in points.items()}
    points["head_com"] = _in_plane(head_com, 0.0)
    fwd, up, side = (HEAD_MARKERS_PER_HEIGHT[i] * h for i in range(3))
    front = head_com + fwd * head_ahead + up * head_up
    back = head_com - fwd * head_ahead - up * head_up
    points["head_markers"] = np.stack(
        [
            _in_plane(front, -side),
            _in_plane(front, side),
            _in_plane(back, -side),
            _in_plane(back, side),
        ],
        axis=1,
    )

    tilt = np.full(n, trunk_lean_rad + np.radians(PELVIS_TILT_DEG))
    anterior = _direction(tilt + 0.5 * np.pi)
    superior = _direction(tilt)
    hip = dims.hip_in_pelvis_m
    mid_asis = midh - hip[0] * anterior - hip[1] * superior
    mid_psis = mid_asis - dims.pelvis_depth_m * anterior
    for prefix, lateral in _SIDES:
        points[f"{prefix}_hjc"] = _in_plane(midh, lateral * hip[2])
        points[f"{prefix}_asis"] = _in_plane(
            mid_asis, lateral * 0.5 * dims.pelvis_width_m
        )
        points[f"{prefix}_psis"] = _in_plane(
            mid_psis, lateral * 0.5 * dims.psis_width_m
        )
        out = lateral * 0.5 * dims.shoulder_width_m
        points[f"{prefix}_sjc"] = _in_plane(mids, out)
        points[f"{prefix}_acromion"] = _in_plane(
            mids + 0.17 * dims.shoulder_width_m * axis, out
        )
        upper_arm_angle = np.pi + trunk_lean_rad - shoulder_rad[prefix]
        upper_arm = _direction(upper_arm_angle)
        forearm_angle = upper_arm_angle - elbow_rad
        forearm = _direction(forearm_angle)
        radial = _direction(forearm_angle - 0.5 * np.pi)
        elbow = mids + dims.upper_arm_m * upper_arm
        wrist = elbow + dims.forearm_m * forearm
        points[f"{prefix}_ejc"] = _in_plane(elbow, out)
        points[f"{prefix}_wjc"] = _in_plane(wrist, out)
        points[f"{prefix}_met3"] = _in_plane(wrist + dims.hand_m * forearm, out)
        points[f"{prefix}_wrist_radial"] = _in_plane(
            wrist + WRIST_HALF_WIDTH_M * radial, out
        )
        points[f"{prefix}_wrist_ulnar"] = _in_plane(
            wrist - WRIST_HALF_WIDTH_M * radial, out
        )
    return points


def foot_points(
    pivot: FloatArray,
    pitch_rad: FloatArray,
    pivot_from_heel_m: float,
    dims: BodyDimensions,
    lateral_m: float,
) -> dict[str, FloatArray]:
    """AJC, HEE, TOE and convention-9 TTIP of a rigid foot.

    Parameters
    ----------
    pivot : ndarray, shape (n, 2)
        Position of the sole point ``pivot_from_heel_m`` ahead of the posterior
        heel (the COP point in stance), (forward, up), m.
    pitch_rad : ndarray, shape (n,)
        Foot pitch relative to standing flat, toe up positive.
    pivot_from_heel_m : float
        Where the pivot lies on the sole, from the posterior heel, m.
    dims : BodyDimensions
    lateral_m : float
        Lateral coordinate of the foot's plane (right positive), m.

    Returns
    -------
    points : dict of ndarray, shape (n, 3)
        "ajc", "heel" (the HEE marker), "toe" (the TOE marker), "ttip".
    """
    base = np.array([pivot_from_heel_m, 0.0])
    out = {
        name: pivot + _rotate(dims.foot_point(key) - base, pitch_rad)
        for name, key in (("ajc", "ajc"), ("heel", "hee"), ("toe", "toe"))
    }
    toe_line = out["toe"] - out["heel"]
    out["ttip"] = (
        out["heel"]
        + toe_line * (dims.foot_m / np.linalg.norm(toe_line, axis=1))[:, None]
    )
    return {name: _in_plane(p, lateral_m) for name, p in out.items()}


def knee_joint_centre(
    hjc: FloatArray, foot: Mapping[str, FloatArray], dims: BodyDimensions
) -> FloatArray:
    """Knee joint centre by two-link inverse kinematics, knee in front.

    Parameters
    ----------
    hjc : ndarray, shape (n, 3)
        Hip joint centre, model frame.
    foot : mapping
        `foot_points` output of the same leg ("ajc" used).
    dims : BodyDimensions

    Returns
    -------
    kjc : ndarray, shape (n, 3)
        Knee joint centre; NaN where the ankle is out of the leg's reach.
    """
    offset = foot["ajc"][:, :2] - hjc[:, :2]
    distance = np.linalg.norm(offset, axis=1)
    cos_hip = (dims.thigh_m**2 + distance**2 - dims.shank_m**2) / (
        2.0 * dims.thigh_m * distance
    )
    with np.errstate(invalid="ignore"):
        angle = np.arccos(np.where(np.abs(cos_hip) <= 1.0, cos_hip, np.nan))
    knee = hjc[:, :2] + dims.thigh_m * _rotate(offset / distance[:, None], angle)
    return _in_plane(knee, hjc[0, 2])


def body_points(
    midh: FloatArray,
    trunk_lean_rad: float,
    shoulder_rad: Mapping[str, FloatArray],
    elbow_rad: float,
    feet: Mapping[str, Mapping[str, FloatArray]],
    dims: BodyDimensions,
) -> dict[str, FloatArray]:
    """All joint centres and landmarks of the body, model frame.

    Parameters
    ----------
    midh, trunk_lean_rad, shoulder_rad, elbow_rad
        As in `upper_body_points`.
    feet : mapping
        "l" and "r": `foot_points` of each foot.
    dims : BodyDimensions

    Returns
    -------
    points : dict of ndarray, shape (n, 3)
        `upper_body_points` plus, per side, "kjc", "ajc", "heel", "toe", "ttip".
    """
    points = upper_body_points(midh, trunk_lean_rad, shoulder_rad, elbow_rad, dims)
    for prefix, _ in _SIDES:
        foot = feet[prefix]
        for name, point in foot.items():
            points[f"{prefix}_{name}"] = point
        points[f"{prefix}_kjc"] = knee_joint_centre(points[f"{prefix}_hjc"], foot, dims)
    return points


def standing_points(dims: BodyDimensions, n_frames: int = 1) -> dict[str, FloatArray]:
    """Upright standing: trunk vertical, straight legs, flat feet, arms hanging.

    The ankle joint centres are under the hip joint centres and at forward 0;
    the soles are on the ground (up = 0).
    """
    midh = np.tile([0.0, dims.standing_hip_height_m], (n_frames, 1))
    pivot_from_heel = dims.foot_point("ajc")[0]
    feet = {
        prefix: foot_points(
            np.tile([0.0, 0.0], (n_frames, 1)),
            np.zeros(n_frames),
            pivot_from_heel,
            dims,
            lateral * dims.hip_half_width_m,
        )
        for prefix, lateral in _SIDES
    }
    arms = {prefix: np.zeros(n_frames) for prefix, _ in _SIDES}
    points = upper_body_points(midh, 0.0, arms, 0.0, dims)
    for prefix, _ in _SIDES:
        for name, point in feet[prefix].items():
            points[f"{prefix}_{name}"] = point
        hjc = points[f"{prefix}_hjc"]
        points[f"{prefix}_kjc"] = hjc - (0.0, dims.thigh_m, 0.0)
    return points


def markers_from_points(
    points: Mapping[str, FloatArray], dims: BodyDimensions
) -> dict[str, FloatArray]:
    """Plug-in Gait markers from the joint centres and landmarks.

    Lateral markers sit half the default joint width (`DEFAULT_WIDTHS_M`) out
    from the joint centre along the lateral axis.

    Returns
    -------
    markers : dict of ndarray, shape (n, 3)
        By PiG label (`PIG_MARKERS`), model frame.
    """
    head = points["head_markers"]
    markers = {
        "LFHD": head[:, 0],
        "RFHD": head[:, 1],
        "LBHD": head[:, 2],
        "RBHD": head[:, 3],
        "C7": points["cerv"],
        "T10": points["t10"],
        "CLAV": points["supr"],
        "STRN": points["strn"],
    }
    right = np.array([0.0, 0.0, 1.0])
    for prefix, lateral in _SIDES:
        side = prefix.upper()
        out = lateral * right

        def p(name: str, prefix: str = prefix) -> FloatArray:
            return points[f"{prefix}_{name}"]

        markers |= {
            f"{side}SHO": p("acromion"),
            f"{side}ELB": p("ejc") + 0.5 * DEFAULT_WIDTHS_M["elbow"] * out,
            f"{side}WRA": p("wrist_radial"),
            f"{side}WRB": p("wrist_ulnar"),
            f"{side}FIN": p("met3"),
            f"{side}ASI": p("asis"),
            f"{side}PSI": p("psis"),
            f"{side}THI": p("hjc")
            + WAND_FRACTION * (p("kjc") - p("hjc"))
            + THIGH_WAND_OUT_M * out,
            f"{side}KNE": p("kjc") + 0.5 * DEFAULT_WIDTHS_M["knee"] * out,
            f"{side}TIB": p("kjc")
            + WAND_FRACTION * (p("ajc") - p("kjc"))
            + SHANK_WAND_OUT_M * out,
            f"{side}ANK": p("ajc") + 0.5 * DEFAULT_WIDTHS_M["ankle"] * out,
            f"{side}HEE": p("heel"),
            f"{side}TOE": p("toe"),
        }
    return {label: markers[label] for label in PIG_MARKERS}


def _direction(angle_rad: FloatArray) -> FloatArray:
    """Unit vectors (forward, up) at ``angle`` from the upward vertical, forward > 0."""
    return np.column_stack([np.sin(angle_rad), np.cos(angle_rad)])


def _rotate(vectors: FloatArray, angle_rad: npt.ArrayLike) -> FloatArray:
    """Rotate (forward, up) vectors by ``angle`` counter-clockwise (toe up > 0)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    v = np.asarray(vectors, dtype=float)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], -1)


def _in_plane(points: FloatArray, lateral_m: float) -> FloatArray:
    """(n, 2) sagittal points -> (n, 3) at a lateral coordinate."""
    return np.column_stack([points[:, :2], np.full(len(points), lateral_m)])


def _scaled(
    fractions: tuple[float, float], height_m: float, trunk_m: float
) -> tuple[float, float]:
    """(anterior, along) offsets from MIDS, returned relative to MIDH."""
    return fractions[0] * height_m, trunk_m + fractions[1] * height_m
