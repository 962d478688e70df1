"""``gaitlab import PROJECT PATHS...``: import C3D (or other readable) files into a project."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError
from gaitlab.core.errors import GaitlabError
from gaitlab.core.grouping import GroupingPattern
from gaitlab.io.readers import (
    find_readable_files,
    not_readable_reason,
    registered_readers,
)
from gaitlab.pipeline.videos import attach_video, trial_videos
from gaitlab.store import is_project
from gaitlab.store.project import (
    ImportEvent,
    Project,
    create_project,
    open_project,
)
from gaitlab.video import content_hash, videos_beside


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "import",
        help="import C3D files or folders into a project (created if missing)",
        description=(
            "Import C3D files into a project, in parallel isolated readers. "
            "Unreadable files are refused with their reason; unchanged files "
            "already in the project are skipped. Exit status 1 if any file "
            "was refused or no C3D file was found; 2 (and nothing created) "
            "for a path that does not exist."
        ),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument("paths", nargs="+", type=Path, help="C3D files or folders")
    parser.add_argument(
        "--subject",
        help="subject id for every file (default: the subject named in the file, "
        "else the folder name)",
    )
    parser.add_argument("--session", default="", help="session label for every file")
    parser.add_argument(
        "--condition", default="", help="condition label for every file"
    )
    parser.add_argument(
        "--pattern",
        help="take subject, session and condition from each new file's name, e.g. "
        "'{subject}_{condition}_{trial}' (fields: subject, session, condition, "
        "and any other name as a wildcard); they replace --subject/--session/"
        "--condition for the files whose name fits, and the grouping of each "
        "file is printed",
    )
    parser.add_argument(
        "--attach-videos",
        action="store_true",
        help="attach the videos named like each imported file beside it "
        "(run_03.mp4, run_03_side.mov ...: see gaitlab video); without it they "
        "are only listed",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="parallel readers (default: all CPUs)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per file (default: 10 s + 2 s/MB)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Import, print a summary, return 1 if any file was refused."""
    missing = [path for path in args.paths if not path.expanduser().exists()]
    if missing:
        raise UsageError(
            "no such file or folder: "
            + ", ".join(str(p) for p in missing)
            + " (nothing imported)"
        )
    files = find_readable_files(args.paths)
    if not files:
        print(
            f"gaitlab import: no {_known_formats()} found in "
            + ", ".join(str(p) for p in args.paths)
            + "; nothing imported",
            file=sys.stderr,
        )
        return 1
    refused = [
        ImportEvent("refused", str(p), message=why) for p, why in _unreadable(files)
    ]
    files = [p for p in files if str(p) not in {e.path for e in refused}]
    if not files:
        _print_summary(refused, args.project)
        return 1
    if args.pattern:
        try:
            GroupingPattern.parse(args.pattern)
        except GaitlabError as error:
            raise UsageError(f"--pattern: {error}") from None
    project = _open_or_create(args.project)
    events = project.import_files(
        files,
        subject=args.subject,
        session=args.session,
        condition=args.condition,
        pattern=args.pattern,
        workers=args.workers,
        timeout_s=args.timeout,
    )
    results = _consume(events, quiet=args.quiet)
    status = _print_summary(refused + results, args.project)
    if args.pattern:
        _print_grouping(project, results)
    _videos_beside(project, results, attach=args.attach_videos)
    return status


def _videos_beside(
    project: Project, results: list[ImportEvent], *, attach: bool
) -> None:
    """List (or attach) the videos named like the imported files beside them."""
    found = [
        (event.trial_id, video)
        for event in results
        if event.kind in ("imported", "updated")
        for video in videos_beside(event.path)
    ]
    if not found:
        return
    if not attach:
        print(
            f"{len(found)} video file(s) beside the imported files: attach them with "
            "--attach-videos, or one by one with gaitlab video PROJECT TRIAL add FILE"
        )
        for trial_id, video in found:
            print(f"  {trial_id}: {video}")
        return
    attached = {r.sha256 for t, _ in found for r in trial_videos(project, t)}
    for trial_id, video in found:
        try:
            record = attach_video(project, trial_id, video)
        except GaitlabError as error:
            if content_hash(video) in attached:
                continue  # attached at an earlier import
            print(f"  video not attached: {error}")
            continue
        print(
            f"  video {record.camera} of {trial_id}: {video} "
            f"({record.frame_count} frames at {record.fps:g} fps)"
        )


def _print_grouping(project: Project, results: list[ImportEvent]) -> None:
    """The subject, session and condition each imported trial got."""
    project.reload()
    print("grouping (trial: subject / session / condition):")
    for event in results:
        if event.kind in ("imported", "updated"):
            record = project.record(event.trial_id)
            print(
                f"  {record.trial_id}: {record.subject_id} / "
                f"{record.session or '-'} / {record.condition or '-'}"
            )


def _unreadable(files: list[Path]) -> list[tuple[Path, str]]:
    """Files no registered reader takes (a text file, a picture), with the reason."""
    refused = []
    for path in files:
        try:
            reason = not_readable_reason(path)
        except OSError as error:
            reason = f"cannot be read: {error.strerror or error}"
        if reason is not None:
            refused.append((path, reason))
    return refused


def _known_formats() -> str:
    """The files the readers take, e.g. ``C3D files (*.c3d)``."""
    readers = registered_readers()
    return (
        " or ".join(r.name.upper() for r in readers)
        + " files ("
        + ", ".join("*" + s for r in readers for s in r.suffixes)
        + ")"
    )


def _open_or_create(path: Path) -> Project:
    if is_project(path):
        return open_project(path)
    return create_project(path)


def _consume(events: Any, *, quiet: bool) -> list[ImportEvent]:
    from tqdm import tqdm

    results: list[ImportEvent] = []
    bar = None
    for event in events:
        if event.kind == "started":
            bar = tqdm(total=event.total, unit="file", disable=quiet, file=sys.stderr)
        elif event.kind == "finished":
            break
        else:
            results.append(event)
            if bar is not None:
                bar.set_postfix_str(Path(event.path).name[-30:])
                bar.update(1)
    if bar is not None:
        bar.close()
    return results


def _print_summary(results: list[ImportEvent], project: Path) -> int:
    counts = Counter(e.kind for e in results)
    print(
        f"{project}: {counts['imported']} imported, {counts['updated']} updated, "
        f"{counts['skipped']} skipped, {counts['refused']} refused"
    )
    for event in results:
        if event.kind == "refused":
            print(f"  refused  {event.path}\n           {event.message}")
    for event in results:
        if event.kind == "skipped":
            print(f"  skipped  {event.path}: {event.message}")
    for event in results:
        if event.kind in ("imported", "updated") and event.warnings:
            print(f"  warnings {event.path} -> {event.trial_id}")
            for warning in event.warnings:
                print(f"           - {warning}")
    return 1 if counts["refused"] else 0
