"""The videos attached to a project's trials (issue 15).

Each trial's videos are :class:`~gaitlab.video.VideoRecord` values kept in
the project's settings under ``"videos"``: ``{trial_id: [record dicts]}``.
These helpers combine the project store and the video readers, which the
layer rules allow only above both: the pipeline layer is the lowest such
place, and the CLI, the session and the app all reach it.

A moved, missing or rewritten video is never an error here: its state
(:func:`gaitlab.video.video_state`) says so.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from gaitlab.core.errors import ProjectError
from gaitlab.store.project import Project
from gaitlab.video import PlaneCalibration, VideoRecord, content_hash, probe

__all__ = [
    "SETTING",
    "attach_video",
    "detach_video",
    "set_video_calibration",
    "set_video_offset",
    "stored_path",
    "trial_videos",
]

SETTING = "videos"
"""The project setting holding every trial's video records."""


def trial_videos(project: Project, trial_id: str) -> list[VideoRecord]:
    """The videos attached to a trial, in the order they were attached."""
    stored = project.settings.get(SETTING, {}).get(trial_id, [])
    return [VideoRecord.from_dict(values) for values in stored]


def stored_path(path: str | Path, project_folder: str | Path) -> str:
    """How a video's path is stored: relative to the project folder when possible.

    Relative (with ``..`` as needed, ``/`` separators) when the file and the
    project are on the same drive, so a project moved together with its
    captures keeps its videos; absolute otherwise.
    """
    path = Path(path).resolve()
    try:
        relative = os.path.relpath(path, Path(project_folder).resolve())
    except ValueError:  # another drive (Windows)
        return str(path)
    return Path(relative).as_posix()


def attach_video(
    project: Project,
    trial_id: str,
    path: str | Path,
    camera: str | None = None,
    offset_s: float = 0.0,
) -> VideoRecord:
    """Attach a video file to a trial: probe it, hash it, record it.

    Parameters
    ----------
    project : Project
        The project.
    trial_id : str
        The trial.
    path : str or Path
        The video file.
    camera : str, optional
        The camera's name, unique within the trial; by default the file's
        stem without the trial's name (``run_03_side.mp4`` → ``side``), or
        ``video``, numbered when taken (``video_2``).
    offset_s : float
        Video time minus trial time, s.

    Returns
    -------
    record : VideoRecord

    Raises
    ------
    ProjectError
        For an unknown trial, a camera name the trial already has, or a file
        already attached to it.
    VideoError
        When the file is missing, unreadable or holds no video.
    """
    _check_trial(project, trial_id)
    info = probe(path)
    records = trial_videos(project, trial_id)
    path_text = stored_path(path, project.path)
    for record in records:
        if record.resolved(project.path).resolve() == Path(path).resolve():
            raise ProjectError(
                f"{path} is already attached to trial {trial_id} "
                f"as camera {record.camera!r}"
            )
    taken = {record.camera for record in records}
    if camera is None:
        camera = _default_camera(project, trial_id, Path(path), taken)
    camera = camera.strip()
    if not camera:
        raise ProjectError("a camera name cannot be empty")
    if camera in taken:
        raise ProjectError(
            f"trial {trial_id} already has a video from camera {camera!r}; "
            "give another --camera or remove it first"
        )
    record = VideoRecord(
        camera=camera,
        path=path_text,
        sha256=content_hash(path),
        fps=info.fps,
        frame_count=info.frame_count,
        offset_s=float(offset_s),
    )
    _save(project, trial_id, [*records, record])
    return record


def detach_video(project: Project, trial_id: str, camera: str) -> VideoRecord:
    """Remove a camera's video from a trial (the file is left alone); return its record."""
    records = trial_videos(project, trial_id)
    record = _find(records, trial_id, camera)
    _save(project, trial_id, [r for r in records if r.camera != record.camera])
    return record


def set_video_offset(
    project: Project, trial_id: str, camera: str, offset_s: float
) -> VideoRecord:
    """Set a camera's offset (video time minus trial time, s); return the new record."""
    records = trial_videos(project, trial_id)
    old = _find(records, trial_id, camera)
    new = VideoRecord(**{**old.to_dict(), "offset_s": float(offset_s)})
    _save(project, trial_id, [new if r.camera == old.camera else r for r in records])
    return new


def set_video_calibration(
    project: Project,
    trial_id: str,
    camera: str,
    calibration: PlaneCalibration | None,
) -> VideoRecord:
    """Set (or, with None, remove) a camera's 2D calibration; return the new record."""
    records = trial_videos(project, trial_id)
    old = _find(records, trial_id, camera)
    new = replace(old, calibration=calibration)
    _save(project, trial_id, [new if r.camera == old.camera else r for r in records])
    return new


def _check_trial(project: Project, trial_id: str) -> None:
    if trial_id not in project.trial_ids:
        raise ProjectError(f"no trial {trial_id!r} in {project.path}")


def _find(records: list[VideoRecord], trial_id: str, camera: str) -> VideoRecord:
    for record in records:
        if record.camera == camera:
            return record
    cameras = ", ".join(r.camera for r in records) or "none"
    raise ProjectError(
        f"trial {trial_id} has no video from camera {camera!r} (cameras: {cameras})"
    )


def _default_camera(
    project: Project, trial_id: str, path: Path, taken: set[str]
) -> str:
    stem = path.stem
    label = project.record(trial_id).label or trial_id
    name = "video"
    if stem.lower().startswith(label.lower()):
        rest = stem[len(label) :].strip("_-. ")
        name = rest or name
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    return candidate


def _save(project: Project, trial_id: str, records: list[VideoRecord]) -> None:
    project.reload()  # other trials' videos as saved by others meanwhile
    videos = project.settings.get(SETTING, {})
    if records:
        videos[trial_id] = [record.to_dict() for record in records]
    else:
        videos.pop(trial_id, None)
    project.set_setting(SETTING, videos or None)
