"""The referral table's columns in the order the fast writers build its rows in, by position: the demo's
generator (``refdesk.demo.generator``) and the import's checker (``refdesk.imports.checker``, which
checks it against the model on import)."""

REFERRAL_COLUMNS: tuple[str, ...] = (
    "id", "partner_id", "service_line_id", "patient_first_name", "patient_last_name", "patient_dob",
    "phone", "phone_alt", "email", "name_key", "phone_digits", "preferred_contact_method",
    "preferred_contact_time", "language", "interpreter_needed", "caregiver_name", "caregiver_phone",
    "caregiver_relationship", "insurance_payer", "insurance_member_id", "authorization_number",
    "authorization_visits", "authorization_expires_on", "referring_clinician", "reason", "urgency",
    "channel", "received_at", "owner_id", "state", "close_reason", "closed_at", "linked_referral_id",
    "acknowledged_at", "first_attempt_at", "last_attempt_at", "attempt_count", "callback_due_at",
    "state_changed_at", "ack_due_at", "first_contact_due_at", "next_action", "next_action_at",
    "created_at", "updated_at",
)  # fmt: skip
