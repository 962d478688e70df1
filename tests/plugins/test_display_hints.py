"""The display hints the built-in plugins declare reproduce the app's former layout.

Before issue 11 the GUI hard-coded the lean legend names and colours
(``LEAN_LABELS``, ``LEAN_COLOURS``), the body view's lines of each angle
(``ANGLE_LINES``), the COM plots and the main metrics (``MAIN_METRICS`` of
``gaitlab demo``). These tables are copied here from that code: the
declarations must keep showing the user the same thing.
"""

from __future__ import annotations

from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.display import headline_metrics

SPECS = discover().specs
LEAN_PLOT = "Lean angles (from vertical, + forward)"

FORMER_LEAN = (
    ("trunk_lean", "trunk", "#6A3D9A", (("midh", "mids"),)),
    ("whole_body_lean", "COP→COM", "#009E73", (("cop", "com"),)),
    ("whole_body_lean_ankle", "ankle→COM", "#56B4E9", (("ajc", "com"),)),
    ("leg_line", "leg line", "#E69F00", (("ajc", "hjc"),)),
    ("bend_index", "bend index", "#CC79A7", (("midh", "mids"), ("ajc", "hjc"))),
    ("body_line", "body line", "#8C564B", (("ajc", "mids"),)),
    ("head_alignment", "head", "#7F7F7F", ()),
)
"""(series, legend, colour, body-view lines) in the former plotting order."""

FORMER_MAIN_METRICS = {
    "contact_time",
    "flight_time",
    "cadence",
    "braking_impulse",
    "propulsive_impulse",
    "peak_vertical_grf",
    "trunk_lean",
    "whole_body_lean",
    "bend_index",
    "foot_strike_angle",
    "strike_index",
    "body_mass",
}


def test_lean_series_keep_their_legend_colour_order_and_lines() -> None:
    series = SPECS["lean"].series
    got = tuple((s.name, s.display_label, s.colour, s.lines) for s in series)
    assert got == FORMER_LEAN
    assert {s.plot for s in series} == {LEAN_PLOT}
    assert all(s.visible for s in series)


def test_the_com_is_plotted_vertical_and_ap_and_drawn_on_the_body() -> None:
    com = next(s for s in SPECS["center_of_mass"].series if s.name == "com")
    assert com.plot == "Centre of mass"
    assert com.components == ("vertical", "ap")
    assert com.point == "com"
    # one colour per component (theme.COMPONENT_COLOURS), not one per series
    assert com.colour == ""
    others = [s for s in SPECS["center_of_mass"].series if s.name != "com"]
    assert not any(s.plot for s in others)


FORMER_REPORT_HEADLINE = {
    "running_speed",
    "leg_line",
    "whole_body_lean_ankle",
    "body_line",
    "landing_distance_com",
    "shank_angle_ic",
}
"""The report's headline table also listed these (report.html.HEADLINE_METRICS)."""


def test_the_headline_metrics_are_the_former_main_and_report_metrics() -> None:
    headline = [m.name for m in headline_metrics(SPECS.values())]
    assert set(headline) == FORMER_MAIN_METRICS | FORMER_REPORT_HEADLINE
    assert len(headline) == len(set(headline))
    # the stance mean, not the _ic/_midstance/_to values of the same angle
    lean = {m.name for m in SPECS["lean"].metrics if m.headline}
    assert lean == {
        "trunk_lean",
        "whole_body_lean",
        "whole_body_lean_ankle",
        "leg_line",
        "bend_index",
        "body_line",
    }
