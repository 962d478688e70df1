"""Progress, cancellation and skipping, shared by every long-running computation."""

from __future__ import annotations

import logging
from collections.abc import Callable

from gaitlab.core.errors import GaitlabError

__all__ = ["Cancelled", "RunContext", "Skip"]


class Cancelled(GaitlabError):  # noqa: N818 (a signal, not an error: like pytest.skip)
    """The user cancelled the running work."""


class Skip(GaitlabError):  # noqa: N818 (plugins `raise Skip(...)`: reads as what happens)
    """Raised by a plugin when the trial lacks what the analysis needs.

    The runner records the result as ``skipped`` with this message, which
    should tell a researcher what is missing (e.g. "no force plates and no
    heel markers: gait events cannot be found").
    """


class RunContext:
    """Handed to every plugin call: progress, cancellation, a logger, warnings.

    Parameters
    ----------
    name : str
        Plugin name (the logger is ``gaitlab.plugins.<name>``).
    on_progress : callable or None
        ``on_progress(fraction, message)`` receiver.
    is_cancelled : callable or None
        Returns True when the user asked to stop.
    """

    def __init__(
        self,
        name: str = "plugin",
        *,
        on_progress: Callable[[float, str], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> None:
        self.log = logging.getLogger(f"gaitlab.plugins.{name}")
        self._on_progress = on_progress
        self._is_cancelled = is_cancelled

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress within this plugin call (0 to 1)."""
        if self._on_progress is not None:
            self._on_progress(min(max(float(fraction), 0.0), 1.0), message)

    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` when the user asked to stop."""
        if self._is_cancelled is not None and self._is_cancelled():
            raise Cancelled("cancelled by the user")
