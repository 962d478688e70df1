"""Subjects from the files, and ``gaitlab subject`` (issue 9, item 7)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gaitlab.cli.main import main
from gaitlab.core.subjects import read_subject_table, subject_name_from_file
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import freshness, project_pipeline, trial_state
from gaitlab.store.project import open_project


def test_two_people_in_one_folder_are_two_subjects(
    tmp_path: Path,
    markers_file: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "session1"
    folder.mkdir()
    markers_file(folder / "ann_run.c3d", ["LHEE", "RHEE"], "Ann")
    markers_file(folder / "bob_run.c3d", ["LHEE", "RHEE"], "Bob")
    markers_file(folder / "cast_run.c3d", ["LHEE", "RHEE"], "CAST_ISB")
    project = tmp_path / "p.gaitlab"
    assert main(["import", str(project), str(folder), "--quiet"]) == 0
    records = {r.trial_id: r.subject_id for r in open_project(project).trials}
    assert records == {
        "ann_run": "ann",
        "bob_run": "bob",
        "cast_run": "session1",  # a marker-set name is no subject: the folder's
    }
    # --subject still applies to every file
    other = tmp_path / "q.gaitlab"
    assert main(["import", str(other), str(folder), "--subject", "s9", "--quiet"]) == 0
    assert {r.subject_id for r in open_project(other).trials} == {"s9"}


def test_marker_set_names_are_not_subjects() -> None:
    assert subject_name_from_file(["CAST_ISB"]) is None
    assert subject_name_from_file(["HelenHayes_for_Solutions"]) is None
    assert subject_name_from_file(["LE marker set", "IS070607"]) == "IS070607"
    assert subject_name_from_file(["A22"]) == "A22"
    assert subject_name_from_file(["Patient 1"]) == "Patient 1"
    assert subject_name_from_file([]) is None


@pytest.fixture
def project(tmp_path: Path, demo_files: list[Path]) -> Path:
    captures = tmp_path / "captures"
    captures.mkdir()
    shutil.copy(next(f for f in demo_files if f.stem == "demo_treadmill_run"), captures)
    folder = tmp_path / "study.gaitlab"
    assert main(["import", str(folder), str(captures), "--quiet"]) == 0
    return folder


def test_list_and_edit_a_subject_with_units(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["subject", str(project)]) == 0
    out = capsys.readouterr().out
    assert "mass kg" in out
    assert "height m" in out
    assert "slip01" in out  # named in the demo file (SUBJECTS:NAMES)
    assert (
        main(
            [
                "subject",
                str(project),
                "SLIP01",
                "--name",
                "Runner 1",
                "--mass",
                "62.5",
                "--height",
                "1.81",
                "--sex",
                "F",
                "--leg-length",
                "0.92",
                "--foot-length",
                "0.265",
                "--shoe-length",
                "0.29",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "slip01: mass_kg: 70 -> 62.5" in out
    subject = open_project(project).subjects["slip01"]
    assert subject.label == "Runner 1"
    assert subject.mass_kg == 62.5
    assert subject.height_m == 1.81
    assert subject.sex == "F"
    assert subject.leg_length_m == {"Left": 0.92, "Right": 0.92}
    assert subject.extra["foot_length_m"] == 0.265
    assert subject.extra["shoe_length_m"] == 0.29


def test_a_length_in_centimetres_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["subject", str(project), "slip01", "--height", "181"]) == 2
    err = capsys.readouterr().err
    assert "expected metres" in err
    assert "1.81 m" in err
    assert main(["subject", str(project), "nobody", "--mass", "60"]) == 2
    assert "no subject 'nobody'" in capsys.readouterr().err


def test_a_subject_edit_makes_the_results_stale(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(project), "--plugins", "gait_events", "--quiet"]) == 0
    opened = open_project(project)
    report = discover()
    plan = project_pipeline(opened, report).plan(report, only=["gait_events"])

    def state() -> str:
        fresh = open_project(project)
        return freshness(
            plan,
            trial_state(fresh, "demo_treadmill_run"),
            fresh.load_results("demo_treadmill_run"),
        )["gait_events"]

    assert state() == "fresh"
    capsys.readouterr()
    assert main(["subject", str(project), "slip01", "--mass", "71"]) == 0
    out = capsys.readouterr().out
    assert "results of 1 trial(s) are now out of date (demo_treadmill_run)" in out
    assert "--only-stale" in out
    assert state() == "stale"


def test_move_trials_to_a_new_subject(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["subject", str(project), "Bob", "--trials", "demo_treadmill_run"]) == 0
    assert open_project(project).record("demo_treadmill_run").subject_id == "bob"
    assert "moved 1 trial(s) to subject bob" in capsys.readouterr().out


def test_subject_table_columns_mapped_by_name_with_units(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "participants.csv"
    table.write_text(
        "Participant;Height_cm;Weight;Gender;LLegLength;RLegLength;Age\n"
        "SLIP01;180.5;64,5;male;915;925;31\n"
        "someone;170;60;F;900;900;40\n"
    )
    parsed = read_subject_table(table)
    assert [m.text() for m in parsed.mappings] == [
        "Height_cm -> height_m (cm, named in the column)",
        "Weight -> mass_kg (kg, assumed: no unit in the column name)",
        "Gender -> sex (F/female or M/male)",
        "LLegLength -> leg_length_m Left (mm, inferred from the values)",
        "RLegLength -> leg_length_m Right (mm, inferred from the values)",
    ]
    assert parsed.ignored == ["Age"]
    capsys.readouterr()
    assert main(["subject", str(project), "--from", str(table)]) == 0
    out = capsys.readouterr().out
    assert "column Height_cm -> height_m (cm, named in the column)" in out
    assert "1 row(s) name no subject or trial of this project" in out
    subject = open_project(project).subjects["slip01"]
    assert subject.height_m == pytest.approx(1.805)
    assert subject.mass_kg == 64.5
    assert subject.sex == "M"
    assert subject.leg_length_m == pytest.approx({"Left": 0.915, "Right": 0.925})


def test_the_fukuchi_participants_table(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "p.gaitlab"
    static = shared_data / "pfjrf-methods/data/RBDS001/RBDS001static.c3d"
    assert main(["import", str(folder), str(static), "--quiet"]) == 0
    # SUBJECTS:NAMES is the marker set CAST_ISB: the subject is the folder's
    assert open_project(folder).record("rbds001static").subject_id == "rbds001"
    table = shared_data / "pfjrf-methods/data/participantInfo.csv"
    capsys.readouterr()
    assert main(["subject", str(folder), "--from", str(table)]) == 0
    out = capsys.readouterr().out
    assert "trial file column 'FileName'" in out
    assert "Height -> height_m (cm, inferred from the values)" in out
    subject = open_project(folder).subjects["rbds001"]
    assert (subject.mass_kg, subject.height_m, subject.sex) == (62.0, 1.81, "M")
