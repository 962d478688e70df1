"""Import benchmarks (issue 2): run with ``python benchmarks/run.py``.

1. Importing a folder of C3D files into a new project (isolated parallel
   readers, force plates, HDF5 writes, index) against reading the same files
   with bare ``ezc3d.c3d(path)`` in a plain loop. Target: ratio <= 1.5.
2. Opening a trial from a project against parsing its C3D file with ezc3d
   (30 s treadmill trial). Target: >= 10x faster.

Both are measured in the same run, as the median of several repeats, and
printed with their ratio. Needs ../shared/data (or GAITLAB_SHARED_DATA).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import ezc3d

import gaitlab

SHARED = Path(
    os.environ.get(
        "GAITLAB_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
TREADMILL = SHARED / "pfjrf-methods/data/RBDS001/RBDS001runT25.c3d"
REPEATS = 5


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


def main() -> int:
    if not SHARED.is_dir():
        print(f"shared data not found at {SHARED}", file=sys.stderr)
        return 2
    files = ezc3d_readable(
        sorted(p for p in SHARED.rglob("*") if p.suffix.lower() == ".c3d")
    )
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        loop = [time_ezc3d_loop(files) for _ in range(REPEATS)]
        imports = [time_import(files, workdir) for _ in range(REPEATS)]
        base, ours = statistics.median(loop), statistics.median(imports)
        print(
            f"import: {len(files)} files, {size_mb:.1f} MB, {os.cpu_count()} CPUs, median of {REPEATS}"
        )
        print(f"  bare ezc3d loop          {base * 1000:8.1f} ms")
        print(f"  gaitlab import (project) {ours * 1000:8.1f} ms")
        print(f"  ratio import / ezc3d     {ours / base:8.2f}   (target <= 1.5)")

        project = gaitlab.create_project(workdir / "open.gaitlab")
        list(project.import_files([TREADMILL]))
        trial_id = project.trial_ids[0]
        parse, load = [], []
        for _ in range(REPEATS * 2):
            start = time.perf_counter()
            ezc3d.c3d(str(TREADMILL))
            parse.append(time.perf_counter() - start)
            start = time.perf_counter()
            project.load_trial(trial_id)
            load.append(time.perf_counter() - start)
        p, q = statistics.median(parse), statistics.median(load)
        print(
            f"open trial: {TREADMILL.name} (30 s, 150/300 Hz), median of {REPEATS * 2}"
        )
        print(f"  ezc3d parse              {p * 1000:8.1f} ms")
        print(f"  project.load_trial       {q * 1000:8.1f} ms")
        print(f"  speed-up                 {p / q:8.1f}x  (target >= 10x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
