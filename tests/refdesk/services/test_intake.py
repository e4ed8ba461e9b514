"""Intake scripts and checklists: the shipped defaults, script versions that never rewrite an answer,
answers checked by kind, and what the scheduling gate is told is still open."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from refdesk.domain.models import ChecklistAnswer, IntakeItem, IntakeScript, Referral, ServiceLine
from refdesk.domain.times import local_today
from refdesk.domain.vocab import ItemKind
from refdesk.errors import NotFoundError, ValidationError
from refdesk.services import intake
from refdesk.services.actor import Actor
from refdesk.services.catalog import NewServiceLine, create_service_line
from refdesk.services.intake import ItemDraft
from refdesk.storage import Database
from tests.accounts import coordinator
from tests.refdesk.services.helpers import audit_rows, count

DEFAULT_KEYS = [
    "reason_confirmed",
    "contact_preference",
    "scheduling_constraints",
    "records_on_file",
    "insurance_authorization",
    "interpreter",
    "consent_updates",
]


def answer_rows(db: Database) -> list[tuple[Any, ...]]:
    """Every answer row as stored, in full: what "left intact" is checked against."""
    with db.session() as session:
        return [
            (a.id, a.referral_id, a.item_id, a.value, a.answered_at, a.answered_by)
            for a in session.scalars(select(ChecklistAnswer).order_by(ChecklistAnswer.id))
        ]


def drafts(db: Database, line_id: int) -> list[ItemDraft]:
    return intake.current_script(db, line_id).items


def by_key(items: list[ItemDraft], key: str) -> ItemDraft:
    return next(item for item in items if item.key == key)


def open_blocking(db: Database, referral_id: int) -> list[str]:
    with db.session() as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None
        return intake.open_blocking_items(session, referral)


@pytest.fixture
def extended(db: Database, actor: Actor, service_line_id: int) -> int:
    """The line's script with a date and an optional choice item added (version 2)."""
    items = drafts(db, service_line_id)
    items.append(ItemDraft("Date of injury or surgery", ItemKind.DATE))
    items.append(ItemDraft("Which knee?", ItemKind.CHOICE, ["Left", "Right", "Both"]))
    return intake.save_script(db, coordinator(db), service_line_id, items)


# --- the shipped default --------------------------------------------------------------------------


def test_a_new_service_line_starts_with_the_shipped_script_covering_the_domain_checklist(
    db: Database, service_line_id: int
) -> None:
    script = intake.current_script(db, service_line_id)
    assert script.version == 1
    assert [item.key for item in script.items] == DEFAULT_KEYS
    prompts = [item.prompt.lower() for item in script.items]
    for topic, words in {
        "reason_confirmed": ("reason for referral",),
        "contact_preference": ("contact", "time"),
        "scheduling_constraints": ("scheduling", "transportation", "caregiver"),
        "records_on_file": ("records",),
        "insurance_authorization": ("insurance", "authorization"),
        "interpreter": ("interpreter",),
        "consent_updates": ("consent", "referring"),
    }.items():
        prompt = prompts[DEFAULT_KEYS.index(topic)]
        assert all(word in prompt for word in words), (topic, prompt)
    blocking = {item.key for item in script.items if item.blocks_scheduling}
    assert blocking == {"reason_confirmed", "records_on_file", "insurance_authorization"}
    assert by_key(script.items, "contact_preference").kind is ItemKind.CHOICE
    assert len(by_key(script.items, "contact_preference").choices) >= 4


def test_the_defaults_are_fresh_copies_each_time() -> None:
    first = intake.default_items()
    first[0].prompt = "changed"
    first[1].choices.append("Carrier pigeon")
    again = intake.default_items()
    assert again[0].prompt != "changed"
    assert "Carrier pigeon" not in again[1].choices


def test_a_line_that_has_a_script_is_not_given_the_defaults_again(db: Database, service_line_id: int) -> None:
    with db.transaction() as session:
        line = session.get(ServiceLine, service_line_id)
        assert line is not None
        assert intake.ensure_script(session, line) is None
    assert count(db, IntakeScript) == 1


def test_each_service_line_gets_its_own_copy(db: Database, actor: Actor, service_line_id: int) -> None:
    other = create_service_line(db, actor, NewServiceLine(name="Imaging"))
    items = drafts(db, service_line_id)
    items[0].prompt = "Reason confirmed with the patient?"
    intake.save_script(db, coordinator(db), service_line_id, items)
    assert intake.current_script(db, other).items == intake.default_items()


# --- the checklist --------------------------------------------------------------------------------


def test_a_new_referral_has_nothing_done_and_its_blocking_items_open(db: Database, referral_id: int) -> None:
    checklist = intake.checklist(db, referral_id)
    assert (checklist.version, checklist.total, checklist.done, checklist.progress) == (1, 7, 0, "0 of 7")
    assert [row.key for row in checklist.items] == DEFAULT_KEYS
    assert checklist.open_blocking == open_blocking(db, referral_id)
    assert len(checklist.open_blocking) == 3
    assert checklist.retired == ()


def test_answers_count_towards_progress_and_a_blocking_no_stays_open(
    db: Database, actor: Actor, referral_id: int
) -> None:
    intake.answer(db, actor, referral_id, "reason_confirmed", True)
    intake.answer(db, actor, referral_id, "records_on_file", False)
    intake.answer(db, actor, referral_id, "consent_updates", False)
    intake.answer(db, actor, referral_id, "contact_preference", "Text message")
    intake.answer(db, actor, referral_id, "interpreter", "  Spanish  ")
    checklist = intake.checklist(db, referral_id)
    # "No" to the consent question is an answer; "No" to records on file is still work to do.
    assert checklist.progress == "4 of 7"
    assert checklist.row("interpreter").value == "Spanish"
    assert checklist.row("records_on_file").value is False
    assert checklist.row("records_on_file").blocking_open
    assert checklist.row("consent_updates").done
    assert checklist.row("reason_confirmed").answered_by == "Maria Lopez"
    records = checklist.row("records_on_file").prompt
    insurance = checklist.row("insurance_authorization").prompt
    assert checklist.open_blocking == open_blocking(db, referral_id) == [records, insurance]

    intake.answer(db, actor, referral_id, "records_on_file", True)
    intake.answer(db, actor, referral_id, "insurance_authorization", True)
    assert open_blocking(db, referral_id) == []
    assert intake.checklist(db, referral_id).progress == "6 of 7"


def test_an_answer_is_audited_with_the_item_and_its_old_and_new_value(
    db: Database, actor: Actor, referral_id: int
) -> None:
    intake.answer(db, actor, referral_id, "interpreter", "Spanish")
    intake.answer(db, actor, referral_id, "interpreter", "Vietnamese")
    rows = audit_rows(db, "referral.answer")
    assert [(r.entity_id, r.staff_id, r.success) for r in rows] == [(referral_id, actor.staff_id, True)] * 2
    assert rows[1].detail == {"item": "interpreter", "old": "Spanish", "new": "Vietnamese"}
    assert count(db, ChecklistAnswer) == 1  # the same row, updated


# --- script versions never rewrite answers --------------------------------------------------------


def test_a_script_edit_leaves_old_answers_intact(db: Database, actor: Actor, referral_id: int) -> None:
    for key, value in (
        ("reason_confirmed", True),
        ("contact_preference", "Phone, mornings"),
        ("scheduling_constraints", "Needs a ride on Tuesdays"),
        ("records_on_file", True),
        ("consent_updates", True),
    ):
        intake.answer(db, actor, referral_id, key, value)
    before = answer_rows(db)
    old_reason = intake.checklist(db, referral_id).row("reason_confirmed").prompt
    line_id = intake.checklist(db, referral_id).service_line_id

    items = drafts(db, line_id)
    by_key(items, "reason_confirmed").prompt = "Reason for referral read back and confirmed by the patient?"
    consent = by_key(items, "consent_updates")
    items.remove(consent)
    items.insert(0, consent)  # reordered
    items.remove(by_key(items, "scheduling_constraints"))  # retired
    items.append(ItemDraft("Preferred clinic location", ItemKind.CHOICE, ["North", "South"], required=True))
    assert intake.save_script(db, coordinator(db), line_id, items) == 2

    assert answer_rows(db) == before  # not one answer row changed, moved or went
    with db.session() as session:
        versions = session.execute(
            select(IntakeScript.version, IntakeScript.current)
            .where(IntakeScript.service_line_id == line_id)
            .order_by(IntakeScript.version)
        ).all()
        old_items = session.scalars(
            select(IntakeItem).join(IntakeScript).where(IntakeScript.version == 1)
        ).all()
    assert [tuple(v) for v in versions] == [(1, False), (2, True)]
    assert {i.key: i.prompt for i in old_items}["reason_confirmed"] == old_reason  # version 1 as it was

    checklist = intake.checklist(db, referral_id)
    assert checklist.version == 2
    assert [row.key for row in checklist.items][:2] == ["consent_updates", "reason_confirmed"]
    reason = checklist.row("reason_confirmed")
    assert reason.value is True and reason.done  # the answer to the earlier wording still counts
    assert reason.answered_prompt == old_reason
    assert checklist.row("consent_updates").value is True
    assert checklist.row("contact_preference").value == "Phone, mornings"
    new = checklist.items[-1]
    assert new.prompt == "Preferred clinic location" and new.value is None and not new.done
    [retired] = checklist.retired
    assert (retired.key, retired.value, retired.version) == (
        "scheduling_constraints",
        "Needs a ride on Tuesdays",
        1,
    )
    assert "scheduling constraints" in retired.prompt.lower()
    assert checklist.progress == "4 of 7"
    assert open_blocking(db, referral_id) == [checklist.row("insurance_authorization").prompt]


def test_answering_after_an_edit_writes_the_current_item_and_keeps_the_earlier_row(
    db: Database, actor: Actor, referral_id: int, service_line_id: int
) -> None:
    intake.answer(db, actor, referral_id, "interpreter", "Spanish")
    before = answer_rows(db)
    items = drafts(db, service_line_id)
    by_key(items, "interpreter").prompt = "Interpreter: which language, if any?"
    intake.save_script(db, coordinator(db), service_line_id, items)

    intake.answer(db, actor, referral_id, "interpreter", "Mandarin")
    after = answer_rows(db)
    assert after[0] == before[0]  # the answer to version 1 is untouched
    assert len(after) == 2 and after[1][3] == "Mandarin"
    row = intake.checklist(db, referral_id).row("interpreter")
    assert (row.value, row.answered_prompt) == ("Mandarin", None)


def test_clearing_an_optional_answer_given_to_an_earlier_version_keeps_that_row(
    db: Database, actor: Actor, referral_id: int, service_line_id: int
) -> None:
    intake.answer(db, actor, referral_id, "scheduling_constraints", "Mornings only")
    before = answer_rows(db)
    items = drafts(db, service_line_id)
    by_key(items, "scheduling_constraints").prompt = "Any days or times that do not work?"
    intake.save_script(db, coordinator(db), service_line_id, items)

    assert intake.answer(db, actor, referral_id, "scheduling_constraints", "   ") is None
    assert answer_rows(db)[0] == before[0]
    row = intake.checklist(db, referral_id).row("scheduling_constraints")
    assert row.value is None and not row.done  # the earlier answer does not come back


def test_saving_an_unchanged_script_writes_no_version(
    db: Database, actor: Actor, service_line_id: int
) -> None:
    assert intake.save_script(db, coordinator(db), service_line_id, drafts(db, service_line_id)) == 1
    assert count(db, IntakeScript) == 1
    assert audit_rows(db, "intake_script.save") == []


def test_a_saved_script_is_audited_with_what_changed(
    db: Database, actor: Actor, service_line_id: int
) -> None:
    items = drafts(db, service_line_id)
    by_key(items, "interpreter").prompt = "Interpreter needed? Which language?"
    by_key(items, "scheduling_constraints").required = True
    items.reverse()
    items.remove(by_key(items, "consent_updates"))
    items.append(ItemDraft("Recent ECG available?", ItemKind.YES_NO, blocks_scheduling=True))
    intake.save_script(db, coordinator(db), service_line_id, items)
    [row] = audit_rows(db, "intake_script.save")
    assert (row.entity, row.entity_id, row.staff_id) == (
        "service_line",
        service_line_id,
        coordinator(db).staff_id,
    )
    assert row.detail == {
        "version": 2,
        "added": ["recent_ecg_available"],
        "reworded": ["interpreter"],
        "changed": ["scheduling_constraints"],
        "retired": ["consent_updates"],
        "reordered": True,
    }


def test_a_new_item_never_takes_a_key_the_line_used_before(
    db: Database, actor: Actor, service_line_id: int
) -> None:
    items = drafts(db, service_line_id)
    items.append(ItemDraft("Recent ECG available?", ItemKind.YES_NO))
    intake.save_script(db, coordinator(db), service_line_id, items)
    items = [item for item in drafts(db, service_line_id) if item.key != "recent_ecg_available"]
    intake.save_script(db, coordinator(db), service_line_id, items)  # retired
    items.append(ItemDraft("Recent ECG available?", ItemKind.YES_NO))
    intake.save_script(db, coordinator(db), service_line_id, items)
    assert drafts(db, service_line_id)[-1].key == "recent_ecg_available_2"


def test_changing_an_items_kind_makes_it_a_new_question(
    db: Database, actor: Actor, referral_id: int, service_line_id: int
) -> None:
    intake.answer(db, actor, referral_id, "interpreter", "Spanish")
    items = drafts(db, service_line_id)
    interpreter = by_key(items, "interpreter")
    interpreter.kind, interpreter.choices = ItemKind.CHOICE, ["No", "Spanish", "Other language"]
    intake.save_script(db, coordinator(db), service_line_id, items)
    checklist = intake.checklist(db, referral_id)
    assert "interpreter" not in [row.key for row in checklist.items]
    assert [(r.key, r.value) for r in checklist.retired] == [("interpreter", "Spanish")]


def test_a_script_with_problems_is_refused_item_by_item_and_nothing_is_saved(
    db: Database, actor: Actor, service_line_id: int
) -> None:
    items = drafts(db, service_line_id)
    items[1].prompt = "   "
    items[2] = ItemDraft("Which knee?", ItemKind.CHOICE, ["Left", " "], key=items[2].key)
    items.append(ItemDraft("Preferred site", ItemKind.CHOICE, ["North", "north "]))
    with pytest.raises(ValidationError) as refused:
        intake.save_script(db, coordinator(db), service_line_id, items)
    assert refused.value.errors == {
        "items.1.prompt": "Type the words staff say or check.",
        "items.2.choices": "A choice item needs at least two choices, one per line.",
        "items.7.choices": "The choice “north” is listed twice.",
    }
    too_many = drafts(db, service_line_id) + [ItemDraft(f"Question {n}", ItemKind.TEXT) for n in range(40)]
    with pytest.raises(ValidationError) as refused:
        intake.save_script(db, coordinator(db), service_line_id, too_many)
    assert set(refused.value.errors) == {"items"}
    assert count(db, IntakeScript) == 1
    assert [row.success for row in audit_rows(db, "intake_script.save")] == [False, False]


# --- answers checked by kind ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("reason_confirmed", "yes", "Answer yes or no."),
        ("reason_confirmed", None, "This item needs an answer; it cannot be left empty."),
        ("interpreter", "", "This item needs an answer; it cannot be left empty."),
        ("scheduling_constraints", "x" * 2001, "The answer is too long (at most 2000 characters)."),
        ("contact_preference", "Carrier pigeon", "Choose one of the listed answers."),
        ("which_knee", "left", "Choose one of the listed answers."),
        ("date_of_injury_or_surgery", date(1899, 12, 31), "The date cannot be before 1900; check the year."),
        ("date_of_injury_or_surgery", "2023-02-30", "That is not a real date."),
        ("date_of_injury_or_surgery", "next week", "That is not a real date."),
    ],
)
def test_an_answer_that_does_not_fit_its_item_is_refused_and_nothing_is_saved(
    db: Database, actor: Actor, referral_id: int, extended: int, key: str, value: Any, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        intake.answer(db, actor, referral_id, key, value)
    assert refused.value.errors == {key: message}
    assert count(db, ChecklistAnswer) == 0
    [row] = audit_rows(db, "referral.answer")
    assert not row.success


def test_a_date_more_than_two_years_ahead_is_refused(
    db: Database, actor: Actor, referral_id: int, extended: int
) -> None:
    key = "date_of_injury_or_surgery"
    today = local_today()
    with pytest.raises(ValidationError, match="more than 2 years ahead"):
        intake.answer(db, actor, referral_id, key, today + timedelta(days=2 * 366 + 1))
    assert intake.answer(db, actor, referral_id, key, today + timedelta(days=300)) == today + timedelta(
        days=300
    )
    assert intake.answer(db, actor, referral_id, key, "1958-04-02") == date(1958, 4, 2)
    assert intake.checklist(db, referral_id).row(key).value == date(1958, 4, 2)


def test_a_required_answer_cannot_be_emptied_once_given(db: Database, actor: Actor, referral_id: int) -> None:
    intake.answer(db, actor, referral_id, "interpreter", "Spanish")
    with pytest.raises(ValidationError):
        intake.answer(db, actor, referral_id, "interpreter", "  ")
    assert intake.checklist(db, referral_id).row("interpreter").value == "Spanish"


def test_an_optional_answer_can_be_cleared(
    db: Database, actor: Actor, referral_id: int, extended: int
) -> None:
    intake.answer(db, actor, referral_id, "which_knee", "Left")
    assert intake.checklist(db, referral_id).done == 1
    intake.answer(db, actor, referral_id, "which_knee", None)
    row = intake.checklist(db, referral_id).row("which_knee")
    assert row.value is None and not row.done
    assert audit_rows(db, "referral.answer")[-1].detail == {"item": "which_knee", "old": "Left", "new": None}


def test_an_item_the_current_script_retired_cannot_be_answered(
    db: Database, actor: Actor, referral_id: int, service_line_id: int
) -> None:
    items = [item for item in drafts(db, service_line_id) if item.key != "interpreter"]
    intake.save_script(db, coordinator(db), service_line_id, items)
    with pytest.raises(NotFoundError):
        intake.answer(db, actor, referral_id, "interpreter", "Spanish")
    assert count(db, ChecklistAnswer) == 0


def test_the_gate_counts_only_yes_for_a_blocking_yes_no_and_a_blocking_text_must_be_filled(
    db: Database, actor: Actor, referral_id: int, service_line_id: int
) -> None:
    items = [ItemDraft("Authorization number on file", ItemKind.TEXT, blocks_scheduling=True)]
    items.append(ItemDraft("Cleared by the surgeon?", ItemKind.YES_NO, blocks_scheduling=True))
    intake.save_script(db, coordinator(db), service_line_id, items)
    assert open_blocking(db, referral_id) == ["Authorization number on file", "Cleared by the surgeon?"]
    intake.answer(db, actor, referral_id, "cleared_by_the_surgeon", False)
    intake.answer(db, actor, referral_id, "authorization_number_on_file", "A-1234")
    assert open_blocking(db, referral_id) == ["Cleared by the surgeon?"]
    intake.answer(db, actor, referral_id, "authorization_number_on_file", "")
    intake.answer(db, actor, referral_id, "cleared_by_the_surgeon", True)
    assert open_blocking(db, referral_id) == ["Authorization number on file"]
