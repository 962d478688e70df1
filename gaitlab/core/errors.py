"""The gaitlab exception and warning hierarchy, in one place."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "C3DReadError",
    "DamagedFileError",
    "FileError",
    "FormatVersionError",
    "GaitlabError",
    "GaitlabWarning",
    "PluginError",
    "ProjectError",
    "ProjectLockedError",
    "StaticMismatchError",
]


class GaitlabError(Exception):
    """Base class of gaitlab's errors."""


class FileError(GaitlabError):
    """Something is wrong with a file; the message names the file and the problem.

    Parameters
    ----------
    path : str or Path
        The file.
    problem : str
        What is wrong with it, in words a researcher understands.
    """

    lead = ""
    """Words put before the problem in the message (``"damaged: "``)."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {self.lead}{problem}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        """Pickle with the constructor's arguments (errors cross processes)."""
        return (type(self), (self.path, self.problem))


class C3DReadError(FileError):
    """A C3D file (or another file a reader takes) could not be read."""

    @property
    def reason(self) -> str:
        """What is wrong with the file (the ``problem``)."""
        return self.problem


class PluginError(GaitlabError):
    """A plugin is declared wrongly, or called with parameters it does not accept."""


class StaticMismatchError(GaitlabError, ValueError):
    """A static calibration trial does not fit a dynamic trial's cluster markers.

    Raised by :meth:`gaitlab.core.cluster.SegmentCalibration.reconstruct` when
    the median rigid-fit residual exceeds its limit (another subject's static
    trial, or a cluster re-applied between trials). A ``ValueError`` too, as
    before it joined the hierarchy.
    """


class ProjectError(GaitlabError):
    """A project folder is missing, damaged or used wrongly."""


class FormatVersionError(ProjectError):
    """A project was written by a newer gaitlab whose format this one cannot read."""


class DamagedFileError(ProjectError, FileError):
    """A project file is damaged or crafted: it fails a size, checksum or schema check."""

    lead = "damaged: "


class ProjectLockedError(ProjectError):
    """Another process is writing to the project."""


class GaitlabWarning(UserWarning):
    """Base class of gaitlab's warnings."""
