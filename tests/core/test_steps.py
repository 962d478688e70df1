"""Step, flight and stride times of foot contacts (gaitlab.core.steps)."""

from __future__ import annotations

import numpy as np

from gaitlab.core.contacts import Contact
from gaitlab.core.steps import step_intervals


def test_step_intervals_skip_missed_contacts() -> None:
    """R L R _ R L: the missing left contact leaves the step after the third
    contact undefined (same foot next) and the left stride 0.35 → 1.75 s too long."""
    contacts = [
        Contact(i + 1, side, ic, ic + 0.25)
        for i, (side, ic) in enumerate(
            [("Right", 0.0), ("Left", 0.35), ("Right", 0.70), ("Right", 1.40),
             ("Left", 1.75)]
        )
    ]  # fmt: skip
    steps = step_intervals(contacts)
    np.testing.assert_allclose(
        steps.step_time_s, [0.35, 0.35, np.nan, 0.35, np.nan], atol=1e-12
    )
    np.testing.assert_allclose(
        steps.flight_time_s, [0.10, 0.10, np.nan, 0.10, np.nan], atol=1e-12
    )
    np.testing.assert_allclose(
        steps.stride_time_s, [0.70, np.nan, 0.70, np.nan, np.nan], atol=1e-12
    )
    assert "same foot" in steps.step_reason[2]
    assert "missed" in steps.stride_reason[1]
