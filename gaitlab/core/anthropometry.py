"""Body-segment parameters of de Leva (1996), Table 4 (METHODS §3.2).

The table is the package data file ``gaitlab/core/data/deleva1996_table4.csv``
(adjusted Zatsiorsky-Seluyanov parameters, both sexes, primary and
alternative endpoints). Percentages in the file are returned here as
fractions and millimetres as metres. A segment's centre of mass lies at
``origin + com_fraction·(other - origin)`` (METHODS §3.1).

When the sex is unknown (``sex=None``) every parameter is the mean of the
female and male values (gaitlab conventions, rule 10).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources

__all__ = [
    "REFERENCE_STATURE_M",
    "SegmentParameters",
    "foot_length_m",
    "hat_parameters",
    "segment_parameters",
]

REFERENCE_STATURE_M = {"M": 1.741, "F": 1.735}
"""Stature of de Leva's reference subjects in metres (METHODS §3.2)."""

_SEXES = ("F", "M")
_HAT_LINES = ("cerv", "mids")
_HAT_SEGMENTS = ("head", "trunk") + ("upper_arm", "forearm", "hand") * 2
"""de Leva rows lumped into the HAT segment of the running model (rule 11)."""


@dataclass(frozen=True)
class SegmentParameters:
    """Inertial parameters of one segment (de Leva 1996, Table 4).

    Attributes
    ----------
    segment : str
        Segment name (``"thigh"``, ``"shank"``, ...).
    variant : str
        ``"primary"`` (upper half of Table 4) or the alternative-endpoint row
        (``"alt_ajc"``, ``"alt_cerv"``, ``"alt_mids"``, ...).
    origin, other : str
        de Leva endpoint abbreviations (``"HJC"``, ``"KJC"``, ...).
    sex : str
        ``"F"``, ``"M"`` or ``"mean"`` (mean of the female and male values).
    mass_fraction : float
        Segment mass / body mass (dimensionless).
    com_fraction : float
        Distance origin → centre of mass / distance origin → other.
    mean_length_m : float
        Mean origin-other length of de Leva's reference subjects, in metres.
    """

    segment: str
    variant: str
    origin: str
    other: str
    sex: str
    mass_fraction: float
    com_fraction: float
    mean_length_m: float


def segment_parameters(
    segment: str, sex: str | None, variant: str = "primary"
) -> SegmentParameters:
    """Parameters of one segment row of de Leva's Table 4.

    Parameters
    ----------
    segment : str
        Segment name as in the table (``"head"``, ``"trunk"``, ``"thigh"``,
        ``"shank"``, ``"foot"``, ``"upper_arm"``, ``"forearm"``, ``"hand"``,
        ``"upper_trunk"``, ``"middle_trunk"``, ``"lower_trunk"``).
    sex : str | None
        ``"F"`` or ``"M"``; None gives the mean of the female and male values.
    variant : str
        ``"primary"`` or an alternative-endpoint variant of that segment.

    Returns
    -------
    parameters : SegmentParameters
        Fractions (not percent) and the mean length in metres.

    Raises
    ------
    ValueError
        Unknown segment, variant or sex; the message lists the valid values.

    Examples
    --------
    >>> p = segment_parameters("thigh", "M")
    >>> p.origin, p.other, p.mass_fraction, p.com_fraction
    ('HJC', 'KJC', 0.1416, 0.4095)
    >>> round(segment_parameters("thigh", None).mass_fraction, 4)
    0.1447
    """
    rows = _table()
    segments = sorted({key[0] for key in rows})
    if segment not in segments:
        raise ValueError(
            f"unknown de Leva segment {segment!r}; valid: {', '.join(segments)}"
        )
    variants = sorted({key[1] for key in rows if key[0] == segment})
    if variant not in variants:
        raise ValueError(
            f"unknown variant {variant!r} for segment {segment!r}; "
            f"valid: {', '.join(variants)}"
        )
    if sex is not None:
        _check_sex(sex)
        return rows[(segment, variant, sex)]
    female, male = (rows[(segment, variant, s)] for s in _SEXES)
    return SegmentParameters(
        segment=segment,
        variant=variant,
        origin=male.origin,
        other=male.other,
        sex="mean",
        mass_fraction=(female.mass_fraction + male.mass_fraction) / 2,
        com_fraction=(female.com_fraction + male.com_fraction) / 2,
        mean_length_m=(female.mean_length_m + male.mean_length_m) / 2,
    )


def hat_parameters(
    sex: str | None, *, com_fraction: float = 0.56, line: str = "cerv"
) -> tuple[float, float]:
    """Mass and COM position of the lumped head-arms-trunk (HAT) segment.

    The reduced "running" model (METHODS §3.3, conventions rule 11) keeps
    2 x (thigh, shank, foot) and lumps everything else into one HAT segment
    on the line MIDH → CERV. Its mass fraction is the sum of de Leva's head,
    trunk and 2 x (upper arm, forearm, hand) rows, i.e. body mass minus
    2 x (thigh + shank + foot): 60.28 % (M), 58.23 % (F; de Leva's female
    fractions add up to 99.99 %).

    Parameters
    ----------
    sex : str | None
        ``"F"``, ``"M"`` or None (mean of both).
    com_fraction : float
        HAT centre of mass as a fraction of MIDH → CERV, measured from MIDH
        (0.56 for running with flexed arms; 0.548 M / 0.559 F standing with the
        arms hanging, METHODS §3.3).
    line : str
        ``"cerv"``: return ``com_fraction`` along MIDH → CERV. ``"mids"``: the
        same point expressed along MIDH → MIDS (used when the C7 marker is
        missing), ``com_fraction·L_CERV/L_MIDS`` with the de Leva mean trunk
        lengths of the CERV→MIDH and MIDS→MIDH rows.

    Returns
    -------
    mass_fraction : float
        HAT mass / body mass.
    com_fraction_on_line : float
        HAT centre of mass as a fraction of MIDH → CERV or MIDH → MIDS.

    Examples
    --------
    >>> mass, f = hat_parameters("M")
    >>> round(mass, 4), f
    (0.6028, 0.56)
    >>> round(hat_parameters("M", line="mids")[1], 4)  # 0.56 · 603.3 / 515.5
    0.6554
    """
    if line not in _HAT_LINES:
        raise ValueError(f"unknown HAT line {line!r}; valid: {', '.join(_HAT_LINES)}")
    mass_fraction = sum(segment_parameters(s, sex).mass_fraction for s in _HAT_SEGMENTS)
    if line == "cerv":
        return mass_fraction, com_fraction
    length_cerv = segment_parameters("trunk", sex, "alt_cerv").mean_length_m
    length_mids = segment_parameters("trunk", sex, "alt_mids").mean_length_m
    return mass_fraction, com_fraction * length_cerv / length_mids


def foot_length_m(height_m: float | None, sex: str | None) -> float | None:
    """Foot length (HEEL → TTIP) scaled from stature (conventions rule 9).

    ``height·(de Leva mean foot length / de Leva reference stature)``:
    258.1/1741 (M), 228.3/1735 (F), the mean of these two ratios when the sex
    is unknown.

    Parameters
    ----------
    height_m : float | None
        Stature in metres.
    sex : str | None
        ``"F"``, ``"M"`` or None.

    Returns
    -------
    length : float | None
        Foot length in metres, None when the stature is unknown.

    Examples
    --------
    >>> round(foot_length_m(1.741, "M"), 4)
    0.2581
    >>> foot_length_m(None, "F") is None
    True
    """
    if height_m is None:
        return None
    if sex is not None:
        _check_sex(sex)
    sexes = _SEXES if sex is None else (sex,)
    ratios = [
        segment_parameters("foot", s).mean_length_m / REFERENCE_STATURE_M[s]
        for s in sexes
    ]
    return height_m * sum(ratios) / len(ratios)


@cache
def _table() -> dict[tuple[str, str, str], SegmentParameters]:
    """Read the CSV rows once, keyed by (segment, variant, sex)."""
    text = (
        resources.files("gaitlab.core") / "data" / "deleva1996_table4.csv"
    ).read_text(encoding="utf-8")
    rows = {}
    for row in csv.DictReader(io.StringIO(text)):
        key = (row["segment"], row["variant"], row["sex"])
        rows[key] = SegmentParameters(
            segment=row["segment"],
            variant=row["variant"],
            origin=row["origin"],
            other=row["other"],
            sex=row["sex"],
            mass_fraction=_scaled(row["mass_pct"], 100),
            com_fraction=_scaled(row["cm_pct_from_origin"], 100),
            mean_length_m=_scaled(row["mean_length_mm"], 1000),
        )
    return rows


def _scaled(text: str, divisor: int) -> float:
    """Decimal text divided exactly, then rounded once to a float (14.16 → 0.1416)."""
    return float(Decimal(text) / divisor)


def _check_sex(sex: str) -> None:
    if sex not in _SEXES:
        raise ValueError(f"sex must be 'F', 'M' or None, got {sex!r}")
