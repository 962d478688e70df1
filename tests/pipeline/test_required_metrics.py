"""The export carries the metrics the issue names, per step and as trial means, in their units."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import gaitlab
from gaitlab.pipeline.runner import run_pipeline

REQUIRED = {
    "contact_time": "s",
    "flight_time": "s",
    "step_time": "s",
    "cadence": "steps/min",
    "braking_impulse": "N·s/kg",
    "propulsive_impulse": "N·s/kg",
    "peak_vertical_grf": "BW",
    "trunk_lean": "deg",
    "whole_body_lean": "deg",
    "bend_index": "deg",
    "foot_strike_angle": "deg",
    "strike_index": "%",
}


def test_required_metrics_per_step_and_as_trial_means(
    demo_files: list[Path], tmp_path: Path
) -> None:
    project = gaitlab.create_project(tmp_path / "demo.gaitlab")
    list(project.import_files(demo_files, subject="slip01"))
    list(run_pipeline(project, workers=1))
    (path, _) = gaitlab.export_metrics(project, tmp_path / "metrics.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            r for r in csv.DictReader(handle) if r["trial_id"] == "demo_treadmill_run"
        ]
    for name, unit in REQUIRED.items():
        mine = [r for r in rows if r["metric"] == name]
        steps = [r for r in mine if r["statistic"] == "value" and r["step"]]
        means = [r for r in mine if r["statistic"] == "mean" and r["side"] == ""]
        assert len(steps) >= 8, name
        assert {r["unit"] for r in mine if r["statistic"] != "n"} == {unit}, name
        assert len(means) == 1, name
        assert means[0]["value"] != "", name
    (body_mass,) = [r for r in rows if r["metric"] == "body_mass"]
    assert body_mass["unit"] == "kg"
    assert float(body_mass["value"]) == pytest.approx(70, abs=0.4)
    braking = [
        float(r["value"])
        for r in rows
        if r["metric"] == "braking_impulse" and r["statistic"] == "value"
    ]
    assert max(braking) < 0  # braking is negative
