"""Names and version of the on-disk project format.

A project is a folder::

    NAME/
      project.h5          index: root attrs gaitlab_format="gaitlab-project",
                          gaitlab_format_version, project_id, created_utc,
                          last_written_by; datasets "trials" and "subjects"
                          (JSON text: one record per trial / subject)
      project.lock        held (flock) by the one process writing the project
      trials/<id>.h5      one trial's raw data, write-once (see _trialfile)
      events/<id>.h5      events edited after import (absent until edited)
      results/<id>.h5     analysis results with provenance (see _resultfile)

The index also holds the project settings (dataset "settings", JSON): the
pipeline (plugins and parameters), the marker mapping and the static trial
of each trial. Projects written before settings and results existed simply
lack them; they read as empty.

Every file is replaced atomically (write ``.tmp``, fsync, rename). Trial files
describe themselves (identity and source in their attributes), so a trial
committed just before a crash that prevented the index update is recovered
when the project is next opened.

``FORMAT_VERSION`` is one integer for the whole layout; a newer version is
refused with :class:`~gaitlab.core.errors.FormatVersionError`.
"""

from __future__ import annotations

__all__ = [
    "FORMAT_VERSION",
    "PROJECT_FORMAT_NAME",
    "RESULTS_FORMAT_NAME",
    "TRIAL_FORMAT_NAME",
]

PROJECT_FORMAT_NAME = "gaitlab-project"
TRIAL_FORMAT_NAME = "gaitlab-trial"
RESULTS_FORMAT_NAME = "gaitlab-results"
FORMAT_VERSION = 1
