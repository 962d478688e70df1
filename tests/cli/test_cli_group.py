"""``gaitlab group``: grouping from file-name patterns and by hand; no number changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from gaitlab.cli.main import main
from gaitlab.core.errors import GaitlabError
from gaitlab.core.grouping import GroupingPattern, grouping_from_name
from gaitlab.pipeline.runner import run_pipeline
from gaitlab.store.project import open_project


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        (
            "{subject}_{condition}_{trial}",
            "S01_barefoot_03.c3d",
            {"subject": "S01", "condition": "barefoot"},
        ),
        (
            "{subject}_{condition}",
            "S01_fast_lean.c3d",
            {"subject": "S01", "condition": "fast_lean"},
        ),
        (
            "{subject}run{condition}",
            "RBDS001runT25.c3d",
            {"subject": "RBDS001", "condition": "T25"},
        ),
        (
            "{subject}RUN{condition}",
            "RBDS001runT25",
            {"subject": "RBDS001", "condition": "T25"},
        ),
        (
            "{session}/{subject}-{_}",
            "/lab/2026-12-01/s7-x.c3d",
            None,
        ),  # the folder is not in the name
        (
            "{subject} {session} {condition}",
            "ann pre lean.c3d",
            {"subject": "ann", "session": "pre", "condition": "lean"},
        ),
        ("{subject}_{condition}", "no-separator.c3d", None),
    ],
)
def test_patterns(pattern: str, name: str, expected: dict[str, str] | None) -> None:
    assert grouping_from_name(pattern, name) == expected


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("{trial}", "sets no grouping"),
        ("{subject}_{subject}", "appears twice"),
        ("{subject_{condition}", "unbalanced brace"),
        ("{subject}}", "unbalanced brace"),
    ],
)
def test_bad_patterns_are_refused(pattern: str, problem: str) -> None:
    with pytest.raises(GaitlabError, match=problem):
        GroupingPattern.parse(pattern)


@pytest.fixture
def project(tmp_path: Path, demo_files: list[Path]) -> Path:
    by_stem = {f.stem: f for f in demo_files}
    captures = tmp_path / "captures"
    captures.mkdir()
    for name, demo in (
        ("S01_fast_01", "demo_treadmill_lean_ankles"),
        ("S02_slow_02", "demo_treadmill_bend_waist"),
        ("warmup", "demo_treadmill_run"),
    ):
        shutil.copy(by_stem[demo], captures / f"{name}.c3d")
    folder = tmp_path / "study.gaitlab"
    assert main(["import", str(folder), str(captures), "--quiet"]) == 0
    return folder


def grouping(folder: Path) -> dict[str, tuple[str, str, str]]:
    return {
        r.trial_id: (r.subject_id, r.session, r.condition)
        for r in open_project(folder).trials
    }


def test_pattern_sets_the_grouping_and_says_what_it_left(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = grouping(project)
    assert (
        main(["group", str(project), "--pattern", "{subject}_{condition}_{trial}"]) == 0
    )
    out = capsys.readouterr().out
    assert "warmup: file name does not fit" in out
    assert "changed 2 of 3 trials" in out
    after = grouping(project)
    assert after["s01_fast_01"][::2] == ("s01", "fast")
    assert after["s02_slow_02"][::2] == ("s02", "slow")
    assert after["warmup"] == before["warmup"]


def test_dry_run_saves_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = grouping(project)
    args = [
        "group",
        str(project),
        "--pattern",
        "{subject}_{condition}_{trial}",
        "--dry-run",
    ]
    assert main(args) == 0
    assert "would change 2 of 3 trials" in capsys.readouterr().out
    assert grouping(project) == before


def test_set_by_hand_needs_trials_or_all(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["group", str(project), "--condition", "barefoot"]) == 2
    assert "--all" in capsys.readouterr().err
    assert main(["group", str(project), "WARMUP", "--session", "pre"]) == 0
    assert "session '' → 'pre'" in capsys.readouterr().out
    assert grouping(project)["warmup"][1] == "pre"
    assert main(["group", str(project), "--all", "--condition", "barefoot"]) == 0
    assert {g[2] for g in grouping(project).values()} == {"barefoot"}


def test_listing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["group", str(project)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["trial", "subject", "session", "condition"]
    assert "warmup" in out


def test_a_grouping_change_changes_no_number(project: Path) -> None:
    opened = open_project(project)
    list(run_pipeline(opened, ["warmup"], workers=1))
    before = open_project(project).load_results("warmup")
    assert (
        main(["group", str(project), "warmup", "--session", "post", "--condition", "B"])
        == 0
    )
    reopened = open_project(project)
    after = reopened.load_results("warmup")
    assert set(after) == set(before)
    for name, result in before.items():
        assert [m.name for m in after[name].metrics] == [m.name for m in result.metrics]
        np.testing.assert_array_equal(
            [m.value for m in after[name].metrics], [m.value for m in result.metrics]
        )
    stale = [
        e
        for e in run_pipeline(reopened, ["warmup"], only_stale=True, workers=1)
        if e.kind == "trial" and e.statuses
    ]
    assert stale == []


def test_import_takes_the_grouping_from_a_file_name_pattern(
    tmp_path: Path, demo_files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """``gaitlab import --pattern``: each new file's subject and condition come
    from its name; a name that does not fit keeps the options' grouping and
    says so; the grouping each trial got is printed."""
    run = next(f for f in demo_files if f.name == "demo_treadmill_run.c3d")
    lean = next(f for f in demo_files if f.name == "demo_treadmill_lean_ankles.c3d")
    folder = tmp_path / "files"
    folder.mkdir()
    shutil.copy(run, folder / "ann_pre_01.c3d")
    shutil.copy(lean, folder / "ann_post_01.c3d")
    bend = next(f for f in demo_files if f.name == "demo_treadmill_bend_waist.c3d")
    shutil.copy(bend, folder / "odd.c3d")
    project = tmp_path / "p.gaitlab"
    code = main(
        [
            "import",
            str(project),
            str(folder),
            "--pattern",
            "{subject}_{condition}_{trial}",
            "--condition",
            "unknown",
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    records = {r.trial_id: r for r in open_project(project).trials}
    assert (records["ann_pre_01"].subject_id, records["ann_pre_01"].condition) == (
        "ann",
        "pre",
    )
    assert records["ann_post_01"].condition == "post"
    assert records["odd"].condition == "unknown"  # did not fit: the option's
    assert records["odd"].subject_id != "ann"
    assert "does not fit the pattern" in out
    assert "ann_pre_01: ann / - / pre" in out
    assert set(open_project(project).subjects) >= {"ann"}


def test_import_refuses_a_malformed_pattern_before_creating_anything(
    tmp_path: Path, demo_files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p.gaitlab"
    assert (
        main(["import", str(project), str(demo_files[0]), "--pattern", "{subject"]) == 2
    )
    assert "--pattern" in capsys.readouterr().err
    assert not project.exists()
