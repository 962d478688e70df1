"""Hostile plugins (issue 18): nothing a plugin does corrupts the project or stops the run.

Each plugin here is a file in a folder on ``GAITLAB_PLUGIN_PATH``, loaded by
discovery like any user plugin, and run on demo trials through
:func:`run_pipeline` or ``gaitlab run``.
"""

from __future__ import annotations

import hashlib
import os
import select
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import gaitlab
from gaitlab.cli.main import main
from gaitlab.pipeline import isolation
from gaitlab.pipeline.discovery import refresh
from gaitlab.pipeline.isolation import Limits, child_context, landlock_abi
from gaitlab.pipeline.runner import run_pipeline

HEADER = """
import ctypes, os, sys, time
import numpy as np
from gaitlab.api import MetricSpec, Result, SeriesSpec, plugin
"""


def hostile(
    folder: Path, name: str, body: str, *, needs: str = "markers", metric: str = "m"
) -> None:
    """A plugin ``name`` whose function runs ``body`` (``trial``, ``ctx`` known).

    Its one metric is ``metric``: two plugins loaded together need two names.
    """
    source = HEADER + textwrap.dedent(
        f"""
        @plugin(name={name!r}, version="1.0.0", needs=({needs!r},),
                series=(SeriesSpec("x", "m", "a series"),),
                metrics=(MetricSpec({metric!r}, "m", "a metric", per_step=False),))
        def run(trial, ctx):
        """
    )
    source += textwrap.indent(textwrap.dedent(body), "    ")
    (folder / f"{name}.py").write_text(source)


@pytest.fixture
def trials(tmp_path: Path, demo_files: list[Path]) -> gaitlab.Project:
    project = gaitlab.create_project(tmp_path / "p.gaitlab")
    chosen = [p for p in demo_files if p.name.startswith("demo_treadmill")][:1]
    chosen += [p for p in demo_files if p not in chosen and "static" not in p.name][:1]
    list(project.import_files(chosen, subject="s01"))
    assert len(project.trial_ids) == 2
    return project


def _trial_events(project: gaitlab.Project, **kwargs) -> dict:
    refresh()  # find the plugins just written
    return {e.trial_id: e for e in run_pipeline(project, **kwargs) if e.kind == "trial"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_plugin_cannot_change_an_upstream_result(
    plugin_folder: Path, trials: gaitlab.Project
) -> None:
    """Item 1: ``com -= com.mean(0)`` on an upstream result fails that plugin only."""
    hostile(
        plugin_folder,
        "mylab_source",
        """
        result = Result()
        result.add_series("x", np.arange(30.0).reshape(10, 3) + 1.0, rate_hz=100)
        return result
        """,
    )
    hostile(
        plugin_folder,
        "mylab_centre",
        """
        com = trial.result("mylab_source").series["x"].values
        com -= com.mean(0)
        return Result()
        """,
        needs="result:mylab_source",
        metric="m_centre",
    )
    names = ["mylab_source", "mylab_centre"]
    events = _trial_events(trials, plugins=names, workers=1)
    trial_id = trials.trial_ids[0]
    # mylab_source leaves its declared metric out: partial, not ok
    assert events[trial_id].statuses == {
        "mylab_source": "partial",
        "mylab_centre": "failed",
    }
    assert "read-only" in events[trial_id].messages["mylab_centre"]
    expected = np.arange(30.0).reshape(10, 3) + 1.0
    stored = trials.load_results(trial_id)["mylab_source"]
    np.testing.assert_array_equal(stored.series["x"].values, expected)
    before = stored.provenance
    # Run only the hostile one: the stored upstream result is read, not rewritten.
    _trial_events(trials, plugins=["mylab_centre"], workers=1)
    again = trials.load_results(trial_id)["mylab_source"]
    np.testing.assert_array_equal(again.series["x"].values, expected)
    assert again.provenance == before


def test_exit_crash_hang_and_memory_fail_that_plugin_and_the_run_goes_on(
    plugin_folder: Path, trials: gaitlab.Project
) -> None:
    """Item 2: each fault fails one plugin on one trial with the reason."""
    faults = {
        "mylab_sys_exit": "sys.exit(0)",
        "mylab_os_exit": "os._exit(0)",
        "mylab_segfault": "ctypes.string_at(0)",
        "mylab_hang": "while True:\n    pass",
        "mylab_memory": "np.ones(10 * 2**30 // 8)\nreturn Result()",
    }
    for name, body in faults.items():
        hostile(plugin_folder, name, body, metric=f"{name}_m")
    hostile(
        plugin_folder,
        "mylab_after_crash",
        "return Result()",
        needs="result:mylab_segfault",
        metric="after_crash_m",
    )
    hostile(
        plugin_folder,
        "mylab_fine",
        """
        result = Result()
        result.add_metric("m", 1.5)
        return result
        """,
    )
    names = [*faults, "mylab_after_crash", "mylab_fine"]
    events = _trial_events(
        trials, plugins=names, workers=2, limits=Limits(time_s=2.0, memory_mb=1024)
    )
    assert set(events) == set(trials.trial_ids)
    reasons = {
        "mylab_sys_exit": "tried to end the program (sys.exit(0))",
        "mylab_os_exit": "ended its process (exit code 0)",
        "mylab_segfault": "ended its process (signal SIGSEGV)",
        "mylab_hang": "did not finish within its time limit of 2 s",
        "mylab_memory": "MemoryError",
    }
    for trial_id, event in events.items():
        assert not event.error
        for name, reason in reasons.items():
            assert event.statuses[name] == "failed", (trial_id, name)
            assert reason in event.messages[name], (name, event.messages[name])
        assert event.statuses["mylab_after_crash"] == "skipped"
        assert "mylab_segfault" in event.messages["mylab_after_crash"]
        assert event.statuses["mylab_fine"] == "ok"
        stored = trials.load_results(trial_id)
        assert stored["mylab_fine"].metrics[0].value == 1.5
        assert stored["mylab_hang"].status == "failed"
        assert stored["mylab_hang"].provenance is not None


def test_gaitlab_run_reports_a_plugin_calling_exit(
    plugin_folder: Path, trials: gaitlab.Project, capsys: pytest.CaptureFixture
) -> None:
    """Item 2: ``sys.exit()`` in a plugin no longer makes ``gaitlab run`` exit 0."""
    hostile(plugin_folder, "mylab_os_exit", "os._exit(0)")
    refresh()
    code = main(
        [
            "run",
            str(trials.path),
            "--plugins",
            "mylab_os_exit",
            "--quiet",
            "--workers",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "mylab_os_exit failed: the plugin ended its process (exit code 0)" in out


def test_non_finite_values_are_not_stored_as_ok(
    plugin_folder: Path, trials: gaitlab.Project
) -> None:
    """Item 4: NaN and inf get a status that says so."""
    hostile(
        plugin_folder,
        "mylab_non_finite",
        """
        from gaitlab.api import Metric
        result = Result()
        result.metrics.append(Metric("m", float("nan")))
        result.metrics.append(Metric("m", float("inf")))
        result.metrics.append(Metric("m", 2.0))
        result.add_series("x", [[1.0, np.inf, 2.0]], rate_hz=100)
        return result
        """,
    )
    trial_id = trials.trial_ids[0]
    _trial_events(trials, plugins=["mylab_non_finite"], trial_ids=[trial_id], workers=1)
    stored = trials.load_results(trial_id)["mylab_non_finite"]
    statuses = [(m.status, m.message) for m in stored.metrics]
    assert statuses[0] == ("invalid", "the plugin returned nan, not a number")
    assert statuses[1] == ("invalid", "the plugin returned inf, not a number")
    assert statuses[2] == ("ok", "")
    assert np.isnan(stored.metrics[1].value)
    assert np.isnan(stored.series["x"].values[0, 1])
    assert "series 'x': 1 infinite values stored as NaN" in stored.message


@pytest.mark.skipif(
    landlock_abi() < 1, reason="needs Linux Landlock to forbid plugin file writes"
)
def test_a_plugin_cannot_write_project_files_or_outside_its_scratch_folder(
    plugin_folder: Path, trials: gaitlab.Project, tmp_path: Path
) -> None:
    """Item 5: results and trial files are out of a plugin's reach."""
    trial_id = trials.trial_ids[0]
    _trial_events(trials, plugins=["gait_events"], trial_ids=[trial_id], workers=1)
    results_file = trials.results_path(trial_id)
    trial_file = trials.path / "trials" / f"{trial_id}.h5"
    before = {
        p: _digest(p) for p in (results_file, trial_file, trials.path / "project.h5")
    }
    outside = tmp_path / "outside.txt"
    targets = [str(results_file), str(trial_file), str(outside)]
    hostile(
        plugin_folder,
        "mylab_vandal",
        f"""
        import tempfile
        refused = []
        for target in {targets!r}:
            try:
                with open(target, "w") as f:
                    f.write("overwritten")
            except PermissionError:
                refused.append(target)
        for target in {targets[:2]!r}:
            try:
                os.remove(target)
            except PermissionError:
                refused.append(target)
        with open(os.path.join(tempfile.gettempdir(), "scratch.txt"), "w") as f:
            f.write("allowed")
        held = []
        for n in os.listdir("/proc/self/fd"):
            try:
                held.append(os.readlink(f"/proc/self/fd/{{n}}"))
            except FileNotFoundError:  # the listing's own descriptor
                pass
        if any(h.startswith({str(trials.path.resolve())!r}) for h in held):
            raise RuntimeError(f"inherited descriptors into the project: {{held}}")
        if len(refused) != 5:
            raise RuntimeError(f"only refused {{refused}}")
        return Result()
        """,
    )
    events = _trial_events(
        trials, plugins=["mylab_vandal"], trial_ids=[trial_id], workers=1
    )
    assert events[trial_id].statuses == {"mylab_vandal": "partial"}, events[
        trial_id
    ].messages
    assert not outside.exists()
    assert _digest(trial_file) == before[trial_file]
    assert "mylab_vandal" in trials.load_results(trial_id)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")
def test_plugin_processes_die_with_a_killed_run(
    plugin_folder: Path, trials: gaitlab.Project
) -> None:
    """Item 11: after SIGKILL of ``gaitlab run`` no child goes on (or writes)."""
    hostile(
        plugin_folder,
        "mylab_linger",
        """
        os.write(1, f"child {os.getpid()}\\n".encode())  # one write: no interleaving
        while True:
            pass
        """,
    )
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gaitlab",
            "run",
            str(trials.path),
            "--quiet",
            "--plugins",
            "mylab_linger",
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GAITLAB_PLUGIN_PATH": str(plugin_folder)},
        text=True,
    )
    try:
        children = [int(run.stdout.readline().split()[1]) for _ in range(2)]
        handles = [os.pidfd_open(pid) for pid in children]
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
        run.stdout.close()
    for handle in handles:
        ready, _, _ = select.select([handle], [], [], 10.0)
        os.close(handle)
        assert ready, "a plugin process outlived the killed run"
    assert not list((trials.path / "results").glob("*.h5"))
    # the killed run's scratch folders go when gaitlab next starts a child
    left = list(Path(tempfile.gettempdir()).glob(f"gaitlab-plugin-{run.pid}-*"))
    assert len(left) == 2
    isolation._remove_orphaned_scratch.__wrapped__()
    assert not [folder for folder in left if folder.exists()]


def test_a_threaded_program_contains_plugins_too(
    plugin_folder: Path, trials: gaitlab.Project
) -> None:
    """Under the GUI (threads) children come from a fork server, not a fork."""
    hostile(plugin_folder, "mylab_os_exit", "os._exit(0)", metric="os_exit_m")
    hostile(
        plugin_folder,
        "mylab_fine",
        "result = Result()\nresult.add_metric('m', 1.5)\nreturn result",
    )
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert child_context().get_start_method() != "fork"
        events = _trial_events(
            trials, plugins=["mylab_os_exit", "mylab_fine"], workers=2
        )
    finally:
        stop.set()
        thread.join()
    for event in events.values():
        assert event.statuses == {"mylab_os_exit": "failed", "mylab_fine": "ok"}
        assert "exit code 0" in event.messages["mylab_os_exit"]


def test_a_child_cannot_make_gaitlab_run_code(
    plugin_folder: Path, trials: gaitlab.Project
) -> None:
    """Messages from a plugin process are unpickled with an allow-list of types."""
    hostile(
        plugin_folder,
        "mylab_forger",
        """
        import gc, pickle
        from multiprocessing.connection import Connection
        for obj in gc.get_objects():
            if isinstance(obj, Connection) and obj.writable:
                obj.send_bytes(pickle.dumps(("result", "mylab_forger", os.system)))
        return Result()
        """,
    )
    trial_id = trials.trial_ids[0]
    events = _trial_events(trials, plugins=["mylab_forger"], trial_ids=[trial_id])
    assert events[trial_id].statuses == {"mylab_forger": "failed"}
    assert (
        "posix.system, which is not accepted"
        in events[trial_id].messages["mylab_forger"]
    )


# ------------------------------------------------------- the zygote's children
#
# Run in fresh processes: a process with threads (this one, once Dask's
# tests have run) has its children forked by the fork server, not a zygote.


def _need_pidfd() -> None:
    if not isolation._has_pidfd():
        pytest.skip("no pidfd_open here: children are forked by the writer")


def _gaitlab_run(project: gaitlab.Project, plugin_folder: Path, plugin: str) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gaitlab",
            "run",
            str(project.path),
            "--quiet",
            "--plugins",
            plugin,
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GAITLAB_PLUGIN_PATH": str(plugin_folder)},
    )
    return done.stdout + done.stderr


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_batch_forks_its_children_from_a_zygote(
    plugin_folder: Path, trials: gaitlab.Project
) -> None:
    """``gaitlab run`` does not share its memory with running children: one
    zygote forks them, and a child holds no socket (not the zygote's pipe)."""
    _need_pidfd()
    hostile(
        plugin_folder,
        "mylab_family",
        """
        import stat
        folder = "/proc/self/fd"
        modes = []
        for fd in os.listdir(folder):
            try:
                modes.append(os.stat(os.path.join(folder, fd)).st_mode)
            except OSError:  # the descriptor listdir itself used
                pass
        with open(f"/proc/{os.getppid()}/stat") as stat_file:
            grandparent = int(stat_file.read().rsplit(")", 1)[1].split()[1])
        result = Result()
        result.add_metric("m", grandparent)
        result.note(f"parent {os.getppid()}, sockets {sum(map(stat.S_ISSOCK, modes))}")
        return result
        """,
    )
    output = _gaitlab_run(trials, plugin_folder, "mylab_family")
    notes = set()
    for trial_id in trials.trial_ids:
        result = trials.load_results(trial_id)["mylab_family"]
        assert result.status == "ok", output
        # the child's parent is not `gaitlab run` (a child of this process)
        assert result.metrics[0].value != os.getpid()
        notes.add(result.notes[0])
    assert len(notes) == 1  # one zygote forked both
    assert notes.pop().endswith("sockets 0")


def test_the_zygote_closes_its_descriptors_into_the_project(tmp_path: Path) -> None:
    """It must not keep the project's writer lock (a descriptor into the project)."""
    _need_pidfd()
    project = tmp_path / "p.gaitlab"
    project.mkdir()
    links = _python(
        f"""
        from pathlib import Path
        from gaitlab.pipeline.isolation import Zygote, Limits, Child
        from gaitlab.pipeline.runner import _preload
        project = Path({str(project)!r})
        with (project / "lock").open("w"), Zygote(protect=(project,)) as zygote:
            zygote.reap(0)  # answered once it is serving: its descriptors closed
            folder = Path(f"/proc/{{zygote._process.pid}}/fd")
            print([str(link.readlink()) for link in folder.iterdir()])
        """
    )
    assert "p.gaitlab" not in links
    assert "socket" in links  # it was looked at


def test_children_are_forked_here_once_the_zygote_is_gone() -> None:
    _need_pidfd()
    out = _python(
        """
        import os, signal, time
        from gaitlab.pipeline import isolation

        def _say_hello(connection):  # pickled by name: the zygote has it too
            isolation.send(connection, ("hello", os.getppid()))
            time.sleep(60)

        with isolation.Zygote() as zygote:
            child = isolation.Child(_say_hello, (), isolation.Limits(), zygote=zygote)
            print(child.receive() == ("hello", zygote._process.pid))
            child.kill()
            print(child.exit_reason())  # collected by the zygote
            os.kill(zygote._process.pid, signal.SIGKILL)
            zygote._process.join()
            child = isolation.Child(_say_hello, (), isolation.Limits(), zygote=zygote)
            print(child.receive() == ("hello", os.getpid()))
            child.kill()
            print(child.exit_reason())
            print(zygote.reap(12345))
        """
    )
    assert out.split("\n")[:5] == [
        "True",
        "signal SIGKILL",
        "True",
        "signal SIGKILL",
        "None",
    ]


def test_a_plugin_that_kills_the_zygote_fails_and_the_batch_goes_on(
    plugin_folder: Path, tmp_path: Path, demo_files: list[Path]
) -> None:
    """Where the sandbox cannot stop the signal, the zygote dies with the
    plugin; the trials left are then forked by the writer itself."""
    _need_pidfd()
    project = gaitlab.create_project(tmp_path / "p.gaitlab")
    running = [p for p in demo_files if "static" not in p.name][:4]
    list(project.import_files(running, subject="s01"))
    first = sorted(project.trial_ids)[0]
    hostile(
        plugin_folder,
        "mylab_parricide",
        f"""
        import signal
        if trial.id == {first!r}:
            os.kill(os.getppid(), signal.SIGKILL)
            time.sleep(5)
        result = Result()
        result.add_metric("m", 1.0)
        return result
        """,
    )
    output = _gaitlab_run(project, plugin_folder, "mylab_parricide")
    statuses = {
        t: project.load_results(t)["mylab_parricide"].status for t in project.trial_ids
    }
    assert statuses == {t: "failed" if t == first else "ok" for t in statuses}, output
