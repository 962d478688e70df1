"""The store under faults (issue 18, items 7, 8, 10-16): damaged, crafted,
read-only and full projects, and the writer lock.

The projects are built from the bundled demo trials (``data/*.c3d``), so
these tests run without ../shared/data. Each test reproduces one finding of
the issue and fails on the store before it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

import gaitlab
from gaitlab.core.errors import (
    DamagedFileError,
    GaitlabError,
    ProjectError,
    ProjectLockedError,
)
from gaitlab.core.results import Metric, Result, Series
from gaitlab.core.trial import Event, Subject
from gaitlab.store._integrity import seal
from gaitlab.store.project import holds_writer_lock
from gaitlab.store.repair import repair_project

PYTHON = sys.executable


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, demo_files: list[Path]) -> Path:
    """A project with a static and a running demo trial, edited events and results."""
    folder = tmp_path_factory.mktemp("template") / "p"
    project = gaitlab.create_project(folder)
    files = [f for f in demo_files if f.stem in ("demo_static", "demo_overground_run")]
    events = list(project.import_files(files, subject="s01", workers=1))
    assert [e.kind for e in events[1:-1]] == ["imported", "imported"], events
    project.set_events("demo_overground_run", [Event(0.5, "Foot Strike", "Right")])
    project.write_results("demo_overground_run", {"demo": _result(1.0)})
    project.set_subject(Subject(id="s01", label="S01", mass_kg=70.0))
    return folder


@pytest.fixture
def project_folder(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template project."""
    return Path(shutil.copytree(template, tmp_path / "p"))


def _result(value: float) -> Result:
    return Result(
        series={"x": Series(np.linspace(0.0, value, 50), 100.0, 0.0, "m")},
        metrics=[Metric("peak", value, "m", "Right", 0, 0.25)],
    )


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def _data_offset(path: Path, dataset: str) -> int:
    """Where a dataset's values start (the middle of its first chunk if chunked)."""
    with h5py.File(path, "r") as f:
        dsid = f[dataset].id
        if dsid.get_offset() is not None:
            return dsid.get_offset()
        info = dsid.get_chunk_info(0)
        return info.byte_offset + info.size // 2


def _crafted_index(folder: Path, **datasets: object) -> None:
    """Replace datasets of project.h5 with JSON text, checksums made to match
    (what a crafter would do)."""
    with h5py.File(folder / "project.h5", "r+") as f:
        for name, value in datasets.items():
            del f[name]
            f[name] = value if isinstance(value, str) else json.dumps(value)
        seal(f)


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


# ---------------------------------------------------------------- item 7


def test_trial_file_declaring_huge_arrays_is_refused_before_reading(
    project_folder: Path,
) -> None:
    """A 1 MB trial file whose markers declare 10^9 frames (7.9 TB) is refused."""
    path = project_folder / "trials" / "demo_static.h5"
    with h5py.File(path, "r+") as f:
        del f["markers"]
        f.create_dataset("markers", shape=(10**9, 34, 3), dtype=float)
    assert path.stat().st_size < 2e6
    project = gaitlab.open_project(project_folder)
    with pytest.raises(DamagedFileError, match="/markers declares"):
        project.load_trial("demo_static")


def test_index_declaring_a_huge_array_is_refused(project_folder: Path) -> None:
    with h5py.File(project_folder / "project.h5", "r+") as f:
        del f["trials"]
        f.create_dataset("trials", shape=(10**10,), dtype=h5py.string_dtype())
    assert (project_folder / "project.h5").stat().st_size < 20_000
    with pytest.raises(DamagedFileError, match=r"project\.h5.*trials is not a text"):
        gaitlab.open_project(project_folder)


def test_a_file_that_blocks_reads_is_refused_in_process_and_timed_out_by_repair(
    project_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trial 'file' that is a FIFO blocks any read forever: loading refuses
    it (not a regular file) and repair's time-limited workers give up on it."""
    import gaitlab.store.repair as repair

    path = project_folder / "trials" / "demo_static.h5"
    path.unlink()
    os.mkfifo(path)
    code = textwrap.dedent(f"""
        import gaitlab
        p = gaitlab.open_project({str(project_folder)!r})
        try:
            p.load_trial("demo_static")
        except gaitlab.ProjectError as error:
            print(error)
    """)
    out = subprocess.run(
        [PYTHON, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert "not a regular file" in out.stdout, out.stderr
    monkeypatch.setattr(repair, "BASE_TIMEOUT_S", 1.0)
    report = repair_project(project_folder, check_only=True)
    assert any("demo_static.h5" in p for p in report.problems), report.problems


# ---------------------------------------------------------------- item 8


@pytest.mark.parametrize(
    ("sub", "dataset"),
    [
        ("trials", "markers"),
        ("trials", "analogs"),
        ("results", "series_values"),
        ("results", "metric_numbers"),
        ("results", "document"),
        ("events", "events/time_s"),
    ],
)
def test_a_flipped_byte_in_stored_data_is_detected(
    project_folder: Path, sub: str, dataset: str
) -> None:
    name = "demo_static" if dataset == "analogs" else "demo_overground_run"
    path = project_folder / sub / f"{name}.h5"
    _flip(path, _data_offset(path, dataset) + 3)
    project = gaitlab.open_project(project_folder)
    if sub == "trials":
        # compressed: the damage fails decompression or the checksum
        with pytest.raises(
            DamagedFileError,
            match=f"checksum mismatch in /{dataset}|cannot be read .*filter",
        ):
            project.load_trial(name)
    elif sub == "results":
        assert project.load_results(name) == {}
        # the document is compressed: the damage fails decompression or the checksum
        assert re.search("checksum mismatch|cannot be read", project.problems[0])
    else:
        assert project.load_trial(name).events != (Event(0.5, "Foot Strike", "Right"),)
        assert "checksum mismatch" in project.problems[0]


def test_a_flipped_byte_in_a_marker_label_is_detected(project_folder: Path) -> None:
    path = project_folder / "trials" / "demo_static.h5"
    with h5py.File(path, "r") as f:
        label = json.loads(f.attrs["header"])["markers"]["labels"][0].encode()
    data = path.read_bytes()
    assert data.count(label) >= 1
    _flip(path, data.index(label))
    with pytest.raises(DamagedFileError):
        gaitlab.open_project(project_folder).load_trial("demo_static")


def test_files_carry_checksums_of_every_dataset(project_folder: Path) -> None:
    with h5py.File(project_folder / "trials" / "demo_static.h5", "r") as f:
        checksums = json.loads(f.attrs["gaitlab_checksums"])
        names: list[str] = []
        f.visititems(
            lambda n, o: names.append("/" + n) if isinstance(o, h5py.Dataset) else None
        )
    assert set(names) <= set(checksums)
    assert "/@attrs" in checksums


# ---------------------------------------------------------------- item 10


def test_trial_ids_leading_outside_the_project_are_refused(
    project_folder: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.h5"
    victim.write_bytes(b"precious")
    with h5py.File(project_folder / "project.h5", "r") as f:
        trials = json.loads(f["trials"].asstr()[()])
    trials[0]["trial_id"] = "../../victim"
    _crafted_index(project_folder, trials=trials)
    with pytest.raises(
        DamagedFileError, match=r"project\.h5.*'\.\./\.\./victim' is not a slug"
    ):
        gaitlab.open_project(project_folder)
    assert victim.read_bytes() == b"precious"


def test_a_results_folder_linking_outside_is_refused(
    project_folder: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.rmtree(project_folder / "results")
    (project_folder / "results").symlink_to(outside)
    project = gaitlab.open_project(project_folder)
    with pytest.raises(ProjectError, match="outside the project"):
        project.write_results("demo_static", {"demo": _result(2.0)})
    assert not list(outside.iterdir())


def test_an_orphan_trial_file_named_by_no_slug_is_ignored(project_folder: Path) -> None:
    shutil.copy(
        project_folder / "trials" / "demo_static.h5",
        project_folder / "trials" / "Not A Slug.h5",
    )
    project = gaitlab.open_project(project_folder)
    assert sorted(project.trial_ids) == ["demo_overground_run", "demo_static"]
    assert any("Not A Slug.h5" in p for p in project.problems)


def test_an_unchecked_id_never_names_a_file(project_folder: Path) -> None:
    project = gaitlab.open_project(project_folder)
    with pytest.raises(ProjectError, match="not a valid trial id"):
        project.results_path("../x")


# ---------------------------------------------------------------- items 11, 12


def _hold_lock(
    folder: Path, then: str = "", wait_for: str = "locked"
) -> tuple[subprocess.Popen[str], str]:
    """A process holding the writer lock of ``folder`` until its stdin closes;
    and the first line it printed (``wait_for``...)."""
    holder = subprocess.Popen(
        [
            PYTHON,
            "-c",
            textwrap.dedent(f"""
            import os, sys, gaitlab
            p = gaitlab.open_project({str(folder)!r})
            with p._writer_lock():
                {then or "pass"}
                print("locked", flush=True)
                sys.stdin.readline()
            """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    line = holder.stdout.readline()
    assert line.startswith(wait_for), line
    return holder, line


def test_deleting_the_lock_file_does_not_let_a_second_writer_in(
    project_folder: Path,
) -> None:
    holder, _ = _hold_lock(project_folder)
    try:
        (project_folder / "project.lock").unlink()
        project = gaitlab.open_project(project_folder)
        with pytest.raises(ProjectLockedError, match="being written"):
            project.set_subject(Subject(id="intruder"))
        with pytest.raises(ProjectLockedError):
            project.write_results("demo_static", {"demo": _result(3.0)})
    finally:
        holder.communicate("\n", timeout=30)
    project.set_subject(Subject(id="after"))  # released when the holder finished
    assert "intruder" not in gaitlab.open_project(project_folder).subjects


def test_a_forked_child_neither_holds_nor_keeps_the_lock(project_folder: Path) -> None:
    """The holder forks a child and is killed: the lock is free although the
    child (which inherited the lock's descriptor) lives on."""
    holder, line = _hold_lock(
        project_folder,
        wait_for="child",
        then=textwrap.dedent("""
            from gaitlab.store.project import holds_writer_lock
            child = os.fork()
            if child == 0:
                (p.path / f"child-holds-{holds_writer_lock(p.path)}").touch()
                sys.stdin.readline()
                os._exit(0)
            while not list(p.path.glob("child-holds-*")):
                pass
            print("child", child, flush=True)
            """).replace("\n", "\n                "),
    )
    assert holder.stdout is not None
    child_pid = int(line.split()[1])
    try:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        project = gaitlab.open_project(project_folder)
        project.set_subject(Subject(id="next-writer"))  # the lock was released
        assert not holds_writer_lock(project_folder)
        assert (project_folder / "child-holds-False").exists()
    finally:
        os.kill(child_pid, signal.SIGKILL)
        holder.stdout.close()
        assert holder.stdin is not None
        holder.stdin.close()


# ---------------------------------------------------------------- item 13


def _read_only(folder: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with ``folder`` read-only: a read-only bind mount in a
    private mount namespace when root (whom permissions do not stop), else
    permissions."""
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("needs unshare to make a read-only mount as root")
        script = (
            f"mount --bind {folder} {folder} && "
            f"mount -o remount,bind,ro {folder} && "
            f"touch {folder}/probe 2>/dev/null && exit 99; "
            f'exec {PYTHON} -c "$0"'
        )
        out = subprocess.run(
            ["unshare", "-m", "sh", "-c", script, code],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode in (1, 32) and "mount" in out.stderr:
            pytest.skip(f"cannot make a read-only mount here: {out.stderr.strip()}")
        assert out.returncode != 99, "the mount is not read-only"
        return out
    modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
    for p in modes:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        return subprocess.run(
            [PYTHON, "-c", code], capture_output=True, text=True, timeout=120
        )
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def test_a_read_only_project_can_be_read_and_exported(
    project_folder: Path, tmp_path: Path
) -> None:
    (project_folder / "project.lock").unlink(missing_ok=True)
    before = _tree(project_folder)
    out = _read_only(
        project_folder,
        textwrap.dedent(f"""
            import gaitlab
            from gaitlab.cli.main import main
            p = gaitlab.open_project({str(project_folder)!r})
            for t in p.trial_ids:
                p.load_trial(t)
                p.load_results(t)
            assert main(["info", {str(project_folder)!r}]) == 0
            assert main(["export", {str(project_folder)!r}, "-o", {str(tmp_path / "m.csv")!r}]) == 0
            try:
                p.set_subject(gaitlab.Subject(id="x"))
            except gaitlab.ProjectError as error:
                print("refused:", error)
        """),
    )
    assert out.returncode == 0, out.stderr
    assert "refused:" in out.stdout
    assert "read-only" in out.stdout
    assert (tmp_path / "m.csv").is_file()
    assert _tree(project_folder) == before  # a reader wrote nothing


# ---------------------------------------------------------------- item 14


def _with_file_size_limit(
    limit_bytes: int, code: str
) -> subprocess.CompletedProcess[str]:
    prelude = (
        "import resource\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit_bytes}, {limit_bytes}))\n"
    )
    return subprocess.run(
        [PYTHON, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_file_size_limit_gives_clean_errors_and_leaves_nothing_behind(
    project_folder: Path, demo_files: list[Path]
) -> None:
    run_file = next(f for f in demo_files if f.stem == "demo_treadmill_run")
    before = gaitlab.open_project(project_folder).load_results("demo_overground_run")
    out = _with_file_size_limit(
        60_000,
        f"""
        import numpy as np, gaitlab
        from gaitlab.core.results import Result, Series
        p = gaitlab.open_project({str(project_folder)!r})
        big = {{"demo": Result(series={{"x": Series(np.zeros(100_000), 100.0)}})}}
        try:
            p.write_results("demo_overground_run", big)
        except gaitlab.ProjectError as error:
            print("results:", error)
        for e in p.import_files([{str(run_file)!r}], workers=1):
            if e.kind == "refused":
                print("import:", e.message)
        """,
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    assert "results:" in out.stdout
    assert "File too large" in out.stdout, out.stdout
    assert "import:" in out.stdout, out.stdout
    assert not list(project_folder.rglob("*.tmp"))
    project = gaitlab.open_project(project_folder)
    assert "demo_treadmill_run" not in project.trial_ids
    after = project.load_results("demo_overground_run")
    np.testing.assert_array_equal(
        after["demo"].series["x"].values, before["demo"].series["x"].values
    )


def test_an_index_write_failing_keeps_the_previous_index(project_folder: Path) -> None:
    size = (project_folder / "project.h5").stat().st_size
    out = _with_file_size_limit(
        size // 2,
        f"""
        import gaitlab
        p = gaitlab.open_project({str(project_folder)!r})
        try:
            p.set_subject(gaitlab.Subject(id="new", mass_kg=60.0))
        except gaitlab.ProjectError as error:
            print("refused:", error)
        """,
    )
    assert "refused:" in out.stdout
    assert "previous version is kept" in out.stdout
    assert "Traceback" not in out.stderr, out.stderr
    assert not list(project_folder.rglob("*.tmp"))
    assert "new" not in gaitlab.open_project(project_folder).subjects


# ---------------------------------------------------------------- item 15


def test_damaged_results_count_as_stale_and_the_next_run_recomputes_them(
    project_folder: Path, tmp_path: Path
) -> None:
    from gaitlab.pipeline.export import export_metrics
    from gaitlab.pipeline.runner import run_pipeline

    project = gaitlab.open_project(project_folder)
    events = list(run_pipeline(project, ["demo_overground_run"], workers=1))
    assert not [e for e in events if getattr(e, "error", None)], events
    path = project.results_path("demo_overground_run")
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    path.write_bytes(bytes(data))

    project = gaitlab.open_project(project_folder)
    export_metrics(project, tmp_path / "m.csv")  # no crash
    assert any("count as missing (stale)" in p for p in project.problems)
    list(run_pipeline(project, ["demo_overground_run"], only_stale=True, workers=1))
    project = gaitlab.open_project(project_folder)
    assert project.load_results("demo_overground_run")
    assert not project.problems


def test_a_damaged_index_is_restored_from_its_copy_by_repair(
    project_folder: Path,
) -> None:
    from gaitlab.cli.main import main

    project = gaitlab.open_project(project_folder)
    expected = (project.trials, project.subjects, project.settings)
    index = project_folder / "project.h5"
    index.write_bytes(index.read_bytes()[:1000])  # a truncated copy
    with pytest.raises(DamagedFileError, match="gaitlab repair"):
        gaitlab.open_project(project_folder)
    assert main(["repair", str(project_folder)]) == 0
    project = gaitlab.open_project(project_folder)
    assert (project.trials, project.subjects, project.settings) == expected


def test_an_index_and_copy_both_lost_are_rebuilt_from_the_trial_files(
    project_folder: Path,
) -> None:
    (project_folder / "project.h5").write_bytes(b"\0" * 4096)
    (project_folder / "project.h5.bak").unlink()
    report = repair_project(project_folder)
    assert any("rebuilt the index" in a for a in report.actions)
    assert (project_folder / "project.h5.bak").is_file()
    assert repair_project(project_folder, check_only=True).problems == []
    project = gaitlab.open_project(project_folder)
    assert sorted(project.trial_ids) == ["demo_overground_run", "demo_static"]
    assert project.record("demo_static").subject_id == "s01"
    assert project.load_trial("demo_overground_run").markers.data.size


def test_repair_moves_damaged_files_aside(project_folder: Path) -> None:
    for sub in ("trials", "results", "events"):
        path = project_folder / sub / "demo_overground_run.h5"
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    report = repair_project(project_folder, check_only=True)
    assert len([p for p in report.problems if "demo_overground_run" in p]) == 3
    assert not report.actions
    report = repair_project(project_folder)
    assert len(report.actions) == 3, report.actions
    assert "import its C3D file from" in report.actions[0]
    project = gaitlab.open_project(project_folder)
    assert project.trial_ids == ["demo_static"]
    assert (project_folder / "trials" / "demo_overground_run.h5.damaged").is_file()
    assert not project.problems
    assert repair_project(project_folder, check_only=True).problems == []


# ---------------------------------------------------------------- item 16

_RECORD_KEYS = ("trial_id", "subject_id", "session", "condition", "label")

INDEX_PROBES = {
    "not json": {"trials": "{not json"},
    "trials not a list": {"trials": {"a": 1}},
    "record not an object": {"trials": [1]},
    "record missing fields": {"trials": [{"trial_id": "a"}]},
    "record unknown field": {"trials": "RECORD+extra"},
    "id not text": {"trials": "RECORD+id=5"},
    "id empty": {"trials": "RECORD+id="},
    "id with a slash": {"trials": "RECORD+id=a/b"},
    "id twice": {"trials": "RECORD*2"},
    "warnings not a list": {"trials": "RECORD+warnings=x"},
    "subjects not a list": {"subjects": "x"},
    "subject mass negative": {"subjects": [{"id": "s", "mass_kg": -1}]},
    "subject mass text": {"subjects": [{"id": "s", "mass_kg": "70"}]},
    "subject unknown field": {"subjects": [{"id": "s", "age": 3}]},
    "settings not an object": {"settings": [1, 2]},
    "pipeline not an object": {"settings": {"pipeline": 5}},
    "static trial id bad": {"settings": {"static_trials": {"a": "../b"}}},
    "deep nesting": {"settings": "[" * 100_000 + "]" * 100_000},
}


def _probe_value(project_folder: Path, value: object) -> object:
    if not (isinstance(value, str) and value.startswith("RECORD")):
        return value
    with h5py.File(project_folder / "project.h5", "r") as f:
        record = json.loads(f["trials"].asstr()[()])[0]
    change = value.removeprefix("RECORD")
    if change == "*2":
        return [record, record]
    key, _, text = change.removeprefix("+").partition("=")
    key = {"id": "trial_id"}.get(key, key)
    record[key] = int(text) if text.isdigit() else text
    return [record]


@pytest.mark.parametrize("probe", list(INDEX_PROBES))
def test_crafted_index_json_gives_a_clear_error(
    project_folder: Path, probe: str
) -> None:
    changes = {
        name: _probe_value(project_folder, value)
        for name, value in INDEX_PROBES[probe].items()
    }
    _crafted_index(project_folder, **changes)
    with pytest.raises(DamagedFileError, match=r"project\.h5: damaged: ") as caught:
        gaitlab.open_project(project_folder)
    assert isinstance(caught.value, GaitlabError)
