"""Video stills of a step in the runner report (issue 15 item 4).

For each trial of a runner and condition that has videos attached
(``gaitlab video``, or at import), the report shows each camera's frames at
the initial contact and at midstance (half-way to toe-off) of one step: the
first clean contact of the trial (else the first contact), as the
analyses found them (``gait_events``). A frame is the one nearest the event's
time plus the camera's offset (:func:`gaitlab.video.frame_index_at`). A
missing, changed or unreadable video is said, not shown.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from gaitlab.core.contacts import Contact, contacts_from_events
from gaitlab.core.errors import GaitlabError
from gaitlab.core.results import Result
from gaitlab.pipeline.videos import trial_videos
from gaitlab.store.project import Project
from gaitlab.video import VideoReader, video_state
from gaitlab.video.clip import still_png

__all__ = ["video_stills_section"]

STILL_WIDTH_PX = 320
"""Width of a still in the page (the PNG keeps the video's resolution)."""


def video_stills_section(
    project: Project, trial_ids: list[str], results: Mapping[str, Mapping[str, Result]]
) -> str:
    """HTML of the stills of the trials' videos ("" when none has a video)."""
    rows = []
    for trial_id in trial_ids:
        records = trial_videos(project, trial_id)
        if not records:
            continue
        contact = _chosen_step(results.get(trial_id, {}))
        if contact is None:
            rows.append(
                f"<p class='note'>{_e(trial_id)}: videos attached, but no foot "
                "contact to show (run gait_events)</p>"
            )
            continue
        midstance = 0.5 * (contact.ic_s + contact.to_s)
        cells = []
        for record in records:
            state = video_state(record, project.path)
            if state not in ("ok", "changed"):
                cells.append(
                    f"<td class='note'>{_e(record.camera)}: video {_e(state)} "
                    f"({_e(record.path)})</td>"
                )
                continue
            try:
                with VideoReader(record.resolved(project.path), cache_frames=2) as reader:
                    pictures = [
                        (name, still_png(reader, time_s + record.offset_s), time_s)
                        for name, time_s in (
                            ("initial contact", contact.ic_s),
                            ("midstance", midstance),
                        )
                    ]
            except GaitlabError as error:
                cells.append(f"<td class='note'>{_e(record.camera)}: {_e(error)}</td>")
                continue
            for name, png, time_s in pictures:
                uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
                cells.append(
                    f"<td><img class='still' width='{STILL_WIDTH_PX}' "
                    f"alt='{_e(record.camera)} at {_e(name)}' src='{uri}'>"
                    f"<br>{_e(record.camera)}: {_e(name)}, {time_s:.3f} s</td>"
                )
        rows.append(
            f"<p>{_e(trial_id)}, step {contact.step} ({_e(contact.side or 'side ?')}"
            f"{'' if contact.clean else ', not clean'})</p>"
            f"<table class='stills'><tr>{''.join(cells)}</tr></table>"
        )
    if not rows:
        return ""
    return "<h4>Video stills</h4>" + "".join(rows)


def _chosen_step(results: Mapping[str, Result]) -> Contact | None:
    """The first clean contact of the trial's gait events (else the first one)."""
    events = results.get("gait_events")
    if events is None:
        return None
    clean = {
        m.time_s: m.value
        for m in events.metrics
        if m.name == "contact_clean" and m.time_s is not None
    }
    contacts = contacts_from_events(
        events.events, {t: bool(v) for t, v in clean.items()}
    )
    return next((c for c in contacts if c.clean), contacts[0] if contacts else None)


def _e(value: object) -> str:
    return html.escape(str(value))
