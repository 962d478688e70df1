"""What a plugin author reads and declares: upstream tables, resampled series,
units that follow a parameter, yes/no metrics, parameter labels."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import pytest

from gaitlab.cli.main import main
from gaitlab.core.results import YES_NO, Metric, MetricSpec, Result, Series
from gaitlab.pipeline.spec import Param, plugin
from gaitlab.testing import blank_trial, plugin_spec, run_plugin


def test_series_at_other_times_interpolates_and_is_nan_outside() -> None:
    values = np.column_stack([np.arange(11.0), 2 * np.arange(11.0), np.zeros(11)])
    series = Series(values, rate_hz=100.0, t0_s=0.5)
    at = series.at([0.5, 0.525, 0.6, 0.49, 0.61])
    np.testing.assert_allclose(at[:3], [[0, 0, 0], [2.5, 5, 0], [10, 20, 0]])
    assert np.isnan(at[3:]).all()
    marker_time = np.arange(0.5, 0.6001, 1 / 40)  # a 40 Hz clock
    np.testing.assert_allclose(series.at(marker_time)[:, 0], (marker_time - 0.5) * 100)


def test_metric_rows_and_values_filter_by_side_and_status() -> None:
    result = Result()
    for step, (side, value, status) in enumerate(
        [("Left", 0.25, "ok"), ("Right", 0.26, "unclean"), ("Left", 0.27, "warning")], 1
    ):
        result.add_metric("contact_time", value, step=step, side=side, status=status)
    clean = ("ok", "warning")
    np.testing.assert_allclose(
        result.metric_values("contact_time", statuses=clean), [0.25, 0.27]
    )
    np.testing.assert_allclose(
        result.metric_values("contact_time", side="Right"), [0.26]
    )
    rows = result.metric_rows("contact_time", side="Left")
    assert [(m.step, m.status) for m in rows] == [(1, "ok"), (3, "warning")]


@plugin(
    name="mylab_peak",
    version="1.0.0",
    metrics=[
        MetricSpec(
            "mylab_peak_force", "N", "peak force", per_step=False, other_units=("BW",)
        ),
        MetricSpec(
            "mylab_peak_ok",
            "",
            "peak below the limit",
            per_step=False,
            categories=YES_NO,
        ),
    ],
)
def mylab_peak(
    trial,
    ctx,
    *,
    normalise: Annotated[
        Literal["none", "body weight"],
        Param(label="Normalise by", doc="scale of the peak"),
    ] = "none",
):
    result = Result()
    peak = 1400.0
    if normalise == "body weight":
        result.add_metric("mylab_peak_force", peak / (70 * 9.81), unit="BW")
    else:
        result.add_metric("mylab_peak_force", peak)
    result.add_metric("mylab_peak_ok", peak < 2000.0)
    return result


def test_a_unit_can_follow_a_parameter() -> None:
    newton = run_plugin(mylab_peak, blank_trial())
    body_weight = run_plugin(
        mylab_peak, blank_trial(), params={"normalise": "body weight"}
    )
    assert newton.status == body_weight.status == "ok"
    assert [(m.value, m.unit) for m in newton.metric_rows("mylab_peak_force")] == [
        (1400.0, "N")
    ]
    (row,) = body_weight.metric_rows("mylab_peak_force")
    assert row.unit == "BW"
    assert row.value == pytest.approx(1400 / (70 * 9.81))


def test_a_unit_neither_declared_nor_allowed_fails_the_plugin() -> None:
    @plugin(
        name="mylab_wrong_unit",
        version="1.0.0",
        metrics=[MetricSpec("mylab_w", "N", per_step=False, other_units=("BW",))],
    )
    def wrong(trial, ctx):
        result = Result()
        result.metrics.append(Metric("mylab_w", 1.0, "kg"))
        return result

    result = run_plugin(wrong, blank_trial())
    assert result.status == "failed"
    assert "declared 'N' or 'BW'" in result.message


def test_yes_no_metric_is_stored_one_or_zero_with_its_labels() -> None:
    result = run_plugin(mylab_peak, blank_trial())
    assert result.metric_values("mylab_peak_ok").tolist() == [1.0]
    assert (
        dict(plugin_spec(mylab_peak).metric("mylab_peak_ok").categories)[1.0] == "yes"
    )


def test_parameter_label_is_declared_and_shown(
    capsys: pytest.CaptureFixture[str], plugin_folder
) -> None:
    (param,) = plugin_spec(mylab_peak).params
    assert param.display_label == "Normalise by"
    assert param.choices == ("none", "body weight")
    (plugin_folder / "mylab_labelled.py").write_text(
        "from typing import Annotated\n"
        "from gaitlab.api import Param, Result, plugin\n"
        '@plugin(name="mylab_labelled", version="1.0.0")\n'
        "def run(trial, ctx, *, cutoff_hz: Annotated[float, Param(label="
        '"Cut-off frequency", unit="Hz")] = 6.0):\n'
        "    return Result()\n"
    )
    from gaitlab.pipeline.discovery import refresh

    refresh()
    assert main(["plugins", "show", "mylab_labelled"]) == 0
    assert "cutoff_hz = 6.0 Hz (float) “Cut-off frequency”" in capsys.readouterr().out


def test_the_testing_module_writes_synthetic_trials_into_new_folders(tmp_path):
    """gaitlab.testing writes a running, a standing and a drill trial (C3D
    files with their truths) into folders that do not exist yet, in another
    lab frame, and the analyses read them back with the known answers."""
    import numpy as np

    from gaitlab.testing import (
        analyse_file,
        write_drill_trial,
        write_running_trial,
        write_standing_trial,
    )

    folder = tmp_path / "new" / "trials"
    run = write_running_trial(folder / "run.c3d", up="y", forward="-x", n_steps=6)
    stand = write_standing_trial(folder / "static.c3d", up="y", forward="-x")
    drill = write_drill_trial(folder / "drill.c3d")
    assert all(p.exists() for p in (run.path, stand.path, drill.path))
    contact = analyse_file(run.path, plugins=["running_measures"])[
        "running_measures"
    ].metric_values("contact_time")
    assert np.nanmedian(contact) == pytest.approx(run.contact_time_s, abs=0.006)
    lean = analyse_file(drill.path, plugins=["drill"])["drill"]
    assert lean.metric_values("drill_max_lean")[0] == pytest.approx(
        drill.truth.max_lean_deg, abs=0.5
    )
