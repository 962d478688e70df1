"""Checking a project file by file, and repairing what can be repaired.

:func:`repair_project` (``gaitlab repair PROJECT``) reads every file of a
project in isolated worker processes with a time limit (a damaged HDF5 file
can make the HDF5 library loop), and:

* restores a damaged or missing index ``project.h5`` from its last good copy
  ``project.h5.bak``, or, if that is damaged too, rebuilds it from the trial
  files, which describe themselves (trial records and subjects come back;
  settings and subject measurements typed in gaitlab are lost, and it says
  so);
* moves a damaged trial file aside (``trials/<id>.h5.damaged``) and drops the
  trial from the index, so that importing its C3D file again restores it;
* moves damaged results and events files aside: the next run recomputes the
  results, and the trial's imported events apply again;
* removes temporaries left by killed writers (as any writer does when it
  takes the lock).

With ``check_only`` nothing is changed (works on a read-only project).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaitlab.core.errors import ProjectError
from gaitlab.store._index import is_trial_id, read_index
from gaitlab.store._resultfile import read_results_file
from gaitlab.store._trialfile import read_events_file, read_trial_attrs, read_trial_file
from gaitlab.store.lock import ProjectLock, temporaries
from gaitlab.store.project import Project, _copy_atomically
from gaitlab.store.records import TrialRecord, record_from_trial_attrs, utc_now
from gaitlab.store.schema import INDEX_BACKUP_FILE, INDEX_FILE, is_project

__all__ = ["RepairReport", "check_file", "repair_project"]

BASE_TIMEOUT_S = 20.0
TIMEOUT_S_PER_MB = 2.0
"""Time limit for reading one file: 20 s plus 2 s per MB (HDF5 reads about
100 MB/s here, so a genuine file never comes near it)."""


@dataclass
class RepairReport:
    """What :func:`repair_project` found and did.

    Attributes
    ----------
    checked : int
        Files read in full.
    problems : list of str
        Damaged files and other problems found.
    actions : list of str
        What was changed (empty with ``check_only``).
    """

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


def check_file(kind: str, path: Path) -> dict[str, Any] | None:
    """Read one project file in full; None if sound, else what is wrong.

    Parameters
    ----------
    kind : str
        ``"index"``, ``"trial"``, ``"events"`` or ``"results"``; or
        ``"identity"``: read only a trial file's identity attributes.
    path : Path
        The file.

    Returns
    -------
    answer : dict or None
        None when the file is sound; ``{"problem": text}`` when it is not;
        for ``"identity"``, ``{"attrs": attributes}``.
    """
    try:
        if kind == "identity":
            return {"attrs": read_trial_attrs(path)}
        if kind == "index":
            read_index(path)
        elif kind == "trial":
            read_trial_file(path, c3d_parameters=True)
        elif kind == "events":
            read_events_file(path)
        elif kind == "results":
            read_results_file(path)
        else:
            raise ValueError(f"unknown kind of file {kind!r}")
    except ProjectError as error:
        return {"problem": str(error)}
    return None


def _timeout_s(path: Path) -> float:
    try:
        size_mb = path.stat().st_size / 1e6
    except OSError:
        size_mb = 0.0
    return BASE_TIMEOUT_S + TIMEOUT_S_PER_MB * size_mb


def _run_isolated(kind: str, paths: list[Path]) -> dict[Path, tuple[Any, Any]]:
    """:func:`check_file` on each path in time-limited worker processes.

    Returns ``{path: (answer, error)}``; ``error`` is set when the worker
    crashed or ran out of time.
    """
    from gaitlab.io.workers import WorkerPool

    if not paths:
        return {}
    pool = WorkerPool(n_workers=min(os.cpu_count() or 1, len(paths)))
    try:
        return {
            outcome.key: (outcome.value, outcome.error)
            for outcome in pool.imap_unordered(
                check_file, [(p, (kind, p), _timeout_s(p)) for p in paths]
            )
        }
    finally:
        pool.close()


def _failure(value: Any, error: Exception | None) -> str | None:
    """The problem of an isolated check: its answer, or the worker's failure."""
    if error is not None:  # the worker crashed or ran out of time
        return getattr(error, "reason", None) or str(error)
    return None if value is None else value["problem"]


def repair_project(folder: str | Path, *, check_only: bool = False) -> RepairReport:
    """Check every file of a project and repair what can be repaired.

    Parameters
    ----------
    folder : str or Path
        The project folder.
    check_only : bool
        Only report; change nothing (needs no write access).

    Returns
    -------
    report : RepairReport

    Raises
    ------
    ProjectError
        When the folder holds no project, or (unless ``check_only``) it
        cannot be written.
    ProjectLockedError
        When another process is writing the project.
    """
    folder = Path(folder)
    if not is_project(folder) and not (folder / "trials").is_dir():
        raise ProjectError(
            f"{folder}: not a gaitlab project (no {INDEX_FILE}, no trials)"
        )
    report = RepairReport()
    if check_only:
        _repair(folder, report, check_only=True)
        return report
    with ProjectLock(folder):
        _repair(folder, report, check_only=False)
    return report


def _repair(folder: Path, report: RepairReport, *, check_only: bool) -> None:
    files = {
        "index": [
            p for p in (folder / INDEX_FILE, folder / INDEX_BACKUP_FILE) if p.is_file()
        ]
    }
    for kind, sub in (
        ("trial", "trials"),
        ("events", "events"),
        ("results", "results"),
    ):
        files[kind] = []
        for path in sorted((folder / sub).glob("*.h5")):
            if not is_trial_id(path.stem) or path.is_symlink():
                report.problems.append(f"{path}: not a file of this project; ignored")
                continue
            files[kind].append(path)
    outcomes = {}
    for kind, paths in files.items():
        outcomes.update(_run_isolated(kind, paths))
    report.checked = len(outcomes)
    damaged = {}
    for path, (value, error) in outcomes.items():
        problem = _failure(value, error)
        if problem is not None:
            damaged[path] = problem
            report.problems.append(
                problem if str(path) in problem else f"{path}: {problem}"
            )
    for tmp in temporaries(folder):
        report.problems.append(f"{tmp}: temporary left by an interrupted writer")
    if check_only:
        return

    project = _restore_index(folder, damaged, report)
    for path in damaged:
        aside = path.with_name(path.name + ".damaged")
        path.replace(aside)
        trial_id = path.stem
        if path.parent == folder:  # the index or its copy, rewritten below
            report.actions.append(f"moved the damaged {path.name} to {aside.name}")
        elif path.parent.name == "trials":
            record = project._trials.pop(trial_id, None)
            source = f" from {record.source_path}" if record else ""
            report.actions.append(
                f"moved the damaged trial file {path.name} to trials/{aside.name} and "
                f"removed trial {trial_id!r}; import its C3D file{source} again "
                "to restore it"
            )
        elif path.parent.name == "results":
            report.actions.append(
                f"moved the damaged results file {path.name} to results/"
                f"{aside.name}; the next run recomputes trial {trial_id!r}"
            )
        else:
            report.actions.append(
                f"moved the damaged events file {path.name} to events/{aside.name};"
                f" trial {trial_id!r} uses its imported events again"
            )
    project._write_index()
    _copy_atomically(folder / INDEX_FILE, folder / INDEX_BACKUP_FILE)
    project.reload()
    report.problems.extend(p for p in project.problems if p not in report.problems)


def _restore_index(
    folder: Path, damaged: dict[Path, str], report: RepairReport
) -> Project:
    """The project, its index read, restored from the copy, or rebuilt."""
    index, backup = folder / INDEX_FILE, folder / INDEX_BACKUP_FILE
    for source in (index, backup):
        if source.is_file() and source not in damaged:
            content = read_index(source)
            if source == backup:
                report.actions.append(
                    f"restored the index {INDEX_FILE} from its copy {INDEX_BACKUP_FILE}"
                )
            return _project_from(
                folder, content.project_id, content.created_utc, content
            )
    project = _project_from(folder, uuid.uuid4().hex, utc_now(), None)
    rebuilt = []
    trial_files = [
        p
        for p in sorted((folder / "trials").glob("*.h5"))
        if is_trial_id(p.stem) and p not in damaged and not p.is_symlink()
    ]
    identities = _run_isolated("identity", trial_files)
    for path in trial_files:
        answer, error = identities[path]
        if error is not None or "attrs" not in answer:
            problem = error or answer["problem"]
            report.problems.append(f"{path}: identity unreadable ({problem}); left out")
            continue
        try:
            record = record_from_trial_attrs(path.stem, answer["attrs"])
        except ValueError as problem:
            report.problems.append(f"{path}: {problem}; left out")
            continue
        project._trials[path.stem] = record
        if record.subject_id:
            project._add_subject(record.subject_id, None)
        rebuilt.append(path.stem)
    project._trials = dict(
        sorted(project._trials.items(), key=lambda item: item[1].imported_utc)
    )
    report.actions.append(
        f"rebuilt the index {INDEX_FILE} from {len(rebuilt)} trial file(s); the "
        "project settings (pipeline, marker mapping, static trials) and subject "
        "measurements entered in gaitlab were in the lost index: set them again"
    )
    return project


def _project_from(
    folder: Path, project_id: str, created_utc: str, content: Any
) -> Project:
    project = Project.__new__(Project)
    project._init(folder)
    project.project_id, project.created_utc = project_id, created_utc
    if content is not None:
        project._trials = {t["trial_id"]: TrialRecord(**t) for t in content.trials}
        project._subjects = {s.id: s for s in content.subjects}
        project._settings = content.settings
    return project
