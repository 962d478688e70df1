"""A batch on a Dask cluster (a LocalCluster here) gives the numbers of a local run.

The workers analyse; this process writes. A worker killed in the middle of a
trial loses only that trial, which runs again elsewhere; a trial that cannot
be analysed comes back as that trial's error.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import gaitlab
from gaitlab.pipeline.distributed import (
    ClusterError,
    dask_client,
    local_cluster_size,
    on_cluster,
)
from gaitlab.pipeline.runner import run_pipeline

pytest.importorskip("distributed")


def results_table(project: gaitlab.Project) -> dict:
    """Every metric and event of every trial, as comparable plain data."""
    table = {}
    for trial_id in project.trial_ids:
        for name, result in sorted(project.load_results(trial_id).items()):
            table[trial_id, name] = (
                result.status,
                [(m.name, m.side, m.step, m.value) for m in result.metrics],
                sorted((e.time_s, e.label, e.context) for e in result.events),
            )
    return table


def assert_same_results(found: dict, expected: dict) -> None:
    assert found.keys() == expected.keys()
    for key, (status, metrics, events) in expected.items():
        got_status, got_metrics, got_events = found[key]
        assert got_status == status, key
        assert got_events == events, key
        assert [m[:3] for m in got_metrics] == [m[:3] for m in metrics], key
        np.testing.assert_array_equal(
            [m[3] for m in got_metrics], [m[3] for m in metrics], err_msg=str(key)
        )


@pytest.fixture(scope="module")
def projects(tmp_path_factory, demo_files) -> tuple[Path, dict]:
    """A project of three demo trials, and the results of a local run on it."""
    folder = tmp_path_factory.mktemp("distributed")
    project = gaitlab.create_project(folder / "local.gaitlab")
    runs = [f for f in demo_files if "run" in f.name][:2] + [
        f for f in demo_files if "drill" in f.name
    ]
    list(project.import_files(runs, subject="runner"))
    list(run_pipeline(project, workers=1))
    return folder, results_table(project)


def copy_unanalysed(folder: Path, name: str) -> gaitlab.Project:
    """A copy of the local project with its results removed."""
    target = folder / name
    shutil.copytree(folder / "local.gaitlab", target)
    project = gaitlab.open_project(target)
    for trial_id in project.trial_ids:
        project.write_results(trial_id, {})
    return project


@pytest.fixture(scope="module")
def client():
    with dask_client(cluster="local:2") as client:
        yield client


def test_a_cluster_run_gives_the_numbers_of_a_local_run(projects, client):
    folder, expected = projects
    project = copy_unanalysed(folder, "cluster.gaitlab")
    events = list(run_pipeline(project, driver=on_cluster(client)))
    assert [e.kind for e in events] == [
        "started",
        "trial",
        "trial",
        "trial",
        "finished",
    ]
    assert sorted(e.trial_id for e in events if e.kind == "trial") == sorted(
        project.trial_ids
    )
    assert not any(e.error for e in events)
    assert_same_results(results_table(project), expected)


def test_only_stale_resumes_a_cluster_batch(projects, client):
    folder, expected = projects
    project = copy_unanalysed(folder, "resume.gaitlab")
    first = project.trial_ids[0]
    list(run_pipeline(project, [first], driver=on_cluster(client)))
    events = [
        e
        for e in run_pipeline(project, only_stale=True, driver=on_cluster(client))
        if e.trial_id
    ]
    ran = {e.trial_id: bool(e.statuses) for e in events}
    assert ran[first] is False  # up to date: nothing ran again
    assert all(ran[t] for t in project.trial_ids if t != first)
    assert_same_results(results_table(project), expected)


def test_an_unreadable_trial_is_that_trial_s_error(projects, client):
    folder, _ = projects
    project = copy_unanalysed(folder, "damaged.gaitlab")
    broken = project.trial_ids[0]
    path = project._trial_path(broken)
    path.write_bytes(path.read_bytes()[:200])  # truncated trial file
    events = {
        e.trial_id: e
        for e in run_pipeline(project, driver=on_cluster(client))
        if e.trial_id
    }
    assert events[broken].error
    assert all(
        not events[t].error and events[t].statuses for t in events if t != broken
    )


SLOW_PLUGIN = """
import time
from gaitlab.api import MetricSpec, Result, plugin

@plugin(name="slow_count", version="1.0.0", title="Slow count",
        metrics=(MetricSpec("frames_seen", "1", "marker frames", per_step=False),))
def slow_count(trial, ctx):
    time.sleep(2.0)
    result = Result()
    result.add_metric("frames_seen", float(trial.markers.data.shape[0]))
    return result
"""


def test_a_worker_killed_mid_trial_loses_only_that_trial(
    projects, plugin_folder, monkeypatch
):
    """One of two workers is killed while both hold a trial (each takes 2 s):
    Dask runs its trial again on a worker that lives; every trial is
    analysed once in the results, with the numbers of a local run."""
    from gaitlab.pipeline.discovery import refresh

    (plugin_folder / "slow_count.py").write_text(textwrap.dedent(SLOW_PLUGIN))
    refresh()
    folder, _ = projects
    local = copy_unanalysed(folder, "slow-local.gaitlab")
    list(run_pipeline(local, plugins=["slow_count"], workers=2))
    project = copy_unanalysed(folder, "slow-cluster.gaitlab")
    with dask_client(cluster="local:2") as client:
        pids = client.run(os.getpid)
        events = run_pipeline(
            project, plugins=["slow_count"], driver=on_cluster(client)
        )
        assert next(events).kind == "started"
        time.sleep(1.0)  # both workers are inside a trial's slow plugin
        os.kill(next(iter(pids.values())), signal.SIGKILL)
        trials = [e for e in events if e.kind == "trial"]
    assert sorted(e.trial_id for e in trials) == sorted(project.trial_ids)
    assert all(e.statuses == {"slow_count": "ok"} and not e.error for e in trials)
    assert_same_results(results_table(project), results_table(local))


def test_cluster_sizes_are_checked():
    assert local_cluster_size("local:3") == 3
    assert local_cluster_size("local") == (os.cpu_count() or 1)
    for bad in ("local:0", "remote", "local:x", ""):
        with pytest.raises(ClusterError, match="local:N"):
            local_cluster_size(bad)


def test_the_cli_runs_on_a_local_cluster(projects):
    folder, expected = projects
    project = copy_unanalysed(folder, "cli.gaitlab")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gaitlab",
            "run",
            str(project.path),
            "--cluster",
            "local:2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Dask: 2 workers; dashboard http" in done.stderr
    assert "3 trials (3 analysed, 0 up to date)" in done.stdout
    assert "INFO" not in done.stderr  # Dask's own chatter is not the user's
    assert_same_results(results_table(gaitlab.open_project(project.path)), expected)


def test_the_cli_says_what_is_wrong_with_a_cluster(projects):
    folder, _ = projects
    path = str(folder / "local.gaitlab")
    clash = subprocess.run(
        [
            sys.executable,
            "-m",
            "gaitlab",
            "run",
            path,
            "--workers",
            "2",
            "--cluster",
            "local",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert clash.returncode != 0
    assert "--workers" in clash.stderr


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch):
    import gaitlab.pipeline.distributed as distributed

    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT_S", 1.0)
    unreachable = re.escape("tcp://127.0.0.1:9 cannot be reached")
    with (
        pytest.raises(ClusterError, match=unreachable),
        dask_client(scheduler="tcp://127.0.0.1:9"),
    ):
        pass
    with pytest.raises(ClusterError, match="either"), dask_client():
        pass
