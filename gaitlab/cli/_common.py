"""Helpers shared by the subcommands: finding trials by the names users type."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from gaitlab.core.errors import GaitlabError
from gaitlab.store.project import Project

__all__ = [
    "UsageError",
    "close_matches",
    "help_text",
    "resolve_trial",
    "resolve_trials",
]


class UsageError(GaitlabError):
    """A command was given something it cannot use (``gaitlab`` exits with 2)."""


def close_matches(text: str, choices: Iterable[str], n: int = 5) -> list[str]:
    """Up to ``n`` of ``choices`` that look like ``text`` (case-insensitive).

    Examples
    --------
    >>> close_matches("RUN_1", ["run_1", "run_2", "static"])
    ['run_1', 'run_2']
    """
    by_key: dict[str, str] = {}
    for choice in choices:
        by_key.setdefault(choice.lower(), choice)
    keys = difflib.get_close_matches(text.lower(), list(by_key), n=n, cutoff=0.6)
    return [by_key[key] for key in keys]


def resolve_trial(project: Project, text: str) -> str:
    """The id of the trial a user named, by id or by displayed name.

    Trial ids are lower-case slugs while the app shows each trial's label (the
    C3D file's stem, original case), so both are accepted, case-insensitively,
    with or without a ``.c3d`` suffix.

    Parameters
    ----------
    project : Project
        The project.
    text : str
        What the user typed.

    Returns
    -------
    trial_id : str

    Raises
    ------
    UsageError
        For an unknown name (the close matches listed) or a name that is the
        label of several trials (their ids listed).
    """
    if text in project.trial_ids:
        return text
    wanted = text.strip().lower()
    if wanted.endswith(".c3d"):
        wanted = wanted[: -len(".c3d")]
    by_id = [t for t in project.trial_ids if t.lower() == wanted]
    if by_id:
        return by_id[0]
    by_label = [r.trial_id for r in project.trials if r.label.lower() == wanted]
    if len(by_label) == 1:
        return by_label[0]
    if by_label:
        raise UsageError(
            f"trial {text!r} is ambiguous in {project.path}: several trials have "
            f"that name; use one of the ids {', '.join(by_label)}"
        )
    names = [*project.trial_ids, *(r.label for r in project.trials)]
    close = list(
        dict.fromkeys(_id_of(project, n) for n in close_matches(wanted, names))
    )
    if close:
        hint = "close matches: " + ", ".join(close)
    elif project.trial_ids:
        hint = f"list the {len(project.trial_ids)} trials with: gaitlab info {project.path}"
    else:
        hint = "the project has no trials yet (gaitlab import)"
    raise UsageError(f"no trial {text!r} in {project.path}; {hint}")


def resolve_trials(project: Project, texts: Sequence[str] | None) -> list[str] | None:
    """:func:`resolve_trial` for each name (None stays None: every trial)."""
    if texts is None:
        return None
    return list(dict.fromkeys(resolve_trial(project, text) for text in texts))


def _id_of(project: Project, name: str) -> str:
    """The id of a trial given its id or its label (first trial with that label)."""
    if name in project.trial_ids:
        return name
    return next(r.trial_id for r in project.trials if r.label == name)


_REST_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def help_text(doc: str | None) -> str:
    """A module docstring's body (after its first paragraph) as plain help text.

    reST markup is removed: ````code```` and ``:role:`target``` read as
    their text.

    Examples
    --------
    >>> help_text("Title.\\n\\nWith ``--screenshot`` see :func:`~a.b`.")
    'With --screenshot see a.b.'
    """
    body = (doc or "").split("\n\n", 1)[-1]
    return _REST_ROLE.sub(r"\1", body).replace("``", "")
