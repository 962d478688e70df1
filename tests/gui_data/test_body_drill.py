"""The body view's data on the lean-and-fall drill, without Qt (issue 12 item 6).

The drill's angle series declared with ``lines`` display hints (support AJC →
COM, MIDH → MIDS, AJC → HJC; made up here, as plugins/drill.py does not declare
them yet): the drill trial has no contacts, so the stance-side lines are drawn
on the support side the drill measured its leg line on (``standing_side``), and
at the cursor their angles are the plugin's drill series.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gaitlab.core.results import SeriesSpec
from gaitlab.gui.body.declared import declared_angles
from gaitlab.gui.body.figure import Stances, figure_at, standing_side
from gaitlab.gui.body.prepared import prepare_body
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
def drill(tmp_path_factory: pytest.TempPathFactory, demo_files: list[Path]) -> LoadedTrial:
    """The demo drill trial with the default pipeline run."""
    from gaitlab.pipeline.runner import run_pipeline
    from gaitlab.store.project import create_project

    files = [path for path in demo_files if path.stem == "demo_drill"]
    assert files, "demo_drill.c3d missing from the demo data"
    folder = tmp_path_factory.mktemp("drill") / "drill.gaitlab"
    created = create_project(folder)
    list(created.import_files(files, subject="drill01", condition="synthetic"))
    list(run_pipeline(created, workers=1))
    session = Session()
    session.open(folder)
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
