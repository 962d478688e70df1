"""Colours of plotted lines, without Qt (the plot model computes with them).

:mod:`gaitlab.gui.theme` re-exports them with the pens and fonts built on
them. Colours are hex strings (``"#rrggbb"``).
"""

from __future__ import annotations

__all__ = [
    "COMPONENT_COLOURS",
    "PLATE_COLOURS",
    "SERIES_COLOURS",
    "SUM_COLOUR",
    "plate_colour",
    "series_colour",
]

SUM_COLOUR = "#000000"
"""Force summed over all plates."""

PLATE_COLOURS = (
    "#1F77B4",
    "#FF7F0E",
    "#2CA02C",
    "#9467BD",
    "#8C564B",
    "#E377C2",
    "#17BECF",
    "#BCBD22",
)
"""One colour per force plate (cycled beyond eight)."""

COMPONENT_COLOURS = {"AP": "#0B6E4F", "vertical": "#6A3D9A", "ML": "#B15928"}
"""Sagittal-frame components: anteroposterior, vertical, mediolateral."""

SERIES_COLOURS = (
    "#1B9E77",
    "#D95F02",
    "#7570B3",
    "#E7298A",
    "#66A61E",
    "#A6761D",
)
"""Series that declare no colour, cycled by their position (Dark2 palette)."""


def plate_colour(index: int) -> str:
    """Colour of force plate ``index`` (0-based)."""
    return PLATE_COLOURS[index % len(PLATE_COLOURS)]


def series_colour(name: str, index: int) -> str:
    """Colour of a series without a declared one: its component's colour when
    ``name`` is a sagittal component (``AP``, ``vertical``, ``ML``), else the
    ``index``-th of :data:`SERIES_COLOURS` (cycled)."""
    if name in COMPONENT_COLOURS:
        return COMPONENT_COLOURS[name]
    return SERIES_COLOURS[index % len(SERIES_COLOURS)]
