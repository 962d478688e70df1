"""Every mistake of a plugin declaration is caught when it loads, all at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gaitlab.api import MetricSpec, plugin
from gaitlab.cli.main import main
from gaitlab.core.errors import PluginError
from gaitlab.pipeline.discovery import refresh


def write_plugin(folder: Path, name: str, declaration: str, body: str = "") -> None:
    source = textwrap.dedent(
        f"""
        from gaitlab.api import MetricSpec, Result, SeriesSpec, plugin

        @plugin(name={name!r}, version="1.0.0", {declaration})
        def run(trial, ctx):
            return Result()
        {body}
        """
    )
    (folder / f"{name}.py").write_text(source)


def test_all_problems_of_a_declaration_are_reported_at_once() -> None:
    with pytest.raises(PluginError) as caught:

        @plugin(
            name="mylab_sloppy",
            version="1.0",
            needs=("landmark:l_heal", "weather:rain"),
            metrics=(MetricSpec("width", "m"), MetricSpec("width", "m")),
        )
        def sloppy(trial, ctx, *, cutoff=6.0, order: int):  # type: ignore[no-untyped-def]
            pass

    text = str(caught.value)
    assert "6 problems" in text
    for expected in (
        "version '1.0' is not MAJOR.MINOR.PATCH",
        "no landmark 'l_heal'; did you mean 'l_heel'?",
        "unknown kind 'weather'",
        "metric 'width' declared twice",
        "parameter 'cutoff' has no type: annotate it",
        "parameter 'order' needs a default value",
    ):
        assert expected in text


def test_a_correct_declaration_still_loads() -> None:
    @plugin(name="mylab_fine", version="1.0.0", needs=("landmark:l_heel",))
    def fine(trial, ctx, *, cutoff: float = 6.0):  # type: ignore[no-untyped-def]
        pass

    assert fine.__gaitlab_plugin__.params[0].name == "cutoff"


def test_a_misspelt_need_is_a_load_failure_naming_the_plugin_meant(
    plugin_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_plugin(plugin_folder, "mylab_bounce", 'needs=("result:center_of_mas",)')
    report = refresh()
    assert "mylab_bounce" not in report.specs
    failure = report.failure_of("mylab_bounce")
    assert failure is not None
    assert "needs 'result:center_of_mas'" in failure.error
    assert "did you mean 'center_of_mass'?" in failure.error
    assert main(["plugins", "list"]) == 1
    assert "did you mean 'center_of_mass'?" in capsys.readouterr().out


def test_a_need_of_a_plugin_that_failed_to_import_says_so(plugin_folder: Path) -> None:
    (plugin_folder / "mylab_broken.py").write_text("import not_a_module_anywhere\n")
    write_plugin(plugin_folder, "mylab_user", 'needs=("result:mylab_broken",)')
    report = refresh()
    failure = report.failure_of("mylab_user")
    assert failure is not None
    assert "'mylab_broken' did not load" in failure.error
    assert "No module named 'not_a_module_anywhere'" in failure.error
    with pytest.raises(PluginError, match="'mylab_broken' did not load"):
        report.get("mylab_broken")


def test_a_metric_name_clash_is_refused_and_the_builtin_kept(
    plugin_folder: Path,
) -> None:
    write_plugin(
        plugin_folder,
        "mylab_contact",
        'metrics=(MetricSpec("contact_time", "s", "my contact time"),)',
    )
    report = refresh()
    assert "mylab_contact" not in report.specs
    failure = report.failure_of("mylab_contact")
    assert failure is not None
    assert "'contact_time' (declared by 'running_measures'" in failure.error
    assert "rename it (e.g. mylab_contact_contact_time)" in failure.error
    owners = [
        s.name
        for s in report.specs.values()
        for m in s.metrics
        if m.name == "contact_time"
    ]
    assert owners == ["running_measures"]


def test_a_missing_plugin_says_where_plugins_come_from(plugin_folder: Path) -> None:
    report = refresh()
    with pytest.raises(PluginError, match="GAITLAB_PLUGIN_PATH"):
        report.get("mylab_elsewhere")
    with pytest.raises(PluginError, match="did you mean 'gait_events'"):
        report.get("gait_event")


def test_run_says_which_plugins_of_the_pipeline_cannot_run_here(
    tmp_path: Path, demo_files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from gaitlab.pipeline.config import PipelineConfig, PipelineStep
    from gaitlab.store.project import create_project

    project = create_project(tmp_path / "p.gaitlab")
    list(project.import_files([f for f in demo_files if "overground" in f.name]))
    saved = PipelineConfig(
        [PipelineStep("gait_events"), PipelineStep("colleagues_plugin")]
    )
    project.set_setting("pipeline", saved.to_json())
    assert main(["run", str(project.path), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert (
        "note: colleagues_plugin is left out: plugin 'colleagues_plugin' is not installed"
        in err
    )
    assert "gait_events" in project.load_results(project.trial_ids[0])
    # the export still knows the built-ins' results are up to date
    from gaitlab.pipeline.export import collect_tables

    provenance = collect_tables(project).provenance["trials"][project.trial_ids[0]]
    assert provenance["results"]["gait_events"]["freshness"] == "fresh"


def test_plugins_named_for_one_run_do_not_join_the_saved_pipeline(
    tmp_path: Path,
    demo_files: list[Path],
    plugin_folder: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gaitlab.pipeline.config import PipelineConfig, PipelineStep
    from gaitlab.store.project import create_project

    write_plugin(
        plugin_folder,
        "mylab_once",
        'metrics=(MetricSpec("once_m", "m", "a metric", per_step=False),)',
    )
    refresh()
    project = create_project(tmp_path / "p.gaitlab")
    list(project.import_files([f for f in demo_files if "overground" in f.name]))
    saved = PipelineConfig([PipelineStep("gait_events")])
    project.set_setting("pipeline", saved.to_json())
    assert main(["run", str(project.path), "--plugins", "mylab_once", "--quiet"]) == 0
    assert "mylab_once is not in the project's pipeline" in capsys.readouterr().err
    assert "mylab_once" in project.load_results(project.trial_ids[0])
    assert project.settings["pipeline"] == saved.to_json()
