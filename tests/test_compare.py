"""Comparison of conditions: statistics checked against hand computation.

Example used throughout (steps of each trial, condition A and B):
A: t1 = [1, 3] (mean 2), t2 = [4]; B: t3 = [5, 7, 6] (mean 6), t4 = [8],
t5 = [9, 10] (mean 9.5). Trial means A = [2, 4], B = [6, 8, 9.5].

* A: mean 3, SD √2, 95 % CI 3 ± t(.975, 1)·√2/√2 = 3 ± 12.7062 → [-9.7062, 15.7062]
* B: mean 47/6 = 7.8333, SD² = (1.8333² + 0.1667² + 1.6667²)/2 = 3.0833
* Welch: SE² = 2/2 + 3.0833/3 = 2.02778, t = 4.8333/√2.02778 = 3.3942,
  ν = SE⁴/(1²/1 + 1.02778²/2) = 2.6907
* Hedges: s_p² = (1·2 + 2·3.0833)/3 = 2.72222, d = 4.8333/1.64992 = 2.92944,
  J(3) = Γ(1.5)/(√1.5·Γ(1)) = 0.723601, g = 2.11975
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats

from gaitlab.cli.main import main
from gaitlab.core.results import Result
from gaitlab.io.c3d_writer import write_c3d
from gaitlab.stats import compare_groups, hedges_g, summarise_group
from gaitlab.store.project import create_project

A = {"t1": [1.0, 3.0], "t2": [4.0]}
B = {"t3": [5.0, 7.0, 6.0], "t4": [8.0], "t5": [9.0, 10.0]}


def test_group_summary_uses_trial_means() -> None:
    a = summarise_group("A", A)
    assert a.trial_means.tolist() == [2.0, 4.0]
    assert (a.n_trials, a.n_steps) == (2, 3)
    assert a.mean == pytest.approx(3.0)
    assert a.sd == pytest.approx(math.sqrt(2))
    assert (a.ci_low, a.ci_high) == pytest.approx((-9.7062047, 15.7062047))
    assert a.step_mean == pytest.approx(8 / 3)
    assert a.step_sd == pytest.approx(1.5275252)


def test_difference_welch_ci_and_hedges_g_by_hand() -> None:
    c = compare_groups(summarise_group("A", A), summarise_group("B", B))
    se = math.sqrt(2.0277778)
    assert c.difference == pytest.approx(4.8333333)
    assert c.t == pytest.approx(4.8333333 / se, rel=1e-6)
    assert c.df == pytest.approx(2.6907347, rel=1e-6)
    half = scipy_stats.t.ppf(0.975, 2.6907347) * se  # only the quantile from scipy
    assert (c.ci_low, c.ci_high) == pytest.approx(
        (4.8333333 - half, 4.8333333 + half), abs=1e-6
    )
    assert c.hedges_g == pytest.approx(2.11975, abs=1e-5)
    assert 0.04 < c.p < 0.06


def test_many_steps_in_one_trial_do_not_weigh_more() -> None:
    few = summarise_group("B", {"t3": [6.0], "t4": [8.0], "t5": [9.5]})
    many = summarise_group("B", {"t3": [6.0] * 100, "t4": [8.0], "t5": [9.5]})
    a = summarise_group("A", A)
    assert many.mean == few.mean
    assert compare_groups(a, many).ci_low == compare_groups(a, few).ci_low
    # treating the 102 steps as independent would shrink the CI ~6-fold
    assert many.n_steps == 102


def test_one_trial_per_group_has_no_interval() -> None:
    c = compare_groups(
        summarise_group("A", {"t1": [1.0, 2.0]}), summarise_group("B", B)
    )
    assert c.difference == pytest.approx(47 / 6 - 1.5)
    assert math.isnan(c.ci_low)
    assert math.isnan(c.p)


def test_hedges_g_exact_correction() -> None:
    # d = 2, J(4) = Γ(2)/(√2·Γ(1.5)) = 0.797885
    assert hedges_g([1.0, 2.0, 3.0], [3.0, 4.0, 5.0]) == pytest.approx(
        1.595769, abs=1e-6
    )
    assert math.isnan(hedges_g([1.0, 1.0], [1.0, 1.0]))  # no spread
    assert math.isnan(hedges_g([1.0], [2.0, 3.0]))  # ν = 1: J undefined
    # ν = 2: J = Γ(1)/(1·Γ(0.5)) = 0.564190, s_p² = (0 + 2·1)/2 = 1, d = 3
    assert hedges_g([1.0], [3.0, 4.0, 5.0]) == pytest.approx(1.692569, abs=1e-6)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project of five trials with stored trunk_lean steps (the example above)."""
    paths = []
    for i in range(5):
        markers = 0.5 + 0.01 * np.random.default_rng(i).standard_normal((50, 2, 3))
        paths.append(
            write_c3d(
                tmp_path / f"t{i + 1}.c3d",
                markers=markers,
                marker_labels=["A1", "B1"],
                point_rate_hz=100.0,
                subject_name="s01",
            )
        )
    folder = tmp_path / "study.gaitlab"
    project = create_project(folder)
    list(project.import_files(paths, subject="s01"))
    steps = A | B
    for trial_id in project.trial_ids:
        project.set_trial_info(trial_id, condition="A" if trial_id in A else "B")
        result = Result()
        for k, value in enumerate(steps[trial_id], start=1):
            result.add_metric("trunk_lean", value, step=k, side="Left", time_s=0.1 * k)
        result.add_metric("trunk_lean", np.nan, step=9, side="Left", time_s=0.9)
        project.write_results(trial_id, {"lean": result})
    return folder


def test_compare_command_prints_writes_and_plots(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    table, figure = tmp_path / "out" / "table.csv", tmp_path / "fig.png"
    code = main(
        [
            "compare",
            str(project),
            "--metric",
            "trunk_lean",
            "--by",
            "condition",
            "--subject",
            "s01",
            "-o",
            str(table),
            "--plot",
            str(figure),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "B - A: 4.83" in out
    assert "Hedges' g = 2.12" in out
    assert "left out: 5 invalid" in out
    with table.open() as handle:
        rows = list(csv.DictReader(handle))
    groups = {r["group"]: r for r in rows if r["row"] == "group"}
    assert float(groups["A"]["mean"]) == pytest.approx(3.0)
    assert (groups["B"]["n_trials"], groups["B"]["n_steps"]) == ("3", "6")
    (difference,) = [r for r in rows if r["row"] == "difference"]
    assert float(difference["hedges_g"]) == pytest.approx(2.11975, abs=1e-5)
    assert float(difference["df"]) == pytest.approx(2.6907347, rel=1e-6)
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_command_errors_name_the_problem(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["compare", str(project), "--metric", "trunk_lea"]) == 2
    assert "close matches: trunk_lean" in capsys.readouterr().err
    assert (
        main(["compare", str(project), "--metric", "trunk_lean", "--subject", "x"]) == 2
    )
    assert "no subject 'x'" in capsys.readouterr().err
    code = main(
        ["compare", str(project), "--metric", "trunk_lean", "--groups", "A", "C"]
    )
    assert code == 2
    assert "no condition 'C'" in capsys.readouterr().err
