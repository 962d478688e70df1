"""A trial's video as the project records it, and whether the file is still there."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gaitlab.video.calibration import PlaneCalibration
from gaitlab.video.probe import VideoError, probe

__all__ = ["VideoRecord", "content_hash", "resolve_path", "video_state"]

_CHUNK = 1 << 20


def content_hash(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, hex, read in 1 MiB chunks.

    Raises
    ------
    VideoError
        When the file is missing or cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError as error:
        raise VideoError(path, "no such file") from error
    except OSError as error:
        raise VideoError(path, f"cannot be read ({error.strerror or error})") from error
    return digest.hexdigest()


@dataclass(frozen=True)
class VideoRecord:
    """One camera's video of a trial, as stored in the project.

    Attributes
    ----------
    camera : str
        The camera's name (unique within the trial), e.g. ``side``.
    path : str
        The file, relative to the project folder when it is on the same
        drive (``/`` separators), else absolute.
    sha256 : str
        The file's content hash when it was attached (hex).
    fps : float
        Average frame rate read from the file, frames/s.
    frame_count : int
        Number of frames read from the file.
    offset_s : float
        Video time minus trial time, s: trial time ``t`` shows the frame
        nearest ``t + offset_s`` on the video's clock (0 at its first frame).
    calibration : PlaneCalibration or None
        The camera's 2D calibration of the sagittal plane, if one was given
        (the body view's lines are then drawn over its frames).
    """

    camera: str
    path: str
    sha256: str
    fps: float
    frame_count: int
    offset_s: float = 0.0
    calibration: PlaneCalibration | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-able values (no ``calibration`` key without one)."""
        values = asdict(self)
        values.pop("calibration")
        if self.calibration is not None:
            values["calibration"] = self.calibration.to_json()
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> VideoRecord:
        """A record from :meth:`to_dict`'s values.

        Raises
        ------
        VideoError
            When a field is missing or has the wrong type.
        """
        try:
            return cls(
                camera=str(values["camera"]),
                path=str(values["path"]),
                sha256=str(values["sha256"]),
                fps=float(values["fps"]),
                frame_count=int(values["frame_count"]),
                offset_s=float(values.get("offset_s", 0.0)),
                calibration=(
                    PlaneCalibration.from_json(values["calibration"])
                    if values.get("calibration")
                    else None
                ),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise VideoError(
                str(values.get("path", "?")) if isinstance(values, dict) else "?",
                f"damaged video record {values!r} ({error})",
            ) from error

    def resolved(self, project_folder: str | Path) -> Path:
        """The file's path (a relative path is taken from the project folder)."""
        return resolve_path(self.path, project_folder)


def resolve_path(stored: str, project_folder: str | Path) -> Path:
    """A stored video path as a path: relative ones start at the project folder."""
    path = Path(stored)
    return path if path.is_absolute() else Path(project_folder) / path


def video_state(record: VideoRecord, project_folder: str | Path) -> str:
    """Whether a recorded video is still the file that was attached.

    Returns
    -------
    state : str
        ``"ok"``: the file is there with the same content; ``"missing"``: no
        file at the recorded path; ``"changed"``: a readable video with
        another content hash (rewritten or replaced: frame counts and offset
        may no longer hold); ``"unreadable"``: the file cannot be read, or
        has changed and is no video FFmpeg reads.
    """
    path = record.resolved(project_folder)
    if not path.is_file():
        return "missing"
    try:
        digest = content_hash(path)
    except VideoError:
        return "unreadable"
    if digest == record.sha256:
        return "ok"
    try:
        probe(path)
    except VideoError:
        return "unreadable"
    return "changed"
