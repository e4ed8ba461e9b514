"""Initial schema: partners, service lines and intake scripts, referrals and their history, staff, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:23:36.933445
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from refdesk.storage import search_index

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The open states as they were at this revision (frozen here: a later change of the lifecycle
# needs a new revision that recreates the partial indexes).
OPEN_STATES_SQL = (
    "state IN ('received', 'contact_attempted', 'reached', 'scheduled', 'no_show', 'appointment_cancelled')"
)


def upgrade() -> None:
    op.create_table(
        "partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("fax", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("portal", sa.String(length=200), nullable=True),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("npi", sa.String(length=10), nullable=True),
        sa.Column("preferred_update_channel", sa.String(length=32), nullable=True),
        sa.Column("agreement_status", sa.String(length=32), nullable=False),
        sa.Column("agreement_date", sa.Date(), nullable=True),
        sa.Column("agreement_scope", sa.Text(), nullable=True),
        sa.Column("outreach_cadence", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner")),
    )
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_name_key"), ["name_key"], unique=False)

    op.create_table(
        "service_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("criteria", sa.Text(), nullable=True),
        sa.Column("required_records", sa.JSON(), nullable=False),
        sa.Column("how_to_refer", sa.Text(), nullable=True),
        sa.Column("after_referral", sa.Text(), nullable=True),
        sa.Column("ack_target_hours", sa.Integer(), nullable=False),
        sa.Column("first_contact_target_hours", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_line")),
        sa.UniqueConstraint("name", name=op.f("uq_service_line_name")),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_username")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("chain_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_audit_event_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_event_entity", ["entity", "entity_id"], unique=False)

    op.create_table(
        "intake_script",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_line_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], name=op.f("fk_intake_script_created_by_staff")),
        sa.ForeignKeyConstraint(
            ["service_line_id"],
            ["service_line.id"],
            name=op.f("fk_intake_script_service_line_id_service_line"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_script")),
        sa.UniqueConstraint("service_line_id", "version", name="uq_intake_script_line_version"),
    )
    op.create_table(
        "letter_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_letter_sent_partner_id_partner"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_letter_sent_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_sent")),
    )
    with op.batch_alter_table("letter_sent", schema=None) as batch_op:
        batch_op.create_index("ix_letter_sent_partner_at", ["partner_id", "at"], unique=False)

    op.create_table(
        "partner_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.Column("decision_maker", sa.Boolean(), nullable=False),
        sa.Column("receives_updates", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("fax", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_partner_contact_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_contact")),
    )
    with op.batch_alter_table("partner_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_contact_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "partner_touch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_partner_touch_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_partner_touch_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_touch")),
    )
    with op.batch_alter_table("partner_touch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_touch_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("service_line_id", sa.Integer(), nullable=False),
        sa.Column("patient_first_name", sa.String(length=100), nullable=False),
        sa.Column("patient_last_name", sa.String(length=100), nullable=False),
        sa.Column("patient_dob", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("phone_alt", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("phone_digits", sa.String(length=20), nullable=False),
        sa.Column("preferred_contact_method", sa.String(length=32), nullable=True),
        sa.Column("preferred_contact_time", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=60), nullable=True),
        sa.Column("interpreter_needed", sa.Boolean(), nullable=False),
        sa.Column("caregiver_name", sa.String(length=200), nullable=True),
        sa.Column("caregiver_phone", sa.String(length=40), nullable=True),
        sa.Column("caregiver_relationship", sa.String(length=60), nullable=True),
        sa.Column("insurance_payer", sa.String(length=120), nullable=True),
        sa.Column("insurance_member_id", sa.String(length=60), nullable=True),
        sa.Column("authorization_number", sa.String(length=60), nullable=True),
        sa.Column("authorization_visits", sa.Integer(), nullable=True),
        sa.Column("authorization_expires_on", sa.Date(), nullable=True),
        sa.Column("referring_clinician", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("linked_referral_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("first_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("callback_due_at", sa.DateTime(), nullable=True),
        sa.Column("state_changed_at", sa.DateTime(), nullable=True),
        sa.Column("ack_due_at", sa.DateTime(), nullable=True),
        sa.Column("first_contact_due_at", sa.DateTime(), nullable=True),
        sa.Column("next_action", sa.String(length=32), nullable=True),
        sa.Column("next_action_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["linked_referral_id"], ["referral.id"], name=op.f("fk_referral_linked_referral_id_referral")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["staff.id"], name=op.f("fk_referral_owner_id_staff")),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_referral_partner_id_partner")),
        sa.ForeignKeyConstraint(
            ["service_line_id"], ["service_line.id"], name=op.f("fk_referral_service_line_id_service_line")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    # Patient search (FTS5 trigram, SQLite only; without it search falls back to LIKE).
    search_index.create(op.get_bind())
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index("ix_referral_name_dob", ["name_key", "patient_dob"], unique=False)
        batch_op.create_index(
            "ix_referral_open_due",
            ["next_action_at", "id"],
            unique=False,
            sqlite_where=sa.text(OPEN_STATES_SQL),
            postgresql_where=sa.text(OPEN_STATES_SQL),
        )
        batch_op.create_index(
            "ix_referral_open_partner_received",
            ["partner_id", "received_at"],
            unique=False,
            sqlite_where=sa.text(OPEN_STATES_SQL),
            postgresql_where=sa.text(OPEN_STATES_SQL),
        )
        batch_op.create_index(
            "ix_referral_open_received",
            ["received_at", "id"],
            unique=False,
            sqlite_where=sa.text(OPEN_STATES_SQL),
            postgresql_where=sa.text(OPEN_STATES_SQL),
        )
        batch_op.create_index(batch_op.f("ix_referral_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_referral_partner_received", ["partner_id", "received_at"], unique=False)
        batch_op.create_index("ix_referral_phone_digits", ["phone_digits"], unique=False)
        batch_op.create_index("ix_referral_received_at", ["received_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_service_line_id"), ["service_line_id"], unique=False)
        batch_op.create_index("ix_referral_state", ["state"], unique=False)

    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("provider", sa.String(length=120), nullable=True),
        sa.Column("location", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=32), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], name=op.f("fk_appointment_created_by_staff")),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_appointment_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["appointment.id"], name=op.f("fk_appointment_replaces_id_appointment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index("ix_appointment_referral", ["referral_id"], unique=False)
        batch_op.create_index("ix_appointment_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "contact_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("with_caregiver", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("callback_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_contact_attempt_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_contact_attempt_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attempt")),
    )
    with op.batch_alter_table("contact_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_contact_attempt_referral", ["referral_id", "at"], unique=False)

    op.create_table(
        "intake_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("script_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("blocks_scheduling", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["script_id"],
            ["intake_script.id"],
            name=op.f("fk_intake_item_script_id_intake_script"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_item")),
    )
    with op.batch_alter_table("intake_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_item_script_id"), ["script_id"], unique=False)

    op.create_table(
        "referral_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("requested_on", sa.Date(), nullable=True),
        sa.Column("chased_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_record_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_record")),
    )
    with op.batch_alter_table("referral_record", schema=None) as batch_op:
        batch_op.create_index("ix_referral_record_referral", ["referral_id"], unique=False)

    op.create_table(
        "status_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_status_event_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_status_event_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_event")),
    )
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.create_index("ix_status_event_referral", ["referral_id", "at"], unique=False)

    op.create_table(
        "checklist_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["staff.id"], name=op.f("fk_checklist_answer_answered_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["intake_item.id"], name=op.f("fk_checklist_answer_item_id_intake_item")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_checklist_answer_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_answer")),
        sa.UniqueConstraint("referral_id", "item_id", name="uq_checklist_answer_referral_item"),
    )


def downgrade() -> None:
    op.drop_table("checklist_answer")
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.drop_index("ix_status_event_referral")

    op.drop_table("status_event")
    with op.batch_alter_table("referral_record", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_record_referral")

    op.drop_table("referral_record")
    with op.batch_alter_table("intake_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_item_script_id"))

    op.drop_table("intake_item")
    with op.batch_alter_table("contact_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_attempt_referral")

    op.drop_table("contact_attempt")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_starts_at")
        batch_op.drop_index("ix_appointment_referral")

    op.drop_table("appointment")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_state")
        batch_op.drop_index(batch_op.f("ix_referral_service_line_id"))
        batch_op.drop_index("ix_referral_received_at")
        batch_op.drop_index("ix_referral_phone_digits")
        batch_op.drop_index("ix_referral_partner_received")
        batch_op.drop_index(batch_op.f("ix_referral_owner_id"))
        batch_op.drop_index(
            "ix_referral_open_received",
            sqlite_where=sa.text(OPEN_STATES_SQL),
            postgresql_where=sa.text(OPEN_STATES_SQL),
        )
        batch_op.drop_index(
            "ix_referral_open_partner_received",
            sqlite_where=sa.text(OPEN_STATES_SQL),
            postgresql_where=sa.text(OPEN_STATES_SQL),
        )
        batch_op.drop_index("ix_referral_name_dob")
        batch_op.drop_index(
            "ix_referral_open_due",
            sqlite_where=sa.text(OPEN_STATES_SQL),
            postgresql_where=sa.text(OPEN_STATES_SQL),
        )

    search_index.drop(op.get_bind())
    op.drop_table("referral")
    with op.batch_alter_table("partner_touch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_touch_partner_id"))

    op.drop_table("partner_touch")
    with op.batch_alter_table("partner_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_contact_partner_id"))

    op.drop_table("partner_contact")
    with op.batch_alter_table("letter_sent", schema=None) as batch_op:
        batch_op.drop_index("ix_letter_sent_partner_at")

    op.drop_table("letter_sent")
    op.drop_table("intake_script")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_entity")
        batch_op.drop_index("ix_audit_event_at")

    op.drop_table("audit_event")
    op.drop_table("staff")
    op.drop_table("setting")
    op.drop_table("service_line")
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_name_key"))

    op.drop_table("partner")
