"""The runner report: one self-contained HTML page per project (or subject).

Per runner (subject) and condition:

* **Headline metrics** (those the plugins declare ``headline=True``): mean ± SD
  over the steps of all the condition's trials,
  the number of steps and trials (values with status ``unclean`` or
  ``invalid`` left out), with units;
* **Lean through stance**: trunk lean, leg line and whole-body lean (ankle →
  COM) of the ``lean`` plugin's series, each stance time-normalised to 0–100 %
  (101 points, linear interpolation), mean ± SD over the steps;
* **Per step**: bend index, landing distance of the foot ahead of the COM
  (overstride), braking impulse, and braking impulse against trunk lean with
  the least-squares line and Pearson's r;
* **Foot strike**: steps per class of ``foot_strike_class_fsa``;
* **Drill**: the ``drill`` plugin's values for every trial it analysed, and
  its lean, trunk, leg-line and bend-index curves through the fall;
* **Quality flags**: values whose status is not ok, results skipped or failed
  (with the reason), out-of-date results;

then the **provenance**: gaitlab version, the pipeline (plugins, versions,
sources, parameters) and the definition of every metric shown.

Figures are PNG (150 dpi) embedded as ``data:`` URIs, so the file opens
anywhere with nothing beside it.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab._version import __version__
from gaitlab.core.contacts import contacts_from_events
from gaitlab.core.errors import GaitlabError
from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.core.signal import sample_at
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.display import headline_metrics, pipeline_specs
from gaitlab.pipeline.export import collect_tables
from gaitlab.report.figures import COLOURS, FONT_PT, figure, figure_data_uri
from gaitlab.report.stills import video_stills_section
from gaitlab.store.project import Project

__all__ = ["build_report", "write_report"]


DRILL_METRICS = (
    "drill_onset_time",
    "drill_max_lean",
    "drill_max_lean_time",
    "drill_trunk_lean",
    "drill_leg_line",
    "drill_bend_index",
    "drill_straight",
    "drill_fall_duration",
    "drill_cop_travel",
    "drill_catch_ic_time",
    "drill_catch_landing_distance",
)
STANCE_SERIES = (
    ("trunk_lean", "trunk MIDH→MIDS"),
    ("leg_line", "leg line AJC→HJC"),
    ("whole_body_lean_ankle", "whole body AJC→COM"),
)
DRILL_SERIES = (
    ("drill_lean", "whole body AJC→COM"),
    ("drill_trunk_lean", "trunk"),
    ("drill_leg_line", "leg line"),
    ("drill_bend_index", "bend index"),
)
USED = ("ok", "warning", "stale")
Progress = Callable[[int, int, str], None]

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #111; line-height: 1.4; }
h1 { border-bottom: 2px solid #333; } h2 { border-bottom: 1px solid #999;
margin-top: 2.5rem; } h3 { margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; display: block; margin: .5rem 0; }
.note { color: #555; font-size: .85rem; }
.flag { color: #a00; }
@media print { h2 { page-break-before: always; } img { page-break-inside: avoid; } }
"""


@dataclass
class _Group:
    """Trials of one subject and condition, with their stored results."""

    subject: str
    condition: str
    trial_ids: list[str]
    results: dict[str, dict[str, Result]]


def _e(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: float, digits: int = 3) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def build_report(
    project: Project,
    *,
    subject: str | None = None,
    progress: Progress | None = None,
) -> str:
    """The report as an HTML string.

    Parameters
    ----------
    project : Project
        The project (results must have been computed: ``gaitlab run``).
    subject : str or None
        Only this subject's trials (None: every subject).
    progress : callable or None
        Called as ``progress(done, total, what)`` after each runner and condition.

    Raises
    ------
    GaitlabError
        Unknown subject, or no trial with results.
    """
    records = [r for r in project.trials if not project.is_static(r.trial_id)]
    if subject is not None:
        known = sorted({r.subject_id for r in project.trials})
        if subject not in known:
            raise GaitlabError(
                f"no subject {subject!r} in {project.path}; subjects: "
                f"{', '.join(known)}"
            )
        records = [r for r in records if r.subject_id == subject]
    results = {r.trial_id: project.load_results(r.trial_id) for r in records}
    ids = [r.trial_id for r in records if results[r.trial_id]]
    if not ids:
        raise GaitlabError(
            f"{project.path}: no trial has results; run `gaitlab run {project.path}` "
            "first"
        )
    tables = collect_tables(project, ids)
    tidy = tables.tidy
    groups: dict[tuple[str, str], _Group] = {}
    for record in records:
        if record.trial_id not in ids:
            continue
        key = (record.subject_id, record.condition)
        group = groups.setdefault(key, _Group(key[0], key[1], [], {}))
        group.trial_ids.append(record.trial_id)
        group.results[record.trial_id] = results[record.trial_id]
    definitions = _definitions(tables.provenance)
    headline = [m.name for m in headline_metrics(pipeline_specs(project, discover()))]
    body: list[str] = []
    total = len(groups)
    for done, key in enumerate(sorted(groups), start=1):
        group = groups[key]
        if done == 1 or key[0] != sorted(groups)[done - 2][0]:
            body.append(_subject_header(project, group.subject))
        rows = [r for r in tidy if r["trial_id"] in group.trial_ids]
        stills = video_stills_section(project, group.trial_ids, group.results)
        body.append(_group_section(group, rows, definitions, headline, stills))
        if progress is not None:
            progress(done, total, f"{group.subject} / {group.condition or '—'}")
    body.append(_provenance_section(tables.provenance, definitions, headline))
    title = "gaitlab runner report" + (f": {subject}" if subject else "")
    created = datetime.now(UTC).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1><p class='note'>Project {_e(project.path)} · "
        f"{len(ids)} trials · made {created} with gaitlab {_e(__version__)}</p>"
        + "".join(body)
        + "</body></html>\n"
    )


def write_report(
    project: Project,
    path: Path,
    *,
    subject: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write :func:`build_report` to ``path`` (UTF-8); return the path."""
    text = build_report(project, subject=subject, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- sections


def _subject_header(project: Project, subject_id: str) -> str:
    subject = project.subjects.get(subject_id)
    facts = []
    if subject is not None:
        if subject.mass_kg:
            facts.append(f"mass {subject.mass_kg:.1f} kg")
        if subject.height_m:
            facts.append(f"height {subject.height_m:.2f} m")
        if subject.sex:
            facts.append(f"sex {subject.sex}")
    return f"<h2>Runner {_e(subject_id)}</h2>" + (
        f"<p>{_e(', '.join(facts))}</p>" if facts else ""
    )


def _group_section(
    group: _Group,
    rows: list[dict[str, Any]],
    definitions: Mapping[str, dict],
    headline: Sequence[str],
    stills: str = "",
) -> str:
    label = group.condition or "(no condition)"
    parts = [
        f"<section class='condition' data-subject='{_e(group.subject)}' "
        f"data-condition='{_e(group.condition)}'>",
        f"<h3>Condition {_e(label)}</h3>",
        f"<p class='note'>Trials: {_e(', '.join(group.trial_ids))}</p>",
    ]
    parts.append(_headline_table(rows, definitions, headline))
    stance = _stance_figure(group)
    if stance:
        parts += ["<h4>Lean through stance</h4>", stance]
    steps = _step_figure(rows)
    if steps:
        parts += [
            "<h4>Bend index, overstride and braking per step</h4>",
            steps,
        ]
    parts.append(_foot_strike(rows))
    parts.append(_drill_section(group, rows))
    parts.append(stills)
    parts.append(_quality_section(group, rows))
    parts.append("</section>")
    return "".join(parts)


def _step_values(rows: Iterable[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if r["metric"] == metric
        and r["statistic"] == "value"
        and r["step"] != ""
        and r["status"] in USED
        and isinstance(r["value"], float)
        and math.isfinite(r["value"])
    ]


def _headline_table(
    rows: list[dict[str, Any]], definitions: Mapping[str, dict], headline: Sequence[str]
) -> str:
    """Mean ± SD over the steps of the per-step headline metrics (those the
    pipeline's plugins declare ``headline=True``, in pipeline order)."""
    lines = []
    for metric in headline:
        values = _step_values(rows, metric)
        if not values:
            continue
        array = np.array([r["value"] for r in values])
        sd = float(array.std(ddof=1)) if array.size > 1 else math.nan
        trials = len({r["trial_id"] for r in values})
        definition = definitions.get(metric, {}).get("definition", "")
        lines.append(
            f"<tr data-metric='{_e(metric)}'><td title='{_e(definition)}'>"
            f"{_e(metric)}</td><td>{_e(values[0]['unit'])}</td>"
            f"<td class='num'>{_fmt(float(array.mean()))} ± {_fmt(sd)}</td>"
            f"<td class='num'>{array.size}</td><td class='num'>{trials}</td></tr>"
        )
    if not lines:
        return "<p>No per-step metric stored for these trials.</p>"
    return (
        "<h4>Headline metrics</h4><table class='headline'><thead><tr><th>metric</th>"
        "<th>unit</th><th>mean ± SD (steps)</th><th>n steps</th><th>n trials</th>"
        "</tr></thead><tbody>"
        + "".join(lines)
        + "</tbody></table><p class='note'>Steps of all trials pooled; values "
        "flagged unclean or invalid left out. Definitions: see Provenance.</p>"
    )


def _stance_curves(group: _Group, name: str) -> np.ndarray:
    """Stance-normalised curves (n_steps, 101) of a lean series, degrees."""
    curves = []
    for results in group.results.values():
        lean, events = results.get("lean"), results.get("gait_events")
        if lean is None or events is None or lean.status not in USABLE_STATUSES:
            continue
        series = lean.series.get(name)
        if series is None or events.status not in USABLE_STATUSES:
            continue
        for contact in contacts_from_events(events.events):
            times = np.linspace(contact.ic_s, contact.to_s, 101)
            curve = sample_at(series.values, series.rate_hz, series.t0_s, times)
            # the stance-leg series start and end within a frame of IC and TO
            if np.isfinite(curve).mean() >= 0.9:
                curves.append(curve)
    return np.array(curves).reshape(-1, 101)


def _stance_figure(group: _Group) -> str:
    curves = {name: _stance_curves(group, name) for name, _ in STANCE_SERIES}
    if not any(c.shape[0] for c in curves.values()):
        return ""
    fig = figure(6.0, 3.0)
    ax = fig.add_subplot()
    percent = np.linspace(0, 100, 101)
    for i, (name, label) in enumerate(STANCE_SERIES):
        c = curves[name]
        if not c.shape[0]:
            continue
        finite = np.isfinite(c).sum(axis=0)
        mean = np.nanmean(np.where(finite > 0, c, 0.0), axis=0)
        mean[finite == 0] = np.nan
        deviation = np.where(np.isfinite(c), c - mean, 0.0)
        sd = np.sqrt((deviation**2).sum(axis=0) / np.maximum(finite - 1, 1))
        ax.plot(percent, mean, color=COLOURS[i], label=f"{label} (n = {c.shape[0]})")
        ax.fill_between(percent, mean - sd, mean + sd, color=COLOURS[i], alpha=0.2)
    ax.set_xlabel("stance [% of contact, IC → TO]", fontsize=FONT_PT)
    ax.set_ylabel("angle from vertical [deg], + forward", fontsize=FONT_PT)
    _style(ax)
    ax.grid(color="0.9")
    ax.legend(fontsize=FONT_PT - 1)
    return _img(fig, "lean through stance: mean ± SD over steps")


def _step_figure(rows: list[dict[str, Any]]) -> str:
    panels = [
        ("bend_index", "bend index"),
        ("landing_distance_com", "foot ahead of COM at IC"),
        ("braking_impulse", "braking impulse"),
    ]
    data = {m: _step_values(rows, m) for m, _ in panels}
    data["trunk_lean"] = _step_values(rows, "trunk_lean")
    if not any(data[m] for m, _ in panels):
        return ""
    fig = figure(7.0, 5.0)
    axes = fig.subplots(2, 2).ravel()
    for ax, (metric, label) in zip(axes, panels, strict=False):
        values = data[metric]
        by_trial: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for r in values:
            by_trial[r["trial_id"]].append((int(r["step"]), r["value"]))
        for i, (trial, points) in enumerate(sorted(by_trial.items())):
            steps, y = zip(*sorted(points), strict=True)
            ax.plot(steps, y, "o-", color=COLOURS[i % len(COLOURS)], ms=3, label=trial)
        unit = values[0]["unit"] if values else ""
        ax.set_title(label, fontsize=FONT_PT)
        ax.set_xlabel("step", fontsize=FONT_PT)
        ax.set_ylabel(f"{metric} [{unit}]", fontsize=FONT_PT)
        _style(ax)
        ax.grid(color="0.9")
        if by_trial and len(by_trial) <= 6:
            ax.legend(fontsize=FONT_PT - 2)
    ax = axes[3]
    lean = {(r["trial_id"], r["step"]): r["value"] for r in data["trunk_lean"]}
    pairs = [
        (lean[(r["trial_id"], r["step"])], r["value"])
        for r in data["braking_impulse"]
        if (r["trial_id"], r["step"]) in lean
    ]
    ax.set_title("braking against trunk lean (per step)", fontsize=FONT_PT)
    if len(pairs) >= 3:
        x, y = np.array(pairs).T
        ax.plot(x, y, "o", color=COLOURS[0], ms=4)
        if np.ptp(x) > 0:
            slope, intercept = np.polyfit(x, y, 1)
            r = float(np.corrcoef(x, y)[0, 1])
            line = np.array([x.min(), x.max()])
            ax.plot(line, slope * line + intercept, color="black", lw=1)
            ax.set_title(
                f"braking vs trunk lean: r = {r:.2f}, n = {len(x)}",
                fontsize=FONT_PT,
            )
        ax.set_xlabel("trunk_lean [deg]", fontsize=FONT_PT)
        ax.set_ylabel("braking_impulse [N·s/kg]", fontsize=FONT_PT)
    else:
        ax.text(
            0.5,
            0.5,
            "needs trunk lean and braking\non 3 steps or more",
            ha="center",
            va="center",
            fontsize=FONT_PT,
            transform=ax.transAxes,
        )
    _style(ax)
    ax.grid(color="0.9")
    return _img(fig, "per-step bend index, overstride and braking")


def _foot_strike(rows: list[dict[str, Any]]) -> str:
    values = [
        r
        for r in rows
        if r["metric"] == "foot_strike_class_fsa"
        and r["statistic"] == "value"
        and r["category"]
        and r["status"] in USED
    ]
    if not values:
        return ""
    counts = Counter(r["category"] for r in values)
    total = sum(counts.values())
    cells = "".join(
        f"<tr><td>{_e(label)}</td><td class='num'>{n}</td>"
        f"<td class='num'>{100 * n / total:.0f} %</td></tr>"
        for label, n in sorted(counts.items())
    )
    return (
        "<h4>Foot strike</h4><table class='foot-strike'><thead><tr><th>class "
        "(from the foot strike angle)</th><th>steps</th><th>share</th></tr>"
        f"</thead><tbody>{cells}</tbody></table>"
    )


def _drill_section(group: _Group, rows: list[dict[str, Any]]) -> str:
    drills = [
        t
        for t in group.trial_ids
        if (r := group.results[t].get("drill")) is not None
        and r.status in USABLE_STATUSES
    ]
    if not drills:
        return ""
    header = "".join(f"<th>{_e(t)}</th>" for t in drills)
    lines = []
    for metric in DRILL_METRICS:
        cells, unit = [], ""
        for trial in drills:
            match = [
                r
                for r in rows
                if r["trial_id"] == trial
                and r["metric"] == metric
                and r["statistic"] == "value"
            ]
            if not match:
                cells.append("<td>—</td>")
                continue
            row = match[0]
            unit = row["unit"]
            number = float(row["value"])
            value = row["category"] or (
                f"{number:.3f}" if math.isfinite(number) else "—"
            )
            title = f" title='{_e(row['message'])}'" if row["message"] else ""
            cells.append(f"<td class='num'{title}>{_e(value)}</td>")
        lines.append(
            f"<tr data-metric='{_e(metric)}'><td>{_e(metric)}</td><td>{_e(unit)}</td>"
            + "".join(cells)
            + "</tr>"
        )
    table = (
        "<h4>Lean-and-fall drill</h4><table class='drill'><thead><tr><th>metric</th>"
        f"<th>unit</th>{header}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    )
    fig = figure(6.0, 3.0)
    ax = fig.add_subplot()
    drawn = False
    for k, trial in enumerate(drills):
        result = group.results[trial]["drill"]
        for i, (name, label) in enumerate(DRILL_SERIES):
            series = result.series.get(name)
            if series is None:
                continue
            time = series.t0_s + np.arange(len(series.values)) / series.rate_hz
            style = ("-", "--", ":", "-.")[k % 4]
            ax.plot(
                time,
                series.values,
                style,
                color=COLOURS[i],
                label=f"{label} ({trial})" if len(drills) > 1 else label,
            )
            drawn = True
    if not drawn:
        return table
    ax.set_xlabel(
        "time [s] (curves end at the catch step's initial contact)", fontsize=FONT_PT
    )
    ax.set_ylabel("angle [deg], + forward", fontsize=FONT_PT)
    _style(ax)
    ax.grid(color="0.9")
    ax.legend(fontsize=FONT_PT - 1)
    return table + _img(fig, "drill: lean, trunk, leg line and bend index in the fall")


def _quality_section(group: _Group, rows: list[dict[str, Any]]) -> str:
    flagged: Counter[tuple[str, str, str, str]] = Counter()
    messages: dict[tuple[str, str, str, str], str] = {}
    for r in rows:
        if r["statistic"] != "value" or not r["metric"] or r["status"] == "ok":
            continue
        key = (r["trial_id"], r["plugin"], r["metric"], r["status"])
        flagged[key] += 1
        messages.setdefault(key, r["message"])
    not_run = [
        (trial, name, result.status, result.message)
        for trial in group.trial_ids
        for name, result in sorted(group.results[trial].items())
        if result.status != "ok"
    ]
    lines = [
        f"<tr class='flag'><td>{_e(t)}</td><td>{_e(p)}</td><td>{_e(m)}</td>"
        f"<td>{_e(s)}</td><td class='num'>{n}</td><td>{_e(messages[(t, p, m, s)])}"
        "</td></tr>"
        for (t, p, m, s), n in sorted(flagged.items())
    ]
    out = "<h4>Quality flags</h4>"
    if lines:
        out += (
            "<table class='quality'><thead><tr><th>trial</th><th>plugin</th>"
            "<th>metric</th><th>status</th><th>values</th><th>first message</th>"
            f"</tr></thead><tbody>{''.join(lines)}</tbody></table>"
        )
    else:
        out += "<p>No value flagged (every stored value has status ok).</p>"
    if not_run:
        items = "".join(
            f"<li>{_e(t)} · {_e(n)}: {_e(s)} — {_e(m)}</li>" for t, n, s, m in not_run
        )
        out += (
            f"<details><summary>{len(not_run)} analyses partial, skipped or "
            f"failed (with the reason)</summary><ul>{items}</ul></details>"
        )
    return out


def _definitions(provenance: Mapping[str, Any]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for plugin in provenance.get("plugins", {}).values():
        for name, entry in plugin.get("metrics", {}).items():
            out.setdefault(name, entry)
    return out


def _provenance_section(
    provenance: Mapping[str, Any],
    definitions: Mapping[str, dict],
    headline: Sequence[str],
) -> str:
    plugins = provenance.get("plugins", {})
    steps = provenance.get("pipeline", {}).get("steps", [])
    rows = []
    for step in steps:
        name = step.get("plugin", "")
        info = plugins.get(name, {})
        rows.append(
            f"<tr data-plugin='{_e(name)}'><td>{_e(name)}</td>"
            f"<td>{_e(info.get('version', '?'))}</td><td>{_e(info.get('source', '?'))}"
            f"</td><td><code>{_e(json.dumps(step.get('params', {}), sort_keys=True))}"
            f"</code></td><td>{'yes' if step.get('enabled', True) else 'no'}</td></tr>"
        )
    shown = [*headline, *DRILL_METRICS, "foot_strike_class_fsa"]
    defs = "".join(
        f"<tr><td>{_e(m)}</td><td>{_e(definitions[m].get('unit', ''))}</td>"
        f"<td>{_e(definitions[m].get('definition', ''))}</td></tr>"
        for m in shown
        if m in definitions
    )
    return (
        "<h2 id='provenance'>Provenance</h2>"
        f"<p>gaitlab <span class='version'>{_e(provenance.get('gaitlab_version'))}"
        f"</span>, project format {_e(provenance.get('format_version'))}, "
        f"tables collected {_e(provenance.get('exported_utc'))}.</p>"
        "<table class='pipeline'><thead><tr><th>plugin</th><th>version</th>"
        "<th>source</th><th>parameters (non-default)</th><th>enabled</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        "<h4>Definitions</h4><table class='definitions'><thead><tr><th>metric</th>"
        f"<th>unit</th><th>definition</th></tr></thead><tbody>{defs}</tbody></table>"
    )


def _style(ax: Any) -> None:
    """Tick labels at the report's size, plain numbers (no offset)."""
    ax.tick_params(labelsize=FONT_PT)
    ax.ticklabel_format(axis="both", useOffset=False)


def _img(fig: Any, alt: str) -> str:
    return f"<img alt='{_e(alt)}' src='{figure_data_uri(fig)}'>"
