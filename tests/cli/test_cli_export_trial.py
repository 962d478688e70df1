"""``gaitlab export-trial``: files written, trials by name, clear refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from gaitlab.cli.main import main
from gaitlab.io.c3d_writer import write_c3d
from gaitlab.store.project import Project, create_project

DEMO = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The overground demo run and a marker-only trial (no plates), not analysed."""
    base = tmp_path_factory.mktemp("cli_export_trial")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("DATA", "CONFIG", "STATE", "CACHE"):
            mp.setenv(f"XDG_{name}_HOME", str(base / "user-folders" / name.lower()))
        markers_only = write_c3d(
            base / "Markers_Only.c3d",
            markers=np.random.default_rng(0).normal(0.5, 0.01, (50, 2, 3)),
            marker_labels=["A", "B"],
            point_rate_hz=100.0,
        )
        project = create_project(base / "project")
        events = list(
            project.import_files(
                [DEMO / "demo_overground_run.c3d", markers_only], workers=1
            )
        )
        assert not [e for e in events if e.kind == "refused"]
        yield project


def test_every_trial_exported_into_a_new_folder(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new" / "folder"
    assert (
        main(["export-trial", str(project.path), "--format", "trc", "-o", str(out)])
        == 0
    )
    written = sorted(p.name for p in out.iterdir())
    assert written == ["Markers_Only.trc", "demo_overground_run.trc"]
    printed = sorted(capsys.readouterr().out.split())
    assert printed == sorted(str(out / name) for name in written)


def test_trial_named_by_its_label_in_any_case(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "export-trial",
            str(project.path),
            "DEMO_Overground_Run.c3d",
            "--format",
            "mot",
            "-o",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "demo_overground_run_ExternalLoads.xml",
        "demo_overground_run_grf.mot",
    ]
    err = capsys.readouterr().err
    assert "pipeline has not run" in err
    assert "progression [-1.0, 0.0, 0.0]" in err


def test_trc_in_metres(project: Project, tmp_path: Path) -> None:
    args = ["export-trial", str(project.path), "demo_overground_run", "--format"]
    assert main([*args, "trc", "-o", str(tmp_path), "--units", "m"]) == 0
    lines = (tmp_path / "demo_overground_run.trc").read_text().splitlines()
    assert lines[2].split("\t")[4] == "m"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["nope", "--format", "trc"], "no trial 'nope'"),
        (["--format", "xlsx"], "unknown trial export format 'xlsx'"),
        (["--format", "mot", "--units", "mm"], "units apply to trc and mat only"),
        (["--format", "c3d", "--units", "m"], "the original file's unit"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(
    project: Project,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    code = main(["export-trial", str(project.path), *extra, "-o", str(tmp_path)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_trial_that_cannot_be_exported_gives_exit_1(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """MOT of a trial without force plates: refused, the others still written."""
    code = main(
        ["export-trial", str(project.path), "--format", "mot", "-o", str(tmp_path)]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "markers_only: trial 'markers_only' has no force plates" in err
    assert "1 of 2 trial(s) not exported: markers_only" in err
    assert (tmp_path / "demo_overground_run_grf.mot").is_file()
