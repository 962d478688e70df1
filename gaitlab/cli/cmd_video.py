"""``gaitlab video PROJECT TRIAL {add,list,remove,offset,calibrate,proxy,clip}``: a trial's videos.

``add FILE [--camera NAME] [--offset S]`` attaches a video (mp4, avi, mov):
the project records its path (relative to the project folder where
possible), content hash, frame rate, frame count and offset. The offset is
video time minus trial time, in seconds: the app shows, at trial time t,
the frame nearest t + offset on the video's clock (0 at its first frame).
``list`` prints each camera's file, frame rate, frame count, offset and
state (ok, missing, changed, unreadable); a moved or missing video is
reported, never an error. ``remove CAMERA`` forgets a video (the file is
left alone); ``offset CAMERA SECONDS`` sets its offset; ``clip CAMERA --from S
--to S -o FILE.mp4 [--slow F]`` writes the camera's frames of that range of
the trial (trial times: the offset is applied) to a new MP4, slowed down if
asked. ``calibrate CAMERA --point FWD,UP=U,V ...`` gives a side camera's 2D
calibration from two or more known points of the sagittal plane (forward and
up in m, as the body view's axes show them) and their pixels: the app then
draws the body view's lean lines over that camera's frames (``--clear``
removes it). ``proxy CAMERA`` makes a scrubbing copy of the video (every
frame with its time, a keyframe every few frames) in the user's cache, which
the app then reads: a jump to any frame takes a few milliseconds instead of
tens (``--remove`` deletes it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError, help_text, resolve_trial
from gaitlab.pipeline.videos import (
    attach_video,
    detach_video,
    set_video_calibration,
    set_video_offset,
    trial_videos,
)
from gaitlab.store.project import open_project
from gaitlab.video import PlaneCalibration, video_state
from gaitlab.video.clip import export_clip
from gaitlab.video.proxy import PROXY_GOP, existing_proxy, make_proxy

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "video",
        help="attach, list, remove or shift the videos of a trial",
        description=help_text(__doc__),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument("trial", metavar="TRIAL", help="trial id or name")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="attach a video file to the trial")
    add.add_argument("file", type=Path, help="the video file (mp4, avi, mov)")
    add.add_argument(
        "--camera", help="camera name (default: from the file name, e.g. 'side')"
    )
    add.add_argument(
        "--offset",
        type=float,
        default=0.0,
        metavar="S",
        help="video time minus trial time, s (default 0)",
    )
    actions.add_parser("list", help="the trial's videos and their state")
    remove = actions.add_parser("remove", help="forget a camera's video")
    remove.add_argument("camera", help="camera name")
    offset = actions.add_parser("offset", help="set a camera's offset")
    offset.add_argument("camera", help="camera name")
    offset.add_argument("seconds", type=float, help="video time minus trial time, s")
    calibrate = actions.add_parser(
        "calibrate",
        help="give a camera's 2D calibration: known points of the sagittal plane "
        "and their pixels; the body view's lines are then drawn over its frames",
    )
    calibrate.add_argument("camera", help="camera name")
    calibrate.add_argument(
        "--point",
        dest="points",
        action="append",
        default=[],
        metavar="FWD,UP=U,V",
        help="a point of the sagittal plane (forward and up in m, as the body "
        "view's axes show them) and its pixel (u right, v down from the frame's "
        "top-left corner); 2 points: scale and rotation, 3: affine, 4 or more: "
        "perspective",
    )
    calibrate.add_argument(
        "--clear", action="store_true", help="remove the camera's calibration"
    )
    proxy = actions.add_parser(
        "proxy",
        help="make a scrubbing copy of a camera's video (every frame and its time, "
        f"a keyframe every {PROXY_GOP} frames) in the user's cache: the app then "
        "jumps to any frame in a few ms",
    )
    proxy.add_argument("camera", help="camera name")
    proxy.add_argument(
        "--remove", action="store_true", help="delete the camera's scrubbing copy"
    )
    clip = actions.add_parser(
        "clip", help="write a camera's frames of a time range of the trial to an MP4"
    )
    clip.add_argument("camera", help="camera name")
    clip.add_argument(
        "--from",
        dest="start",
        type=float,
        required=True,
        metavar="S",
        help="start, trial time in s",
    )
    clip.add_argument(
        "--to",
        dest="stop",
        type=float,
        required=True,
        metavar="S",
        help="end, trial time in s",
    )
    clip.add_argument(
        "-o", "--output", type=Path, required=True, help="the .mp4 to write"
    )
    clip.add_argument(
        "--slow",
        type=float,
        default=1.0,
        metavar="F",
        help="slow motion factor (2: half speed; default 1)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Do the action on the trial's videos and print what was done."""
    project = open_project(args.project)
    trial_id = resolve_trial(project, args.trial)
    if args.action == "add":
        record = attach_video(
            project, trial_id, args.file, camera=args.camera, offset_s=args.offset
        )
        print(
            f"{trial_id}: camera {record.camera!r} ← {record.path} "
            f"({record.frame_count} frames at {record.fps:.3f} fps, "
            f"offset {record.offset_s:+.3f} s)"
        )
    elif args.action == "remove":
        record = detach_video(project, trial_id, args.camera)
        print(
            f"{trial_id}: camera {record.camera!r} removed ({record.path} left alone)"
        )
    elif args.action == "offset":
        record = set_video_offset(project, trial_id, args.camera, args.seconds)
        print(f"{trial_id}: camera {record.camera!r} offset {record.offset_s:+.3f} s")
    elif args.action == "calibrate":
        _calibrate(project, trial_id, args)
    elif args.action == "proxy":
        _proxy(project.path, trial_id, trial_videos(project, trial_id), args)
    elif args.action == "clip":
        return _clip(project.path, trial_id, trial_videos(project, trial_id), args)
    else:
        _print_videos(project.path, trial_id, trial_videos(project, trial_id))
    return 0


def _calibrate(project: Any, trial_id: str, args: argparse.Namespace) -> None:
    """Set or clear a camera's calibration; print it with its fit."""
    if args.clear == bool(args.points):
        raise UsageError("give --point at least twice, or --clear")
    calibration = None
    if args.points:
        try:
            calibration = PlaneCalibration(tuple(_point(p) for p in args.points))
        except ValueError as error:
            raise UsageError(f"calibrate: {error}") from None
    record = set_video_calibration(project, trial_id, args.camera, calibration)
    if calibration is None:
        print(f"{trial_id}: camera {record.camera!r} calibration removed")
        return
    print(
        f"{trial_id}: camera {record.camera!r} calibrated from "
        f"{len(calibration.points)} points ({calibration.kind}); "
        f"residual {calibration.residual_px:.2f} px"
    )


def _proxy(
    folder: Path, trial_id: str, records: list[Any], args: argparse.Namespace
) -> None:
    """Make (or remove) a camera's scrubbing copy; print what was done."""
    record = _record(records, trial_id, args.camera)
    if args.remove:
        copy = existing_proxy(record.sha256)
        if copy is not None:
            copy.unlink()
        print(
            f"{trial_id}: camera {record.camera!r} "
            + ("scrubbing copy removed" if copy else "has no scrubbing copy")
        )
        return
    if video_state(record, folder) != "ok":
        raise UsageError(
            f"camera {record.camera!r}: the video is {video_state(record, folder)}: "
            "attach it again first"
        )
    start = time.perf_counter()
    copy = make_proxy(record.resolved(folder), record.sha256)
    print(
        f"{trial_id}: camera {record.camera!r} scrubbing copy {copy} "
        f"({record.frame_count} frames, a keyframe every {PROXY_GOP}; "
        f"{copy.stat().st_size / 1e6:.1f} MB, made in {time.perf_counter() - start:.1f} s)"
    )


def _point(text: str) -> tuple[float, float, float, float]:
    """``FWD,UP=U,V`` as four numbers (UsageError when it is not)."""
    plane, _, image = text.partition("=")
    try:
        forward, up = (float(v) for v in plane.split(","))
        u, v = (float(v) for v in image.split(","))
    except ValueError:
        raise UsageError(
            f"--point {text!r}: expected FWD,UP=U,V (metres, then pixels), "
            "e.g. 0.5,0=812,640"
        ) from None
    return forward, up, u, v


def _record(records: list[Any], trial_id: str, camera: str) -> Any:
    """The camera's record (UsageError naming the trial's cameras if none)."""
    record = next((r for r in records if r.camera == camera), None)
    if record is None:
        cameras = ", ".join(r.camera for r in records) or "none"
        raise UsageError(f"{trial_id} has no camera {camera!r} (cameras: {cameras})")
    return record


def _clip(
    folder: Path, trial_id: str, records: list[Any], args: argparse.Namespace
) -> int:
    """Write a camera's frames from trial time ``--from`` to ``--to``."""
    if args.stop <= args.start:
        raise UsageError(f"--to ({args.stop} s) must be after --from ({args.start} s)")
    if args.slow <= 0:
        raise UsageError(f"--slow must be > 0, not {args.slow}")
    record = _record(records, trial_id, args.camera)
    n = export_clip(
        record.resolved(folder),
        args.start + record.offset_s,
        args.stop + record.offset_s,
        args.output,
        slow_factor=args.slow,
    )
    print(
        f"{args.output}: {n} frames of camera {record.camera!r}, trial time "
        f"{args.start:.3f}-{args.stop:.3f} s (offset {record.offset_s:+.3f} s)"
        + (f", {args.slow:g}x slower" if args.slow != 1 else "")
    )
    return 0


def _print_videos(folder: Path, trial_id: str, records: list[Any]) -> None:
    if not records:
        print(
            f"{trial_id}: no video (add one with: gaitlab video {folder} {trial_id} add FILE)"
        )
        return
    width = max(len("camera"), *(len(r.camera) for r in records))
    print(
        f"{'camera':<{width}}  {'fps':>8}  {'frames':>7}  {'offset s':>9}  state       "
        "2D calibration   file"
    )
    for r in records:
        calibration = (
            f"{r.calibration.kind} ({len(r.calibration.points)})"
            if r.calibration is not None
            else "none"
        )
        print(
            f"{r.camera:<{width}}  {r.fps:>8.3f}  {r.frame_count:>7d}  "
            f"{r.offset_s:>+9.3f}  {video_state(r, folder):<10}  {calibration:<15}  "
            f"{r.path}"
        )
