"""Comparison of groups (conditions, sessions) with steps nested in trials.

Steps of one trial are not independent: they share the day, the shoes, the
treadmill speed, the runner's state. Treating every step as an independent
observation inflates the sample size (pseudo-replication) and gives confidence
intervals far too narrow. gaitlab therefore uses the **trial as the unit of
analysis** (the two-stage "summary measures" approach):

1. each trial is reduced to the mean of its steps;
2. per group, the mean of the trial means with its 95 % confidence interval
   ``m ± t(0.975, k - 1)·s/√k`` (k trials, s the SD of the trial means);
3. the difference between two groups (B - A) is tested with **Welch's t-test on
   the trial means** (``scipy.stats.ttest_ind(equal_var=False)``): unequal
   variances and unequal numbers of trials are allowed; its 95 % CI is
   ``Δ ± t(0.975, ν)·√(s_A²/k_A + s_B²/k_B)`` with the Welch–Satterthwaite ν;
4. the effect size is **Hedges' g** on the trial means, ``g = J·Δ/s_p`` with the
   pooled SD ``s_p = √(((k_A - 1)s_A² + (k_B - 1)s_B²)/(k_A + k_B - 2))`` and the
   exact small-sample correction ``J = Γ(ν/2)/(√(ν/2)·Γ((ν - 1)/2))``,
   ``ν = k_A + k_B - 2`` (Hedges 1981).

Why not a linear mixed model: with the few trials per condition a study
usually has, the between-trial variance component of a mixed model is poorly
estimated and its degrees of freedom are approximate; for balanced data the
analysis of trial means gives the same test as the nested model, and it needs
no extra dependency. The step-level mean, SD and count are reported too, for
description only (their spread is the step-to-step variability).

Trials of several subjects are pooled as they are; a design with repeated
measures on several runners should be analysed per runner (``--subject``) or
with the runners' condition means paired.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gaitlab.core.types import FloatArray

__all__ = [
    "Comparison",
    "GroupSummary",
    "compare_groups",
    "hedges_g",
    "pairwise",
    "summarise_group",
]


CONFIDENCE = 0.95


@dataclass(frozen=True)
class GroupSummary:
    """Steps and trials of one group.

    Attributes
    ----------
    group : str
        Its name (a condition, a session ...).
    trial_ids : tuple of str
        Trials with at least one finite value, in the order given.
    trial_means : ndarray, shape (k,)
        Mean of each trial's steps.
    trial_steps : tuple of int
        Number of steps of each trial.
    steps : ndarray
        Every step value of the group.
    step_mean, step_sd : float
        Mean and SD (ddof 1) over the steps (description only).
    mean : float
        Mean of the trial means (the group's estimate).
    sd : float
        SD of the trial means (ddof 1; NaN with one trial).
    ci_low, ci_high : float
        95 % confidence interval of ``mean`` from the trial means (t with
        k - 1 degrees of freedom; NaN with one trial).
    """

    group: str
    trial_ids: tuple[str, ...]
    trial_means: FloatArray
    trial_steps: tuple[int, ...]
    steps: FloatArray
    step_mean: float
    step_sd: float
    mean: float
    sd: float
    ci_low: float
    ci_high: float

    @property
    def n_trials(self) -> int:
        """Number of trials k."""
        return len(self.trial_ids)

    @property
    def n_steps(self) -> int:
        """Number of steps over all trials."""
        return int(self.steps.size)


@dataclass(frozen=True)
class Comparison:
    """Difference between two groups, B - A, on trial means (Welch).

    Attributes
    ----------
    a, b : str
        The groups.
    difference : float
        Mean of B's trial means minus mean of A's.
    ci_low, ci_high : float
        Its 95 % confidence interval (Welch).
    df : float
        Welch–Satterthwaite degrees of freedom.
    t, p : float
        Welch's t statistic and two-sided p value.
    hedges_g : float
        Standardised difference of the trial means (see the module docstring).
    method : str
        The test, in words.
    """

    a: str
    b: str
    difference: float
    ci_low: float
    ci_high: float
    df: float
    t: float
    p: float
    hedges_g: float
    method: str


METHOD = (
    "Welch's t-test on trial means (steps averaged within each trial: steps of "
    "a trial are not independent); 95 % CI of the difference with "
    "Welch–Satterthwaite df; Hedges' g on trial means with the exact "
    "small-sample correction"
)


def summarise_group(group: str, trials: Mapping[str, npt.ArrayLike]) -> GroupSummary:
    """Step and trial statistics of one group.

    Parameters
    ----------
    group : str
        Name of the group.
    trials : mapping of str to array_like
        Step values of each trial (NaN ignored; trials without a finite value
        left out).

    Returns
    -------
    summary : GroupSummary

    Examples
    --------
    >>> s = summarise_group("A", {"t1": [1.0, 3.0], "t2": [4.0], "t3": [5.0, 7.0]})
    >>> s.trial_means.tolist(), s.mean, s.n_steps
    ([2.0, 4.0, 6.0], 4.0, 5)
    >>> round(s.ci_low, 4), round(s.ci_high, 4)  # 4 ± 4.3027·2/√3
    (-0.9683, 8.9683)
    """
    ids, means, counts, steps = [], [], [], []
    for trial_id, values in trials.items():
        array = np.asarray(values, dtype=float).ravel()
        array = array[np.isfinite(array)]
        if array.size == 0:
            continue
        ids.append(trial_id)
        means.append(float(array.mean()))
        counts.append(int(array.size))
        steps.append(array)
    all_steps = np.concatenate(steps) if steps else np.zeros(0)
    trial_means = np.asarray(means, dtype=float)
    k = trial_means.size
    mean = float(trial_means.mean()) if k else math.nan
    sd = float(trial_means.std(ddof=1)) if k > 1 else math.nan
    if k > 1:
        from scipy import stats  # here: scipy.stats costs 0.5 s at import

        half = stats.t.ppf(0.5 + CONFIDENCE / 2, k - 1) * sd / math.sqrt(k)
        low, high = float(mean - half), float(mean + half)
    else:
        low = high = math.nan
    return GroupSummary(
        group=group,
        trial_ids=tuple(ids),
        trial_means=trial_means,
        trial_steps=tuple(counts),
        steps=all_steps,
        step_mean=float(all_steps.mean()) if all_steps.size else math.nan,
        step_sd=float(all_steps.std(ddof=1)) if all_steps.size > 1 else math.nan,
        mean=mean,
        sd=sd,
        ci_low=low,
        ci_high=high,
    )


def hedges_g(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Hedges' g of B - A with the exact small-sample correction J.

    Parameters
    ----------
    a, b : array_like
        The two samples (here: trial means), at least one value each and four
        in all (ν = n_a + n_b - 2 ≥ 2).

    Returns
    -------
    g : float
        ``J·(mean(b) - mean(a))/s_p``; NaN when undefined (s_p = 0 or too few
        values).

    Examples
    --------
    >>> round(hedges_g([1.0, 2.0, 3.0], [3.0, 4.0, 5.0]), 4)  # d = 2, J(4) = 0.7979
    1.5958
    """
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    df = x.size + y.size - 2
    if x.size < 1 or y.size < 1 or df < 2:  # J needs Γ((ν - 1)/2), ν ≥ 2
        return math.nan
    pooled = ((x.size - 1) * _var(x) + (y.size - 1) * _var(y)) / df
    if not pooled > 0:
        return math.nan
    correction = math.exp(math.lgamma(df / 2) - math.lgamma((df - 1) / 2)) / math.sqrt(
        df / 2
    )
    return float(correction * (y.mean() - x.mean()) / math.sqrt(pooled))


def _var(values: FloatArray) -> float:
    return float(values.var(ddof=1)) if values.size > 1 else 0.0


def compare_groups(a: GroupSummary, b: GroupSummary) -> Comparison:
    """Difference B - A of two groups on their trial means (Welch; see the module).

    Parameters
    ----------
    a, b : GroupSummary
        The groups; each needs 2 trials or more for a CI (NaN otherwise).

    Returns
    -------
    comparison : Comparison

    Examples
    --------
    >>> a = summarise_group("A", {"1": [1.0], "2": [2.0], "3": [3.0]})
    >>> b = summarise_group("B", {"4": [3.0], "5": [4.0], "6": [5.0]})
    >>> c = compare_groups(a, b)
    >>> c.difference, c.df, round(c.ci_low, 4), round(c.ci_high, 4)
    (2.0, 4.0, -0.267, 4.267)
    """
    difference = b.mean - a.mean
    if a.n_trials < 2 or b.n_trials < 2:
        nan = math.nan
        return Comparison(
            a.group,
            b.group,
            difference,
            nan,
            nan,
            nan,
            nan,
            nan,
            hedges_g(a.trial_means, b.trial_means),
            METHOD,
        )
    from scipy import stats

    result = stats.ttest_ind(b.trial_means, a.trial_means, equal_var=False)
    se2 = _var(a.trial_means) / a.n_trials + _var(b.trial_means) / b.n_trials
    if se2 > 0:
        interval = result.confidence_interval(CONFIDENCE)
        low, high = float(interval.low), float(interval.high)
        df = float(result.df)
    else:
        low = high = difference
        df = math.nan
    return Comparison(
        a=a.group,
        b=b.group,
        difference=float(difference),
        ci_low=low,
        ci_high=high,
        df=df,
        t=float(result.statistic),
        p=float(result.pvalue),
        hedges_g=hedges_g(a.trial_means, b.trial_means),
        method=METHOD,
    )


def pairwise(groups: Sequence[GroupSummary]) -> list[Comparison]:
    """Every pair of groups, later minus earlier in the order given."""
    return [
        compare_groups(groups[i], groups[j])
        for i in range(len(groups))
        for j in range(i + 1, len(groups))
    ]
