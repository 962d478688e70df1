"""``gaitlab run PROJECT``: run the analysis pipeline on a project's trials."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError, resolve_trials
from gaitlab.core.results import compact_names, left_out_by_reason
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.isolation import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_TIME_LIMIT_S,
    Limits,
)
from gaitlab.pipeline.runner import RunEvent, project_pipeline, run_pipeline
from gaitlab.pipeline.spec import PluginError
from gaitlab.store.project import open_project


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="run the analysis pipeline on a project",
        description=(
            "Run the project's pipeline (every built-in plugin by default) on its "
            "trials, in parallel processes, and store the results with their "
            "provenance. The pipeline and its parameters are saved in the "
            "project. Prints, per trial, the results that were skipped or failed "
            "and the metrics each partial result left out, one line per reason. "
            "Exit status 1 if a plugin failed on a trial."
        ),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument(
        "--plugins", nargs="+", metavar="NAME", help="run only these plugins"
    )
    parser.add_argument(
        "--trials",
        nargs="+",
        metavar="ID",
        help="analyse only these trials (id or name, any case)",
    )
    parser.add_argument(
        "--only-stale",
        action="store_true",
        help="only results that are missing or out of date",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="PLUGIN.PARAM=VALUE",
        help="change a parameter of the project's pipeline (JSON value), e.g. "
        "gait_events.threshold_n=30",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="parallel processes (default: all CPUs)",
    )
    parser.add_argument(
        "--plugin-time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT_S,
        metavar="SECONDS",
        help="time one plugin may take on one trial before it is stopped and "
        f"fails (default {DEFAULT_TIME_LIMIT_S:g})",
    )
    parser.add_argument(
        "--plugin-memory-limit",
        type=float,
        default=DEFAULT_MEMORY_LIMIT_MB,
        metavar="MB",
        help="memory (MiB) the plugins may use per trial; beyond it allocations "
        f"fail (default {DEFAULT_MEMORY_LIMIT_MB:g})",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="analyse the trials on a running Dask cluster (tcp://HOST:8786); the "
        "workers read the project folder, which they must see at the same path, "
        "and this process writes the results (needs gaitlab[distributed])",
    )
    where.add_argument(
        "--cluster",
        metavar="local[:N]",
        help="start a local Dask cluster of N worker processes (default: one per "
        "CPU) and analyse the trials on it",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the pipeline, print what was skipped, failed or left out; 1 on failures."""
    project = open_project(args.project)
    trial_ids = resolve_trials(project, args.trials)
    report = discover()
    config = project_pipeline(project, report)
    for setting in args.settings:
        plugin, params = _parse_setting(setting, config)
        config = config.with_params(plugin, params)
    for name in args.plugins or ():
        if config.step(name) is None and name in report.specs:
            print(
                f"note: {name} is not in the project's pipeline: it runs this once "
                "and the pipeline is not changed (add it in the app's pipeline "
                "panel to keep it up to date)",
                file=sys.stderr,
            )
    if not args.plugins:
        for name, reason in config.plan(report).left_out.items():
            print(
                f"note: {name} is left out: {reason}; its stored results are kept "
                "as they are",
                file=sys.stderr,
            )
    run = functools.partial(
        run_pipeline,
        project,
        trial_ids,
        plugins=args.plugins,
        only_stale=args.only_stale,
        config=config,
        limits=_limits(args),
    )
    if args.scheduler is None and args.cluster is None:
        return _report_run(run(workers=args.workers), report, args.quiet)
    if args.workers is not None:
        raise UsageError(
            "--workers sets the local processes; a Dask cluster has its own workers "
            "(--cluster local:N)"
        )
    from gaitlab.pipeline.distributed import dask_client, on_cluster

    with dask_client(args.scheduler, args.cluster) as client:
        workers = len(client.scheduler_info().get("workers", {}))
        print(
            f"Dask: {workers} workers; dashboard {client.dashboard_link}",
            file=sys.stderr,
        )
        return _report_run(run(driver=on_cluster(client)), report, args.quiet)


def _report_run(events: Any, report: Any, quiet: bool) -> int:
    """Show the run's progress; print its summary; 1 when a plugin failed."""
    from tqdm import tqdm

    trials: list[RunEvent] = []
    bar = None
    for event in events:
        if event.kind == "started":
            bar = tqdm(total=event.total, unit="trial", disable=quiet, file=sys.stderr)
        elif event.kind == "trial":
            trials.append(event)
            if bar is not None:
                bar.set_postfix_str(event.trial_id[-30:])
                bar.update(1)
    if bar is not None:
        bar.close()
    return _print_summary(trials, report)


def _limits(args: argparse.Namespace) -> Limits:
    try:
        return Limits(args.plugin_time_limit, args.plugin_memory_limit)
    except ValueError as error:
        raise PluginError(str(error)) from None


def _parse_setting(text: str, config: Any) -> tuple[str, dict[str, Any]]:
    name, _, value = text.partition("=")
    plugin, _, param = name.partition(".")
    if not plugin or not param or not value:
        raise PluginError(f"--set {text!r}: expected PLUGIN.PARAM=VALUE")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    step = config.step(plugin)
    params = dict(step.params) if step is not None else {}
    params[param] = parsed
    return plugin, params


def _print_summary(trials: list[RunEvent], report: Any) -> int:
    counts: Counter[str] = Counter()
    for event in trials:
        counts.update(event.statuses.values())
        if event.error:
            counts["error"] += 1
    ran = sum(1 for e in trials if e.statuses)
    print(
        f"{len(trials)} trials ({ran} analysed, {len(trials) - ran} up to date): "
        f"{counts['ok']} results ok, {counts['partial']} partial, "
        f"{counts['skipped']} skipped, {counts['failed']} failed"
        + (f", {counts['error']} trials unreadable" if counts["error"] else "")
    )
    for event in trials:
        if event.error:
            print(f"  {event.trial_id}: not analysed: {event.error}")
        for plugin, status in event.statuses.items():
            if status == "partial":
                print(_left_out_text(event, plugin))
            elif status != "ok":
                print(
                    f"  {event.trial_id}: {plugin} {status}: {event.messages.get(plugin, '')}"
                )
    for failure in report.failures:
        print(f"  plugin not loaded: {failure.source}: {failure.error}")
    return 1 if counts["failed"] or counts["error"] else 0


def _left_out_text(event: RunEvent, plugin: str) -> str:
    """What a partial result left out: a heading, then one line per reason."""
    left_out = event.left_out.get(plugin, {})
    declared = event.declared.get(plugin)
    of = f" of {declared}" if declared else ""
    lines = [
        f"  {event.trial_id}: {plugin} partial, {len(left_out)}{of} metrics left out:"
    ]
    lines += [
        f"      {compact_names(names)} — {reason}"
        for reason, names in left_out_by_reason(left_out)
    ]
    return "\n".join(lines)
