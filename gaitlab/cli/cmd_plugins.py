"""``gaitlab plugins list|show NAME``: the analysis plugins gaitlab can run."""

from __future__ import annotations

import argparse
import os
from typing import Any

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
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the list or one plugin; exit 1 if a plugin failed to load."""
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
            + (f": {p.doc}" if p.doc else "")
        )
    if not spec.params:
        lines.append("  (none)")
    if spec.series:
        lines.append("series:")
        lines += [f"  {s.name} [{s.unit}]: {s.description}" for s in spec.series]
    if spec.metrics:
        lines.append("metrics:")
        lines += [
            f"  {m.name} [{m.unit}] ({'per step' if m.per_step else 'per trial'}): "
            f"{m.description}"
            for m in spec.metrics
        ]
    if spec.produces_events:
        lines.append("events:   Foot Strike / Foot Off")
    return "\n".join(lines)
