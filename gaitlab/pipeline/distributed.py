"""A batch on a Dask cluster: one task per trial, the results written here.

``gaitlab run PROJECT --scheduler tcp://HOST:8786`` (or ``--cluster
local[:N]``) sends each trial to the cluster's workers. A worker opens the
project from the shared folder (read only), analyses the trial in gaitlab's
contained child processes exactly as a local run does (the same plugin time
and memory limits), and returns the results; this process, the only
writer, checks them and writes them under the project's writer lock with
the store's atomic writes. The numbers are those of a local run.

Faults: a trial that cannot be analysed (an unreadable file, a plugin
missing on the worker) comes back as that trial's error, not retried. A
worker that dies (killed, out of memory) loses only the trial it held: Dask
runs it again on another worker (``distributed.scheduler.allowed-failures``,
3 by default); any other exception in a task is retried ``RETRIES`` times.

Workers need the same gaitlab and plugins as this process (a plugin that
differs is refused by name) and must be allowed to start processes: Dask
starts workers as daemon processes unless told otherwise, so start them with
``DASK_DISTRIBUTED__WORKER__DAEMON=False`` (``--cluster local`` does). See
``docs/cluster.md`` for Slurm and Kubernetes.

Dask is an optional extra: ``pip install 'gaitlab[distributed]'``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaitlab.core.errors import GaitlabError
from gaitlab.core.packed import PackedResult, checked_packed
from gaitlab.pipeline.config import Plan
from gaitlab.pipeline.isolation import Limits
from gaitlab.pipeline.runner import TrialDriver, _plan_from_payload, analyse_trial
from gaitlab.store.project import Project

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "RETRIES",
    "ClusterError",
    "RemoteTrial",
    "analyse_on_worker",
    "dask_client",
    "drive_on_cluster",
    "local_cluster_size",
    "on_cluster",
]

RETRIES = 2
"""Times a task that raised (not a trial error) is run again."""

CONNECT_TIMEOUT_S = 10.0
"""Time to reach a running scheduler before giving up, s."""

_LOCAL = re.compile(r"local(?::(\d+))?")


class ClusterError(GaitlabError):
    """The cluster cannot be reached or started, or Dask is not installed."""


@dataclass
class RemoteTrial:
    """A trial analysed on a worker (a :class:`gaitlab.pipeline.runner.FinishedTrial`).

    Attributes
    ----------
    trial_id : str
    results : dict of str to PackedResult
        Every result of the trial (stored ones kept for plugins not run).
    ran : list of str
        Plugins that ran.
    error : str
        Why the trial as a whole could not be analysed ("" when it was).
    stored : set of str
        Empty: ``results`` already holds the stored results it keeps.
    """

    trial_id: str
    results: dict[str, PackedResult] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    error: str = ""
    stored: set[str] = field(default_factory=set)


def local_cluster_size(spec: str) -> int:
    """Workers of ``--cluster local[:N]`` (default: one per CPU).

    Raises
    ------
    ClusterError
        Not ``local`` or ``local:N`` with N ≥ 1.
    """
    match = _LOCAL.fullmatch(spec.strip())
    if match is None or (match.group(1) is not None and int(match.group(1)) < 1):
        raise ClusterError(
            f"--cluster {spec!r}: expected 'local' or 'local:N' (N workers, N ≥ 1)"
        )
    return int(match.group(1)) if match.group(1) else os.cpu_count() or 1


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None, cluster: str | None = None
) -> Iterator[Client]:
    """A Dask client on a running scheduler, or on a local cluster it starts.

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://HOST:8786``).
    cluster : str or None
        ``local`` or ``local:N``: start a cluster of N single-threaded worker
        processes on this machine (closed on exit).

    Raises
    ------
    ClusterError
        Dask is not installed, both or neither argument given, or the
        scheduler cannot be reached.
    """
    if (scheduler is None) == (cluster is None):
        raise ClusterError("give either a scheduler address or a local cluster")
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError(
            "a batch on a Dask cluster needs Dask: pip install 'gaitlab[distributed]'"
        ) from None
    # the scheduler's and workers' routine messages are not the user's news
    logging.getLogger("distributed").setLevel(logging.WARNING)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S:g}s")
        except (OSError, TimeoutError) as error:
            raise ClusterError(
                f"the Dask scheduler {scheduler} cannot be reached: {error}"
            ) from None
        with client:
            yield client
        return
    assert cluster is not None
    n_workers = local_cluster_size(cluster)
    # workers start gaitlab's contained analysis processes: not daemons
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        ) as local,
        Client(local) as client,
    ):
        yield client


def analyse_on_worker(
    project_path: str,
    trial_id: str,
    plan_payload: tuple[list[tuple[str, str]], dict[str, dict[str, Any]]],
    rerun: list[str] | None,
    only_stale: bool,
    limits: Limits,
) -> RemoteTrial:
    """The task a worker runs: analyse one trial, return its results unwritten.

    Parameters
    ----------
    project_path : str
        The project folder as the worker sees it (a shared file system).
    trial_id : str
        The trial.
    plan_payload : (list of (name, source), dict)
        The client's plugins (found again on the worker, refused if they
        differ) and their parameters.
    rerun, only_stale, limits
        As :func:`gaitlab.pipeline.runner.analyse_trial`.

    Returns
    -------
    RemoteTrial
        Its results, or the trial's error.
    """
    from gaitlab.store.project import open_project

    if multiprocessing.current_process().daemon:
        return RemoteTrial(
            trial_id,
            error="the Dask worker is a daemon process and cannot start gaitlab's "
            "analysis processes: start the workers with "
            "DASK_DISTRIBUTED__WORKER__DAEMON=False",
        )
    try:
        project = open_project(Path(project_path))
        plan = _plan_from_payload(*plan_payload)
        results, ran = analyse_trial(
            project,
            trial_id,
            plan,
            rerun=rerun,
            only_stale=only_stale,
            write=False,
            limits=limits,
        )
    except GaitlabError as error:  # the trial, not the worker: not retried
        return RemoteTrial(
            trial_id, error=str(error).removeprefix(f"trial {trial_id}: ")
        )
    return RemoteTrial(trial_id, results, ran)


def on_cluster(client: Client) -> TrialDriver:
    """The trial driver :func:`gaitlab.pipeline.runner.run_pipeline` takes to
    analyse its trials on this Dask client's cluster."""
    return functools.partial(drive_on_cluster, client)


def drive_on_cluster(
    client: Client,
    project: Project,
    trial_ids: Iterable[str],
    plan: Plan,
    rerun: list[str] | None,
    only_stale: bool,
    limits: Limits,
) -> Iterator[RemoteTrial]:
    """Submit one task per trial; yield each trial as it comes back.

    A task that fails for good (a worker died more often than Dask allows,
    or it raised on every retry) comes back as its trial's error. Closing
    the generator cancels the tasks not finished.
    """
    from distributed import as_completed

    payload = ([(spec.name, spec.source) for spec in plan.specs], dict(plan.params))
    path = str(project.path.resolve())
    futures = {
        client.submit(
            analyse_on_worker,
            path,
            trial_id,
            payload,
            rerun,
            only_stale,
            limits,
            key=f"gaitlab-trial-{trial_id}-{os.urandom(4).hex()}",
            retries=RETRIES,
            pure=False,
        ): trial_id
        for trial_id in trial_ids
    }
    try:
        for future in as_completed(futures):
            trial_id = futures[future]
            try:
                remote = future.result()
            except Exception as error:
                yield RemoteTrial(
                    trial_id,
                    error=f"the cluster could not analyse it "
                    f"({type(error).__name__}: {error})",
                )
                continue
            if not isinstance(remote, RemoteTrial) or remote.trial_id != trial_id:
                yield RemoteTrial(trial_id, error="the worker returned something else")
                continue
            try:  # every field of its proper type, as from a local child
                remote.results = {
                    str(n): checked_packed(r) for n, r in remote.results.items()
                }
            except (TypeError, ValueError) as error:
                yield RemoteTrial(trial_id, error=f"the worker's results: {error}")
                continue
            yield remote
    finally:
        client.cancel(list(futures))
