"""Reliability of the project store under faults (issue 18, items 7-16), at scale.

``python benchmarks/reliability_store.py [--flips N] [--kills K] [--seed S]``

Builds a project from the bundled demo trials (``data/*.c3d``: a static and
a running trial, edited events, stored results), then repeats each fault
family of the issue and prints counts:

flips
    N copies of the project, each with 1-4 random bytes of one file changed
    (trial, results, events or index file, in turn), loaded in a forked
    child with a time limit (20 s) and a memory limit (4 GB). Outcome:
    ``refused`` (a gaitlab error naming the file, or the file reported and
    treated as missing), ``same`` (the damage hit nothing that is read),
    ``DIFFERENT`` (loaded other data silently), ``crashed`` (other exception
    or signal), ``hung``, ``memory``.
shapes
    Every dataset of every file replaced by one declaring 10^9 rows of the
    same type (the file stays small): refused before allocating, or not.
index-json
    Hand-made and random schema violations of the index JSON (checksums made
    to match, as a crafter would): a clear gaitlab error, or a traceback.
ids
    Trial ids leading outside the project in a crafted index: refused or not.
kills
    K imports-and-writes killed with SIGKILL at a random moment: the project
    then opens and every trial and result loads.

Run it on older code for comparison with ``PYTHONPATH=/tmp/old-gaitlab``
(``git archive COMMIT | tar -x -C /tmp/old-gaitlab``): it uses only the
public store API.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import h5py
import numpy as np

import gaitlab
from gaitlab.core.errors import GaitlabError
from gaitlab.core.results import Metric, Result, Series
from gaitlab.core.trial import Event, Subject

DATA = Path(__file__).resolve().parents[1] / "data"
TIME_LIMIT_S = 20.0
MEMORY_LIMIT_B = 4 * 2**30
RUN = "demo_overground_run"


def build_template(folder: Path) -> Path:
    """The test project: static + running trial, edited events, results."""
    project = gaitlab.create_project(folder)
    files = [DATA / "demo_static.c3d", DATA / "demo_overground_run.c3d"]
    events = list(project.import_files(files, subject="s01", workers=1))
    assert [e.kind for e in events[1:-1]] == ["imported"] * 2, events
    project.set_events(RUN, [Event(0.5, "Foot Strike", "Right")])
    result = Result(
        series={"x": Series(np.linspace(0.0, 1.0, 500), 100.0, 0.0, "m")},
        metrics=[Metric("peak", 1.0, "m", "Right", 0, 0.25)],
    )
    project.write_results(RUN, {"demo": result})
    project.set_subject(Subject(id="s01", label="S01", mass_kg=70.0))
    return folder


# ------------------------------------------------------------ fingerprints


def _digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(np.ascontiguousarray(part).tobytes())
            h.update(str(part.shape).encode())
        else:
            h.update(repr(part).encode())
    return h.hexdigest()


def fingerprint(folder: Path, kind: str) -> tuple[str, list[str]]:
    """What the store gives for one kind of file; and the problems it noted."""
    project = gaitlab.open_project(folder)
    if kind == "index":
        value = _digest(
            [vars(r) if hasattr(r, "__dict__") else r for r in project.trials],
            sorted(project.subjects.items()),
            json.dumps(project.settings, sort_keys=True),
        )
    elif kind in ("trial", "events"):
        trial = project.load_trial(RUN)
        parts: list[Any] = [
            trial.markers.data,
            trial.markers.labels,
            trial.analogs.data,
            trial.analogs.labels,
            trial.events,
            trial.subject,
            json.dumps(trial.meta, sort_keys=True, default=str),
            trial.up_axis,
        ]
        for plate in trial.forceplates:
            parts += [plate.force, plate.moment, plate.cop, plate.corners]
        value = _digest(*parts)
    else:
        results = project.load_results(RUN)
        value = _digest(
            sorted(
                (name, r.status, r.series["x"].values.tolist(), r.metrics)
                for name, r in results.items()
            )
        )
    return value, list(getattr(project, "problems", []))


def probe(folder: Path, kind: str, expected: str) -> str:
    """Outcome of loading ``kind`` from ``folder`` in a limited forked child."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - child
        os.close(read_end)
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_B, MEMORY_LIMIT_B))
        try:
            value, problems = fingerprint(folder, kind)
            if problems and value != expected:
                outcome = "refused"  # reported, treated as missing
            else:
                outcome = "same" if value == expected else "DIFFERENT"
        except MemoryError:
            outcome = "memory"
        except GaitlabError:
            outcome = "refused"
        except BaseException as error:  # the count is the point
            outcome = f"crashed ({type(error).__name__})"
        os.write(write_end, outcome.encode())
        os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + TIME_LIMIT_S
    while True:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            os.close(read_end)
            return "hung"
        time.sleep(0.01)
    answer = os.read(read_end, 200).decode()
    os.close(read_end)
    if os.WIFSIGNALED(status):
        return f"crashed (signal {os.WTERMSIG(status)})"
    return answer or "crashed (no answer)"


# ------------------------------------------------------------------ families

FILES = {
    "trial": f"trials/{RUN}.h5",
    "results": f"results/{RUN}.h5",
    "events": f"events/{RUN}.h5",
    "index": "project.h5",
}


def family_flips(template: Path, work: Path, n: int, rng: random.Random) -> Counter:
    expected = {kind: fingerprint(template, kind)[0] for kind in FILES}
    counts: Counter = Counter()
    kinds = list(FILES)
    for i in range(n):
        kind = kinds[i % len(kinds)]
        folder = work / f"flip{i}"
        shutil.copytree(template, folder)
        path = folder / FILES[kind]
        data = bytearray(path.read_bytes())
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        counts[(kind, probe(folder, kind, expected[kind]))] += 1
        shutil.rmtree(folder)
    return counts


def _seal(f: h5py.File) -> None:
    """Make the checksums match (a crafter's step); a no-op on older code."""
    try:
        from gaitlab.store._integrity import seal
    except ImportError:
        return
    seal(f)


def family_shapes(template: Path, work: Path) -> Counter:
    counts: Counter = Counter()
    for kind, name in FILES.items():
        with h5py.File(template / name, "r") as f:
            datasets = _dataset_names(f)
        expected = fingerprint(template, kind)[0]
        for dataset in datasets:
            folder = work / "shape"
            shutil.copytree(template, folder)
            with h5py.File(folder / name, "r+") as f:
                old = f[dataset]
                dtype, shape = old.dtype, old.shape
                del f[dataset]
                f.create_dataset(dataset, shape=(10**9, *shape[1:]), dtype=dtype)
            counts[(kind, probe(folder, kind, expected))] += 1
            shutil.rmtree(folder)
    return counts


def _dataset_names(f: h5py.File) -> list[str]:
    names: list[str] = []
    f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    return names


def _index_json(folder: Path) -> dict[str, Any]:
    with h5py.File(folder / "project.h5", "r") as f:
        return {
            n: json.loads(f[n].asstr()[()]) for n in ("trials", "subjects", "settings")
        }


def _write_index_json(folder: Path, changes: dict[str, Any]) -> None:
    with h5py.File(folder / "project.h5", "r+") as f:
        for name, value in changes.items():
            del f[name]
            f[name] = value if isinstance(value, str) else json.dumps(value)
        _seal(f)


_NASTY = [None, 5, -1.0, float("inf"), "", "x", [], {}, [1], {"a": 1}, True, "../x"]


def index_probes(
    base: dict[str, Any], rng: random.Random, n: int
) -> list[tuple[str, dict[str, Any]]]:
    """Hand-made schema violations plus ``n`` random substitutions."""
    record = base["trials"][0]
    made: list[dict[str, Any]] = [
        {"trials": "{not json"},
        {"trials": {"a": 1}},
        {"trials": [1]},
        {"trials": [{"trial_id": "a"}]},
        {"trials": [{**record, "extra": 1}]},
        {"trials": [record, record]},
        {"subjects": "x"},
        {"subjects": [{"id": "s", "mass_kg": -1}]},
        {"subjects": [{"id": "s", "age": 3}]},
        {"settings": [1, 2]},
        {"settings": {"static_trials": {"a": "../b"}}},
        {"settings": "[" * 100_000 + "]" * 100_000},
    ]
    probes = [("hand-made", p) for p in made]
    for _ in range(n):
        name = rng.choice(["trials", "subjects", "settings"])
        value = json.loads(json.dumps(base[name]))
        if name == "settings":
            value[rng.choice(["static_trials", "pipeline", "markers"])] = rng.choice(
                _NASTY
            )
        elif name == "trials":
            target = rng.choice(value)
            target[rng.choice([*target, "new"])] = rng.choice(_NASTY)
        else:
            target = rng.choice(value)
            target[rng.choice([*target, "new"])] = rng.choice(_NASTY)
        probes.append(("random", {name: value}))
    return probes


def family_index_json(
    template: Path, work: Path, n: int, rng: random.Random
) -> Counter:
    counts: Counter = Counter()
    expected = fingerprint(template, "index")[0]
    for origin, changes in index_probes(_index_json(template), rng, n):
        folder = work / "json"
        shutil.copytree(template, folder)
        _write_index_json(folder, changes)
        outcome = probe(folder, "index", expected)
        accepted = outcome in ("same", "DIFFERENT")
        counts[(origin, "accepted" if accepted else outcome)] += 1
        shutil.rmtree(folder)
    return counts


def family_ids(template: Path, work: Path) -> Counter:
    counts: Counter = Counter()
    bad = ["../../x", "../x", "/tmp/x", "a/b", "..", ".", "a\\b", "x\0y", "", "Ab", "é"]
    bad.append("a" * 300)
    for trial_id in bad:
        folder = work / "ids" / "p"
        shutil.copytree(template, folder)
        trials = _index_json(folder)["trials"]
        trials[0]["trial_id"] = trial_id
        _write_index_json(folder, {"trials": trials})
        outcome = probe(folder, "index", "")
        counts["refused" if outcome == "refused" else f"accepted ({outcome})"] += 1
        shutil.rmtree(folder.parent)
    return counts


def family_kills(work: Path, n: int, rng: random.Random) -> Counter:
    counts: Counter = Counter()
    files = sorted(str(p) for p in DATA.glob("*.c3d"))
    for i in range(n):
        folder = work / f"kill{i}"
        gaitlab.create_project(folder)
        script = textwrap.dedent(f"""
            import numpy as np, gaitlab
            from gaitlab.core.results import Result, Series
            p = gaitlab.open_project({str(folder)!r})
            for e in p.import_files({files!r}, workers=1):
                print(e.kind, flush=True)
            for k in range(1000):
                for t in p.trial_ids:
                    p.write_results(t, {{"x": Result(series={{"v": Series(
                        np.full(20000, float(k)), 100.0)}})}})
        """)
        child = subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            child.wait(timeout=rng.uniform(0.5, 6.0))
            counts["finished before the kill"] += 1
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        try:
            project = gaitlab.open_project(folder)
            for trial_id in project.trial_ids:
                project.load_trial(trial_id)
                project.load_results(trial_id)
            project.set_subject(Subject(id="after"))  # the lock is free again
            counts["survived" if not project.problems else "survived, problems"] += 1
        except Exception as error:  # the count is the point
            counts[f"broken ({type(error).__name__})"] += 1
        shutil.rmtree(folder)
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flips", type=int, default=450)
    parser.add_argument("--json", type=int, default=60, help="random index probes")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    logging.disable(logging.WARNING)  # the store logs each damaged file it meets
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        template = build_template(work / "template")
        families = [
            ("flips", lambda: family_flips(template, work, args.flips, rng)),
            ("shapes", lambda: family_shapes(template, work)),
            ("index-json", lambda: family_index_json(template, work, args.json, rng)),
            ("ids", lambda: family_ids(template, work)),
            ("kills", lambda: family_kills(work, args.kills, rng)),
        ]
        for name, run in families:
            start = time.perf_counter()
            counts = run()
            elapsed = time.perf_counter() - start
            print(f"{name}: {sum(counts.values())} probes, {elapsed:.1f} s")
            for key, count in sorted(counts.items(), key=str):
                label = " ".join(key) if isinstance(key, tuple) else key
                print(f"  {label:40s} {count:5d}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
