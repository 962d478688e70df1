"""Metric export: tidy and wide CSV, XLSX, provenance sidecar."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import gaitlab
from gaitlab.core.trial import Event
from gaitlab.pipeline.export import TIDY_COLUMNS, export_metrics
from gaitlab.pipeline.runner import run_pipeline

REQUIRED = [
    "trial_id",
    "subject_id",
    "session",
    "condition",
    "plugin",
    "metric",
    "side",
    "step",
    "value",
    "unit",
    "status",
]


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, demo_files: list[Path]
) -> gaitlab.Project:
    folder = tmp_path_factory.mktemp("export") / "study.gaitlab"
    project = gaitlab.create_project(folder)
    runs = [
        f
        for f in demo_files
        if f.name in ("demo_treadmill_run.c3d", "demo_overground_run.c3d")
    ]
    list(project.import_files(runs, subject="s01", session="day1", condition="shod"))
    list(run_pipeline(project, plugins=["gait_events", "body_mass"], workers=1))
    return project


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_tidy_csv_has_values_aggregates_and_reasons(
    project: gaitlab.Project, tmp_path: Path
) -> None:
    csv_path, sidecar = export_metrics(project, tmp_path / "metrics.csv")
    rows = _read(csv_path)
    assert list(rows[0])[: len(REQUIRED)] == REQUIRED
    assert tuple(rows[0]) == TIDY_COLUMNS
    treadmill = [r for r in rows if r["trial_id"] == "demo_treadmill_run"]
    steps = [
        r
        for r in treadmill
        if r["metric"] == "contact_plate" and r["statistic"] == "value"
    ]
    stored = project.load_results("demo_treadmill_run")["gait_events"]
    assert len(steps) == len(stored.metric_values("contact_plate")) == 10
    assert {r["session"] for r in treadmill} == {"day1"}
    assert {r["condition"] for r in treadmill} == {"shod"}
    # trial aggregates of a per-step metric: per side and both sides
    values = np.array([float(r["value"]) for r in steps if r["side"] == "Left"])
    mean_left = next(
        r
        for r in treadmill
        if r["metric"] == "contact_plate"
        and r["statistic"] == "mean"
        and r["side"] == "Left"
    )
    assert float(mean_left["value"]) == pytest.approx(values.mean())
    n_both = next(
        r
        for r in treadmill
        if r["metric"] == "contact_plate" and r["statistic"] == "n" and r["side"] == ""
    )
    assert float(n_both["value"]) == 10
    # a skipped result is one row with its reason and no value
    (skipped,) = [
        r
        for r in rows
        if r["trial_id"] == "demo_overground_run" and r["plugin"] == "body_mass"
    ]
    assert skipped["status"] == "skipped"
    assert skipped["value"] == ""
    assert "quiet standing" in skipped["message"]
    body_mass = next(r for r in treadmill if r["metric"] == "body_mass")
    assert body_mass["unit"] == "kg"
    assert body_mass["step"] == ""
    assert body_mass["status"] == "ok"
    provenance = json.loads(sidecar.read_text())
    assert provenance["gaitlab_version"] == gaitlab.__version__
    result = provenance["trials"]["demo_treadmill_run"]["results"]["body_mass"]
    assert result["freshness"] == "fresh"
    assert result["provenance"]["plugin_source"].startswith(
        "builtin:body_mass.py@sha256:"
    )
    # every exported metric is defined in the sidecar, with its unit
    definitions = provenance["plugins"]["body_mass"]["metrics"]["body_mass"]
    assert definitions["unit"] == "kg"
    assert definitions["per"] == "trial"
    assert "force" in definitions["definition"].lower()
    defined = {
        (plugin, metric)
        for plugin, entry in provenance["plugins"].items()
        for metric in entry["metrics"]
    }
    exported = {(r["plugin"], r["metric"]) for r in rows if r["metric"]}
    assert exported <= defined


def test_wide_tables_one_row_per_step_and_per_trial(
    project: gaitlab.Project, tmp_path: Path
) -> None:
    steps_path, trials_path, _ = export_metrics(
        project, tmp_path / "metrics.csv", wide=True
    )
    steps = _read(steps_path)
    assert len([r for r in steps if r["trial_id"] == "demo_treadmill_run"]) == 10
    assert {"step", "side", "time_s", "contact_plate [1]", "flags"} <= set(steps[0])
    trials = {r["trial_id"]: r for r in _read(trials_path)}
    treadmill = trials["demo_treadmill_run"]
    assert float(treadmill["contact_plate n"]) == 10
    assert float(treadmill["body_mass [kg]"]) == pytest.approx(70.0, abs=0.35)
    assert "body_mass: skipped" in trials["demo_overground_run"]["problems"]


def test_xlsx_workbook_holds_every_table(
    project: gaitlab.Project, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    path, _ = export_metrics(project, tmp_path / "metrics.xlsx")
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["steps", "trials", "tidy", "provenance"]
    header = next(workbook["tidy"].iter_rows(values_only=True))
    assert header == TIDY_COLUMNS
    assert len(list(workbook["steps"].iter_rows(values_only=True))) == 1 + 10 + 4
    with pytest.raises(ValueError, match=r"export to \.csv or \.xlsx"):
        export_metrics(project, tmp_path / "metrics.txt")


def test_stale_results_are_exported_as_stale(
    demo_files: list[Path], tmp_path: Path
) -> None:
    project = gaitlab.create_project(tmp_path / "stale.gaitlab")
    treadmill = next(f for f in demo_files if f.name == "demo_treadmill_run.c3d")
    list(project.import_files([treadmill], subject="s01"))
    list(run_pipeline(project, plugins=["gait_events"], workers=1))
    project.set_events(
        project.trial_ids[0], [Event(0.1, "Foot Strike", "Left", "user")]
    )
    (path, _) = export_metrics(project, tmp_path / "stale.csv")
    statuses = {r["status"] for r in _read(path) if r["plugin"] == "gait_events"}
    assert statuses == {"stale"}
