"""``gaitlab inspect FILE``: what a researcher checks first in a capture (C3D, or any readable format)."""

from __future__ import annotations

import argparse
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.core.trial import Trial
from gaitlab.io.readers import read_trial

GRAVITY = 9.81


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "inspect",
        help="describe a capture file (C3D ...): rates, markers, channels, plates, "
        "events, problems",
    )
    parser.add_argument("file", type=Path, help="C3D file (or another readable format)")
    parser.add_argument(
        "--all-labels", action="store_true", help="list every marker and channel"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read the file in an isolated worker and print its description."""
    trial = read_trial(args.file)
    print(describe_trial(trial, all_labels=args.all_labels))
    return 0


def describe_trial(trial: Trial, *, all_labels: bool = False) -> str:
    """A plain-text description of a trial, with units on every number.

    Text taken from the file (labels, names, paths, notes) is shown with
    control and formatting characters escaped (``\\x1b``), so a file cannot
    send escape sequences to the terminal or hide part of a line.
    """
    lines = [f"file        {trial.source.path}"]
    maker = trial.meta.get("manufacturer", {})
    vendor = " ".join(
        v
        for v in (
            maker.get("company"),
            maker.get("software"),
            maker.get("version_label"),
        )
        if v
    )
    lines.append(
        f"format      {trial.source.processor} {trial.source.storage}, read with "
        f"{trial.source.reader}" + (f"; written by {vendor}" if vendor else "")
    )
    m, a = trial.markers, trial.analogs
    lines.append(f"duration    {trial.duration_s:.3f} s, starts at {m.t0_s:.3f} s")
    lines.append(
        f"markers     {len(m.labels)} at {m.rate_hz:g} Hz, {m.n_frames} frames "
        f"(file unit {m.original_unit or '?'}, shown in m); "
        f"{_missing_percent(m.data):.1f} % of samples missing"
    )
    lines.append(_label_line("", m.labels, all_labels))
    if trial.points is not None:
        kinds = sorted(set(trial.points.kinds))
        lines.append(
            f"model out   {len(trial.points.labels)} points ({', '.join(kinds)})"
        )
    units = sorted({u for u in a.units if u})
    lines.append(
        f"analogs     {len(a.labels)} channels at {a.rate_hz:g} Hz, {a.n_samples} samples"
        + (f" (units: {', '.join(units)})" if units else "")
    )
    if a.labels:
        lines.append(_label_line("", a.labels, all_labels))
    up = ", ".join(f"{c:+.3f}" for c in trial.up_axis)
    lines.append(f"vertical    ({up}) from {trial.up_axis_method}")
    lines.append(f"plates      {len(trial.forceplates)}")
    mass = trial.subject.mass_kg if trial.subject else None
    for k, plate in enumerate(trial.forceplates):
        lines.extend(_plate_lines(k, plate, trial.up_axis, mass))
    lines.append(f"events      {len(trial.events)}")
    for event in trial.events[:40]:
        lines.append(f"  {event.time_s:8.3f} s  {event.context:7s} {event.label}")
    if len(trial.events) > 40:
        lines.append(f"  ... {len(trial.events) - 40} more")
    if trial.subject is not None:
        s = trial.subject
        parts = [s.label or s.id]
        if s.mass_kg:
            parts.append(f"{s.mass_kg:.1f} kg")
        if s.height_m:
            parts.append(f"{s.height_m:.3f} m")
        lines.append(f"subject     {', '.join(parts)}")
    else:
        lines.append("subject     none in the file")
    problems = trial.warnings
    lines.append(f"problems    {len(problems) or 'none found'}")
    lines.extend(f"  - {p}" for p in problems)
    return "\n".join(printable(line) for line in lines)


def printable(text: str) -> str:
    """``text`` with control, formatting and surrogate characters escaped.

    Escapes use Python's notation (``\\x1b``, ``\\u202e``), so what a
    file holds stays visible without acting on the terminal.
    """
    return "".join(
        ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co")
        else ch
        for ch in text
    )


def _plate_lines(
    k: int, plate: Any, up: np.ndarray, mass_kg: float | None
) -> list[str]:
    centre = plate.centre
    edges = (
        np.linalg.norm(plate.corners[0] - plate.corners[1]),
        np.linalg.norm(plate.corners[0] - plate.corners[3]),
    )
    vertical = plate.force @ up
    peak = float(np.nanmax(vertical)) if vertical.size else float("nan")
    loaded = np.mean(vertical > plate.cop_threshold_n) * 100 if vertical.size else 0.0
    peak_text = f"peak vertical GRF {peak:.0f} N"
    if mass_kg:
        peak_text += f" ({peak / (mass_kg * GRAVITY):.2f} BW)"
    return [
        f"  plate {k + 1}: TYPE {plate.plate_type}, {edges[0] * 1000:.0f} x {edges[1] * 1000:.0f} mm, "
        f"centre ({', '.join(f'{c:.3f}' for c in centre)}) m, {plate.rate_hz:g} Hz",
        f"           {peak_text}; loaded (> {plate.cop_threshold_n:.0f} N) {loaded:.0f} % of the time; "
        f"output sign {plate.sign:+d}",
    ]


def _label_line(prefix: str, labels: tuple[str, ...], all_labels: bool) -> str:
    shown = (
        labels
        if all_labels or len(labels) <= 24
        else (*labels[:24], f"... (+{len(labels) - 24})")
    )
    return "            " + prefix + ", ".join(shown)


def _missing_percent(data: np.ndarray) -> float:
    if data.size == 0:
        return 0.0
    return float(np.isnan(data[..., 0]).mean() * 100)
