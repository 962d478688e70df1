"""What a trial's plugin process does before the plugins run, and the scheduling.

A child that runs every planned plugin does not read the stored results it
is about to replace; the fork server imports the built-in plugin modules
once (content-addressed, so a changed file is imported afresh); a finished
trial's worker is given the next trial before the caller stores the results;
a child sends a trial's results without waiting for the parent to read.
"""

from __future__ import annotations

import math
import os
import sys
import time
from multiprocessing.connection import wait
from pathlib import Path

import numpy as np
import pytest

import gaitlab
from gaitlab.pipeline import discovery
from gaitlab.pipeline._forkserver_setup import _import_builtin_plugins
from gaitlab.pipeline.isolation import Child, Limits, send
from gaitlab.pipeline.runner import _drive, run_pipeline


def _values(result) -> list[tuple[str, float | None, int | None]]:
    """(name, value or None for NaN, step) of each metric."""
    return [
        (m.name, None if math.isnan(m.value) else m.value, m.step)
        for m in result.metrics
    ]


@pytest.fixture
def analysed(tmp_path: Path, demo_files: list[Path]) -> tuple[gaitlab.Project, str]:
    treadmill = next(p for p in demo_files if p.name == "demo_treadmill_run.c3d")
    project = gaitlab.create_project(tmp_path / "p.gaitlab")
    list(project.import_files([treadmill], subject="s"))
    (trial_id,) = project.trial_ids
    events = [e for e in run_pipeline(project, workers=1) if e.kind == "trial"]
    assert not events[0].error
    return project, trial_id


def test_stored_results_of_the_plugins_that_run_are_not_read(analysed) -> None:
    project, trial_id = analysed
    stored = project.load_results(trial_id)
    names, kept = project.load_results_skipping(trial_id, ["gait_events", "braking"])
    assert names == list(stored)
    assert set(kept) == set(stored) - {"gait_events", "braking"}
    for name, result in kept.items():
        assert _values(result) == _values(stored[name]), name
    assert project.load_results_skipping(trial_id, names) == (names, {})


def test_a_damaged_results_file_holds_no_results(analysed) -> None:
    """As for Project.load_results: damaged means missing (recomputed)."""
    project, trial_id = analysed
    path = project.results_path(trial_id)
    path.write_bytes(path.read_bytes()[:1000])
    assert project.load_results(trial_id) == {}
    assert project.load_results_skipping(trial_id, []) == ([], {})


def test_a_rerun_gives_the_same_results_as_the_first_run(analysed) -> None:
    project, trial_id = analysed
    first = project.load_results(trial_id)
    events = [e for e in run_pipeline(project, workers=1) if e.kind == "trial"]
    assert not events[0].error
    again = project.load_results(trial_id)
    assert list(again) == list(first)
    for name in first:
        assert _values(again[name]) == _values(first[name]), name
        assert [e.time_s for e in again[name].events] == [
            e.time_s for e in first[name].events
        ]


def test_builtin_plugin_modules_imported_once_are_reused_while_unchanged(
    tmp_path: Path,
) -> None:
    """What the fork server imports, its children find; a changed file is new."""
    _import_builtin_plugins()
    paths = discovery._plugin_files(discovery.builtin_plugin_folder())
    assert paths
    for path in paths:
        module, _ = discovery._load_file(path, "builtin")
        again, _ = discovery._load_file(path, "builtin")
        assert again is module
    copy = tmp_path / paths[0].name
    copy.write_text(paths[0].read_text() + "\n# changed\n")
    changed, _ = discovery._load_file(copy, "builtin")
    original, _ = discovery._load_file(paths[0], "builtin")
    assert changed is not original


class _Job:
    """A stand-in for a trial job: finished as soon as its pipe is readable."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log
        self.finished = False
        self.deadline = time.monotonic() + 60

    def start(self) -> None:
        self.log.append(f"start {self.name}")
        self.read, write = os.pipe()
        os.write(write, b"x")
        os.close(write)

    def waitables(self) -> list[int]:
        return [self.read]

    def step(self) -> None:
        self.finished = True
        os.close(self.read)

    def stop(self) -> None:
        pass


def test_the_next_trial_starts_before_a_finished_one_is_handed_over() -> None:
    """Before: the worker stood idle while the caller stored each trial."""
    log: list[str] = []
    jobs = [_Job(name, log) for name in "abc"]
    for job in _drive(jobs, 1):
        log.append(f"store {job.name}")
    assert log == ["start a", "start b", "store a", "start c", "store b", "store c"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux pipe size")
def test_a_child_sends_a_trials_results_without_waiting_for_the_parent() -> None:
    """800 kB (a 30 s trial's results) fit in the pipe: the child ends before
    the parent reads (before: it waited on a 64 kB pipe while the parent
    stored another trial)."""
    values = np.arange(100_000, dtype=float)
    child = Child(send, (("result", values),), Limits())
    try:
        assert wait([child.sentinel], timeout=60), "the child waited for the parent"
        child.process.join(timeout=60)
        assert child.process.exitcode == 0
        kind, received = child.receive()
        assert kind == "result"
        np.testing.assert_array_equal(received, values)
    finally:
        child.kill()
