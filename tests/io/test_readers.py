"""The reader registry: a new format is one registered reader, nothing else.

A tiny made-up format (markers as CSV, millimetres) is registered here, in
the test, and a file of it goes through the project's import, the isolated
reader and the command line's file check without any change to gaitlab.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from gaitlab.core.errors import C3DReadError
from gaitlab.core.trial import AnalogSet, MarkerSet, SourceInfo, Trial
from gaitlab.io.readers import (
    find_readable_files,
    formats,
    not_readable_reason,
    read_trial,
    reader_for,
    register_reader,
    unregister_reader,
)
from gaitlab.store.project import create_project

RATE_HZ = 100.0


def read_marker_csv(path: Path, sha256: str) -> Trial:
    """Read ``# rate_hz=R`` then ``LABEL_x,LABEL_y,LABEL_z,...`` rows in mm."""
    lines = path.read_text().splitlines()
    if not lines or not lines[0].startswith("# rate_hz="):
        raise C3DReadError(path, "no '# rate_hz=' line")
    rate = float(lines[0].split("=", 1)[1])
    header = lines[1].split(",")
    labels = tuple(h[:-2] for h in header[::3])
    values = np.array([[float(v) for v in row.split(",")] for row in lines[2:]])
    data = values.reshape(len(values), len(labels), 3) / 1000.0
    return Trial(
        markers=MarkerSet(data, labels, rate, original_unit="mm"),
        analogs=AnalogSet(np.zeros((0, 0)), (), (), 1000.0),
        source=SourceInfo(path=str(path), sha256=sha256, reader="marker csv"),
        meta={"warnings": ["made-up format"]},
    )


def crashing_reader(path: Path, sha256: str) -> Trial:
    """A reader that dies as a C++ parser does on a malformed file."""
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable")


@pytest.fixture
def marker_csv() -> Iterator[None]:
    register_reader(
        "markercsv", [".mcsv"], read_marker_csv, description="markers as CSV (mm)"
    )
    yield
    unregister_reader("markercsv")


def _write_csv(path: Path, offset_mm: float = 0.0) -> Path:
    rows = [
        ",".join(str(v) for v in (10 * i + offset_mm, 20.0, 30.0, 1.0, 2.0, 3.0))
        for i in range(5)
    ]
    path.write_text(
        f"# rate_hz={RATE_HZ}\nLHEE_x,LHEE_y,LHEE_z,RHEE_x,RHEE_y,RHEE_z\n"
        + "\n".join(rows)
        + "\n"
    )
    return path


def test_c3d_is_the_first_registered_format() -> None:
    assert formats()[0] == "c3d"
    assert reader_for("walk.C3D").name == "c3d"


def test_a_registered_reader_imports_through_the_project(
    marker_csv: None, tmp_path: Path
) -> None:
    captures = tmp_path / "captures" / "s01"
    captures.mkdir(parents=True)
    _write_csv(captures / "run one.mcsv")
    (captures / "notes.txt").write_text("not a capture")
    assert find_readable_files([tmp_path / "captures"]) == [
        (captures / "run one.mcsv").absolute()
    ]

    project = create_project(tmp_path / "study")
    events = list(project.import_files([tmp_path / "captures"]))
    assert [e.kind for e in events] == ["started", "imported", "finished"]
    assert events[1].warnings == ("made-up format",)

    trial = project.load_trial("run-one")
    assert trial.markers.labels == ("LHEE", "RHEE")
    assert trial.markers.rate_hz == RATE_HZ
    np.testing.assert_allclose(trial.markers.data[2, 0], [0.020, 0.020, 0.030])
    assert trial.subject_id == "s01"
    assert project.record("run-one").source_sha256 == trial.source.sha256 != ""

    again = list(project.import_files([captures / "run one.mcsv"]))
    assert again[1].kind == "skipped"  # deduplicated by hash like a C3D file


def test_read_trial_uses_the_registered_reader_in_a_worker(
    marker_csv: None, tmp_path: Path
) -> None:
    trial = read_trial(_write_csv(tmp_path / "a.mcsv", offset_mm=1000.0))
    np.testing.assert_allclose(trial.markers.data[0, 0], [1.0, 0.020, 0.030])


def test_a_crashing_reader_is_contained_like_the_c3d_parser(
    tmp_path: Path,
) -> None:
    register_reader("crashy", [".crash"], crashing_reader)
    try:
        path = tmp_path / "bad.crash"
        path.write_text("anything")
        project = create_project(tmp_path / "study")
        events = list(project.import_files([path]))
        assert events[1].kind == "refused"
        assert "crashed" in events[1].message
        assert "SIGSEGV" in events[1].message
        assert project.trial_ids == []
        with pytest.raises(C3DReadError, match="crashed"):
            read_trial(path)
    finally:
        unregister_reader("crashy")


def test_a_file_no_reader_takes_is_refused_naming_the_formats(
    tmp_path: Path,
) -> None:
    path = tmp_path / "markers.txt"
    path.write_text("1,2,3\n")
    with pytest.raises(C3DReadError, match=r"known formats: c3d \(\.c3d\)"):
        reader_for(path)
    reason = not_readable_reason(path)
    assert reason is not None
    assert "known formats: c3d (.c3d)" in reason
    project = create_project(tmp_path / "study")
    events = list(project.import_files([path]))
    assert events[1].kind == "refused"
    assert "known formats: c3d (.c3d)" in events[1].message


def test_the_file_check_asks_the_matching_reader(tmp_path: Path) -> None:
    text = tmp_path / "fake.c3d"
    text.write_text("subject,mass\nRBDS001,62\n")
    assert not_readable_reason(text) == "not a C3D file (it is a text file)"


def test_a_suffix_belongs_to_one_format(marker_csv: None) -> None:
    with pytest.raises(ValueError, match="already read by format 'markercsv'"):
        register_reader("other", ["MCSV"], read_marker_csv)
    assert "other" not in formats()


def test_the_cli_import_takes_a_registered_format(
    marker_csv: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gaitlab.cli.main import main

    path = _write_csv(tmp_path / "walk.mcsv")
    (tmp_path / "walk.txt").write_text("no reader for this\n")
    project = tmp_path / "study"
    code = main(["import", str(project), str(path), str(tmp_path / "walk.txt")])
    out = capsys.readouterr().out
    assert code == 1  # the .txt file is refused, naming the known formats
    assert "1 imported" in out
    assert "known formats: " in out
    assert "markercsv (.mcsv)" in out
    assert "c3d (.c3d)" in out
