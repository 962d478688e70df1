"""Subject, session and condition read from file names by a pattern.

Labs name their captures by a scheme (``S01_barefoot_03.c3d``,
``RBDS001runT25.c3d``); a pattern such as ``{subject}_{condition}_{trial}``
turns that scheme into the trial's grouping, at import or afterwards.

Pattern fields are written in braces. ``{subject}``, ``{session}`` and
``{condition}`` set the grouping; any other field (``{trial}``, ``{speed}``,
``{_}``) matches text that is not used. Everything outside braces must appear
literally. The pattern is matched against the whole file name without its
extension, ignoring case of the literal text; each field takes as few
characters as it can while the rest still matches, so ``{subject}_{condition}``
on ``S01_fast_lean`` gives subject ``S01`` and condition ``fast_lean``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from gaitlab.core.errors import GaitlabError

__all__ = ["GROUPING_FIELDS", "GroupingPattern", "grouping_from_name"]

GROUPING_FIELDS = ("subject", "session", "condition")
"""Fields of a pattern that set the trial's grouping."""

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)?\}")


@dataclass(frozen=True)
class GroupingPattern:
    """A compiled file-name pattern (see the module docstring).

    Attributes
    ----------
    text : str
        The pattern as written, e.g. ``"{subject}_{condition}_{trial}"``.
    regex : re.Pattern
        The regular expression it compiles to (whole name, case-insensitive
        literals).
    fields : tuple of str
        The grouping fields the pattern sets, in pattern order.
    """

    text: str
    regex: re.Pattern[str]
    fields: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> GroupingPattern:
        """Compile a pattern.

        Raises
        ------
        GaitlabError
            When it sets no grouping field, repeats one, or has an unclosed
            brace.

        Examples
        --------
        >>> GroupingPattern.parse("{subject}_{condition}_{trial}").fields
        ('subject', 'condition')
        """
        return _compiled(text)

    def match(self, name: str) -> dict[str, str] | None:
        """Return the grouping a file name gives, or None when it does not fit.

        Parameters
        ----------
        name : str
            File name, with or without its directory and extension
            (``.c3d``, ``.trc`` …: the text after the last dot is dropped).

        Examples
        --------
        >>> GroupingPattern.parse("{subject}_{condition}_{trial}").match(
        ...     "data/S01_barefoot_03.c3d")
        {'subject': 'S01', 'condition': 'barefoot'}
        >>> GroupingPattern.parse("{subject}_{condition}").match("nounderscore.c3d")
        """
        stem = name.replace("\\", "/").rsplit("/", 1)[-1]
        if "." in stem:
            stem = stem.rsplit(".", 1)[0]
        found = self.regex.fullmatch(stem)
        if found is None:
            return None
        return {field: found.group(field) for field in self.fields}


@lru_cache(maxsize=32)
def _compiled(text: str) -> GroupingPattern:
    parts: list[str] = []
    fields: list[str] = []
    position = 0
    for number, found in enumerate(_FIELD.finditer(text)):
        literal = text[position : found.start()]
        if "{" in literal or "}" in literal:
            raise GaitlabError(f"pattern {text!r}: unbalanced brace in {literal!r}")
        parts.append(re.escape(literal))
        name = found.group(1) or ""
        if name in GROUPING_FIELDS:
            if name in fields:
                raise GaitlabError(f"pattern {text!r}: {{{name}}} appears twice")
            fields.append(name)
            parts.append(f"(?P<{name}>.+?)")
        else:
            parts.append(f"(?P<_other{number}>.*?)")
        position = found.end()
    tail = text[position:]
    if "{" in tail or "}" in tail:
        raise GaitlabError(f"pattern {text!r}: unbalanced brace in {tail!r}")
    parts.append(re.escape(tail))
    if not fields:
        raise GaitlabError(
            f"pattern {text!r} sets no grouping: use {{subject}}, {{session}} or "
            "{condition}, e.g. {subject}_{condition}_{trial}"
        )
    return GroupingPattern(
        text, re.compile("".join(parts), re.IGNORECASE), tuple(fields)
    )


def grouping_from_name(pattern: str, name: str) -> dict[str, str] | None:
    """Shortcut: ``GroupingPattern.parse(pattern).match(name)``.

    Examples
    --------
    >>> grouping_from_name("{subject}run{condition}", "RBDS001runT25.c3d")
    {'subject': 'RBDS001', 'condition': 'T25'}
    """
    return GroupingPattern.parse(pattern).match(name)
