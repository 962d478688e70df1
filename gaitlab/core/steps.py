"""Step, flight and stride times of a sequence of foot contacts (METHODS §5.5).

For contact k (in time order, both feet): step time = IC(k+1) − IC(k) and
flight time = IC(k+1) − TO(k), defined only when contact k+1 is the next
contact of the other foot and comes less than :data:`MISSED_CONTACT_RATIO`
median step times later (else a contact was missed); stride time = IC of the
next contact of the same foot − IC(k), NaN when longer than
:data:`MISSED_CONTACT_RATIO` median strides. Times in s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitlab.core.contacts import Contact
from gaitlab.core.types import FloatArray

__all__ = ["MISSED_CONTACT_RATIO", "StepIntervals", "step_intervals"]

MISSED_CONTACT_RATIO = 1.5
"""A step (stride) longer than this many median steps (strides) spans a missed contact."""


@dataclass(frozen=True)
class StepIntervals:
    """Step, flight and stride times of each contact (NaN where undefined).

    Attributes
    ----------
    step_time_s, flight_time_s, stride_time_s : ndarray, shape (n_contacts,)
        IC(next) − IC, IC(next) − TO, IC(next of the same foot) − IC, in s.
    step_reason, stride_reason : list of str
        Why the step (and flight) or the stride is NaN ("" when defined).
    """

    step_time_s: FloatArray
    flight_time_s: FloatArray
    stride_time_s: FloatArray
    step_reason: list[str]
    stride_reason: list[str]


def step_intervals(contacts: list[Contact]) -> StepIntervals:
    """Step, flight and stride times of each contact, with reasons for gaps.

    Parameters
    ----------
    contacts : list of Contact
        Foot contacts in time order, both feet (IC and TO times in s; a contact
        with an empty side alternates with any).

    Returns
    -------
    intervals : StepIntervals
        Times in s, NaN where undefined, with the reason.

    Notes
    -----
    The step of contact k ends at the IC of contact k+1 when that is the other
    foot (or a side is unknown) and comes less than :data:`MISSED_CONTACT_RATIO` (1.5) median step times
    later; the stride ends at the next IC of the same foot (with unknown
    sides: two valid steps later) less than 1.5 median strides later.

    Examples
    --------
    >>> steps = step_intervals([Contact(1, "Right", 0.0, 0.25),
    ...                         Contact(2, "Left", 0.35, 0.6),
    ...                         Contact(3, "Right", 0.7, 0.95)])
    >>> steps.step_time_s.round(3).tolist(), steps.stride_time_s.round(3).tolist()
    ([0.35, 0.35, nan], [0.7, nan, nan])
    """
    n = len(contacts)
    ic = np.array([c.ic_s for c in contacts])
    to = np.array([c.to_s for c in contacts])
    sides = [c.side for c in contacts]
    step, flight, stride = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    step_reason = ["last contact of the trial: no next contact"] * n
    stride_reason = ["no later contact of the same foot in the trial"] * n
    gaps = np.diff(ic)
    alternating = [not (sides[k] and sides[k] == sides[k + 1]) for k in range(n - 1)]
    typical = np.median(gaps[alternating]) if any(alternating) else np.nan
    for k in range(n - 1):
        if not alternating[k]:
            step_reason[k] = (
                "the next contact is of the same foot: a contact of the other foot "
                "was missed"
            )
        elif gaps[k] > MISSED_CONTACT_RATIO * typical:
            step_reason[k] = (
                f"the next contact comes {gaps[k]:.3f} s later, more than "
                f"{MISSED_CONTACT_RATIO} × the median step time: a contact was missed"
            )
        else:
            step[k], flight[k], step_reason[k] = gaps[k], ic[k + 1] - to[k], ""
    for k in range(n):
        if sides[k]:
            later = [j for j in range(k + 1, n) if sides[j] == sides[k]]
            if later:
                stride[k] = ic[later[0]] - ic[k]
        elif k + 2 < n and np.isfinite(step[k]) and np.isfinite(step[k + 1]):
            stride[k] = ic[k + 2] - ic[k]
    typical_stride = np.nanmedian(stride) if np.isfinite(stride).any() else np.nan
    for k in range(n):
        if stride[k] > MISSED_CONTACT_RATIO * typical_stride:
            stride_reason[k] = (
                f"the next contact of the same foot comes {stride[k]:.3f} s later, "
                f"more than {MISSED_CONTACT_RATIO} × the median stride: a contact "
                "was missed"
            )
            stride[k] = np.nan
        elif np.isfinite(stride[k]):
            stride_reason[k] = ""
    return StepIntervals(step, flight, stride, step_reason, stride_reason)
