"""Lab frames of the synthetic trials: which axis is up, which way the runner goes.

The synthetic generators work in a model frame with columns (forward, up, right);
`model_to_lab` turns those coordinates into any right-handed lab frame whose
vertical is +Z or +Y and whose progression is along a horizontal axis.
"""

from __future__ import annotations

import numpy as np

from gaitlab.core.types import FloatArray

__all__ = ["lab_axes", "model_to_lab"]


_AXES = {"x": 0, "y": 1, "z": 2}


def lab_axes(up: str, forward: str) -> tuple[FloatArray, FloatArray]:
    """Unit vectors of the lab vertical and of the progression.

    Parameters
    ----------
    up : {"z", "y"}
        Lab vertical axis (+Z or +Y).
    forward : {"+x", "-x", "+y", "-y", "+z", "-z"}
        Direction of progression; not along ``up``.

    Returns
    -------
    e_up, e_forward : ndarray, shape (3,)

    Examples
    --------
    >>> lab_axes("y", "-x")
    (array([0., 1., 0.]), array([-1.,  0.,  0.]))
    """
    if up not in ("z", "y"):
        raise ValueError(f"up must be 'z' or 'y', got {up!r}")
    if len(forward) != 2 or forward[0] not in "+-" or forward[1] not in _AXES:
        raise ValueError(
            f"forward must be one of +x, -x, +y, -y, +z, -z; got {forward!r}"
        )
    if forward[1] == up:
        raise ValueError(f"forward ({forward}) must be horizontal, not along up ({up})")
    e_up, e_forward = np.zeros(3), np.zeros(3)
    e_up[_AXES[up]] = 1.0
    e_forward[_AXES[forward[1]]] = 1.0 if forward[0] == "+" else -1.0
    return e_up, e_forward


def model_to_lab(e_up: FloatArray, e_forward: FloatArray) -> FloatArray:
    """Rows: lab vectors of the model axes forward, up and right.

    ``points_model @ model_to_lab(...)`` gives lab coordinates; right =
    forward x up, so the frame stays right-handed.
    """
    return np.stack([e_forward, e_up, np.cross(e_forward, e_up)])
