"""The lines of the body figure the plugins declare, and the figure's segments.

An angle series declared with ``lines`` (:attr:`SeriesSpec.lines
<gaitlab.core.results.SeriesSpec>`) is listed at the body view's cursor and
its lines are drawn in its colour. Line ends are body points of
:mod:`gaitlab.core.body` (a sided joint such as ``"ajc"`` is the stance
side's: :data:`SIDED_POINTS`), ``"com"`` (the series declared with
``point="com"``) and ``"cop"``. numpy only, no Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gaitlab.core.results import SeriesSpec
from gaitlab.pipeline.spec import PluginSpec

__all__ = [
    "CENTRE_SEGMENTS",
    "EXTENSION",
    "SIDED_POINTS",
    "SIDE_SEGMENTS",
    "DeclaredAngle",
    "DeclaredLine",
    "com_series",
    "declared_angles",
    "declared_lines",
]

CENTRE_SEGMENTS = (
    ("l_hjc", "r_hjc"),
    ("midh", "mids"),
    ("l_sjc", "r_sjc"),
    ("mids", "cerv"),
)
"""Segments of the stick figure between unsided points."""

SIDE_SEGMENTS = (
    ("hjc", "kjc"),
    ("kjc", "ajc"),
    ("ajc", "heel"),
    ("heel", "ttip"),
    ("ajc", "ttip"),
    ("sjc", "ejc"),
    ("ejc", "wjc"),
    ("wjc", "met3"),
)
"""Segments of the stick figure on each side (points without their side prefix)."""

SIDED_POINTS = frozenset(name for segment in SIDE_SEGMENTS for name in segment)
"""Body points with a side (``"ajc"`` names ``l_ajc`` or ``r_ajc``)."""

EXTENSION = 1.3
"""A declared line along a segment of the figure is drawn this many times its
length from its lower point, so that it shows beside the segment."""


@dataclass(frozen=True)
class DeclaredAngle:
    """An angle series a plugin declares with lines of the body figure.

    Attributes
    ----------
    key : str
        Its name in :attr:`PreparedBody.angles`: the series name, or
        ``"plugin.series"`` when an earlier plugin declares the same name.
    plugin : str
        The plugin declaring it.
    spec : SeriesSpec
        Its declaration (``lines``, ``colour``, ``display_label``).
    """

    key: str
    plugin: str
    spec: SeriesSpec

    @property
    def label(self) -> str:
        """Name in the table, the legend and the figure."""
        return self.spec.display_label


@dataclass(frozen=True)
class DeclaredLine:
    """A line of the figure: (lower, upper) point names, drawn in its owner's colour.

    Attributes
    ----------
    key : str
        ``"lower-upper"``.
    lower, upper : str
        Point names (see the module docstring).
    owner : DeclaredAngle
        The first angle declaring it (its colour and label).
    """

    key: str
    lower: str
    upper: str
    owner: DeclaredAngle

    @property
    def along_segment(self) -> bool:
        """True when the line lies on a segment of the stick figure (drawn longer)."""
        pair = (self.lower, self.upper)
        return pair in CENTRE_SEGMENTS or pair in SIDE_SEGMENTS

    @property
    def sided(self) -> bool:
        """True when both ends are joints of the stance side (a leg line)."""
        return self.lower in SIDED_POINTS and self.upper in SIDED_POINTS


def declared_angles(specs: Mapping[str, PluginSpec]) -> tuple[DeclaredAngle, ...]:
    """The angle series declared with lines, in the order of ``specs``, then of the
    plugin's series.

    Examples
    --------
    >>> from gaitlab.core.results import SeriesSpec
    >>> from gaitlab.pipeline.spec import plugin
    >>> @plugin(name="tilt", version="1.0.0", series=[
    ...     SeriesSpec("tilt", "deg", lines=(("midh", "mids"),)), SeriesSpec("x", "m")])
    ... def tilt(trial, ctx):
    ...     pass
    >>> [a.key for a in declared_angles({"tilt": tilt.__gaitlab_plugin__})]
    ['tilt']
    """
    angles: list[DeclaredAngle] = []
    keys: set[str] = set()
    for plugin, spec in specs.items():
        for series in spec.series:
            if not series.lines:
                continue
            key = series.name if series.name not in keys else f"{plugin}.{series.name}"
            keys.add(key)
            angles.append(DeclaredAngle(key, plugin, series))
    return tuple(angles)


def declared_lines(angles: tuple[DeclaredAngle, ...]) -> tuple[DeclaredLine, ...]:
    """Every line of the angles once, owned by the first angle declaring it."""
    lines: dict[str, DeclaredLine] = {}
    for angle in angles:
        for lower, upper in angle.spec.lines:
            key = f"{lower}-{upper}"
            lines.setdefault(key, DeclaredLine(key, lower, upper, angle))
    return tuple(lines.values())


def com_series(specs: Mapping[str, PluginSpec]) -> tuple[str, str] | None:
    """(plugin, series) of the first series declared with ``point="com"``."""
    for plugin, spec in specs.items():
        for series in spec.series:
            if series.point == "com":
                return plugin, series.name
    return None
