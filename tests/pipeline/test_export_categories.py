"""Export of categorical metrics, implausible values, toe-off times and events.

The results are written directly (no pipeline run), so every number checked
is known: three contacts of the demo treadmill trial, the first two measured
on plate 1, the third from the markers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import gaitlab
from gaitlab.core.results import Metric, Result
from gaitlab.core.trial import Event
from gaitlab.pipeline.export import (
    EVENT_COLUMNS,
    collect_tables,
    export_events,
    export_metrics,
)

TRIAL = "demo_treadmill_run"
CONTACTS = [  # step, side, IC (s), TO (s), source code of IC, of TO
    (1, "Left", 0.50, 0.74, 1.0, 1.0),
    (2, "Right", 0.86, 1.10, 1.0, 1.0),
    (3, "Left", 1.22, 1.46, 2.0, 4.0),
]
STRIKE_INDEX = [12.0, 110.0, 80.0]  # %: rearfoot, implausible, forefoot
SI_CLASS = [1.0, 3.0, 3.0]  # rearfoot, forefoot, forefoot


def _metric(name: str, value: float, step: int, side: str, ic: float) -> Metric:
    unit = {"strike_index": "%"}.get(name, "1")
    return Metric(name, value, unit, side, step, ic)


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, demo_files: list[Path]
) -> gaitlab.Project:
    folder = tmp_path_factory.mktemp("categories") / "study.gaitlab"
    project = gaitlab.create_project(folder)
    treadmill = next(f for f in demo_files if f.stem == TRIAL)
    list(project.import_files([treadmill], subject="s01"))
    events = Result()
    strike = Result()
    for (step, side, ic, to, source, to_source), si, code in zip(
        CONTACTS, STRIKE_INDEX, SI_CLASS, strict=True
    ):
        events.add_event(ic, "Foot Strike", side)
        events.add_event(to, "Foot Off", side)
        events.metrics += [
            _metric("event_source", source, step, side, ic),
            _metric("toe_off_source", to_source, step, side, ic),
        ]
        strike.metrics += [
            _metric("strike_index", si, step, side, ic),
            _metric("foot_strike_class_si", code, step, side, ic),
        ]
    project.write_results(TRIAL, {"gait_events": events, "foot_strike": strike})
    return project


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_categorical_metric_exported_as_labels_with_counts(
    project: gaitlab.Project, tmp_path: Path
) -> None:
    (path, _) = export_metrics(project, tmp_path / "metrics.csv")
    rows = [r for r in _read(path) if r["metric"] == "foot_strike_class_si"]
    values = [r for r in rows if r["statistic"] == "value"]
    assert [r["category"] for r in values] == ["rearfoot", "forefoot", "forefoot"]
    both = {
        r["category"]: r["value"] for r in rows if r["side"] == "" and r["step"] == ""
    }
    # counts per category instead of mean and SD; n an integer
    assert {r["statistic"] for r in rows if r["step"] == ""} == {"count", "n"}
    assert both == {"rearfoot": "1", "midfoot": "0", "forefoot": "2", "": "3"}
    left = {
        r["category"]: r["value"]
        for r in rows
        if r["side"] == "Left" and r["statistic"] == "count"
    }
    assert left == {"rearfoot": "1", "midfoot": "0", "forefoot": "1"}


def test_n_is_an_integer_count(project: gaitlab.Project, tmp_path: Path) -> None:
    (path, _) = export_metrics(project, tmp_path / "metrics.csv")
    counts = [r["value"] for r in _read(path) if r["statistic"] == "n"]
    assert counts
    assert all(value.isdigit() for value in counts), counts


def test_implausible_value_is_flagged_not_ok(project: gaitlab.Project) -> None:
    tables = collect_tables(project)
    strike = {
        r["step"]: r
        for r in tables.tidy
        if r["metric"] == "strike_index" and r["statistic"] == "value"
    }
    assert strike[1]["status"] == "ok"
    assert strike[2]["status"] == "warning"
    assert "implausible" in strike[2]["message"]
    assert "0–100 %" in strike[2]["message"]
    assert strike[3]["status"] == "ok"
    step_two = next(r for r in tables.steps if r["step"] == 2)
    assert "strike_index:warning" in step_two["flags"]


def test_wide_tables_carry_labels_toe_off_and_source(
    project: gaitlab.Project, tmp_path: Path
) -> None:
    steps_path, trials_path, sidecar = export_metrics(
        project, tmp_path / "wide.csv", wide=True
    )
    # one name scheme: <stem>_steps, <stem>_trials, <stem>_provenance
    assert [p.name for p in (steps_path, trials_path, sidecar)] == [
        "wide_steps.csv",
        "wide_trials.csv",
        "wide_provenance.json",
    ]
    assert sidecar.exists()
    assert not (tmp_path / "wide.csv.provenance.json").exists()
    steps = _read(steps_path)
    assert [float(r["toe_off_s"]) for r in steps] == [c[3] for c in CONTACTS]
    assert [r["event_source"] for r in steps] == ["plate", "plate", "markers"]
    assert [r["foot_strike_class_si"] for r in steps] == [
        "rearfoot",
        "forefoot",
        "forefoot",
    ]
    (trial,) = _read(trials_path)
    assert trial["foot_strike_class_si forefoot n"] == "2"
    assert trial["foot_strike_class_si n"] == "3"
    assert "foot_strike_class_si mean" not in trial


def test_events_table_lists_each_event_with_its_source(
    project: gaitlab.Project, tmp_path: Path
) -> None:
    (path,) = export_events(project, tmp_path / "events.csv")
    rows = _read(path)
    assert tuple(rows[0]) == EVENT_COLUMNS
    expected = []
    for step, side, ic, to, _, _ in CONTACTS:
        expected += [
            (str(step), side, "Foot Strike", ic),
            (str(step), side, "Foot Off", to),
        ]
    got = [(r["step"], r["side"], r["kind"], float(r["time_s"])) for r in rows]
    assert got == expected
    sources = [r["source"] for r in rows]
    assert sources == [
        "plate",
        "plate",
        "plate",
        "plate",
        "markers",
        "markers corrected",
    ]
    with pytest.raises(ValueError, match=r"events export to \.csv"):
        export_events(project, tmp_path / "events.xlsx")


def test_events_table_without_a_run_uses_the_trial_events(
    demo_files: list[Path], tmp_path: Path
) -> None:
    project = gaitlab.create_project(tmp_path / "edited.gaitlab")
    treadmill = next(f for f in demo_files if f.stem == TRIAL)
    list(project.import_files([treadmill], subject="s01"))
    project.set_events(
        TRIAL,
        [
            Event(0.20, "Foot Strike", "Right", "user"),
            Event(0.45, "Foot Off", "Right", "user"),
            Event(0.60, "Foot Strike", "Left", "user"),
        ],
    )
    (path,) = export_events(project, tmp_path / "events.csv")
    rows = _read(path)
    assert [(r["step"], r["kind"], r["source"]) for r in rows] == [
        ("1", "Foot Strike", "edited"),
        ("1", "Foot Off", "edited"),
        ("", "Foot Strike", "edited"),  # no toe-off: no step
    ]
