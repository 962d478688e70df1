"""Benchmarks: ``python benchmarks/run.py [import] [pipeline] [store] [dask]`` (default: all).

import (issue 2)
    1. Importing a folder of C3D files into a new project (isolated parallel
       readers, force plates, HDF5 writes, index) against reading the same
       files with bare ``ezc3d.c3d(path)`` in a plain loop. Target: <= 1.0
       (issue 13; it was <= 1.5 in issue 2).
    2. Opening a trial from a project against parsing its C3D file with ezc3d
       (30 s treadmill trial). Target: >= 10x faster.
pipeline (issue 3)
    3. The full default pipeline on RBDS001runT25.c3d (30 s, 77 steps) from a
       project: load the trial and its static trial, run every built-in
       plugin, store the results. Target: <= 3x the bare ezc3d parse of the
       same file.
    4. A batch over a project of running trials with 1 and 2 worker
       processes, in interleaved rounds after a warm-up: the speed-up shows
       whether both cores are used. Target (issue 13): >= 1.7 on 2 cores.
store (issue 13)
    5. Store size: the trial files of a project against the C3D files they
       came from, on the shared set (every file ezc3d reads) and on the demo
       trials. Target: <= 1.0.
    6. Fixed cost of opening a small trial (demo_static.c3d, 1 s) from a
       project with ``project.load_trial``. Target: < 2 ms.
    7. Writing a trial file (RBDS001runT25.c3d and demo_static.c3d, already
       parsed): encoding, compression, checksums, fsync.
dask (issue 13)
    8. The batch of 4. on a Dask LocalCluster of 2 single-threaded workers
       against the local batch with 2 worker processes (the cluster's start
       timed apart), the results compared number for number; the largest
       memory a trial's analysis took on a worker (peak RSS of its contained
       child) and the bytes each trial reads, for docs/cluster.md.

Everything is measured in the same run, as the median of several repeats,
and printed with its ratio. Needs ../shared/data (or GAITLAB_SHARED_DATA).
"""

from __future__ import annotations

import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ezc3d

import gaitlab
from gaitlab.core.packed import checked_packed
from gaitlab.io.c3d import read_c3d
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import analyse_trial, project_pipeline, run_pipeline
from gaitlab.store._trialfile import write_trial_file

SHARED = Path(
    os.environ.get(
        "GAITLAB_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
FUKUCHI = SHARED / "pfjrf-methods/data/RBDS001"
TREADMILL = FUKUCHI / "RBDS001runT25.c3d"
DEMO = Path(__file__).resolve().parents[1] / "data"
REPEATS = 5
BATCH_REPEATS = 9


def ezc3d_readable(files: list[Path]) -> list[Path]:
    """Files bare ezc3d reads (it refuses SGI files; it hangs on one broken file)."""
    readable = []
    for path in files:
        if path.name == "bad_parameter_section.c3d":
            continue
        try:
            ezc3d.c3d(str(path))
        except Exception:
            continue
        readable.append(path)
    return readable


def time_ezc3d_loop(files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        ezc3d.c3d(str(path))
    return time.perf_counter() - start


def time_import(files: list[Path], workdir: Path) -> float:
    folder = workdir / "bench.gaitlab"
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    project = gaitlab.create_project(folder)
    events = list(project.import_files(files))
    elapsed = time.perf_counter() - start
    refused = [e for e in events if e.kind == "refused"]
    assert not refused, refused
    return elapsed


def median_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_import(workdir: Path) -> None:
    files = ezc3d_readable(
        sorted(p for p in SHARED.rglob("*") if p.suffix.lower() == ".c3d")
    )
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    loop = [time_ezc3d_loop(files) for _ in range(REPEATS)]
    imports = [time_import(files, workdir) for _ in range(REPEATS)]
    base, ours = statistics.median(loop), statistics.median(imports)
    print(
        f"import: {len(files)} files, {size_mb:.1f} MB, {os.cpu_count()} CPUs, median of {REPEATS}"
    )
    print(f"  bare ezc3d loop          {base * 1000:8.1f} ms")
    print(f"  gaitlab import (project) {ours * 1000:8.1f} ms")
    print(f"  ratio import / ezc3d     {ours / base:8.2f}   (target <= 1.0)")

    project = gaitlab.create_project(workdir / "open.gaitlab")
    list(project.import_files([TREADMILL]))
    trial_id = project.trial_ids[0]
    p = median_time(lambda: ezc3d.c3d(str(TREADMILL)), REPEATS * 2)
    q = median_time(lambda: project.load_trial(trial_id), REPEATS * 2)
    print(f"open trial: {TREADMILL.name} (30 s, 150/300 Hz), median of {REPEATS * 2}")
    print(f"  ezc3d parse              {p * 1000:8.1f} ms")
    print(f"  project.load_trial       {q * 1000:8.1f} ms")
    print(f"  speed-up                 {p / q:8.1f}x  (target >= 10x)")


def store_ratio(files: list[Path], folder: Path) -> tuple[float, float]:
    """Bytes of the trial files of a new project of ``files``, and the ratio to the C3D files."""
    project = gaitlab.create_project(folder)
    refused = [e for e in project.import_files(files) if e.kind == "refused"]
    assert not refused, refused
    stored = sum(p.stat().st_size for p in (folder / "trials").glob("*.h5"))
    return stored, stored / sum(p.stat().st_size for p in files)


def bench_store(workdir: Path) -> None:
    shared = ezc3d_readable(
        sorted(p for p in SHARED.rglob("*") if p.suffix.lower() == ".c3d")
    )
    demo = sorted(DEMO.glob("*.c3d"))
    print("store: trial files / C3D files (target <= 1.0)")
    for name, files in (("shared set", shared), ("demo trials", demo)):
        stored, ratio = store_ratio(files, workdir / f"size-{name[:4]}.gaitlab")
        print(
            f"  {name:<12} {len(files):3d} files  {stored / 1e6:7.2f} MB  ratio {ratio:5.2f}"
        )
    project = gaitlab.create_project(workdir / "small.gaitlab")
    list(project.import_files([DEMO / "demo_static.c3d"]))
    trial_id = project.trial_ids[0]
    repeats = REPEATS * 20
    small = median_time(lambda: project.load_trial(trial_id), repeats)
    print(f"small trial: demo_static.c3d, median of {repeats}")
    print(f"  project.load_trial       {small * 1000:8.2f} ms  (target < 2 ms)")
    print(f"write trial file: median of {REPEATS * 2}")
    for c3d in (TREADMILL, DEMO / "demo_static.c3d"):
        trial = read_c3d(c3d)
        target = workdir / f"{c3d.stem}.h5"
        write = median_time(
            lambda t=trial, p=target: write_trial_file(p, t, {"trial_id": "t"}),
            REPEATS * 2,
        )
        print(f"  {c3d.name:<24} {write * 1000:8.2f} ms")


def bench_pipeline(workdir: Path) -> None:
    project = gaitlab.create_project(workdir / "pipeline.gaitlab")
    list(
        project.import_files(
            [TREADMILL, FUKUCHI / "RBDS001static.c3d"], subject="rbds001"
        )
    )
    trial_id = next(t for t in project.trial_ids if not project.is_static(t))
    report = discover()
    plan = project_pipeline(project, report).plan(report)
    analyse_trial(project, trial_id, plan)  # warm caches (imports, discovery)
    repeats = REPEATS * 2
    parse = median_time(lambda: ezc3d.c3d(str(TREADMILL)), repeats)
    full = median_time(lambda: analyse_trial(project, trial_id, plan), repeats)
    results = project.load_results(trial_id)
    n_steps = len(results["gait_events"].metric_values("contact_clean"))
    print(
        f"pipeline: {TREADMILL.name} (30 s, {n_steps} steps), {len(plan.specs)} plugins, "
        f"median of {repeats}"
    )
    print(f"  ezc3d parse              {parse * 1000:8.1f} ms")
    print(f"  full default pipeline    {full * 1000:8.1f} ms  (load, analyse, store)")
    print(f"  ratio pipeline / ezc3d   {full / parse:8.2f}   (target <= 3)")
    for name, result in results.items():
        print(
            f"    {name:<18} {result.provenance.duration_s * 1000:7.2f} ms  {result.status}"
        )
    sent = [pickle.dumps(r) for r in project.load_packed_results(trial_id)[1].values()]
    n_metrics = sum(len(r.metrics) for r in results.values())

    def check_and_store() -> None:  # what the writer does with a trial's results
        received = [checked_packed(pickle.loads(message)) for message in sent]
        project.write_results(
            trial_id, {r.entry["provenance"]["plugin"]: r for r in received}
        )

    with project._writer_lock():
        store = median_time(check_and_store, repeats)
    print(
        f"  check and store results  {store * 1000:8.1f} ms  ({n_metrics} metric values "
        "as sent by the analysis process; the writer's part of a trial)"
    )

    batch_project = gaitlab.create_project(workdir / "batch.gaitlab")
    list(batch_project.import_files(batch_files(), subject="batch"))
    n_trials = len(batch_project.trial_ids)
    timings: dict[int, list[float]] = {1: [], 2: []}
    for repeat in range(BATCH_REPEATS + 1):  # the first round warms the caches
        for workers in (1, 2):
            start = time.perf_counter()
            list(run_pipeline(batch_project, workers=workers))
            if repeat:
                timings[workers].append(time.perf_counter() - start)
    one, two = (statistics.median(timings[w]) for w in (1, 2))
    ratios = sorted(a / b for a, b in zip(timings[1], timings[2], strict=True))
    print(
        f"batch: {n_trials} trials, whole default pipeline, median of "
        f"{BATCH_REPEATS} interleaved rounds after a warm-up round"
    )
    print(f"  1 worker                 {one * 1000:8.1f} ms")
    print(f"  2 workers                {two * 1000:8.1f} ms")
    print(
        f"  speed-up                 {one / two:8.2f}x  (rounds {ratios[0]:.2f}-"
        f"{ratios[-1]:.2f}; {os.cpu_count()} CPUs; target >= 1.7)"
    )


def batch_files() -> list[Path]:
    """The trials of the batch benchmarks: real running and walking, the demo."""
    return [
        FUKUCHI / "RBDS001runT25.c3d",
        FUKUCHI / "RBDS001runT45.c3d",
        SHARED / "opensim-core/walking2.c3d",
        SHARED
        / "pyc3dserver_examples/Samples_C3D/Sample00/Codamotion/codamotion_gaitwands_20150204.c3d",
        *sorted(DEMO.glob("*.c3d")),
    ]


ANALYSIS_PEAK = """
import resource, sys
import gaitlab
from gaitlab.pipeline.runner import run_pipeline
list(run_pipeline(gaitlab.open_project(sys.argv[1]), workers=1))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""
"""Analyses a project's trials one by one in forked children; prints the
largest peak RSS of a child (one trial's analysis), MiB."""


def _metric_values(project: gaitlab.Project) -> list[tuple]:
    return [
        (t, name, m.name, m.side, m.step, m.value)
        for t in sorted(project.trial_ids)
        for name, result in sorted(project.load_results(t).items())
        for m in result.metrics
    ]


def bench_dask(workdir: Path) -> None:
    import numpy as np

    from gaitlab.pipeline.distributed import dask_client, on_cluster

    batch = batch_files()
    projects = {}
    for name in ("local", "dask"):
        projects[name] = gaitlab.create_project(workdir / f"{name}.gaitlab")
        list(projects[name].import_files(batch, subject="batch"))
    start = time.perf_counter()
    events = [
        e for e in run_pipeline(projects["local"], workers=2) if e.kind == "trial"
    ]
    local = time.perf_counter() - start
    start = time.perf_counter()
    with dask_client(cluster="local:2") as client:
        started = time.perf_counter() - start
        start = time.perf_counter()
        list(run_pipeline(projects["dask"], driver=on_cluster(client)))
        remote = time.perf_counter() - start
        worker_rss = client.run(
            lambda: __import__("psutil").Process().memory_info().rss
        )
    peak = subprocess.run(
        [sys.executable, "-c", ANALYSIS_PEAK, str(projects["local"].path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    a, b = _metric_values(projects["local"]), _metric_values(projects["dask"])
    same = len(a) == len(b) and all(
        x[:5] == y[:5] and (x[5] == y[5] or (np.isnan(x[5]) and np.isnan(y[5])))
        for x, y in zip(a, b, strict=True)
    )
    trials = [p.stat().st_size for p in (workdir / "dask.gaitlab/trials").rglob("*.h5")]
    results = [p.stat().st_size for p in (workdir / "dask.gaitlab/results").rglob("*")]
    print(f"dask: {len(events)} trials, whole default pipeline, 2 CPUs")
    print(f"  local batch, 2 workers   {local * 1000:8.1f} ms")
    print(
        f"  LocalCluster, 2 workers  {remote * 1000:8.1f} ms  (ratio {remote / local:.2f})"
    )
    print(f"  cluster start            {started * 1000:8.1f} ms  (once per run)")
    print(f"  results identical        {same}  ({len(a)} metric values)")
    print(
        f"  memory: a trial's analysis child peaks at {float(peak):.0f} MiB (largest "
        f"of the batch); a worker process holds {max(worker_rss.values()) / 2**20:.0f} MiB"
    )
    print(
        f"  I/O per trial: reads {sum(trials) / len(trials) / 2**20:.2f} MiB "
        f"(largest {max(trials) / 2**20:.2f} MiB), the client writes "
        f"{sum(results) / len(trials) / 2**20:.2f} MiB of results"
    )


def main(argv: list[str]) -> int:
    if not SHARED.is_dir():
        print(f"shared data not found at {SHARED}", file=sys.stderr)
        return 2
    chosen = argv or ["import", "pipeline", "store", "dask"]
    benches = {
        "import": bench_import,
        "pipeline": bench_pipeline,
        "store": bench_store,
        "dask": bench_dask,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            benches[name](Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
