"""Lines of the body in the sagittal plane and their angles (METHODS §4.1).

The kinematic lean quantities are angles of lines between body points, each
``θ(A→B) = atan2((B − A)·e_prog, (B − A)·e_up)`` in degrees from the upward
vertical, positive forward (:func:`gaitlab.core.geometry.sagittal_angle_deg`):

- trunk line MIDH → MIDS, with fallbacks: the pelvis centroid for MIDH; the
  mid-point of C7 and CLAV, C7, then CLAV for MIDS (:func:`trunk_points`);
- leg line AJC → HJC of each leg; thigh KJC → HJC;
- body line AJC → upper point of the trunk line;
- ankle-based whole-body lean AJC → COM;
- bend index θ(trunk) − θ(leg), trunk-to-thigh angle 180° − (θ(trunk) − θ(thigh)),
  head alignment θ(C7 → head centroid) − θ(lower trunk point → C7).

Points are named as the fields of :class:`gaitlab.core.body.BodyPoints`
(``midh``, ``mids``, ``cerv`` = C7, ``supr`` = CLAV, ``head_com``,
``pelvis_centroid``, ``l_hjc``, ``r_ajc`` ...), trajectories of shape
(n_frames, 3) in metres, lab frame. The same geometry serves the lean plugin
and the app's body view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy.typing as npt

from gaitlab.core.geometry import sagittal_angle_deg
from gaitlab.core.types import SIDE_PREFIX, SIDES, FloatArray

__all__ = [
    "LINE_QUANTITIES",
    "LOWER_TRUNK",
    "TRUNK_POINT_LABELS",
    "UPPER_TRUNK",
    "Lines",
    "line_angles",
    "line_points",
    "trunk_points",
]

LINE_QUANTITIES = (
    "whole_body_lean_ankle",
    "trunk_lean",
    "trunk_thigh_angle",
    "leg_line",
    "bend_index",
    "body_line",
    "head_alignment",
)
"""The quantities :func:`line_angles` computes (all in degrees)."""

LOWER_TRUNK = ("midh", "pelvis_centroid")
"""Candidates for the trunk line's lower point, in order of preference."""

UPPER_TRUNK = ("mids", "c7_clav", "cerv", "supr")
"""Candidates for the trunk line's upper point, in order of preference
(``c7_clav`` = mid-point of C7 and CLAV)."""

TRUNK_POINT_LABELS = {
    "midh": "MIDH",
    "pelvis_centroid": "pelvis centroid",
    "mids": "MIDS",
    "c7_clav": "mid-point of C7 and CLAV",
    "cerv": "C7",
    "supr": "CLAV",
}
"""The trunk points in words, for the notes naming the line used."""

Points = Mapping[str, FloatArray | None]
"""Trajectories by BodyPoints field name, shape (n_frames, 3) in m; None = absent."""


@dataclass
class Lines:
    """Line angles of a trial, per marker frame.

    Attributes
    ----------
    angles : dict of str to dict of str to ndarray
        Quantity → side (``"Left"``, ``"Right"``; ``""`` for lines that do not
        depend on the stance leg) → angle per frame in degrees.
    used : dict of str to str
        Quantity → the line actually used, in words.
    unavailable : dict of str to str
        Quantity → why it could not be computed.
    trunk : tuple of str or None
        Keys of the trunk line's lower and upper points (``("midh", "mids")``).
    """

    angles: dict[str, dict[str, FloatArray]] = field(default_factory=dict)
    used: dict[str, str] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    trunk: tuple[str, str] | None = None

    def of(self, quantity: str, side: str) -> FloatArray | None:
        """Angle per frame in degrees of a quantity for a stance side.

        Parameters
        ----------
        quantity : str
            One of :data:`LINE_QUANTITIES`.
        side : str
            ``"Left"`` or ``"Right"``: the stance leg, for the lines through it.

        Returns
        -------
        angle : ndarray, shape (n_frames,), or None
            None when the quantity could not be computed for that side.
        """
        by_side = self.angles.get(quantity, {})
        return by_side.get(side, by_side.get(""))


def trunk_points(
    points: Points, choice: tuple[str, str] | None = None
) -> tuple[str, FloatArray, str, FloatArray] | None:
    """Lower and upper points of the trunk line (keys and trajectories).

    Parameters
    ----------
    points : mapping of str to ndarray or None
        Points by BodyPoints field name, shape (n_frames, 3) in m.
    choice : tuple of str or None
        Force these (lower, upper) keys (e.g. the running trial's choice for its
        static trial); None takes the first available of :data:`LOWER_TRUNK`
        and of :data:`UPPER_TRUNK`.

    Returns
    -------
    line : tuple or None
        ``(lower_key, lower, upper_key, upper)``, or None if a point is missing.

    Examples
    --------
    >>> import numpy as np
    >>> c7, clav = np.array([[0.0, 0.0, 1.6]]), np.array([[0.2, 0.0, 1.4]])
    >>> lower, _, upper, at = trunk_points(
    ...     {"pelvis_centroid": np.zeros((1, 3)), "cerv": c7, "supr": clav}
    ... )
    >>> lower, upper, at
    ('pelvis_centroid', 'c7_clav', array([[0.1, 0. , 1.5]]))
    """
    lowers = LOWER_TRUNK if choice is None else (choice[0],)
    uppers = UPPER_TRUNK if choice is None else (choice[1],)
    lower = next(((k, points[k]) for k in lowers if points.get(k) is not None), None)
    upper = next(
        ((k, p) for k in uppers if (p := _upper_point(points, k)) is not None), None
    )
    if lower is None or upper is None:
        return None
    lower_key, lower_point = lower
    assert lower_point is not None  # narrowed by the search above
    return lower_key, lower_point, upper[0], upper[1]


def _upper_point(points: Points, key: str) -> FloatArray | None:
    """Return the trajectory of an upper trunk point (``c7_clav`` is computed)."""
    if key != "c7_clav":
        return points.get(key)
    c7, clavicle = points.get("cerv"), points.get("supr")
    return None if c7 is None or clavicle is None else (c7 + clavicle) / 2


def line_points(points: Points, trunk: tuple[str, str] | None = None) -> set[str]:
    """Keys of the points that enter at least one line of :func:`line_angles`.

    Parameters
    ----------
    points : mapping of str to ndarray or None
        Points by BodyPoints field name, as for :func:`line_angles`.
    trunk : tuple of str or None
        Force the trunk line's (lower, upper) point keys (see :func:`trunk_points`).

    Returns
    -------
    keys : set of str
        E.g. hip centres are left out without an ankle or a trunk line, so a
        caller filtering the points does not spend time on them.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros((1, 3))
    >>> sorted(line_points({"l_hjc": p, "l_ajc": p, "r_hjc": p, "cerv": p}))
    ['l_ajc', 'l_hjc']
    """
    used = set()
    line = trunk_points(points, trunk)
    if line is not None:
        used.add(line[0])
        used.update(("cerv", "supr") if line[2] == "c7_clav" else (line[2],))
        if points.get("cerv") is not None and points.get("head_com") is not None:
            used.update(("cerv", "head_com"))
    for prefix in SIDE_PREFIX.values():
        hjc, kjc, ajc = (f"{prefix}_{j}" for j in ("hjc", "kjc", "ajc"))
        if points.get(ajc) is not None:
            used.add(ajc)
            if points.get(hjc) is not None:
                used.add(hjc)
        has_thigh = points.get(hjc) is not None and points.get(kjc) is not None
        if line is not None and has_thigh:
            used.update((hjc, kjc))
    return used


def line_angles(
    points: Points,
    com: FloatArray | None,
    up: npt.ArrayLike,
    progression: npt.ArrayLike,
    *,
    trunk: tuple[str, str] | None = None,
) -> Lines:
    """Angles of the kinematic lean lines of METHODS §4.1, per frame.

    Parameters
    ----------
    points : mapping of str to ndarray or None
        Joint centres by BodyPoints field name (``midh``, ``mids``, ``cerv``,
        ``supr``, ``head_com``, ``pelvis_centroid``, ``l_hjc``, ``l_kjc``,
        ``l_ajc``, ``r_...``), shape (n_frames, 3) in m, lab frame.
    com : ndarray or None
        Whole-body COM at the same frames, shape (n_frames, 3) in m.
    up, progression : array_like, shape (3,)
        Unit vectors of the upward vertical and of the progression.
    trunk : tuple of str or None
        Force the trunk line's (lower, upper) point keys (see :func:`trunk_points`).

    Returns
    -------
    lines : Lines
        Angles in degrees (positive forward) and the lines used; the
        quantities that could not be computed are in ``unavailable`` with the
        points they need.

    Examples
    --------
    >>> import numpy as np
    >>> hip, shoulder = np.array([[0.0, 0.0, 1.0]]), np.array([[0.1, 0.0, 1.5]])
    >>> lines = line_angles({"midh": hip, "mids": shoulder}, None, [0, 0, 1], [1, 0, 0])
    >>> lines.of("trunk_lean", "Left").round(2), lines.used["trunk_lean"]
    (array([11.31]), 'MIDH→MIDS')
    >>> lines.unavailable["leg_line"]
    'needs a HJC and an AJC'
    """

    def angle(lower: FloatArray, upper: FloatArray) -> FloatArray:
        return sagittal_angle_deg(lower, upper, up, progression)

    lines = Lines()
    line = trunk_points(points, trunk)
    trunk_angle = None
    if line is None:
        lines.unavailable["trunk_lean"] = (
            "needs MIDH or the pelvis centroid, and MIDS, C7 or CLAV"
        )
    else:
        lower_key, lower, upper_key, upper = line
        lines.trunk = (lower_key, upper_key)
        trunk_angle = angle(lower, upper)
        lines.angles["trunk_lean"] = {"": trunk_angle}
        lines.used["trunk_lean"] = (
            f"{TRUNK_POINT_LABELS[lower_key]}→{TRUNK_POINT_LABELS[upper_key]}"
        )
        c7, head = points.get("cerv"), points.get("head_com")
        if c7 is not None and head is not None:
            lines.angles["head_alignment"] = {"": angle(c7, head) - angle(lower, c7)}
            lines.used["head_alignment"] = (
                f"θ(C7→head centroid) - θ({TRUNK_POINT_LABELS[lower_key]}→C7)"
            )
    for side in SIDES:
        prefix = SIDE_PREFIX[side]
        hjc, kjc, ajc = (points.get(f"{prefix}_{j}") for j in ("hjc", "kjc", "ajc"))
        if ajc is not None and hjc is not None:
            leg = angle(ajc, hjc)
            lines.angles.setdefault("leg_line", {})[side] = leg
            if trunk_angle is not None:
                lines.angles.setdefault("bend_index", {})[side] = trunk_angle - leg
        if trunk_angle is not None and kjc is not None and hjc is not None:
            thigh = angle(kjc, hjc)
            lines.angles.setdefault("trunk_thigh_angle", {})[side] = 180.0 - (
                trunk_angle - thigh
            )
        if ajc is not None and line is not None:
            lines.angles.setdefault("body_line", {})[side] = angle(ajc, line[3])
        if ajc is not None and com is not None:
            lines.angles.setdefault("whole_body_lean_ankle", {})[side] = angle(ajc, com)
    if line is not None:
        upper_label = TRUNK_POINT_LABELS[line[2]]
        trunk_label = lines.used["trunk_lean"]
        lines.used |= {
            "leg_line": "AJC→HJC",
            "bend_index": f"θ({trunk_label}) - θ(AJC→HJC)",
            "trunk_thigh_angle": f"180° - (θ({trunk_label}) - θ(KJC→HJC))",
            "body_line": f"AJC→{upper_label}",
            "whole_body_lean_ankle": "AJC→COM",
        }
    else:
        lines.used |= {"leg_line": "AJC→HJC", "whole_body_lean_ankle": "AJC→COM"}
    for quantity in LINE_QUANTITIES:
        if quantity not in lines.angles and quantity not in lines.unavailable:
            lines.unavailable[quantity] = _needs_text(quantity, com is not None)
    return lines


def _needs_text(quantity: str, have_com: bool) -> str:
    """Why a quantity could not be computed: the points it needs, in words."""
    needs = {
        "whole_body_lean_ankle": "an AJC" + ("" if have_com else " and the COM"),
        "trunk_thigh_angle": "the trunk line and a HJC and KJC",
        "leg_line": "a HJC and an AJC",
        "bend_index": "the trunk line and a HJC and an AJC",
        "body_line": "an AJC and the trunk line's upper point",
        "head_alignment": "the trunk line's lower point, C7 and the 4 head markers",
    }
    return f"needs {needs[quantity]}"
