"""Names shared by every layer: the array type, the sides of the body.

One definition of each, so that a side spelled ``"left"`` in one module and
``"Left"`` in another cannot drift apart.

Examples
--------
>>> SIDES
('Left', 'Right')
>>> SIDE_PREFIX["Right"]
'r'
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["SIDES", "SIDE_PREFIX", "FloatArray", "Side", "side_of_prefix"]

FloatArray = npt.NDArray[np.float64]
"""A float64 array (positions in m, forces in N, times in s, angles in deg)."""

Side = Literal["Left", "Right"]
"""A side of the body, spelled as C3D event contexts spell it."""

SIDES: tuple[Side, Side] = ("Left", "Right")
"""Both sides, left first."""

SIDE_PREFIX: dict[str, str] = {"Left": "l", "Right": "r"}
"""Prefix of a side's landmark and body-point names (``l_ajc``, ``r_heel``)."""


def side_of_prefix(prefix: str) -> Side:
    """Return the side whose landmark names start with ``prefix`` (``"l"``, ``"r"``).

    Examples
    --------
    >>> side_of_prefix("l")
    'Left'
    """
    for side, known in SIDE_PREFIX.items():
        if known == prefix:
            return side  # type: ignore[return-value]
    raise ValueError(f"side prefix must be 'l' or 'r', got {prefix!r}")
