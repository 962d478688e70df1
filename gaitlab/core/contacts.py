"""Foot contacts (stances) from gait events: the steps every per-step metric refers to.

A contact is one foot on the ground from its initial contact (``Foot Strike``)
to its toe-off (``Foot Off``). Contacts are numbered 1, 2, ... in time order
across both feet; that number is the ``step`` of every per-step metric, so
the metrics of all plugins line up in the exported tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gaitlab.core.trial import Event
from gaitlab.core.types import SIDES

__all__ = ["FOOT_OFF", "FOOT_STRIKE", "Contact", "contacts_from_events"]

FOOT_STRIKE = "Foot Strike"
FOOT_OFF = "Foot Off"


@dataclass(frozen=True)
class Contact:
    """One foot contact.

    Attributes
    ----------
    step : int
        1-based number in time order across both feet.
    side : str
        ``"Left"``, ``"Right"`` or ``""`` when unknown.
    ic_s, to_s : float
        Initial contact and toe-off times in s.
    clean : bool
        True when the foot was alone and wholly on force plates (METHODS
        §1.8), so force-based metrics of this contact can be trusted.
    """

    step: int
    side: str
    ic_s: float
    to_s: float
    clean: bool = True

    @property
    def duration_s(self) -> float:
        """Contact time TO − IC in s."""
        return self.to_s - self.ic_s

    @property
    def context(self) -> str:
        """Event context of the side (``"General"`` when unknown)."""
        return self.side or "General"


def contacts_from_events(
    events: Iterable[Event], clean: dict[float, bool] | None = None
) -> list[Contact]:
    """Pair each Foot Strike with the next Foot Off of the same side.

    A strike without a later toe-off of that side before its next strike
    (a truncated contact) is dropped.

    Parameters
    ----------
    events : iterable of Event
        Gait events (other labels are ignored).
    clean : dict of float to bool or None
        Cleanliness by initial-contact time; missing entries count as clean.

    Returns
    -------
    contacts : list of Contact
        In time order, numbered from 1.

    Examples
    --------
    >>> events = [Event(0.1, "Foot Strike", "Right"), Event(0.35, "Foot Off", "Right"),
    ...           Event(0.45, "Foot Strike", "Left"), Event(0.7, "Foot Off", "Left")]
    >>> [(c.step, c.side, c.ic_s) for c in contacts_from_events(events)]
    [(1, 'Right', 0.1), (2, 'Left', 0.45)]
    """
    ordered = sorted(events, key=lambda e: e.time_s)
    pairs = []
    for i, event in enumerate(ordered):
        if event.label != FOOT_STRIKE:
            continue
        for later in ordered[i + 1 :]:
            if later.context != event.context:
                continue
            if later.label == FOOT_STRIKE:
                break
            if later.label == FOOT_OFF:
                pairs.append((event, later))
                break
    clean = clean or {}
    return [
        Contact(
            step,
            strike.context if strike.context in SIDES else "",
            strike.time_s,
            off.time_s,
            clean.get(strike.time_s, True),
        )
        for step, (strike, off) in enumerate(pairs, start=1)
    ]
