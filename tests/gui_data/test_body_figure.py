"""The body view's data, without Qt: declarations, prepared trial, figure at a time.

Issue 11 items 4 and 5: what the body view draws comes from the plugins'
declarations (``SeriesSpec.lines``, ``point="com"``), is computed by modules
that import neither PySide6 nor pyqtgraph, and is tested here without Qt.
The declarations are made up here, on the demo's stored results.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from gaitlab.core.contacts import Contact
from gaitlab.core.geometry import sagittal_angle_deg, unit
from gaitlab.core.results import SeriesSpec
from gaitlab.gui.body.declared import EXTENSION, declared_angles, declared_lines
from gaitlab.gui.body.figure import Stances, figure_at, stance_side
from gaitlab.gui.body.prepared import (
    PreparedBody,
    body_caption,
    prepare_body,
    with_results,
)
from gaitlab.pipeline.spec import PluginSpec, plugin
from gaitlab.session import LoadedTrial, Session

MARKER_RATE = 200.0
SAGITTAL = [0, 2]  # the demo treadmill trial: Z up, running +X


def declare(name: str, *series: SeriesSpec) -> PluginSpec:
    """A plugin declaration with these series."""

    @plugin(name=name, version="1.0.0", series=series)
    def declared(trial, ctx):  # never run
        raise NotImplementedError

    return declared.__gaitlab_plugin__


LEAN = declare(
    "lean",
    SeriesSpec("trunk_lean", "deg", label="Trunk", lines=(("midh", "mids"),)),
    SeriesSpec("whole_body_lean", "deg", label="COP→COM", lines=(("cop", "com"),)),
    SeriesSpec("leg_line", "deg", label="Leg", lines=(("ajc", "hjc"),)),
    SeriesSpec(
        "bend_index",
        "deg",
        label="Bend",
        colour="#CC79A7",
        lines=(("midh", "mids"), ("ajc", "hjc")),
    ),
    SeriesSpec("head_alignment", "deg"),  # no lines: not an angle of the figure
)
COM = declare("center_of_mass", SeriesSpec("com", "m", point="com"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, demo_files: list[Path]) -> Path:
    """The demo trials with the default pipeline run."""
    from gaitlab.pipeline.runner import run_pipeline
    from gaitlab.store.project import create_project

    folder = tmp_path_factory.mktemp("body") / "demo.gaitlab"
    created = create_project(folder)
    list(created.import_files(demo_files, subject="slip01", condition="synthetic"))
    list(run_pipeline(created, workers=1))
    return folder


@pytest.fixture
def treadmill(project: Path) -> LoadedTrial:
    """The demo treadmill trial with the made-up declarations only."""
    session = Session()
    session.open(project)
    loaded = session.load("demo_treadmill_run")
    return replace(loaded, specs={"lean": LEAN, "center_of_mass": COM})


def axes(loaded: LoadedTrial) -> SimpleNamespace:
    """The trial's sagittal frame, as the app's views build it."""
    view = loaded.view()
    up, forward = unit(view.up), unit(view.progression.direction)
    return SimpleNamespace(
        up=up, forward=forward, right=np.cross(forward, up), view=view
    )


def prepare(loaded: LoadedTrial) -> PreparedBody:
    return prepare_body(loaded, axes(loaded))


def mid_stance(loaded: LoadedTrial, index: int = 2) -> tuple[float, Contact]:
    contact = loaded.contacts[index]
    time_s = round(0.5 * (contact.ic_s + contact.to_s) * MARKER_RATE) / MARKER_RATE
    return time_s, contact


def test_the_data_modules_import_no_qt():
    code = (
        "import sys, gaitlab.gui.body.prepared, gaitlab.gui.body.figure; import gaitlab.gui.body.declared; "
        "print([m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_angles_are_the_series_declared_with_lines_in_declaration_order():
    other = declare(
        "acme",
        SeriesSpec("trunk_lean", "deg", lines=(("cop", "mids"),)),
        SeriesSpec("tilt", "deg", lines=(("midh", "mids"),)),
    )
    angles = declared_angles({"lean": LEAN, "acme": other})
    assert [(a.key, a.plugin) for a in angles] == [
        ("trunk_lean", "lean"),
        ("whole_body_lean", "lean"),
        ("leg_line", "lean"),
        ("bend_index", "lean"),
        ("acme.trunk_lean", "acme"),  # same series name, other plugin
        ("tilt", "acme"),
    ]
    lines = declared_lines(angles)
    # each line once, owned (coloured, labelled) by the first angle declaring it
    assert [(line.key, line.owner.key) for line in lines] == [
        ("midh-mids", "trunk_lean"),
        ("cop-com", "whole_body_lean"),
        ("ajc-hjc", "leg_line"),
        ("cop-mids", "acme.trunk_lean"),
    ]
    assert [line.along_segment for line in lines] == [True, False, False, False]
    assert [line.sided for line in lines] == [False, False, True, False]


def test_stored_angles_and_the_declared_com_are_used(treadmill):
    prepared = prepare(treadmill)
    assert set(prepared.angle_series) == {
        "trunk_lean",
        "whole_body_lean",
        "leg_line",
        "bend_index",
    }
    assert prepared.com_source == "center_of_mass result (com)"
    time_s, _contact = mid_stance(treadmill)
    figure = figure_at(prepared, Stances(treadmill.contacts), time_s)
    frame = round(time_s * MARKER_RATE)
    lean = treadmill.results["lean"].series
    for key in ("trunk_lean", "leg_line", "bend_index"):
        assert figure.angles[key] == (
            pytest.approx(lean[key].values[frame], abs=1e-12),
            "lean result",
        )
    com = treadmill.results["center_of_mass"].series["com"].values[frame]
    np.testing.assert_allclose(figure.com, com[SAGITTAL], atol=1e-9)
    assert body_caption(prepared) == (
        "Angles from the vertical, + forward, from the lean result. "
        "COM: center_of_mass result (com)."
    )


def test_a_single_line_angle_is_computed_at_the_cursor_without_a_result(treadmill):
    """The stance side's joints are used ("ajc", "hjc"), the trunk line is drawn
    longer along the trunk segment, a two-line angle is not available."""
    del treadmill.results["lean"]
    prepared = prepare(treadmill)
    time_s, contact = mid_stance(treadmill)
    figure = figure_at(prepared, Stances(treadmill.contacts), time_s)
    prefix = "l" if contact.side == "Left" else "r"
    ajc, hjc = figure.points[f"{prefix}_ajc"], figure.points[f"{prefix}_hjc"]
    expected = sagittal_angle_deg(ajc, hjc, [0, 1], [1, 0])
    assert figure.side == contact.side
    assert figure.angles["leg_line"] == (
        pytest.approx(expected, abs=1e-12),
        "computed from the markers",
    )
    assert figure.angles["trunk_lean"][0] == pytest.approx(5.0, abs=0.05)
    value, source = figure.angles["bend_index"]
    assert np.isnan(value)
    assert source == "not available"
    np.testing.assert_allclose(figure.lines["ajc-hjc"], [ajc, hjc])
    midh, mids = figure.points["midh"], figure.points["mids"]
    np.testing.assert_allclose(
        figure.lines["midh-mids"], [midh, midh + EXTENSION * (mids - midh)]
    )
    cop, com = figure.lines["cop-com"]
    np.testing.assert_allclose([cop, com], [figure.cop, figure.com])
    assert body_caption(prepared).startswith(
        "Angles from the vertical, + forward: Trunk, COP→COM, Leg computed from "
        "the markers (no lean result); Bend not available."
    )


def test_stance_leg_lines_are_absent_in_flight(treadmill):
    prepared = prepare(treadmill)
    contacts = treadmill.contacts
    flight = 0.5 * (contacts[0].to_s + contacts[1].ic_s)
    figure = figure_at(prepared, Stances(contacts), flight)
    assert figure.side == ""
    assert set(figure.lines) == {"midh-mids"}


def test_without_a_com_declaration_the_com_is_computed_from_the_markers(treadmill):
    prepared = prepare(replace(treadmill, specs={"lean": LEAN}))
    assert prepared.com_source == "computed here: full_body model"
    del treadmill.results["center_of_mass"]
    assert prepare(treadmill).com_source == (
        "computed here: full_body model (center_of_mass not run)"
    )


def test_what_the_markers_do_not_allow_is_named(treadmill):
    markers = treadmill.trial.markers
    labels = ("LASI", "RASI", "LPSI", "RPSI", "LHEE", "RHEE", "LTOE", "RTOE")
    keep = [markers.labels.index(label) for label in labels]
    subset = replace(
        markers,
        data=markers.data[:, keep, :],
        labels=labels,
        prefixes=tuple(markers.prefixes[i] for i in keep),
    )
    loaded = replace(treadmill, trial=replace(treadmill.trial, markers=subset))
    del loaded.results["lean"]
    prepared = prepare(loaded)
    assert prepared.lines == {
        "midh-mids": "no shoulder markers",
        "cop-com": "",
        "ajc-hjc": "no ankle and hip joint centres",
        "grf": "",
    }
    assert prepared.drawable == ("cop-com", "grf")
    assert body_caption(prepared) == (
        "Angles from the vertical, + forward: COP→COM computed from the markers "
        "(no lean result); Trunk, Leg, Bend not available. COM: center_of_mass "
        "result (com). Not drawn: Trunk (no shoulder markers); Leg (no ankle and "
        "hip joint centres). Not in this marker set: knees, ankles, trunk, head, arms."
    )


def test_new_results_update_the_stored_angles(treadmill):
    results = dict(treadmill.results)
    del treadmill.results["lean"]
    prepared = prepare(treadmill)
    assert not prepared.angle_series
    treadmill.results.update(results)
    updated = with_results(prepared, treadmill, axes(treadmill))
    assert set(updated.angle_series) == {
        "trunk_lean",
        "whole_body_lean",
        "leg_line",
        "bend_index",
    }


def test_stance_side_is_the_latest_contact():
    contacts = [Contact(1, "Right", 0.0, 0.3), Contact(2, "Left", 0.25, 0.6)]
    assert [stance_side(contacts, t) for t in (0.1, 0.27, 0.45, 0.7)] == [
        "Right",
        "Left",
        "Left",
        "",
    ]
