"""``gaitlab plugins list|show NAME|new NAME``: the analysis plugins, and a new one."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gaitlab.cli.scaffold import write_scaffold
from gaitlab.core.errors import GaitlabError
from gaitlab.pipeline.discovery import (
    PLUGIN_PATH_VARIABLE,
    builtin_plugin_folder,
    discover,
    user_plugin_folder,
)


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "plugins", help="list the analysis plugins, or show one in detail"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="every plugin found, and load failures")
    show = actions.add_parser("show", help="parameters, inputs and outputs of a plugin")
    show.add_argument("name", help="plugin name")
    new = actions.add_parser(
        "new",
        help="start a plugin of your own: plugin file, its test and a README",
    )
    new.add_argument("name", help="plugin name (lowercase letters, digits and _)")
    new.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="folder to write into (default: a new folder NAME here)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the list or one plugin; exit 1 if a plugin failed to load."""
    if args.action == "new":
        return _new(args.name, args.dir)
    report = discover()
    if args.action == "show":
        print(describe(report.get(args.name)))
        return 0
    print(f"built-in folder  {builtin_plugin_folder()}")
    print(f"user folder      {user_plugin_folder()}")
    print(
        f"{PLUGIN_PATH_VARIABLE:<16} {os.environ.get(PLUGIN_PATH_VARIABLE, '(not set)')}"
    )
    print()
    width = max((len(n) for n in report.specs), default=10)
    for name, spec in report.specs.items():
        print(f"{name:<{width}}  {spec.version:<8} {spec.category:<26} {spec.source}")
    for failure in report.failures:
        print(f"FAILED  {failure.source}: {failure.error}")
    return 1 if report.failures else 0


def describe(spec: Any) -> str:
    """A plugin's declaration in words."""
    lines = [
        f"{spec.name} {spec.version} — {spec.title} ({spec.category})",
        f"source: {spec.source}",
        "",
        spec.description,
        "",
        "needs:    " + (", ".join(n.text for n in spec.needs) or "(nothing)"),
    ]
    if spec.optional:
        lines.append("uses:     " + ", ".join(f"result:{n}" for n in spec.optional))
    lines.append("parameters:")
    for p in spec.params:
        limits = ""
        if p.choices:
            limits = " one of " + ", ".join(repr(c) for c in p.choices)
        elif p.min is not None or p.max is not None:
            limits = f" in [{p.min if p.min is not None else '-inf'}, {p.max if p.max is not None else 'inf'}]"
        unit = f" {p.unit}" if p.unit else ""
        lines.append(
            f"  {p.name} = {p.default!r}{unit} ({p.type.__name__}{limits})"
            + (f" “{p.label}”" if p.label else "")
            + (f": {p.doc}" if p.doc else "")
        )
    if not spec.params:
        lines.append("  (none)")
    if spec.series:
        lines.append("series:")
        lines += [f"  {s.name} [{s.unit}]: {s.description}" for s in spec.series]
    if spec.metrics:
        lines += _metric_lines(spec.metrics)
    if spec.produces_events:
        lines.append("events:   Foot Strike / Foot Off")
    return "\n".join(lines)


def _metric_lines(metrics: Sequence[Any]) -> list[str]:
    """The metrics, grouped, each definition said once.

    Variants of a metric (``NAME_ic``, ``NAME_to``, ``static_NAME`` ...: a
    suffix several metrics take) are listed under it with only what their
    definition says differently. Clauses (``"; "``-separated) that
    definitions of three or more groups share are printed once as numbered
    notes and referred to as ``[n]``.
    """
    names = [m.name for m in metrics]
    groups: dict[str, list[Any]] = {}
    for m in metrics:
        groups.setdefault(_root(m.name, names), []).append(m)
    counts: Counter[str] = Counter(
        clause
        for members in groups.values()
        for clause in {c for m in members for c in m.description.split("; ")}
    )
    notes = {c: i for i, c in enumerate((c for c, n in counts.items() if n >= 3), 1)}

    def text(m: Any) -> str:
        parts = m.description.split("; ")
        kept = "; ".join(p for p in parts if p not in notes)
        refs = ",".join(str(notes[p]) for p in parts if p in notes)
        return kept + (f" [{refs}]" if refs else "")

    def head(m: Any) -> str:
        return f"{m.name} [{m.unit}] ({'per step' if m.per_step else 'per trial'})"

    lines = ["metrics:"]
    for root, members in groups.items():
        base = next((m for m in members if m.name == root), members[0])
        lines.append(f"  {head(base)}: {text(base)}")
        lines += [
            f"    {head(m)}: as {base.name}, but {_difference(text(base), text(m))}"
            for m in members
            if m is not base
        ]
    if notes:
        lines.append("notes:")
        lines += [f"  [{i}] {clause}" for clause, i in notes.items()]
    return lines


def _root(name: str, names: Sequence[str]) -> str:
    """The metric ``name`` is a variant of: ``trunk_lean`` for ``trunk_lean_ic``.

    A variant adds a suffix (or the prefix ``static_``) that at least two
    declared metrics take.
    """
    suffixes: Counter[str] = Counter(
        other[len(base) + 1 :]
        for base in names
        for other in names
        if other.startswith(base + "_")
    )
    stem = name.removeprefix("static_") if name.startswith("static_") else name
    if stem != name and stem not in names:
        stem = name
    for base in sorted(names, key=len, reverse=True):
        if stem.startswith(base + "_") and suffixes[stem[len(base) + 1 :]] >= 2:
            return base
    return stem


def _difference(base: str, variant: str) -> str:
    """What ``variant`` says in place of ``base``'s wording (whole words)."""
    start = 0
    while start < min(len(base), len(variant)) and base[start] == variant[start]:
        start += 1
    if 0 < start < len(variant) and variant[start - 1].isalnum():
        start = variant.rfind(" ", 0, start) + 1  # not inside a word
    end = 0
    limit = min(len(base), len(variant)) - start
    while end < limit and base[-1 - end] == variant[-1 - end]:
        end += 1
    stop = len(variant) - end
    if end and stop < len(variant):
        space = variant.find(" ", stop)
        stop = len(variant) if space < 0 else space
    return variant[start:stop].strip(" ,;:") or variant


def _new(name: str, folder: Path | None) -> int:
    """Write the scaffold of a new plugin and say what to do next."""
    folder = Path(name) if folder is None else folder
    try:
        written = write_scaffold(name, folder)
    except GaitlabError as error:
        print(f"gaitlab plugins new: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(
        f"\nnext:\n  cd {folder}\n  python -m pytest            # its tests pass as "
        f"written\n  {PLUGIN_PATH_VARIABLE}=$PWD gaitlab plugins show {name}"
    )
    return 0
