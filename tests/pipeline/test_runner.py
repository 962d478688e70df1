"""The runner: needs checked, failures isolated, provenance stored, staleness tracked."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

import gaitlab
from gaitlab.core.trial import Event
from gaitlab.pipeline.config import PipelineConfig, PipelineStep
from gaitlab.pipeline.discovery import discover, refresh
from gaitlab.pipeline.runner import (
    freshness,
    project_pipeline,
    run_pipeline,
    trial_state,
)

EVENTS = ["gait_events", "body_mass"]


def _project(
    tmp_path: Path, files: list[Path], name: str = "p.gaitlab"
) -> gaitlab.Project:
    project = gaitlab.create_project(tmp_path / name)
    events = list(project.import_files(files, subject="runner"))
    assert not [e for e in events if e.kind == "refused"]
    return project


def _run(project: gaitlab.Project, **kwargs) -> list:
    return [e for e in run_pipeline(project, **kwargs) if e.kind == "trial"]


@pytest.fixture
def treadmill(demo_files: list[Path]) -> Path:
    return next(p for p in demo_files if p.name == "demo_treadmill_run.c3d")


def test_run_stores_results_with_provenance(tmp_path: Path, treadmill: Path) -> None:
    project = _project(tmp_path, [treadmill])
    (event,) = _run(project, plugins=EVENTS, workers=1)
    assert event.statuses == {"gait_events": "ok", "body_mass": "ok"}
    results = project.load_results(project.trial_ids[0])
    made = results["body_mass"].provenance
    assert made.plugin == "body_mass"
    assert made.gaitlab_version == gaitlab.__version__
    assert made.plugin_source.startswith("builtin:body_mass.py@sha256:")
    assert made.upstream == {
        "gait_events": results["gait_events"].provenance.inputs_digest
    }
    assert results["gait_events"].events[0].origin == "plugin:gait_events"
    metric = results["body_mass"].metrics[0]
    assert (metric.name, metric.unit) == ("body_mass", "kg")
    assert abs(metric.value - 70.0) < 0.35  # SLIP runner of 70 kg, 3 N plate noise
    saved = PipelineConfig.from_json(project.settings["pipeline"])
    assert [s.plugin for s in saved.steps][: len(discover().specs)]


def test_staleness_follows_events_parameters_and_plugin_code(
    tmp_path: Path, treadmill: Path, plugin_folder: Path
) -> None:
    plugin_file = plugin_folder / "mylab_count.py"
    plugin_file.write_text(
        textwrap.dedent(
            """
            from gaitlab.api import MetricSpec, Result, plugin

            @plugin(name="mylab_count", version="1.0.0", needs=("result:gait_events",),
                    metrics=(MetricSpec("n_contacts", "1", "contacts", per_step=False),))
            def count(trial, ctx) -> Result:
                result = Result()
                result.add_metric("n_contacts", len(trial.contacts()))
                return result
            """
        )
    )
    refresh()
    project = _project(tmp_path, [treadmill])
    trial_id = project.trial_ids[0]
    config = PipelineConfig([PipelineStep(n) for n in (*EVENTS, "mylab_count")])
    _run(project, config=config, workers=1)
    plan = config.plan(discover())

    def state() -> dict[str, str]:
        return freshness(
            plan, trial_state(project, trial_id), project.load_results(trial_id)
        )

    assert set(state().values()) == {"fresh"}

    # editing events makes everything downstream of them stale
    results = project.load_results(trial_id)
    edited = [
        Event(e.time_s, e.label, e.context, "user")
        for e in results["gait_events"].events[:-2]
    ]
    project.set_events(trial_id, edited)
    assert set(state().values()) == {"stale"}
    (event,) = _run(project, only_stale=True, workers=1)
    assert set(event.statuses) == {*EVENTS, "mylab_count"}
    assert (
        project.load_results(trial_id)["mylab_count"].metrics[0].value
        == len(edited) // 2
    )

    # a parameter change makes that plugin and its dependants stale, nothing else
    changed = config.with_params("body_mass", {"standing_window_s": 2.0})
    plan = changed.plan(discover())
    assert state() == {
        "gait_events": "fresh",
        "body_mass": "stale",
        "mylab_count": "fresh",
    }
    (event,) = _run(project, config=changed, only_stale=True, workers=1)
    assert set(event.statuses) == {"body_mass"}

    # editing the plugin's code makes its results stale (its source digest changes)
    plugin_file.write_text(plugin_file.read_text() + "\n# a fix\n")
    refresh()
    plan = changed.plan(discover())
    assert state()["mylab_count"] == "stale"
    assert state()["gait_events"] == "fresh"


def test_failures_and_missing_inputs_are_isolated(
    tmp_path: Path, treadmill: Path, plugin_folder: Path
) -> None:
    (plugin_folder / "mylab_fragile.py").write_text(
        textwrap.dedent(
            """
            from gaitlab.api import MetricSpec, Result, plugin

            @plugin(name="mylab_crashes", version="1.0.0")
            def crashes(trial, ctx) -> Result:
                raise ZeroDivisionError("division by zero in my analysis")

            @plugin(name="mylab_needs_hallux", version="1.0.0", needs=("landmark:l_hallux",))
            def hallux(trial, ctx) -> Result:
                return Result()

            @plugin(name="mylab_undeclared", version="1.0.0")
            def undeclared(trial, ctx) -> Result:
                result = Result()
                result.add_metric("surprise", 1.0)
                return result
            """
        )
    )
    refresh()
    project = _project(tmp_path, [treadmill])
    names = ["gait_events", "mylab_crashes", "mylab_needs_hallux", "mylab_undeclared"]
    config = PipelineConfig([PipelineStep(n) for n in names])
    (event,) = _run(project, config=config, workers=1)
    assert event.statuses == {
        "gait_events": "ok",
        "mylab_crashes": "failed",
        "mylab_needs_hallux": "skipped",
        "mylab_undeclared": "failed",
    }
    assert (
        event.messages["mylab_crashes"]
        == "ZeroDivisionError: division by zero in my analysis"
    )
    assert event.messages["mylab_needs_hallux"] == (
        "missing landmark l_hallux (marker set Vicon Plug-in Gait has no label for "
        "it; common names tried: LHAL, LHALLUX, LBIGTOE, ...)"
    )
    assert "undeclared metric 'surprise'" in event.messages["mylab_undeclared"]


def test_parallel_run_gives_the_serial_numbers(
    tmp_path: Path, demo_files: list[Path]
) -> None:
    runs = [f for f in demo_files if "static" not in f.name]
    serial = _project(tmp_path, runs, "serial.gaitlab")
    parallel = _project(tmp_path, runs, "parallel.gaitlab")
    _run(serial, plugins=EVENTS, workers=1)
    events = _run(parallel, plugins=EVENTS, workers=2)
    assert sorted(e.trial_id for e in events) == sorted(parallel.trial_ids)
    for trial_id in serial.trial_ids:
        a, b = serial.load_results(trial_id), parallel.load_results(trial_id)
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_array_equal(
                [m.value for m in a[name].metrics], [m.value for m in b[name].metrics]
            )
            assert a[name].provenance.inputs_digest == b[name].provenance.inputs_digest


def test_a_plugin_not_installed_here_is_left_out_and_the_rest_runs(
    tmp_path: Path, treadmill: Path
) -> None:
    """A colleague's plugin in the saved pipeline does not block the built-ins."""
    project = _project(tmp_path, [treadmill])
    config = PipelineConfig(
        [
            PipelineStep("gait_events"),
            PipelineStep("not_installed"),
            PipelineStep("running_measures"),
        ]
    )
    plan = config.plan(discover())
    assert plan.names == ("gait_events", "running_measures")
    assert "'not_installed' is not installed here" in plan.left_out["not_installed"]
    events = [e for e in run_pipeline(project, config=config) if e.kind == "trial"]
    assert set(events[0].statuses) == {"gait_events", "running_measures"}
    assert events[0].statuses["gait_events"] == "ok"
    with pytest.raises(gaitlab.GaitlabError, match="cannot run here"):
        list(run_pipeline(project, config=config, plugins=["not_installed"]))


def test_a_bad_parameter_is_an_error_before_running(
    tmp_path: Path, treadmill: Path
) -> None:
    project = _project(tmp_path, [treadmill])
    bad = PipelineConfig([PipelineStep("gait_events", {"threshold_n": -5.0})])
    with pytest.raises(gaitlab.GaitlabError, match="below its minimum 0"):
        list(run_pipeline(project, config=bad))
    assert project.load_results(project.trial_ids[0]) == {}
    assert project_pipeline(project, discover()).steps  # default pipeline unharmed
