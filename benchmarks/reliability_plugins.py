"""Hostile plugins at scale (issue 18): how many are contained.

``python benchmarks/reliability_plugins.py [--rounds R] [--kills K] [--time-limit S]``

Builds a project of the bundled demo running trials,
writes a family of hostile plugins (each fault of issue 18, items 1-5, plus
one plugin that needs a crashing one and one well-behaved plugin) and a
family of plugin modules that fail when imported, then:

1. discovery: every broken module must be reported, every good one found;
2. R runs on all trials with every plugin: each hostile plugin
   must fail (or be skipped) on every trial with a reason, the good plugin
   must succeed on every trial, the run must finish, and no stored result
   or trial file may change except by its own plugin;
3. a run killed with SIGKILL (repeated): no plugin process may outlive it.

Prints, per family, what was tried and how much was contained.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "data"

HEADER = """
import ctypes, os, sys, tempfile
import numpy as np
from gaitlab.api import Metric, MetricSpec, Result, SeriesSpec, plugin
"""

#: name -> (needs, body, expected status, text expected in the message)
RUN_FAMILY = {
    "h_source": (
        "markers",
        "r = Result(); r.add_series('x', np.ones((50, 3)), rate_hz=100)\n"
        "r.add_metric(M, 1.0); return r",
        "ok",
        "",
    ),
    "h_edit_upstream": (
        "result:h_source",
        "x = trial.result('h_source').series['x'].values\nx -= 1.0\nreturn Result()",
        "failed",
        "read-only",
    ),
    "h_edit_trial": (
        "markers",
        "trial.markers.data[...] = 0\nreturn Result()",
        "failed",
        "read-only",
    ),
    "h_sys_exit": ("markers", "sys.exit(0)", "failed", "sys.exit"),
    "h_os_exit": ("markers", "os._exit(0)", "failed", "exit code 0"),
    "h_segfault": ("markers", "ctypes.string_at(0)", "failed", "SIGSEGV"),
    "h_abort": ("markers", "os.abort()", "failed", "SIGABRT"),
    "h_hang": ("markers", "while True:\n    pass", "failed", "time limit"),
    "h_memory": (
        "markers",
        "np.ones(10 * 2**30 // 8)\nreturn Result()",
        "failed",
        "MemoryError",
    ),
    "h_kill_parent": (
        "markers",
        "import signal\nos.kill(os.getppid(), signal.SIGKILL)\nreturn Result()",
        "failed",
        "Operation not permitted",
    ),
    "h_write_project": (
        "markers",
        "open(PROJECT + '/project.h5', 'wb').write(b'x')\nreturn Result()",
        "failed",
        "PermissionError",
    ),
    "h_delete_results": (
        "markers",
        "import glob\nfor f in glob.glob(PROJECT + '/results/*.h5'):\n"
        "    os.remove(f)\nr = Result(); r.add_metric(M, 1.0); return r",
        "ok-or-failed",
        "",
    ),
    "h_write_outside": (
        "markers",
        "open(OUTSIDE, 'w').write('x')\nreturn Result()",
        "failed",
        "PermissionError",
    ),
    "h_nan": (
        "markers",
        "r = Result(); r.metrics.append(Metric(M, float('nan'))); return r",
        "ok",
        "",
    ),
    "h_after_segfault": (
        "result:h_segfault",
        "return Result()",
        "skipped",
        "h_segfault",
    ),
    "h_good": ("markers", "r = Result(); r.add_metric(M, 1.0); return r", "ok", ""),
}

IMPORT_FAMILY = {
    "i_exit.py": "import os\nos._exit(3)\n",
    "i_sys_exit.py": "import sys\nsys.exit(1)\n",
    "i_segfault.py": "import ctypes\nctypes.string_at(0)\n",
    "i_abort.py": "import os\nos.abort()\n",
    "i_hang.py": "while True:\n    pass\n",
    "i_raise.py": "raise RuntimeError('broken at import')\n",
    "i_syntax.py": "def f(:\n",
    "i_memory.py": "import numpy as np\nx = np.ones(10 * 2**30 // 8)\n",
}


def write_plugins(folder: Path, project: Path, outside: Path) -> None:
    for name, (needs, body, _, _) in RUN_FAMILY.items():
        source = HEADER + f"PROJECT = {str(project)!r}\nOUTSIDE = {str(outside)!r}\n"
        source += f"M = {name + '_m'!r}  # metric names are unique across plugins\n"
        source += textwrap.dedent(
            f"""
            @plugin(name={name!r}, version="1.0.0", needs=({needs!r},),
                    series=(SeriesSpec("x", "m", "x"),),
                    metrics=(MetricSpec(M, "m", "m", per_step=False),))
            def run(trial, ctx):
            """
        )
        source += textwrap.indent(body, "    ") + "\n"
        (folder / f"{name}.py").write_text(source)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=5, help="full runs of every plugin on every trial"
    )
    parser.add_argument("--time-limit", type=float, default=2.0)
    parser.add_argument("--kills", type=int, default=20)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the plugins' tracebacks are expected

    import gaitlab
    from gaitlab.pipeline import discovery
    from gaitlab.pipeline.isolation import Limits, landlock_abi
    from gaitlab.pipeline.runner import run_pipeline

    work = Path(tempfile.mkdtemp(prefix="gaitlab-reliability-"))
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")
    plugins = work / "plugins"
    plugins.mkdir()
    project_path = work / "p.gaitlab"
    outside = work / "outside.txt"
    write_plugins(plugins, project_path, outside)
    for name, source in IMPORT_FAMILY.items():
        (plugins / name).write_text(source)
    os.environ["GAITLAB_PLUGIN_PATH"] = str(plugins)
    print(f"Landlock ABI {landlock_abi()}, {os.cpu_count()} CPUs, work folder {work}")

    # 1. discovery
    discovery.IMPORT_TIME_LIMIT_S = args.time_limit
    start = time.perf_counter()
    report = discovery.refresh()
    first = time.perf_counter() - start
    start = time.perf_counter()
    discovery.refresh()
    cached = time.perf_counter() - start
    reported = {
        Path(f.source.split(":")[1].split("@")[0]).name for f in report.failures
    }
    found = set(RUN_FAMILY) & set(report.specs)
    print(
        f"import-time faults: {len(IMPORT_FAMILY)} modules tried, "
        f"{len(reported & set(IMPORT_FAMILY))} reported as failed, "
        f"{len(found)}/{len(RUN_FAMILY)} good modules found; "
        f"discovery {first:.1f} s, cached {cached * 1000:.0f} ms"
    )

    # 2. a run with every hostile plugin on every trial
    files = sorted(p for p in DEMO.glob("*.c3d") if "static" not in p.name)
    project = gaitlab.create_project(project_path)
    list(project.import_files(files, subject="s01"))
    trial_files = {p: digest(p) for p in (project_path / "trials").glob("*.h5")}
    start = time.perf_counter()
    events = [
        e
        for _ in range(args.rounds)
        for e in run_pipeline(
            project,
            plugins=list(RUN_FAMILY),
            workers=2,
            limits=Limits(time_s=args.time_limit, memory_mb=1024),
        )
        if e.kind == "trial"
    ]
    elapsed = time.perf_counter() - start
    contained = dict.fromkeys(RUN_FAMILY, 0)
    for event in events:
        for name, (_, _, expected, text) in RUN_FAMILY.items():
            status = event.statuses.get(name)
            message = event.messages.get(name, "")
            ok = (
                status in ("ok", "failed")
                if expected == "ok-or-failed"
                else status == expected and text in message
            )
            contained[name] += ok
    stored = [project.load_results(t) for t in project.trial_ids]
    intact_source = sum(
        float(r["h_source"].series["x"].values.min()) == 1.0 for r in stored
    )
    nan_invalid = sum(r["h_nan"].metrics[0].status == "invalid" for r in stored)
    unchanged = sum(digest(p) == d for p, d in trial_files.items())
    n = len(events)
    print(
        f"hostile plugins: {len(RUN_FAMILY)} plugins x {n} trial runs ({len(stored)} trials, {args.rounds} rounds) in {elapsed:.1f} s "
        f"(time limit {args.time_limit:g} s)"
    )
    for name, count in contained.items():
        print(f"  {name:<18} contained {count}/{n}")
    print(f"  upstream result intact on disk       {intact_source}/{len(stored)}")
    print(f"  NaN metric stored as invalid         {nan_invalid}/{len(stored)}")
    print(f"  trial files unchanged                {unchanged}/{len(trial_files)}")
    print(f"  file written outside the project     {outside.exists()}")

    # 3. SIGKILL of gaitlab run
    survivors = 0
    for _ in range(args.kills):
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gaitlab",
                "run",
                str(project_path),
                "--quiet",
                "--plugins",
                "h_hang",
                "--workers",
                "2",
                "--plugin-time-limit",
                "600",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        children: list[int] = []
        deadline = time.monotonic() + 30
        while len(children) < 2 and time.monotonic() < deadline:
            children = (
                [
                    int(p)
                    for p in Path(f"/proc/{run.pid}/task/{run.pid}/children")
                    .read_text()
                    .split()
                ]
                if Path(f"/proc/{run.pid}").exists()
                else []
            )
            time.sleep(0.05)
        handles = [os.pidfd_open(pid) for pid in children]
        run.send_signal(signal.SIGKILL)
        run.wait()
        for handle in handles:
            ready, _, _ = select.select([handle], [], [], 10.0)
            survivors += not ready
            os.close(handle)
    print(
        f"kills: {args.kills} SIGKILLs of gaitlab run, {survivors} plugin processes survived"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
