"""The clinic's letterhead and intake scripts are changed by a coordinator or an administrator: a front desk
account is refused by the service itself (not only by a hidden menu entry), and the refusal is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from refdesk.domain.models import AuditEvent
from refdesk.errors import AccessDenied
from refdesk.services import intake, settings
from refdesk.services.actor import Actor
from refdesk.storage import Database
from tests.accounts import coordinator


def refusals(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as session:
        query = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.success.is_(False))
        return list(session.scalars(query))


def test_front_desk_cannot_change_the_letterhead_and_the_refusal_is_audited(
    db: Database, actor: Actor
) -> None:
    with pytest.raises(AccessDenied, match="administrator or a coordinator"):
        settings.save_letterhead_field(db, actor, settings.CLINIC_NAME, "Not Our Clinic")
    with pytest.raises(AccessDenied):
        settings.save_logo(db, actor, None)
    assert settings.clinic_name(db) != "Not Our Clinic"
    assert [row.staff_id for row in refusals(db, "setting.update")] == [actor.staff_id, actor.staff_id]

    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_NAME, "Riverside Clinic")
    assert settings.clinic_name(db) == "Riverside Clinic"


def test_front_desk_cannot_save_an_intake_script(db: Database, actor: Actor, service_line_id: int) -> None:
    drafts = intake.current_script(db, service_line_id).items
    version = intake.save_script(db, coordinator(db), service_line_id, drafts[:-1])  # one item retired
    with pytest.raises(AccessDenied):
        intake.save_script(db, actor, service_line_id, drafts)
    assert intake.current_script(db, service_line_id).version == version
    [row] = refusals(db, "intake_script.save")
    assert (row.staff_id, row.entity_id) == (actor.staff_id, service_line_id)
