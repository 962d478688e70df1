"""The application state without Qt: open project, selected trial, time cursor, edits.

The desktop app, scripts and tests drive gaitlab through one :class:`Session`.
It holds the open :class:`~gaitlab.store.project.Project`, the selected trial
with its results (:class:`LoadedTrial`), the time cursor, and the undo
history of event and subject edits, and announces changes through psygnal
signals.

Threading rule: long work (:meth:`Session.import_files`,
:meth:`Session.run`, :meth:`Session.load`) is a generator or a plain
function that never emits; the caller hands what it yields or returns to
:meth:`Session.apply` / :meth:`Session.show` on the thread that owns the
listeners (the GUI thread), which updates the state and emits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from psygnal import Signal

from gaitlab.core.contacts import FOOT_OFF, FOOT_STRIKE, Contact, contacts_from_events
from gaitlab.core.errors import GaitlabError, PluginError
from gaitlab.core.landmarks import MarkerMap
from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.core.trial import Event, Subject, Trial
from gaitlab.pipeline.config import PipelineConfig
from gaitlab.pipeline.discovery import DiscoveryReport, discover
from gaitlab.pipeline.runner import (
    RunEvent,
    freshness,
    marker_map_for,
    project_pipeline,
    run_pipeline,
    static_trial_view,
    trial_state,
)
from gaitlab.pipeline.spec import PluginSpec
from gaitlab.pipeline.view import TrialView
from gaitlab.store.project import ImportEvent, Project, create_project, open_project

__all__ = [
    "SUBJECT_LENGTHS",
    "EventEdit",
    "LoadedTrial",
    "Session",
    "SubjectEdit",
    "static_view",
    "subject_length",
    "trial_status",
    "with_subject_length",
]

log = logging.getLogger(__name__)

GAIT_LABELS = (FOOT_STRIKE, FOOT_OFF)

SUBJECT_LENGTHS = ("foot_length_m", "shoe_length_m")
"""Subject lengths in m kept as fields of :class:`Subject` when it has them,
else in its ``extra`` (where ``gaitlab subject`` stores them)."""


def subject_length(subject: Subject, name: str) -> float | None:
    """Foot or shoe length of a subject in m (None: not set); see :data:`SUBJECT_LENGTHS`."""
    if hasattr(subject, name):
        value = getattr(subject, name)
    else:
        value = subject.extra.get(name)
    return None if value is None else float(value)


def with_subject_length(subject: Subject, name: str, value: float | None) -> Subject:
    """The subject with a foot or shoe length set (None: removed), in m."""
    if hasattr(subject, name):
        return replace(subject, **{name: value})
    extra = {k: v for k, v in subject.extra.items() if k != name}
    if value is not None:
        extra[name] = float(value)
    return replace(subject, extra=extra)


@dataclass
class LoadedTrial:
    """A trial with everything the views show.

    Attributes
    ----------
    trial_id : str
        The trial.
    trial : Trial
        Its data (arrays in SI units).
    results : dict of str to Result
        Stored analysis results by plugin.
    freshness : dict of str to str
        ``fresh``/``stale``/``missing`` per planned plugin.
    static_id : str or None
        The static trial used as reference.
    marker_map_for : callable or None
        Labels -> landmark resolution with the project's marker settings
        (:func:`~gaitlab.pipeline.runner.marker_map_for` bound to the
        project); None: built from the labels, preset detected.
    static : TrialView or None
        The static trial as the analysis sees it (see :func:`static_view`);
        landmarks only it carries are rebuilt in :meth:`view`.
    static_problem : str
        Why the static trial named by ``static_id`` could not be read ("" if
        it was, or there is none): the trial is shown without it.
    specs : dict of str to PluginSpec
        Declarations of the plugins installed here, by name: the views take
        the display hints of the results' series and metrics from them
        (:class:`~gaitlab.core.results.SeriesSpec`). A result of a plugin not
        installed here has none, and is shown only on request.
    """

    trial_id: str
    trial: Trial
    results: dict[str, Result]
    freshness: dict[str, str]
    static_id: str | None = None
    marker_map_for: Callable[[Sequence[str]], MarkerMap] | None = None
    static: TrialView | None = None
    static_problem: str = ""
    specs: dict[str, PluginSpec] = field(default_factory=dict)

    def view(self) -> TrialView:
        """The trial as the analysis plugins see it, without their results.

        Same marker map and static trial as in a run, so the body points
        (:attr:`TrialView.body`) include the landmarks rebuilt from the static
        trial (cluster protocols). Each call builds a new view (its body
        points are computed on first use).
        """
        labels = self.trial.markers.labels
        return TrialView(
            self.trial,
            marker_map=self.marker_map_for(labels) if self.marker_map_for else None,
            static=self.static,
        )

    @property
    def gait_events(self) -> list[Event]:
        """Foot Strike / Foot Off events shown and edited.

        The user's edits when there are any, else the detected events (the
        ``gait_events`` result), else the file's own events.
        """
        edited = [e for e in self.trial.events if e.origin == "user"]
        if edited:
            return [e for e in edited if e.label in GAIT_LABELS]
        result = self.results.get("gait_events")
        if result is not None and result.status in USABLE_STATUSES:
            return list(result.events)
        return [e for e in self.trial.events if e.label in GAIT_LABELS]

    @property
    def contacts(self) -> list[Contact]:
        """Stance phases from :attr:`gait_events`, numbered as the metrics' steps."""
        return contacts_from_events(self.gait_events)


def static_view(project: Project, trial_id: str) -> TrialView | None:
    """The static trial of a trial as a view, as the runner hands it to the plugins.

    The trial ``project.static_trial_for(trial_id)`` names, with the project's
    marker settings (:func:`~gaitlab.pipeline.runner.marker_map_for`); None
    when the trial has none (a static trial itself has none).
    """
    return static_trial_view(project, project.static_trial_for(trial_id))


@dataclass(frozen=True)
class EventEdit:
    """One undoable change of a trial's gait events.

    Attributes
    ----------
    trial_id : str
        The trial.
    description : str
        What the user did ("move Foot Strike at 1.234 s").
    before, after : tuple of Event
        The trial's events before and after (None: the events file did not
        exist, i.e. the file's and the detection's events were in use).
    """

    trial_id: str
    description: str
    before: tuple[Event, ...] | None
    after: tuple[Event, ...]


@dataclass(frozen=True)
class SubjectEdit:
    """One undoable change of a subject's record.

    Attributes
    ----------
    subject_id : str
        The subject.
    description : str
        What the user did ("edit subject s01: mass").
    before, after : Subject
        The record before and after.
    """

    subject_id: str
    description: str
    before: Subject
    after: Subject


@dataclass(frozen=True)
class GroupingEdit:
    """One undoable change of the subject, session or condition of trials.

    Attributes
    ----------
    description : str
        What the user did ("condition of 3 trials: lean").
    before, after : tuple of (str, str, str, str)
        ``(trial_id, subject_id, session, condition)`` of each trial changed.
    """

    description: str
    before: tuple[tuple[str, str, str, str], ...]
    after: tuple[tuple[str, str, str, str], ...]


def trial_status(results: dict[str, Result], fresh: dict[str, str]) -> str:
    """One word for a trial's analysis state.

    ``not run`` (no results), ``failed`` (a plugin failed), ``stale`` (a result
    is out of date), ``incomplete`` (a planned plugin has not run) or
    ``fresh``.
    """
    if not results:
        return "not run"
    if any(r.status == "failed" for r in results.values()):
        return "failed"
    if any(state == "stale" for state in fresh.values()):
        return "stale"
    if any(state == "missing" for state in fresh.values()):
        return "incomplete"
    return "fresh"


@dataclass
class _History:
    done: list[EventEdit | SubjectEdit | GroupingEdit] = field(default_factory=list)
    undone: list[EventEdit | SubjectEdit | GroupingEdit] = field(default_factory=list)


class Session:
    """What is open and selected, shared by the app's views (no Qt).

    Examples
    --------
    >>> session = Session()  # doctest: +SKIP
    >>> session.open("study.gaitlab")  # doctest: +SKIP
    >>> session.show(session.load(session.project.trial_ids[0]))  # doctest: +SKIP
    >>> session.set_cursor(1.25)  # doctest: +SKIP
    """

    project_changed = Signal(object)
    trials_changed = Signal()
    trial_loaded = Signal(object)
    cursor_moved = Signal(float)
    events_changed = Signal(str)
    subjects_changed = Signal(str)
    results_changed = Signal(str)
    history_changed = Signal()
    busy_changed = Signal(bool)

    def __init__(self) -> None:
        self.project: Project | None = None
        self.current: LoadedTrial | None = None
        self.cursor_s = 0.0
        self._busy = False
        self._history = _History()

    # ---- project

    def open(self, path: str | Path) -> Project:
        """Open a project (replacing the open one)."""
        return self._set_project(open_project(path))

    def create(self, path: str | Path) -> Project:
        """Create a new, empty project and open it."""
        return self._set_project(create_project(path))

    @property
    def plugins(self) -> DiscoveryReport:
        """Discovered plugins."""
        return discover()

    @property
    def pipeline(self) -> PipelineConfig:
        """The open project's pipeline (default when none is saved)."""
        self._require_project()
        assert self.project is not None
        return project_pipeline(self.project, discover())

    def set_pipeline(self, config: PipelineConfig) -> None:
        """Save a pipeline in the project (plugins and parameters)."""
        self._require_project()
        assert self.project is not None
        config.plan(discover())  # refuse what cannot run before saving
        self.project.set_setting("pipeline", config.to_json())
        if self.current is not None:
            self.results_changed.emit(self.current.trial_id)

    def status(self, trial_id: str) -> str:
        """Analysis state of a trial (see :func:`trial_status`)."""
        assert self.project is not None
        results = self.project.load_results(trial_id)
        return trial_status(results, self._freshness(trial_id, results))

    # ---- trial and cursor

    def load(self, trial_id: str) -> LoadedTrial:
        """Read a trial, its results and its static trial (slow for long trials: run
        it off the GUI thread)."""
        self._require_project()
        assert self.project is not None
        trial = self.project.load_trial(trial_id)
        trial.label = self.project.record(trial_id).label
        results = self.project.load_results(trial_id)
        static_id = self.project.static_trial_for(trial_id)
        static, problem = None, ""
        try:
            static = static_view(self.project, trial_id)
        except (GaitlabError, OSError, KeyError, ValueError) as error:
            # a damaged or mismatched static trial must not hide this one (a bug,
            # e.g. a TypeError, still surfaces)
            problem = (
                f"the static trial {static_id} could not be read "
                f"({type(error).__name__}: {error})"
            )
            log.warning("trial %s: %s", trial_id, problem)
        return LoadedTrial(
            trial_id,
            trial,
            results,
            self._freshness(trial_id, results),
            static_id,
            partial(marker_map_for, self.project),
            static,
            problem,
            dict(discover().specs),
        )

    def show(self, loaded: LoadedTrial) -> None:
        """Make a loaded trial the current one; the cursor goes to its start."""
        self.current = loaded
        self.cursor_s = float(loaded.trial.markers.t0_s)
        self.trial_loaded.emit(loaded)
        self.cursor_moved.emit(self.cursor_s)

    def set_cursor(self, time_s: float) -> None:
        """Move the time cursor (clamped to the trial)."""
        if self.current is not None:
            start, stop = self.time_range()
            time_s = min(max(float(time_s), start), stop)
        if time_s != self.cursor_s:
            self.cursor_s = float(time_s)
            self.cursor_moved.emit(self.cursor_s)

    def time_range(self) -> tuple[float, float]:
        """First and last time of the current trial, in s."""
        if self.current is None:
            return 0.0, 0.0
        trial = self.current.trial
        starts = [trial.markers.t0_s, trial.analogs.t0_s]
        return float(min(starts)), float(min(starts) + trial.duration_s)

    def step_cursor(self, frames: int) -> None:
        """Move the cursor by whole marker frames (or analog samples without markers)."""
        if self.current is None:
            return
        trial = self.current.trial
        rate = (
            trial.markers.rate_hz if trial.markers.n_frames else trial.analogs.rate_hz
        )
        if rate > 0:
            self.set_cursor(self.cursor_s + frames / rate)

    # ---- event editing with undo

    def edit_events(self, events: Iterable[Event], description: str) -> None:
        """Replace the current trial's gait events (saved to the project, undoable).

        The events become the user's (origin ``user``); the gait-events result
        and everything that depends on it turn stale until run again.
        """
        self._require_trial()
        assert self.current is not None
        assert self.project is not None
        trial_id = self.current.trial_id
        previous = [e for e in self.current.trial.events if e.origin == "user"]
        before = tuple(self.current.trial.events) if previous else None
        kept = [e for e in self.current.trial.events if e.label not in GAIT_LABELS]
        after = tuple(
            sorted(
                kept + [Event(e.time_s, e.label, e.context, "user") for e in events],
                key=lambda e: e.time_s,
            )
        )
        self._history.done.append(EventEdit(trial_id, description, before, after))
        self._history.undone.clear()
        self._write_events(trial_id, after)

    def undo(self) -> None:
        """Undo the last edit (of events or of a subject)."""
        if not self._history.done:
            return
        edit = self._history.done.pop()
        self._history.undone.append(edit)
        if isinstance(edit, SubjectEdit):
            self._write_subject(edit.before)
        elif isinstance(edit, GroupingEdit):
            self._write_grouping(edit.before)
        else:
            self._write_events(edit.trial_id, edit.before)

    def redo(self) -> None:
        """Redo the last undone edit."""
        if not self._history.undone:
            return
        edit = self._history.undone.pop()
        self._history.done.append(edit)
        if isinstance(edit, SubjectEdit):
            self._write_subject(edit.after)
        elif isinstance(edit, GroupingEdit):
            self._write_grouping(edit.after)
        else:
            self._write_events(edit.trial_id, edit.after)

    # ---- subjects

    def subject(self, subject_id: str) -> Subject:
        """A subject's record (an empty one when the project has none for it)."""
        self._require_project()
        assert self.project is not None
        return self.project.subjects.get(subject_id) or Subject(
            id=subject_id, label=subject_id
        )

    def subject_trials(self, subject_id: str) -> list[str]:
        """The trials of a subject."""
        self._require_project()
        assert self.project is not None
        return [r.trial_id for r in self.project.trials if r.subject_id == subject_id]

    def edit_subject(self, subject: Subject, description: str = "") -> bool:
        """Replace a subject's record (mass, height, sex, lengths), saved and undoable.

        The stored results of the subject's trials that depend on these values
        turn stale until run again. Returns False when nothing changed.
        (:class:`Subject` itself refuses impossible values, e.g. a mass ≤ 0.)
        """
        before = self.subject(subject.id)
        if subject == before:
            return False
        self._history.done.append(
            SubjectEdit(
                subject.id, description or f"edit subject {subject.id}", before, subject
            )
        )
        self._history.undone.clear()
        self._write_subject(subject)
        return True

    # ---- grouping

    def edit_grouping(
        self,
        trial_ids: Iterable[str],
        *,
        subject_id: str | None = None,
        session: str | None = None,
        condition: str | None = None,
    ) -> bool:
        """Set the subject, session and/or condition of trials (saved, undoable).

        None leaves a field as it is. A subject id not in the project gets an
        empty subject record. Grouping changes no number, but moving a trial
        to another subject gives it that subject's mass and lengths, so the
        results that use them turn stale. Returns False when nothing changed.
        """
        self._require_project()
        assert self.project is not None
        ids = list(dict.fromkeys(trial_ids))
        before = tuple(
            (r.trial_id, r.subject_id, r.session, r.condition)
            for r in (self.project.record(t) for t in ids)
        )
        after = tuple(
            (
                trial_id,
                old_subject if subject_id is None else subject_id,
                old_session if session is None else session,
                old_condition if condition is None else condition,
            )
            for trial_id, old_subject, old_session, old_condition in before
        )
        if after == before:
            return False
        changed = [
            name
            for name, value in (
                ("subject", subject_id),
                ("session", session),
                ("condition", condition),
            )
            if value is not None
        ]
        values = ", ".join(
            f"{name} {value or '(none)'}"
            for name, value in zip(
                ("subject", "session", "condition"),
                (subject_id, session, condition),
                strict=True,
            )
            if value is not None
        )
        description = (
            f"{'/'.join(changed)} of {len(ids)} trial{'s' if len(ids) != 1 else ''}: "
            f"{values}"
        )
        self._history.done.append(GroupingEdit(description, before, after))
        self._history.undone.clear()
        self._write_grouping(after)
        return True

    @property
    def undo_text(self) -> str:
        """What :meth:`undo` would undo ("" if nothing)."""
        return self._history.done[-1].description if self._history.done else ""

    @property
    def redo_text(self) -> str:
        """What :meth:`redo` would redo ("" if nothing)."""
        return self._history.undone[-1].description if self._history.undone else ""

    # ---- long work, as generators; results applied on the listeners' thread

    @property
    def busy(self) -> bool:
        """True while an import or a run is going on."""
        return self._busy

    def set_busy(self, busy: bool) -> None:
        """Mark long work as started or finished (one task at a time)."""
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def import_files(
        self, paths: Iterable[str | Path], **options: Any
    ) -> Iterator[ImportEvent]:
        """Import C3D files into the open project (see ``Project.import_files``)."""
        self._require_project()
        assert self.project is not None
        yield from self.project.import_files(paths, **options)

    def run(
        self,
        trial_ids: Iterable[str] | None = None,
        *,
        plugins: Iterable[str] | None = None,
        only_stale: bool = False,
        workers: int | None = None,
    ) -> Iterator[RunEvent]:
        """Run the pipeline (see :func:`gaitlab.pipeline.runner.run_pipeline`)."""
        self._require_project()
        assert self.project is not None
        yield from run_pipeline(
            self.project,
            trial_ids,
            plugins=plugins,
            only_stale=only_stale,
            workers=workers,
        )

    def apply(self, event: ImportEvent | RunEvent) -> None:
        """Take one progress event of :meth:`import_files` or :meth:`run` into the state."""
        if isinstance(event, ImportEvent):
            if event.kind in ("imported", "updated", "finished"):
                assert self.project is not None
                self.project.reload()
                self.trials_changed.emit()
            return
        if event.kind == "trial":
            if self.current is not None and event.trial_id == self.current.trial_id:
                self._refresh_results()
            self.results_changed.emit(event.trial_id)

    # ---- private

    def _set_project(self, project: Project) -> Project:
        self.project = project
        self.current = None
        self._history = _History()
        self.project_changed.emit(project)
        self.trials_changed.emit()
        self.history_changed.emit()
        return project

    def _freshness(self, trial_id: str, results: dict[str, Result]) -> dict[str, str]:
        assert self.project is not None
        report = discover()
        try:
            plan = project_pipeline(self.project, report).plan(report)
        except PluginError:  # a plugin of the pipeline is not installed here
            return dict.fromkeys(results, "unknown")
        return freshness(plan, trial_state(self.project, trial_id), results)

    def _write_events(self, trial_id: str, events: tuple[Event, ...] | None) -> None:
        assert self.project is not None
        if events is None:
            self.project.clear_events(trial_id)
        else:
            self.project.set_events(trial_id, events)
        if self.current is not None and self.current.trial_id == trial_id:
            self.current.trial.events = tuple(
                events
                if events is not None
                else self.project.load_trial(trial_id).events
            )
            self._refresh_results()
        self.events_changed.emit(trial_id)
        self.results_changed.emit(trial_id)
        self.history_changed.emit()

    def _write_subject(self, subject: Subject) -> None:
        assert self.project is not None
        self.project.set_subject(subject)
        trials = self.subject_trials(subject.id)
        current = self.current
        if current is not None and current.trial_id in trials:
            current.trial.subject = subject
            self._refresh_results()
        self.subjects_changed.emit(subject.id)
        for trial_id in trials:
            self.results_changed.emit(trial_id)
        self.history_changed.emit()

    def _write_grouping(self, rows: tuple[tuple[str, str, str, str], ...]) -> None:
        assert self.project is not None
        for trial_id, subject_id, session, condition in rows:
            self.project.set_trial_info(
                trial_id, subject_id=subject_id, session=session, condition=condition
            )
        current = self.current
        if current is not None and current.trial_id in {row[0] for row in rows}:
            record = self.project.record(current.trial_id)
            current.trial.subject = self.subject(record.subject_id)
            self._refresh_results()
        self.trials_changed.emit()
        for row in rows:
            self.results_changed.emit(row[0])
        self.history_changed.emit()

    def _refresh_results(self) -> None:
        assert self.current is not None
        assert self.project is not None
        trial_id = self.current.trial_id
        self.current.results = self.project.load_results(trial_id)
        self.current.freshness = self._freshness(trial_id, self.current.results)

    def _require_project(self) -> None:
        if self.project is None:
            raise RuntimeError("no project is open")

    def _require_trial(self) -> None:
        self._require_project()
        if self.current is None:
            raise RuntimeError("no trial is selected")
