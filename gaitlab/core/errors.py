"""The gaitlab exception and warning hierarchy, in one place."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "C3DReadError",
    "DamagedFileError",
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


class C3DReadError(GaitlabError):
    """A C3D file could not be read.

    Parameters
    ----------
    path : str or Path
        The file.
    reason : str
        What is wrong with it, in words a researcher understands.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        """Pickle with the constructor's arguments (errors cross processes)."""
        return (type(self), (self.path, self.reason))


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


class DamagedFileError(ProjectError):
    """A project file is damaged or crafted: it fails a size, checksum or schema check.

    Parameters
    ----------
    path : str or Path
        The file.
    problem : str
        What is wrong with it.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: damaged: {problem}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        """Pickle with the constructor's arguments (errors cross processes)."""
        return (type(self), (self.path, self.problem))


class ProjectLockedError(ProjectError):
    """Another process is writing to the project."""


class GaitlabWarning(UserWarning):
    """Base class of gaitlab's warnings."""
