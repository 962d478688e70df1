"""The Compare view: the numbers of gaitlab compare, a plot, exports."""

from __future__ import annotations

import csv

import pytest

from gaitlab.cli.main import main
from gaitlab.report.compare import gather_metric, summaries
from gaitlab.stats import pairwise


@pytest.fixture
def grouped(session):
    """The demo trials in two conditions: bend (the runner bending at the
    waist) and lean (the others)."""
    project = session.project
    for trial_id in project.trial_ids:
        condition = "bend" if "bend_waist" in trial_id else "lean"
        project.set_trial_info(trial_id, condition=condition)
    return session


def test_the_view_shows_what_gaitlab_compare_prints(
    qtbot, window, grouped, tmp_path, capsys
):
    view = window.compare
    assert "trunk_lean" in view.load_metrics()
    view.metric_box.setCurrentText("trunk_lean")
    view.by_box.setCurrentText("condition")
    assert view.compare()
    expected = summaries(gather_metric(grouped.project, "trunk_lean", "condition"))
    (comparison,) = pairwise(expected)
    rows = view.rows()
    by_group = {row[0]: row for row in rows}
    for group in expected:
        row = by_group[group.group]
        assert (int(row[1]), int(row[2])) == (group.n_trials, group.n_steps)
        assert float(row[3]) == pytest.approx(group.mean, rel=1e-3)
    difference = by_group[f"{comparison.b} − {comparison.a}"]
    assert float(difference[3]) == pytest.approx(comparison.difference, rel=1e-3)
    assert f"g = {comparison.hedges_g:.4g}" in difference[6]
    # the command line says the same
    capsys.readouterr()
    args = [
        "compare",
        str(grouped.project.path),
        "--metric",
        "trunk_lean",
        "--by",
        "condition",
    ]
    assert main(args) == 0
    assert f"Hedges' g = {comparison.hedges_g:.3g}" in capsys.readouterr().out
    # one point per step and per trial in the plot
    points = [
        item
        for item in view.plot.getPlotItem().items
        if type(item).__name__ == "ScatterPlotItem"
    ]
    n_points = sum(len(item.data) for item in points)
    steps = sum(g.n_steps for g in expected)
    trials = sum(g.n_trials for g in expected)
    assert n_points == steps + trials + len(expected)  # + one mean marker per group
    # exports
    view.export("csv", tmp_path / "t.csv")
    with (tmp_path / "t.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert {r["group"] for r in table if r["row"] == "group"} == {"bend", "lean"}
    view.export("png", tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    view.export("svg", tmp_path / "p.svg")
    assert "<svg" in (tmp_path / "p.svg").read_text()


def test_one_group_says_how_to_set_conditions(qtbot, window, session):
    view = window.compare
    view.load_metrics()
    view.metric_box.setCurrentText("trunk_lean")
    assert not view.compare()
    assert "Group trials" in view.message.text()
    assert not view.export_csv.isEnabled()


def test_before_any_result_the_view_says_to_run_the_pipeline(qtbot, tmp_path):
    from gaitlab.gui.views.compare_view import CompareView
    from gaitlab.session import Session

    session = Session()
    session.create(tmp_path / "empty.gaitlab")
    view = CompareView(session)
    qtbot.addWidget(view)
    assert view.load_metrics() == []
    assert "run the pipeline" in view.message.text()
