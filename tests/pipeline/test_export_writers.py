"""Trial and table writers are registries: a new format is one registration.

A made-up trial format (markers as JSON) and a made-up table format (TSV)
are registered here, in the test, and exported through the project, the
option check and the command line without any change to gaitlab.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gaitlab.cli.main import main
from gaitlab.core.trial import Trial
from gaitlab.io.export_trial import (
    TrialExportData,
    TrialExportError,
    TrialWriter,
    check_export_options,
    register_trial_writer,
    trial_export_formats,
    unregister_trial_writer,
)
from gaitlab.pipeline.export import (
    MetricTables,
    TableWriter,
    export_metrics,
    register_table_writer,
    table_formats,
    unregister_table_writer,
)
from gaitlab.pipeline.trial_export import export_trial
from gaitlab.store.project import Project, create_project

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_overground_run.c3d"


def write_marker_json(
    folder: Path, stem: str, trial: Trial, data: TrialExportData
) -> tuple[list[Path], list[str]]:
    path = folder / f"{stem}.json"
    path.write_text(
        json.dumps(
            {
                "labels": list(trial.markers.labels),
                "n_frames": trial.markers.n_frames,
                "com": data.com is not None,
            }
        )
    )
    return [path], ["markers only"]


def write_tsv(
    target: Path, tables: MetricTables, wide: bool
) -> tuple[list[Path], Path]:
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["trial_id", "metric", "value"])
        for row in tables.tidy:
            writer.writerow([row["trial_id"], row["metric"], row["value"]])
    return [target], target.with_name(target.name + ".provenance.json")


@pytest.fixture
def marker_json() -> Iterator[None]:
    register_trial_writer(TrialWriter("json", write_marker_json, needs_com=True))
    yield
    unregister_trial_writer("json")


@pytest.fixture
def tsv() -> Iterator[None]:
    register_table_writer(TableWriter("tsv", ".tsv", write_tsv, "tab-separated"))
    yield
    unregister_table_writer(".tsv")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = create_project(tmp_path_factory.mktemp("writers") / "study")
    events = list(project.import_files([DEMO]))
    assert events[1].kind == "imported", events[1].message
    return project


def test_the_builtin_formats_are_registered() -> None:
    assert trial_export_formats() == ("trc", "mot", "mat", "c3d")
    assert table_formats() == (".csv", ".xlsx")


def test_a_registered_trial_writer_exports_a_project_trial(
    marker_json: None, project: Project, tmp_path: Path
) -> None:
    (path,), notes = export_trial(project, project.trial_ids[0], "json", tmp_path)
    written = json.loads(path.read_text())
    assert written["labels"] == list(
        project.load_trial(project.trial_ids[0]).markers.labels
    )
    assert written["com"] is False  # not run: the caller gathered no COM, and said so
    assert any("no COM marker" in note for note in notes)
    assert notes[-1] == "markers only"
    with pytest.raises(TrialExportError, match="units apply to trc and mat only"):
        check_export_options("json", "mm")


def test_the_cli_takes_a_registered_trial_format(
    marker_json: None,
    project: Project,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["export-trial", str(project.path), "--format", "json", "-o", str(tmp_path)]
    )
    assert code == 0
    assert (tmp_path / f"{project.record(project.trial_ids[0]).label}.json").is_file()


def test_an_unknown_trial_format_names_the_registered_ones(marker_json: None) -> None:
    with pytest.raises(
        TrialExportError, match="choose one of trc, mot, mat, c3d, json"
    ):
        check_export_options("xlsx", None)


def test_a_registered_table_writer_exports_the_metrics(
    tsv: None, project: Project, tmp_path: Path
) -> None:
    paths = export_metrics(project, tmp_path / "metrics.tsv")
    assert paths == [tmp_path / "metrics.tsv", tmp_path / "metrics.tsv.provenance.json"]
    assert paths[0].read_text().splitlines()[0] == "trial_id\tmetric\tvalue"
    assert json.loads(paths[1].read_text())["trials"]


def test_the_cli_export_check_comes_from_the_table_registry(
    tsv: None, project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["export", str(project.path), "-o", str(tmp_path / "m.ods")])
    assert code == 2
    err = capsys.readouterr().err
    assert ".tsv (tab-separated)" in err
    assert ".csv (" in err
    with pytest.raises(ValueError, match=r"export to \.csv or \.xlsx or \.tsv"):
        export_metrics(project, tmp_path / "m.ods")
