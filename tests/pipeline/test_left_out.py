"""What an analysis left out (issue 16 item 4): ``partial`` results, the reasons,
``gaitlab run``'s report and the export's provenance.

A plugin that does not compute a declared metric on a trial says so with
``Result.leave_out(names, reason)``; the runner adds any declared metric left
without a value and without a reason, and an ``ok`` result with metrics left
out becomes ``partial``: ``ok`` means every declared metric was computed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import ezc3d
import numpy as np
import pytest

import gaitlab
from gaitlab.api import MetricSpec, Result, TrialView, plugin
from gaitlab.cli.main import main
from gaitlab.core.packed import checked_packed, pack
from gaitlab.core.results import STATUSES, compact_names, left_out_by_reason
from gaitlab.core.trial import AnalogSet, MarkerSet, Trial
from gaitlab.pipeline.export import collect_tables, export_metrics
from gaitlab.pipeline.runner import (
    NO_REASON,
    call_plugin,
    read_only,
)
from gaitlab.store._resultfile import read_results_file, write_results_file
from gaitlab.synth.running import make_running_trial, make_static_trial

TRUNK_MARKERS = {"C7", "T10", "CLAV", "STRN", "LSHO", "RSHO"}
"""Trunk markers of the synthetic full-body set (removed for the bare trial)."""

TRUNK_REASON = (
    "needs the trunk line (MIDH or the pelvis centroid, and MIDS, C7 or CLAV): "
    "missing landmarks l_shoulder, r_shoulder, c7, clavicle"
)
PLUGINS = ["gait_events", "body_mass", "center_of_mass", "lean"]
TRUNK_LINES = (
    "trunk_lean",
    "trunk_thigh_angle",
    "bend_index",
    "body_line",
    "head_alignment",
)
"""Lines of the lean plugin that need the trunk line."""
QUIET = ("--quiet", "--workers", "1")


# ---------------------------------------------------------------- the runner's rule


@plugin(
    name="mylab_three",
    version="1.0.0",
    needs=(),
    metrics=(
        MetricSpec("a", "m", "computed on every step"),
        MetricSpec("b", "m", "computed on one step only"),
        MetricSpec("c", "m", "left out by the plugin"),
        MetricSpec("d", "m", "forgotten by the plugin", per_step=False),
        MetricSpec("e", "m", "NaN only, each with its reason"),
    ),
)
def _three(trial: TrialView, ctx, *, leave: str = "") -> Result:
    result = Result()
    result.leave_out(["a", "c"], "needs the moon")  # "a" is computed after all
    for step in (1, 2):
        result.add_metric("a", 0.1 * step, step=step)
        result.add_metric("e", math.nan, step=step, message="no peak in this step")
    result.add_metric("b", 0.5, step=2)
    result.add_metric("b", math.nan, step=1, message="marker gap")
    if leave:
        result.leave_out(leave, "not this time")
    return result


@plugin(
    name="mylab_complete",
    version="1.0.0",
    needs=(),
    metrics=(MetricSpec("x", "m", "one value per trial", per_step=False),),
)
def _complete(trial: TrialView, ctx) -> Result:
    result = Result()
    result.add_metric("x", 1.0)
    return result


def _empty_view() -> TrialView:
    trial = Trial(
        markers=MarkerSet(np.zeros((10, 0, 3)), (), 100.0),
        analogs=AnalogSet(np.zeros((10, 0)), (), (), 1000.0),
    )
    return TrialView(trial)


def test_declared_metrics_without_a_value_make_the_result_partial() -> None:
    spec = _three.__gaitlab_plugin__
    result = call_plugin(spec, _empty_view(), {"leave": ""})
    assert "partial" in STATUSES
    assert result.status == "partial"
    # a and b have values (b on one step only): computed; e has NaN values
    # with their reasons and was not left out: computed (invalid values)
    assert result.left_out == {"c": "needs the moon", "d": NO_REASON}
    assert result.message.startswith(
        f"2 of 5 metrics left out (needs the moon: 1; {NO_REASON}: 1)"
    )


def test_a_metric_left_out_with_only_nan_values_stays_left_out() -> None:
    spec = _three.__gaitlab_plugin__
    result = call_plugin(spec, _empty_view(), {"leave": "e"})
    assert result.left_out["e"] == "not this time"
    assert "b" not in result.left_out  # one finite step is enough


def test_a_complete_result_stays_ok() -> None:
    result = call_plugin(_complete.__gaitlab_plugin__, _empty_view(), {})
    assert (result.status, result.left_out, result.message) == ("ok", {}, "")


def test_leaving_out_an_undeclared_metric_fails_the_plugin() -> None:
    spec = _three.__gaitlab_plugin__
    result = call_plugin(spec, _empty_view(), {"leave": "zz"})
    assert result.status == "failed"
    assert "left out undeclared metric 'zz'" in result.message


def test_leave_out_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        Result().leave_out("a", "")


def test_left_out_survives_the_child_boundary_copies_and_the_store(
    tmp_path: Path,
) -> None:
    result = call_plugin(_three.__gaitlab_plugin__, _empty_view(), {"leave": ""})
    assert checked_packed(pack(result)).left_out == result.left_out
    assert checked_packed(pack(result)).status == "partial"
    assert read_only(result).left_out == result.left_out
    # a child cannot report "ok" with metrics left out
    forged = Result(status="ok", left_out={"c": "needs the moon"})
    assert checked_packed(pack(forged)).status == "partial"
    path = tmp_path / "results.h5"
    write_results_file(path, "t", {"mylab_three": result})
    back = read_results_file(path)["mylab_three"]
    assert (back.status, back.left_out) == ("partial", result.left_out)


def test_names_are_grouped_by_reason_and_listed_compactly() -> None:
    left_out = {"p": "r1", "p_ic": "r1", "q": "r2", "p_to": "r1", "static_p": "r1"}
    assert left_out_by_reason(left_out) == [
        ("r1", ["p", "p_ic", "p_to", "static_p"]),
        ("r2", ["q"]),
    ]
    assert compact_names(["p", "p_ic", "p_to", "static_p"]) == "p{,_ic,_to}, static_p"
    assert compact_names(["p_ic", "p_to"]) == "p_ic, p_to"


# ---------------------------------------------------------------- a project


def _without_trunk(path: Path) -> Path:
    """A copy of a C3D file whose trunk markers carry unknown labels."""
    c3d = ezc3d.c3d(str(path))
    labels = c3d["parameters"]["POINT"]["LABELS"]["value"]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = [
        f"X{label}" if label in TRUNK_MARKERS else label for label in labels
    ]
    out = path.with_name(f"{path.stem}_notrunk.c3d")
    c3d.write(str(out))
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> gaitlab.Project:
    folder = tmp_path_factory.mktemp("left_out")
    run = make_running_trial(folder / "full_run.c3d", n_steps=6)
    static = make_static_trial(folder / "full_static.c3d")
    bare_run = _without_trunk(run.path)
    bare_static = _without_trunk(static.path)
    project = gaitlab.create_project(folder / "p.gaitlab")
    list(project.import_files([run.path, static.path], subject="full"))
    list(project.import_files([bare_run, bare_static], subject="bare"))
    return project


@pytest.fixture(scope="module")
def printed(project: gaitlab.Project) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", str(project.path), "--plugins", *PLUGINS, *QUIET])
    assert code == 0
    return out.getvalue()


def _trial(project: gaitlab.Project, *, trunk: bool) -> str:
    """The running trial with or without its trunk markers."""
    (trial_id,) = [
        t
        for t in project.trial_ids
        if "static" not in t.lower() and ("notrunk" in t.lower()) != trunk
    ]
    return trial_id


def test_without_trunk_markers_lean_is_partial_with_the_reason(
    project: gaitlab.Project, printed: str
) -> None:
    bare = gaitlab.open_project(project.path).load_results(_trial(project, trunk=False))
    lean = bare["lean"]
    assert lean.status == "partial"
    assert set(lean.left_out.values()) == {TRUNK_REASON}
    expected = {
        f"{q}{suffix}"
        for q in TRUNK_LINES
        for suffix in ("", "_ic", "_midstance", "_to", "_rel_static")
    } | {f"static_{q}" for q in TRUNK_LINES}
    assert set(lean.left_out) == expected  # 30 of the 48 declared
    assert not {m.name for m in lean.metrics} & expected
    assert lean.metric_values("leg_line").size > 0  # the rest is computed
    assert lean.message.startswith(f"30 of 48 metrics left out ({TRUNK_REASON}: 30)")


def test_a_complete_trial_stays_ok(project: gaitlab.Project, printed: str) -> None:
    full = gaitlab.open_project(project.path).load_results(_trial(project, trunk=True))
    assert {name: r.status for name, r in full.items()} == dict.fromkeys(PLUGINS, "ok")
    assert all(not r.left_out for r in full.values())


def test_gaitlab_run_prints_what_was_left_out_one_line_per_reason(
    project: gaitlab.Project, printed: str
) -> None:
    bare = _trial(project, trunk=False)
    assert "results ok, 1 partial, 0 skipped, 0 failed" in printed
    lines = printed.splitlines()
    heading = f"  {bare}: lean partial, 30 of 48 metrics left out:"
    at = lines.index(heading)
    assert lines[at + 1] == (
        "      trunk_lean{,_ic,_midstance,_to,_rel_static}, "
        "trunk_thigh_angle{,_ic,_midstance,_to,_rel_static}, "
        "bend_index{,_ic,_midstance,_to,_rel_static}, "
        "body_line{,_ic,_midstance,_to,_rel_static}, "
        "head_alignment{,_ic,_midstance,_to,_rel_static}, static_trunk_lean, "
        "static_bend_index, static_body_line, static_head_alignment, "
        f"static_trunk_thigh_angle — {TRUNK_REASON}"
    )
    assert at + 2 == len(lines) or not lines[at + 2].startswith("      ")
    full = _trial(project, trunk=True)
    assert not [line for line in lines if line.startswith(f"  {full}:")]


def test_the_export_provenance_lists_what_was_left_out(
    project: gaitlab.Project, printed: str, tmp_path: Path
) -> None:
    written = export_metrics(gaitlab.open_project(project.path), tmp_path / "m.csv")
    sidecar = json.loads(written[-1].read_text())
    trials = sidecar["trials"]
    lean = trials[_trial(project, trunk=False)]["results"]["lean"]
    assert lean["status"] == "partial"
    assert len(lean["left_out"]) == 30
    assert set(lean["left_out"].values()) == {TRUNK_REASON}
    full = trials[_trial(project, trunk=True)]["results"]
    assert all(r["left_out"] == {} and r["status"] == "ok" for r in full.values())
    # partial results are exported like ok ones: the lean values are there
    table = (tmp_path / "m.csv").read_text()
    assert "leg_line_ic" in table


def test_the_tidy_table_has_one_row_saying_what_was_left_out(
    project: gaitlab.Project, printed: str
) -> None:
    tables = collect_tables(gaitlab.open_project(project.path))
    summary = [r for r in tables.tidy if r["status"] == "partial"]
    assert [(r["trial_id"], r["plugin"], r["metric"]) for r in summary] == [
        (_trial(project, trunk=False), "lean", "")
    ]
    assert summary[0]["message"] == (
        "left out: trunk_lean{,_ic,_midstance,_to,_rel_static}, "
        "trunk_thigh_angle{,_ic,_midstance,_to,_rel_static}, "
        "bend_index{,_ic,_midstance,_to,_rel_static}, "
        "body_line{,_ic,_midstance,_to,_rel_static}, "
        "head_alignment{,_ic,_midstance,_to,_rel_static}, static_trunk_lean, "
        "static_bend_index, static_body_line, static_head_alignment, "
        f"static_trunk_thigh_angle — {TRUNK_REASON}"
    )
    (bare,) = [r for r in tables.trials if r["trial_id"] == summary[0]["trial_id"]]
    assert bare["problems"].startswith("lean: partial (left out: trunk_lean{")
