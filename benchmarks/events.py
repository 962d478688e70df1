"""Benchmark: gait events against the events other labs stored in their files.

``.venv/bin/python benchmarks/events.py`` (issue 9)

Every C3D file under ../shared/data (or GAITLAB_SHARED_DATA) whose EVENT
group holds Foot Strike / Foot Off events (Vicon's labels, or Motion
Analysis's ``LHS``/``RHS``/``LTO``/``RTO`` contexts) is imported into a fresh
project and run with the default pipeline. Each stored event is matched to
the detected event of the same side and kind nearest in time, within
100 ms; unmatched events count as not found.

A stored event whose contact runs past the labelled part of the recording
is not counted: a Foot Strike that is the last stored event of its side (its
toe-off was never labelled) or a Foot Off that is the first (its strike was
not). Errors are detected − stored, in ms.

Printed per file and pooled: found %, bias (mean error), MAE, p95 |error|,
split by the source of the detected event (plate, markers, markers corrected,
edited) and by the trial's gait (walking/running, from the gait_events
plugin). For the events the plates timed, each file's own convention is
reported as well (:func:`stored_convention`): stored events on the marker
frame grid, or at a force level of their own (Vicon's 20 N), and our plate
bias under that convention, which separates timing errors from conventions.
Targets: >= 95 % found; plate bias within ±3 ms; MAE <= 12 ms over
all events; p95 <= 35 ms.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import gaitlab
from gaitlab.api import TrialView, contacts_from_events
from gaitlab.io.c3d import read_c3d
from gaitlab.pipeline.runner import run_pipeline

SHARED = Path(
    os.environ.get(
        "GAITLAB_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
MATCH_S = 0.100
FOOT_STRIKE, FOOT_OFF = "Foot Strike", "Foot Off"
CONTEXT_KINDS = {"HS": FOOT_STRIKE, "FS": FOOT_STRIKE, "TO": FOOT_OFF, "FO": FOOT_OFF}
"""Event kinds written into EVENT:CONTEXTS (``LHS``, ``RTO`` ...) by Motion Analysis."""
SOURCES = {1: "plate", 2: "markers", 3: "edited", 4: "markers corrected"}
SKIP = {"bad_parameter_section.c3d"}  # crashes ezc3d's process (data README)


@dataclass(frozen=True)
class Stored:
    """One event stored in the file: time (s), kind and side."""

    time_s: float
    kind: str
    side: str


@dataclass
class Match:
    """A stored event and the error (s) of the detected one, NaN if none."""

    stored: Stored
    error_s: float
    source: str
    gait: str
    file: str


def stored_events(path: Path) -> list[Stored]:
    """Foot Strike / Foot Off events of a C3D file with a side, in time order.

    Read from the EVENT group as stored (the trial keeps its events sorted by
    time, so the kinds held in EVENT:CONTEXTS are paired here by index).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trial = read_c3d(path)
    parameters = trial.meta.get("c3d_parameters") or "{}"
    if isinstance(parameters, str):
        parameters = json.loads(parameters)
    group = parameters.get("EVENT", {})
    used = int(np.ravel(group.get("USED", [0]))[0]) if group.get("USED") else 0
    times = np.asarray(group.get("TIMES", []), dtype=float)
    if used <= 0 or times.size < 2 * used:
        return []
    times = times.reshape(2, -1)[:, :used] if times.ndim == 2 else times
    seconds = (
        times[0] * 60.0 + times[1]
        if times.ndim == 2
        else times.reshape(-1, 2)[:used] @ [60.0, 1.0]
    )
    labels = list(group.get("LABELS", [])) + [""] * used
    contexts = list(group.get("CONTEXTS", [])) + [""] * used
    events = []
    for time_s, label, context in zip(
        seconds, labels[:used], contexts[:used], strict=True
    ):
        code = str(context).strip().upper()
        side = {"L": "Left", "R": "Right"}.get(code[:1], "")
        kind = (
            str(label).strip() if str(label).strip() in (FOOT_STRIKE, FOOT_OFF) else ""
        )
        if not kind and len(code) == 3:
            kind = CONTEXT_KINDS.get(code[1:], "")
        if kind and side:
            events.append(Stored(float(time_s), kind, side))
    return sorted(events, key=lambda e: e.time_s)


def counted(events: list[Stored]) -> list[Stored]:
    """Events whose contact lies within the labelled recording (see module doc)."""
    kept = []
    for side in ("Left", "Right"):
        own = [e for e in events if e.side == side]
        for i, event in enumerate(own):
            if event.kind == FOOT_STRIKE and i == len(own) - 1:
                continue
            if event.kind == FOOT_OFF and i == 0:
                continue
            kept.append(event)
    return sorted(kept, key=lambda e: e.time_s)


def detected_events(result) -> list[tuple[float, str, str, str]]:
    """(time s, kind, side, source) of every event the gait_events plugin gave."""
    source_of = {
        m.time_s: SOURCES.get(round(m.value), "?")
        for m in result.metrics
        if m.name == "event_source" and m.time_s is not None
    }
    contacts = contacts_from_events(result.events)
    off_source = {c.to_s: source_of.get(c.ic_s, "?") for c in contacts}
    to_source = {
        m.time_s: SOURCES.get(round(m.value), "?")
        for m in result.metrics
        if m.name == "toe_off_source" and m.time_s is not None
    }
    unpaired = next(
        (
            SOURCES.get(round(m.value), "?")
            for m in result.metrics
            if m.name == "unpaired_strike_source"
        ),
        "?",
    )
    found = []
    for event in result.events:
        if event.label == FOOT_STRIKE:
            source = source_of.get(event.time_s, f"{unpaired}, no toe-off")
        elif event.label == FOOT_OFF:
            source = to_source.get(event.time_s) or off_source.get(event.time_s, "?")
        else:
            continue
        found.append((event.time_s, event.label, event.context, source))
    return found


def match_file(path: Path, workdir: Path) -> list[Match]:
    """Import one file, run the default pipeline and match its stored events."""
    stored = counted(stored_events(path))
    project = gaitlab.create_project(workdir / f"{path.stem}.gaitlab")
    imported = list(project.import_files([path], subject=path.stem.lower()))
    refused = [e for e in imported if e.kind == "refused"]
    if refused:
        raise RuntimeError(f"{path}: import refused: {refused[0]}")
    trial_id = project.trial_ids[0]
    list(run_pipeline(project, workers=1))
    results = project.load_results(trial_id)
    result = results.get("gait_events")
    label = str(path.relative_to(SHARED))
    if result is None or result.status != "ok":
        message = result.message if result is not None else "not run"
        print(f"  {label}: gait_events {message}")
        return [Match(e, np.nan, "none", "?", label) for e in stored]
    gait_values = result.metric_values("gait_running")
    gait = (
        "?"
        if gait_values.size == 0 or not np.isfinite(gait_values[0])
        else ("running" if gait_values[0] >= 0.5 else "walking")
    )
    detected = detected_events(result)
    matches = []
    for event in stored:
        candidates = [
            (t - event.time_s, source)
            for t, kind, side, source in detected
            if kind == event.kind and side == event.side
        ]
        best = min(candidates, key=lambda c: abs(c[0]), default=None)
        if best is None or abs(best[0]) > MATCH_S:
            matches.append(Match(event, np.nan, "not found", gait, label))
        else:
            matches.append(Match(event, best[0], best[1], gait, label))
    return matches


def stored_convention(path: Path, matches: list[Match]) -> str | None:
    """How the file's stored plate events were timed, and our plate bias under it.

    Two conventions are seen in the stored events: times on the marker frame
    grid (events rounded to a video frame: our sub-sample events are then
    compared after rounding up to the next frame, as such files do), and
    sub-frame times at a force level of their own (Vicon's 20 N and the
    like: the level is read off the force at the stored times, and our
    events are re-timed at that level). Returns None without plate matches.
    """
    plate = [m for m in matches if m.source == "plate" and np.isfinite(m.error_s)]
    if not plate:
        return None
    trial = read_c3d(path)
    rate = trial.markers.rate_hz
    frames = np.array([m.stored.time_s for m in plate]) * rate
    if np.all(np.abs(frames - np.round(frames)) < 1e-3):
        ours = frames + np.array([m.error_s for m in plate]) * rate
        errors = (np.ceil(ours - 1e-6) - np.round(frames)) / rate * 1000.0
        return (
            f"stored plate events on the {rate:g} Hz frame grid; ours rounded up to "
            f"the next frame: bias {errors.mean():+.1f} ms, "
            f"{int(np.sum(errors == 0))}/{len(errors)} on the same frame"
        )
    view = TrialView(trial)
    forces = []
    for fp in trial.forceplates:
        vertical = fp.force @ view.up
        vertical = vertical - np.median(
            vertical[vertical < np.percentile(vertical, 20)]
        )
        forces.append((fp, vertical))

    def level_at(time_s: float, kind: str) -> tuple[float, object, np.ndarray]:
        """Force at the stored time on the plate the foot lands on (or leaves)."""

        def at(fp, vertical, t):
            i = (t - fp.t0_s) * fp.rate_hz
            return float(np.interp(i, np.arange(len(vertical)), vertical))

        sign = 1.0 if kind == FOOT_STRIKE else -1.0
        fp, vertical = max(
            forces, key=lambda f: sign * (at(*f, time_s + 0.03) - at(*f, time_s - 0.03))
        )
        return at(fp, vertical, time_s), fp, vertical

    levels = [level_at(m.stored.time_s, m.stored.kind)[0] for m in plate]
    level = float(np.median(levels))
    errors = []
    for m in plate:
        _, fp, vertical = level_at(m.stored.time_s, m.stored.kind)
        ours = m.stored.time_s + m.error_s
        centre = int((ours - fp.t0_s) * fp.rate_hz)
        window = np.arange(max(centre - 100, 1), min(centre + 100, len(vertical)))
        above = vertical[window] >= level
        rising = m.stored.kind == FOOT_STRIKE
        step = np.flatnonzero(
            above[1:] & ~above[:-1] if rising else ~above[1:] & above[:-1]
        )
        if step.size == 0:
            continue
        k = window[step[np.argmin(np.abs(window[step] - centre))]]
        a, b = vertical[k], vertical[k + 1]
        crossing = fp.t0_s + (k + (level - a) / (b - a)) / fp.rate_hz
        errors.append((crossing - m.stored.time_s) * 1000.0)
    return (
        f"stored plate events timed at {level:.0f} N (median force at the stored "
        f"times; ours at {np.round(levels, 0).tolist()} N each); ours re-timed at "
        f"that level: bias {np.mean(errors):+.1f} ms, MAE {np.mean(np.abs(errors)):.1f} ms "
        f"(n={len(errors)})"
    )


def summary(matches: list[Match]) -> str:
    """found %, bias, MAE and p95 |error| (ms) of a group of matches."""
    if not matches:
        return "no events"
    errors = np.array([m.error_s for m in matches], dtype=float) * 1000.0
    found = np.isfinite(errors)
    line = f"n={len(matches):3d}  found {100.0 * found.mean():5.1f} %"
    if found.any():
        e = errors[found]
        line += (
            f"  bias {e.mean():+6.1f} ms  MAE {np.abs(e).mean():5.1f} ms  "
            f"p95 {np.percentile(np.abs(e), 95):5.1f} ms"
        )
    return line


def print_groups(title: str, matches: list[Match]) -> None:
    print(f"{title}: {summary(matches)}")
    found = [m for m in matches if np.isfinite(m.error_s)]
    for key, name in (("source", "source"), ("gait", "gait")):
        for value in sorted({getattr(m, key) for m in found}):
            group = [m for m in found if getattr(m, key) == value]
            print(f"    {name} {value:<18} {summary(group)}")
    for kind in (FOOT_STRIKE, FOOT_OFF):
        group = [m for m in matches if m.stored.kind == kind]
        print(f"    kind {kind:<20} {summary(group)}")


def main() -> int:
    if not SHARED.is_dir():
        print(f"no recordings at {SHARED} (set GAITLAB_SHARED_DATA)")
        return 1
    files = []
    for path in sorted(p for p in SHARED.rglob("*") if p.suffix.lower() == ".c3d"):
        if path.name in SKIP:
            continue
        try:
            events = stored_events(path)
        except Exception:  # unreadable files hold no events to benchmark
            continue
        if events:
            files.append(path)
    print(f"event benchmark: {len(files)} files with stored Foot Strike / Foot Off")
    pooled: list[Match] = []
    with tempfile.TemporaryDirectory() as folder:
        for path in files:
            matches = match_file(path, Path(folder))
            print_groups(str(path.relative_to(SHARED)), matches)
            convention = stored_convention(path, matches)
            if convention:
                print(f"    plate convention: {convention}")
            pooled += matches
    print_groups("POOLED", pooled)
    missing = [m for m in pooled if not np.isfinite(m.error_s)]
    for m in missing:
        print(
            f"  not found: {m.file} {m.stored.side} {m.stored.kind} at "
            f"{m.stored.time_s:.3f} s"
        )
    print("targets: found >= 95 %; plate bias within ±3 ms; MAE <= 12 ms; p95 <= 35 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
