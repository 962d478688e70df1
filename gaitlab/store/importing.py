"""Importing files into a project: readers in isolated workers, dedup by hash.

:func:`import_files` (behind :meth:`gaitlab.store.project.Project.import_files`)
reads each file with the reader the registry gives for its format
(:mod:`gaitlab.io.readers`) in parallel worker processes with time and memory
limits (:mod:`gaitlab.io.workers`), so a file that crashes or hangs a parser
is refused with its reason and the others go on. Files are identified by the
SHA-256 of their bytes: an unchanged file is skipped, a changed file at a
path already imported replaces its trial. Each trial file is written by the
worker as ``.tmp`` and renamed into place by the importer, which holds the
project's writer lock throughout.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaitlab.core.errors import C3DReadError
from gaitlab.core.grouping import GroupingPattern
from gaitlab.core.subjects import subject_name_from_file
from gaitlab.io.readers import ReadFunction, find_readable_files, reader_for, sha256_of
from gaitlab.io.workers import WorkerPool, default_timeout_s
from gaitlab.store._trialfile import write_trial_file
from gaitlab.store.records import TrialRecord, slugify, utc_now

if TYPE_CHECKING:
    from gaitlab.store.project import Project

__all__ = ["ImportEvent", "import_files"]

_INDEX_INTERVAL_S = 1.0
"""Import writes the index at most this often (and at its end): trial files
committed in between are indexed from their own attributes after a crash."""


@dataclass(frozen=True)
class ImportEvent:
    """Progress of :func:`import_files`, one per file plus start and end.

    Attributes
    ----------
    kind : str
        ``"started"``, ``"imported"``, ``"updated"`` (same path, new content),
        ``"skipped"`` (unchanged file already in the project), ``"refused"``
        (unreadable file) or ``"finished"``.
    path : str
        The file ("" for started/finished).
    done, total : int
        Files handled so far, and in all.
    trial_id : str
        The trial created or matched ("" if refused).
    message : str
        The reason for a skip or refusal, or the warnings of an import.
    warnings : tuple of str
        Problems found in an imported file.
    """

    kind: str
    path: str = ""
    done: int = 0
    total: int = 0
    trial_id: str = ""
    message: str = ""
    warnings: tuple[str, ...] = ()


@dataclass
class _ImportJob:
    path: Path
    read: ReadFunction
    sha256: str
    trial_id: str
    subject_id: str
    session: str
    condition: str
    replaces: bool = False
    imported_utc: str = field(default_factory=utc_now)
    subject_from_file: bool = False


def import_files(
    project: Project,
    paths: Iterable[str | Path],
    *,
    subject: str | None = None,
    session: str = "",
    condition: str = "",
    pattern: str | None = None,
    workers: int | None = None,
    timeout_s: float | None = None,
) -> Iterator[ImportEvent]:
    """Import files of any registered format, yielding one progress event per file.

    Each file is read by the reader the registry gives for it
    (:func:`gaitlab.io.readers.reader_for`), in parallel, isolated worker
    processes (:class:`gaitlab.io.workers.WorkerPool`); a file that
    cannot be read is refused with its reason and the others go on. An
    unchanged file already in the project is skipped; a changed file at
    a path already imported replaces that trial. Each trial is committed
    on its own, so stopping the import (or a crash) keeps every trial
    finished before it.

    Parameters
    ----------
    project : Project
        The project to import into (its writer lock is taken).
    paths : iterable of str or Path
        Files and folders (searched recursively for the files a registered
        reader takes, :func:`gaitlab.io.readers.find_readable_files`).
    subject : str or None
        Subject id for every file; None takes the subject the file names
        (``SUBJECTS:NAMES``, not a marker-set name such as ``CAST_ISB``:
        :func:`~gaitlab.core.subjects.subject_name_from_file`), else the
        file's folder name.
    session, condition : str
        Grouping labels for every file.
    pattern : str or None
        A file-name pattern such as ``"{subject}_{condition}_{trial}"``
        (:class:`~gaitlab.core.grouping.GroupingPattern`): the subject,
        session and condition it names replace the ones above for each new
        file whose name fits; a name that does not fit keeps them, with a
        warning on its event. Files imported before keep their grouping.
    workers : int or None
        Parallel reader processes; None uses every CPU.
    timeout_s : float or None
        Time limit per file in seconds; None scales with file size.

    Yields
    ------
    event : ImportEvent
        ``started``, then one per file, then ``finished``.
    """
    files = find_readable_files(paths)
    total = len(files)
    grouping = GroupingPattern.parse(pattern) if pattern else None
    with project._writer_lock():
        project.reload()
        yield ImportEvent("started", total=total)
        done = 0
        jobs: list[_ImportJob] = []
        by_sha = {r.source_sha256: r for r in project._trials.values()}
        by_path = {r.source_path: r for r in project._trials.values()}
        claimed: set[str] = set(project._trials)
        unfit: dict[str, str] = {}
        for path in files:
            try:
                read = reader_for(path).read
            except C3DReadError as error:
                done += 1
                yield ImportEvent(
                    "refused", str(path), done, total, message=error.reason
                )
                continue
            try:
                sha = sha256_of(path)
            except OSError as error:
                done += 1
                yield ImportEvent(
                    "refused",
                    str(path),
                    done,
                    total,
                    message=f"cannot be read: {error.strerror or error}",
                )
                continue
            if sha in by_sha:
                done += 1
                trial_id = by_sha[sha].trial_id
                yield ImportEvent(
                    "skipped",
                    str(path),
                    done,
                    total,
                    trial_id,
                    message=f"unchanged; already imported as trial {trial_id!r}",
                )
                continue
            previous = by_path.get(str(path))
            subject_id = slugify(
                subject if subject is not None else path.parent.name, "subject"
            )
            if previous is not None:
                trial_id = previous.trial_id
                subject_id, session_, condition_ = (
                    previous.subject_id,
                    previous.session,
                    previous.condition,
                )
            else:
                trial_id = _unique_id(slugify(path.stem, "trial"), claimed)
                session_, condition_ = session, condition
                named = grouping.match(path.name) if grouping else {}
                if named is None:
                    unfit[str(path)] = (
                        f"the file name does not fit the pattern {pattern!r}: "
                        "grouping from the options"
                    )
                elif "subject" in named:
                    subject_id = slugify(named["subject"], "subject")
                session_ = (named or {}).get("session", session_)
                condition_ = (named or {}).get("condition", condition_)
            claimed.add(trial_id)
            by_sha[sha] = TrialRecord(
                trial_id,
                subject_id,
                session_,
                condition_,
                path.stem,
                str(path),
                sha,
                "",
            )
            jobs.append(
                _ImportJob(
                    path,
                    read,
                    sha,
                    trial_id,
                    subject_id,
                    session_,
                    condition_,
                    replaces=previous is not None,
                    subject_from_file=subject is None
                    and previous is None
                    and "subject" not in (grouping.fields if grouping else ()),
                )
            )
        pool = WorkerPool(
            n_workers=min(workers or os.cpu_count() or 1, max(1, len(jobs)))
        )
        tasks = [
            (
                job,
                (
                    job.read,
                    job.path,
                    job.sha256,
                    project._trial_path(job.trial_id),
                    _job_attrs(job),
                    job.subject_from_file,
                ),
                timeout_s if timeout_s is not None else default_timeout_s(job.path),
            )
            for job in jobs
        ]
        unindexed = 0  # trials committed since the index was last written
        index_due = time.monotonic() + _INDEX_INTERVAL_S
        try:
            for outcome in pool.imap_unordered(_read_and_write_trial, tasks):
                if unindexed and time.monotonic() >= index_due:
                    project._write_index()
                    unindexed = 0
                    index_due = time.monotonic() + _INDEX_INTERVAL_S
                job = outcome.key
                done += 1
                tmp = project._trial_path(job.trial_id).with_suffix(".h5.tmp")
                if outcome.error is not None:
                    tmp.unlink(missing_ok=True)
                    reason = (
                        outcome.error.reason
                        if isinstance(outcome.error, C3DReadError)
                        else str(outcome.error)
                    )
                    yield ImportEvent(
                        "refused", str(job.path), done, total, message=reason
                    )
                    continue
                _commit_trial(project, job, tmp, outcome.value)
                unindexed += 1
                warnings = tuple(outcome.value["warnings"])
                if str(job.path) in unfit:
                    warnings = (*warnings, unfit[str(job.path)])
                yield ImportEvent(
                    "updated" if job.replaces else "imported",
                    str(job.path),
                    done,
                    total,
                    job.trial_id,
                    message="; ".join(warnings),
                    warnings=warnings,
                )
        finally:
            pool.close()
            for job in jobs:
                project._trial_path(job.trial_id).with_suffix(".h5.tmp").unlink(
                    missing_ok=True
                )
            if unindexed:
                project._write_index()
        yield ImportEvent("finished", done=done, total=total)


def _commit_trial(
    project: Project, job: _ImportJob, tmp: Path, summary: dict[str, Any]
) -> None:
    """Rename an imported trial file into place and record it (in memory:
    the caller writes the index)."""
    tmp.replace(project._trial_path(job.trial_id))
    job.subject_id = summary.get("subject_id") or job.subject_id
    if job.replaces:
        project._events_path(job.trial_id).unlink(missing_ok=True)
    project._trials[job.trial_id] = TrialRecord(
        trial_id=job.trial_id,
        subject_id=job.subject_id,
        session=job.session,
        condition=job.condition,
        label=job.path.stem,
        source_path=str(job.path),
        source_sha256=job.sha256,
        imported_utc=job.imported_utc,
        warnings=tuple(summary["warnings"]),
    )
    project._add_subject(job.subject_id, summary.get("subject"))


def _read_and_write_trial(
    read: ReadFunction,
    path: Path,
    sha256: str,
    target: Path,
    attrs: dict[str, Any],
    subject_from_file: bool = False,
) -> dict[str, Any]:
    """Import worker: read one file with its reader, write its trial file as ``.tmp``.

    With ``subject_from_file``, the subject the file names (if any) replaces
    the folder-name default in ``attrs`` and is returned as ``subject_id``.
    """
    trial = read(path, sha256)
    name = subject_name_from_file(trial.meta.get("c3d_subject_names", ()))
    if subject_from_file and name:
        attrs = {**attrs, "subject_id": slugify(name, "subject")}
    write_trial_file(target, trial, attrs, rename=False)
    return {
        "warnings": trial.warnings,
        "subject": trial.subject,
        "subject_id": attrs["subject_id"],
    }


def _job_attrs(job: _ImportJob) -> dict[str, Any]:
    """Identity attributes written into the trial file (used to recover the index)."""
    return {
        "trial_id": job.trial_id,
        "subject_id": job.subject_id,
        "session": job.session,
        "condition": job.condition,
        "imported_utc": job.imported_utc,
    }


def _unique_id(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
