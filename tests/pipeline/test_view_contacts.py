"""Where TrialView.contacts() takes the foot contacts from: the latest usable
result of an event-producing plugin, whatever its name, else the file's events."""

from __future__ import annotations

import pytest

from gaitlab.core.contacts import FOOT_OFF, FOOT_STRIKE
from gaitlab.core.results import Result
from gaitlab.core.trial import Event
from gaitlab.pipeline.view import TrialView
from gaitlab.testing import blank_trial


def events(*contacts: tuple[str, float, float], clean: bool | None = None) -> Result:
    """A result holding these (side, IC, TO) contacts, optionally clean-flagged."""
    result = Result()
    for side, ic, to in contacts:
        result.add_event(ic, FOOT_STRIKE, side)
        result.add_event(to, FOOT_OFF, side)
        if clean is not None:
            result.add_metric("contact_clean", float(clean), side=side, time_s=ic)
    return result


def ics(view: TrialView) -> list[tuple[str, float]]:
    return [(c.side, c.ic_s) for c in view.contacts()]


def test_contacts_come_from_an_event_plugin_of_any_name() -> None:
    """A researcher's event plugin replaces gait_events: before, contacts were
    read from the result named "gait_events" only and fell back to the file."""
    view = TrialView(
        blank_trial(), results={"mylab_events": events(("Left", 0.1, 0.3), clean=True)}
    )
    assert ics(view) == [("Left", 0.1)]
    assert view.contacts()[0].clean is True


def test_the_latest_event_result_wins() -> None:
    first = events(("Left", 0.1, 0.3))
    refined = events(("Left", 0.12, 0.3))
    view = TrialView(blank_trial(), results={"gait_events": first})
    view.add_result("mylab_refined_events", refined)
    assert ics(view) == [("Left", 0.12)]
    # running gait_events again makes it the latest
    view.add_result("gait_events", events(("Right", 0.2, 0.4)))
    assert ics(view) == [("Right", 0.2)]


def test_results_without_foot_strikes_or_not_usable_are_not_sources() -> None:
    other = Result()
    other.add_event(0.5, "Catch step", "General")
    failed = events(("Right", 0.6, 0.8))
    failed.status, failed.message = "failed", "boom"
    trial = blank_trial()
    trial.events = [Event(0.2, FOOT_STRIKE, "Left"), Event(0.4, FOOT_OFF, "Left")]
    view = TrialView(
        trial,
        results={"gait_events": events(("Left", 0.1, 0.3)), "drill": other},
    )
    view.add_result("broken_events", failed)
    assert ics(view) == [("Left", 0.1)]
    no_source = TrialView(trial, results={"drill": other})
    assert ics(no_source) == [("Left", 0.2)]


@pytest.mark.parametrize("clean", [True, False])
def test_clean_flags_come_from_the_same_result(clean: bool) -> None:
    view = TrialView(
        blank_trial(),
        results={
            "gait_events": events(("Left", 0.1, 0.3), clean=not clean),
            "mylab_events": events(("Left", 0.1, 0.3), clean=clean),
        },
    )
    assert view.contacts()[0].clean is clean
