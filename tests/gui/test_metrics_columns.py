"""Metric columns from the plugins' declarations (no Qt widgets: pure table data)."""

from __future__ import annotations

from gaitlab.gui.views.metrics_view import steps_model_data, trials_model_data
from gaitlab.pipeline.export import TIDY_COLUMNS, MetricTables


def tidy_row(plugin: str, metric: str, unit: str, step: int | str, **extra) -> dict:
    row = dict.fromkeys(TIDY_COLUMNS, "")
    row.update(
        trial_id="t1",
        plugin=plugin,
        metric=metric,
        unit=unit,
        step=step,
        side="Left" if step != "" else "",
        value=1.0,
        status="ok",
        statistic="value",
    )
    row.update(extra)
    return row


def tables() -> MetricTables:
    """Two third-party plugins (pipeline order: ``early`` then ``late``)."""
    tidy = [
        tidy_row("early", "plain", "s", 1),
        tidy_row("late", "late_main", "N", 1),
        tidy_row("early", "early_main", "m", 1),
        tidy_row("early", "plain", "s", "", statistic="mean", side=""),
        tidy_row("late", "late_main", "N", "", statistic="mean", side=""),
        tidy_row("early", "early_main", "m", "", statistic="mean", side=""),
    ]
    provenance = {
        "plugins": {
            "early": {
                "metrics": {
                    "plain": {"unit": "s"},
                    "early_main": {"unit": "m", "headline": True, "label": "reach"},
                }
            },
            "late": {"metrics": {"late_main": {"unit": "N", "headline": True}}},
        }
    }
    steps = [{"trial_id": "t1", "step": 1, "side": "Left", "time_s": 0.1}]
    return MetricTables(tidy, [], steps, [], [], provenance)


def test_headline_metrics_first_in_pipeline_order_with_their_labels():
    data = steps_model_data(tables(), with_identity=False)
    metric_columns = [c for c in data.columns if c.metric]
    assert [c.metric for c in metric_columns] == ["early_main", "late_main", "plain"]
    assert [c.title for c in metric_columns] == [
        "reach\n[m]",
        "late_main\n[N]",
        "plain\n[s]",
    ]
    trials = trials_model_data(tables())
    assert [c.title for c in trials.columns if c.metric] == [
        "reach\n[m]",
        "late_main\n[N]",
        "plain\n[s]",
    ]


def test_the_gui_does_not_import_the_cli():
    import subprocess
    import sys

    code = (
        "import sys, gaitlab.gui.views.metrics_view; "
        "assert not [m for m in sys.modules if m.startswith('gaitlab.cli')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
