"""The body view on the demo lean-and-fall drill (issue 12 item 6).

The drill trial has no contacts (the runner stands on both feet), so the
stance-side lines are drawn on the support side the drill measured its leg line
on (:func:`gaitlab.gui.body.figure.standing_side`); the lines are declared here
(``SeriesSpec.lines``, as in tests/gui_data/test_body_drill.py).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gaitlab.gui.views.body_view import BodyView
from gaitlab.session import Session
from tests.gui.test_body_view import body as body  # the fixture
from tests.gui.test_body_view import show
from tests.gui_data.test_body_drill import DRILL


def metric(loaded, name: str) -> tuple[float, str]:
    """A drill metric's value and side."""
    (found,) = [m for m in loaded.results["drill"].metrics if m.name == name]
    return float(found.value), found.side


def test_at_max_lean_the_ankle_com_line_is_drawn_with_the_drill_lean(
    qtbot, body: BodyView, session: Session
):
    loaded = replace(session.load("demo_drill"), specs={"drill": DRILL})
    show(qtbot, body, session, loaded)
    t_max, _ = metric(loaded, "drill_max_lean_time")
    max_lean, _ = metric(loaded, "drill_max_lean")
    _, support = metric(loaded, "drill_leg_line")
    session.set_cursor(t_max)
    figure = body.figure_item.figure
    assert figure is not None
    assert figure.side == support
    drawn = body.figure_data()
    prefix = support[0].lower()
    lower, upper = figure.lines["ajc-com"]
    np.testing.assert_allclose(lower, drawn[f"{prefix}_ajc"], atol=1e-12)
    np.testing.assert_allclose(upper, drawn["com"], atol=1e-12)
    forward, up = upper - lower
    assert np.degrees(np.arctan2(forward, up)) == pytest.approx(max_lean, abs=0.1)
    value, _source = body.angles()["drill_lean"]
    assert value == pytest.approx(max_lean, abs=0.1)
    assert {"midh-mids", "ajc-hjc"} <= set(figure.lines)


def test_the_base_of_support_turns_orange_when_the_com_leaves_it(
    qtbot, body: BodyView, session: Session
):
    from gaitlab.gui.body.painter import BASE_COLOUR, OUTSIDE_BASE_COLOUR
    from tests.gui.test_body_view import colour_pixels

    loaded = session.load("demo_drill")
    show(qtbot, body, session, loaded)
    session.set_cursor(0.5)
    assert colour_pixels(body, BASE_COLOUR) > 10
    assert colour_pixels(body, OUTSIDE_BASE_COLOUR) == 0
    assert body.table.values[-2] == "yes"
    ic, _ = metric(loaded, "drill_catch_ic_time")
    session.set_cursor(ic - 0.1)
    assert colour_pixels(body, OUTSIDE_BASE_COLOUR) > 10
    assert body.table.values[-2].endswith("m ahead of the toes")
