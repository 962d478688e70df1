"""Figures of the comparison and of the runner report (matplotlib, no pyplot).

Every figure is a `matplotlib.figure.Figure` made without pyplot (no global
state, no GUI backend), sized for print (inches) with 9-pt text or larger.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gaitlab.core.errors import GaitlabError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from gaitlab.stats import Comparison, GroupSummary

__all__ = [
    "comparison_figure",
    "figure",
    "figure_data_uri",
    "save_figure",
]

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
"""Colours of groups and lines (colour-blind-safe enough in print, with markers)."""

FONT_PT = 9


def figure(width_in: float = 6.0, height_in: float = 3.2) -> Figure:
    """An empty figure (needs matplotlib: ``pip install gaitlab[report]``)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise GaitlabError(
            "figures need matplotlib: pip install 'gaitlab[report]'"
        ) from error
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    fig.set_dpi(100)
    return fig


def save_figure(fig: Figure, path: Path) -> Path:
    """Write a figure; the format follows the suffix (.png at 200 dpi, .svg, .pdf)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=200)
    return path


def figure_data_uri(fig: Figure) -> str:
    """The figure as a PNG ``data:`` URI (150 dpi) for a self-contained HTML page."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _jitter(n: int, width: float = 0.12) -> np.ndarray:
    """Deterministic horizontal offsets of n points spread over ±width."""
    if n < 2:
        return np.zeros(n)
    return np.linspace(-width, width, n)


def comparison_figure(
    metric: str,
    unit: str,
    by: str,
    groups: Sequence[GroupSummary],
    comparisons: Sequence[Comparison],
) -> Figure:
    """Steps (small grey), trial means (large), group mean ± 95 % CI (black bar).

    Parameters
    ----------
    metric, unit, by : str
        Metric name, its unit and the grouping (axis labels).
    groups : sequence of GroupSummary
        The groups, plotted left to right.
    comparisons : sequence of Comparison
        Differences written under the title.
    """
    fig = figure(max(3.5, 1.4 * len(groups) + 2.0), 3.6)
    ax = fig.add_subplot()
    for i, group in enumerate(groups):
        colour = COLOURS[i % len(COLOURS)]
        start = 0
        for k, (mean, count) in enumerate(
            zip(group.trial_means, group.trial_steps, strict=True)
        ):
            steps = group.steps[start : start + count]
            start += count
            x = i - 0.25 + 0.5 * (k + 0.5) / max(group.n_trials, 1)
            ax.plot(
                x + _jitter(count, 0.02),
                steps,
                ".",
                color="0.6",
                markersize=3,
                label="steps" if i == 0 and k == 0 else None,
            )
            ax.plot(
                x,
                mean,
                "o",
                color=colour,
                markersize=7,
                markeredgecolor="black",
                label="trial means" if i == 0 and k == 0 else None,
            )
        if np.isfinite(group.ci_low):
            ax.errorbar(
                i + 0.32,
                group.mean,
                yerr=[[group.mean - group.ci_low], [group.ci_high - group.mean]],
                fmt="s",
                color="black",
                capsize=4,
                label="mean, 95 % CI" if i == 0 else None,
            )
        else:
            ax.plot(i + 0.32, group.mean, "s", color="black")
    ax.set_xticks(
        range(len(groups)),
        [f"{g.group}\n{g.n_trials} trials, {g.n_steps} steps" for g in groups],
        fontsize=FONT_PT,
    )
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_xlabel(by, fontsize=FONT_PT)
    ax.set_ylabel(f"{metric} [{unit}]", fontsize=FONT_PT)
    ax.tick_params(labelsize=FONT_PT)
    ax.grid(axis="y", color="0.9")
    ax.legend(fontsize=FONT_PT - 1, loc="best")
    lines = [
        f"{c.b} − {c.a}: {c.difference:.3g} {unit} "
        f"[{c.ci_low:.3g}, {c.ci_high:.3g}], g = {c.hedges_g:.2f}"
        for c in comparisons[:3]
    ]
    ax.set_title("\n".join([metric, *lines]), fontsize=FONT_PT)
    return fig
