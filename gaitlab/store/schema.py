"""Names and version of the on-disk project format.

A project is a folder::

    NAME/
      project.h5          index: root attrs gaitlab_format="gaitlab-project",
                          gaitlab_format_version, project_id, created_utc,
                          last_written_by; datasets "trials" and "subjects"
                          (JSON text: one record per trial / subject)
      project.h5.bak      copy of the last index written (for ``gaitlab repair``)
      project.lock        names the process writing the project (pid); the
                          lock itself is an OS lock (flock) on the folder
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

Versions:

1. The first layout.
2. Every file carries checksums (root attribute ``gaitlab_checksums``, see
   :mod:`gaitlab.store._integrity`) and uses HDF5's 1.10 object format,
   whose metadata has checksums too. Version-1 files still open (read
   without checksums); files are written in version 2, so an old project is
   upgraded file by file as it changes. Trial ids in the index must be slugs
   (``[a-z0-9_-]``, see :data:`TRIAL_ID_PATTERN`), as import always made them.
3. Lean trial files (see :mod:`gaitlab.store._trialfile`): one JSON header
   attribute for everything but the arrays, arrays stored losslessly in the
   narrowest exact form (float32 where the C3D file held float32) and
   compressed (Blosc/zstd, from ``hdf5plugin``). Index, events and results
   files keep the version-2 layout. Trial files of versions 1 and 2 still
   open; a trial file is written once, so a project's old trials stay in
   their format until re-imported.
4. Lean results files (see :mod:`gaitlab.store._resultfile`): one compressed
   JSON document for the statuses, metrics, events and provenance of every
   plugin, and one dataset per series. Results files of versions 1–3 still
   open; results are rewritten at every run, so they move to version 4 as
   the pipeline runs. Trial, events and index files are unchanged.
5. Trial files compressed with Zstandard (``hdf5plugin``'s Zstd filter,
   level 1) instead of Blosc: 0.96 instead of 0.98 of the C3D files' size,
   and written in about two thirds of the time (import). Trial files of
   versions 1–4 still open (a trial file is written once: a project's old
   trials keep their format until re-imported); other files are unchanged.
6. Packed results files (see :mod:`gaitlab.store._resultfile`): the
   metrics' values, steps and times in one float64 dataset and every series
   in one more, beside the JSON document of everything else, so a file has
   three datasets and no number in bulk written as text (a 30 s trial's
   results are written in about a third of the time). Results files of
   versions 1–5 still open and move to version 6 when the pipeline next
   runs; trial, events and index files are unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = [
    "FORMAT_VERSION",
    "INDEX_BACKUP_FILE",
    "INDEX_FILE",
    "LOCK_FILE",
    "PROJECT_FORMAT_NAME",
    "RESULTS_FORMAT_NAME",
    "TRIAL_FORMAT_NAME",
    "TRIAL_ID_PATTERN",
    "is_project",
]

INDEX_FILE = "project.h5"
"""The project's index, in the project folder; its presence makes a project."""
INDEX_BACKUP_FILE = "project.h5.bak"
"""Copy of the last index written by a finished writer (for ``gaitlab repair``)."""
LOCK_FILE = "project.lock"
"""Names the process writing the project (see :mod:`gaitlab.store.lock`)."""

PROJECT_FORMAT_NAME = "gaitlab-project"
TRIAL_FORMAT_NAME = "gaitlab-trial"
RESULTS_FORMAT_NAME = "gaitlab-results"
FORMAT_VERSION = 6

TRIAL_ID_PATTERN = re.compile(r"[a-z0-9_][a-z0-9_-]{0,199}")
"""A trial id: what :func:`~gaitlab.store.project.slugify` makes (at most 200
characters); it names the trial's files, so nothing else is accepted."""


def is_project(path: str | Path) -> bool:
    """True for a project folder, or the path of a project's index file.

    A project folder is one holding an index file ``project.h5``. Only the
    file's presence is checked (it is not opened): opening a damaged index
    gives the error that says how to repair it.

    Parameters
    ----------
    path : str or Path
        A folder, or a file.

    Examples
    --------
    >>> is_project(tmp_path)  # doctest: +SKIP
    False
    """
    path = Path(path).expanduser()
    if path.name == INDEX_FILE and path.is_file():
        return True
    return (path / INDEX_FILE).is_file()
