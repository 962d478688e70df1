"""Grouping edits in the app: the dialog, one undoable edit, no number changed."""

from __future__ import annotations

import numpy as np

from gaitlab.gui.views.grouping_dialog import KEEP, GroupingDialog


def _records(session):
    return {r.trial_id: r for r in session.project.trials}


def test_grouping_of_selected_trials_is_one_undoable_edit(qtbot, window, session):
    """Two trials get a condition from the dialog (opened as the context menu
    and Edit ▸ Group trials… open it); Edit ▸ Undo puts both back, Redo
    again; the trial browser shows the new grouping; the stored numbers of
    the trials are the same before and after."""
    runs = [t for t in session.project.trial_ids if "treadmill" in t][:2]
    before = {t: session.project.load_results(t) for t in runs}
    conditions = {t: _records(session)[t].condition for t in runs}
    window.browser.tree.clearSelection()
    for trial_id in runs:
        window.browser._items[trial_id].setSelected(True)
    assert window.actions_["group_trials"].isEnabled()
    window.actions_["group_trials"].trigger()
    dialog = window.browser.findChild(GroupingDialog)
    assert dialog is not None
    assert dialog.fields["subject"].currentText() != KEEP  # one subject
    dialog.fields["condition"].setEditText("lean")
    assert "Changes no number" in dialog.explanation.text()
    dialog.apply()
    assert {_records(session)[t].condition for t in runs} == {"lean"}
    assert "condition of 2 trials: condition lean" in window.actions_["undo"].text()

    after = {t: session.project.load_results(t) for t in runs}
    for trial_id in runs:
        assert before[trial_id].keys() == after[trial_id].keys()
        for plugin, result in before[trial_id].items():
            values = [(m.name, m.step, m.value) for m in result.metrics]
            again = [(m.name, m.step, m.value) for m in after[trial_id][plugin].metrics]
            np.testing.assert_array_equal(
                np.array([v for *_, v in values]), np.array([v for *_, v in again])
            )
            assert [v[:2] for v in values] == [v[:2] for v in again]

    window.actions_["undo"].trigger()
    assert {t: _records(session)[t].condition for t in runs} == conditions
    window.actions_["redo"].trigger()
    assert {_records(session)[t].condition for t in runs} == {"lean"}
    labels = [item.text(0) for item in window.browser._group_items().values()]
    assert any("lean" in label for label in labels), labels


def test_moving_trials_to_a_new_subject_warns_and_can_be_undone(qtbot, window, session):
    trial_id = next(t for t in session.project.trial_ids if "overground" in t)
    old_subject = _records(session)[trial_id].subject_id
    window.browser.tree.clearSelection()
    window.browser._items[trial_id].setSelected(True)
    dialog = window.browser.group_selected()
    dialog.fields["subject"].setEditText("Runner 2")
    assert "turn stale" in dialog.explanation.text()
    dialog.apply()
    assert _records(session)[trial_id].subject_id == "runner-2"
    assert "runner-2" in session.project.subjects
    window.actions_["undo"].trigger()
    assert _records(session)[trial_id].subject_id == old_subject


def test_an_empty_subject_is_refused_and_keep_leaves_values(qtbot, window, session):
    trials = session.project.trial_ids[:3]
    window.browser.tree.clearSelection()
    for trial_id in trials:
        window.browser._items[trial_id].setSelected(True)
    dialog = window.browser.group_selected()
    before = {t: _records(session)[t] for t in trials}
    dialog.fields["subject"].setEditText("")
    dialog.apply()
    assert "needs a subject" in dialog.explanation.text()
    assert dialog.isVisible()
    dialog.fields["subject"].setEditText(KEEP)
    dialog.fields["session"].setEditText("pre")
    dialog.apply()
    for trial_id in trials:
        record = _records(session)[trial_id]
        assert record.session == "pre"
        assert (record.subject_id, record.condition) == (
            before[trial_id].subject_id,
            before[trial_id].condition,
        )
