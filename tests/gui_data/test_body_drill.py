"""The body view's data on the lean-and-fall drill, without Qt (issue 12 item 6).

The drill's angle series carry ``lines`` display hints (support AJC → COM, AJC
→ head centre, MIDH → MIDS, AJC → HJC): the drill trial has no contacts, so the
stance-side lines are drawn on the support side the drill measured its leg line
on (``standing_side``), and at the cursor their angles are the plugin's drill
series. A plugin skipped on a trial draws no lines there: no drill lines on a
running trial, no running-lean lines on the drill. The first tests declare the
lines in the test (``DRILL``) so they check the view, not the plugin's choice.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gaitlab.core.results import SeriesSpec
from gaitlab.gui.body.declared import declared_angles
from gaitlab.gui.body.figure import Stances, figure_at, standing_side
from gaitlab.gui.body.prepared import prepare_body, shown_angles
from gaitlab.session import LoadedTrial, Session
from tests.gui_data.test_body_figure import axes, declare

DRILL = declare(
    "drill",
    SeriesSpec("drill_lean", "deg", lines=(("ajc", "com"),)),
    SeriesSpec("drill_trunk_lean", "deg", lines=(("midh", "mids"),)),
    SeriesSpec("drill_leg_line", "deg", lines=(("ajc", "hjc"),)),
    SeriesSpec("drill_bend_index", "deg", lines=(("midh", "mids"), ("ajc", "hjc"))),
)


@pytest.fixture(scope="module")
def session(
    tmp_path_factory: pytest.TempPathFactory, demo_files: list[Path]
) -> Session:
    """The demo drill and treadmill run with the default pipeline run."""
    from gaitlab.pipeline.runner import run_pipeline
    from gaitlab.store.project import create_project

    files = [p for p in demo_files if p.stem in ("demo_drill", "demo_treadmill_run")]
    assert len(files) == 2, "demo_drill.c3d or demo_treadmill_run.c3d missing"
    folder = tmp_path_factory.mktemp("drill") / "drill.gaitlab"
    created = create_project(folder)
    list(created.import_files(files, subject="drill01", condition="synthetic"))
    list(run_pipeline(created, workers=1))
    session = Session()
    session.open(folder)
    return session


@pytest.fixture(scope="module")
def drill(session: Session) -> LoadedTrial:
    """The demo drill trial, the drill's lines declared by the test."""
    return replace(session.load("demo_drill"), specs={"drill": DRILL})


def metric(loaded: LoadedTrial, name: str) -> float:
    """A drill metric's value."""
    (value,) = [m.value for m in loaded.results["drill"].metrics if m.name == name]
    return float(value)


def test_standing_side_is_the_side_of_the_declared_stance_side_angle(drill):
    angles = declared_angles(drill.specs)
    assert drill.contacts == []
    (leg,) = [m for m in drill.results["drill"].metrics if m.name == "drill_leg_line"]
    assert leg.side in ("Left", "Right")
    assert standing_side(drill.results, angles) == leg.side
    # the catch-side metric (landing distance) does not count; no declarations: ""
    assert standing_side(drill.results, ()) == ""
    # a trial with contacts keeps its stance phases
    assert Stances([], "Left").side_at(1.0) == "Left"


def test_ankle_com_line_at_max_lean_is_the_drill_lean(drill: LoadedTrial):
    frame = axes(drill)
    prepared = prepare_body(drill, frame)
    t_max = metric(drill, "drill_max_lean_time")
    stances = Stances(drill.contacts, standing_side(drill.results, prepared.angles))
    figure = figure_at(prepared, stances, t_max)
    assert figure.side in ("Left", "Right")
    value, _source = figure.angles["drill_lean"]
    assert value == pytest.approx(metric(drill, "drill_max_lean"), abs=0.1)
    lower, upper = figure.lines["ajc-com"]
    # sagittal plane points are (forward, up), m: angle from the vertical, deg
    forward, up = upper - lower
    assert np.degrees(np.arctan2(forward, up)) == pytest.approx(value, abs=0.1)


def test_a_plugin_skipped_on_a_trial_draws_no_lines_there(session: Session):
    """The installed plugins' own declarations: on the drill the drill's lines
    (lean skipped: no contacts); on a running trial the lean's (drill skipped)."""
    on_drill = [a.plugin for a in shown_angles(session.load("demo_drill"))]
    on_run = [a.plugin for a in shown_angles(session.load("demo_treadmill_run"))]
    assert set(on_drill) == {"drill"}
    assert "drill" not in on_run
    assert "lean" in on_run


def test_the_drill_draws_its_head_to_ankle_line_through_the_fall(session: Session):
    """The plugin's declared lines at the maximum lean: ankle → COM at
    drill_max_lean, ankle → head centre at the stored drill_body_line, which
    the straight demo drill keeps within 1.5° of its leg line (15°: the body
    is one line from head to heel)."""
    loaded = session.load("demo_drill")
    frame = axes(loaded)
    prepared = prepare_body(loaded, frame)
    t_max = metric(loaded, "drill_max_lean_time")
    stances = Stances(loaded.contacts, standing_side(loaded.results, prepared.angles))
    figure = figure_at(prepared, stances, t_max)
    lean, _ = figure.angles["drill_lean"]
    assert lean == pytest.approx(metric(loaded, "drill_max_lean"), abs=0.1)
    body_line, source = figure.angles["drill_body_line"]
    assert "drill" in source
    lower, upper = figure.lines["ajc-head_com"]
    forward, up = upper - lower
    assert np.degrees(np.arctan2(forward, up)) == pytest.approx(body_line, abs=0.5)
    assert body_line == pytest.approx(metric(loaded, "drill_leg_line"), abs=1.5)
    assert metric(loaded, "drill_leg_line") > 10.0  # leaning forward, not upright


def test_the_com_leaves_the_base_of_support_before_the_catch_step(session: Session):
    """Quiet stance: both feet on the floor, the COM over them. The drill's
    point: just before the catch foot lands the support foot alone is the
    base, and the COM is ahead of its toes (the runner has to step)."""
    loaded = session.load("demo_drill")
    prepared = prepare_body(loaded, axes(loaded))
    stances = Stances(loaded.contacts, standing_side(loaded.results, prepared.angles))
    quiet = figure_at(prepared, stances, 0.5)
    assert quiet.base is not None
    heels = [quiet.points[f"{p}_heel"][0] for p in "lr"]
    toes = [quiet.points[f"{p}_ttip"][0] for p in "lr"]
    assert quiet.base[:2] == pytest.approx((min(heels), max(toes)))
    assert quiet.com_over_base is True
    ic = metric(loaded, "drill_catch_ic_time")
    falling = figure_at(prepared, stances, ic - 0.1)
    support = "l" if metric_side(loaded, "drill_leg_line") == "Left" else "r"
    assert falling.base is not None
    assert falling.base[1] == pytest.approx(falling.points[f"{support}_ttip"][0])
    assert falling.com_over_base is False
    assert falling.com[0] > falling.base[1]  # ahead of the toes


def metric_side(loaded: LoadedTrial, name: str) -> str:
    (side,) = [m.side for m in loaded.results["drill"].metrics if m.name == name]
    return side


def test_in_running_the_base_is_the_stance_foot_and_none_in_flight(session: Session):
    """The synthetic runner: at every midstance the base is the stance foot
    (heel to toe tip); in the middle of each flight no foot is on the floor;
    just after initial contact the COM is behind the landing heel (the foot
    lands ahead of the body)."""
    loaded = session.load("demo_treadmill_run")
    prepared = prepare_body(loaded, axes(loaded))
    stances = Stances(loaded.contacts, standing_side(loaded.results, prepared.angles))
    contacts = sorted(loaded.contacts, key=lambda c: c.ic_s)
    assert len(contacts) > 4
    for contact, following in itertools.pairwise(contacts):
        prefix = "l" if contact.side == "Left" else "r"
        mid = figure_at(prepared, stances, 0.5 * (contact.ic_s + contact.to_s))
        assert mid.base is not None
        foot = (mid.points[f"{prefix}_heel"][0], mid.points[f"{prefix}_ttip"][0])
        assert mid.base[:2] == pytest.approx((min(foot), max(foot)), abs=1e-9)
        flight = figure_at(prepared, stances, 0.5 * (contact.to_s + following.ic_s))
        assert flight.base is None
        landing = figure_at(prepared, stances, contact.ic_s + 0.01)
        assert landing.com_over_base is False
        assert landing.com[0] < landing.base[0]
