"""The two kinds of error RefDesk knows.

``RefDeskError`` and its subclasses are problems of the input or the environment: their message is
written for the person at the desk and is shown as is (it never carries patient data, so it may also
be logged and audited). Anything else is a bug: logged with its traceback, never shown raw.
"""

from __future__ import annotations

from collections.abc import Mapping


class RefDeskError(Exception):
    """A problem the user can understand and act on; ``str(error)`` is the message to show."""


class ValidationError(RefDeskError):
    """Input refused, with one message per field so a form can show each next to its field."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        summary = "; ".join(f"{field}: {message}" for field, message in self.errors.items())
        super().__init__(f"Please correct: {summary}")


class TransitionError(RefDeskError):
    """A lifecycle move the workflow does not allow; the message says why."""


class NotFoundError(RefDeskError):
    """A record that was asked for is not in the database (deleted, or a wrong id)."""


class StorageError(RefDeskError):
    """The database or its folder cannot be used: unwritable, damaged, full, or from a newer RefDesk."""


class OperationCancelled(RefDeskError):
    """Long work (an export, an import, a batch of letters) stopped because the user pressed Cancel;
    whatever it was writing is left unwritten (no partial file, no half-saved rows)."""


class SignInError(RefDeskError):
    """A sign-in refused: wrong name or password (never saying which), a disabled account, or an account
    locked for a while after repeated failures (the message says how long)."""


class AccessDenied(RefDeskError):
    """The signed-in person's role does not allow this (staff and audit management are admin-only)."""


class AuditKeyError(RefDeskError):
    """The audit trail's key file is missing, unreadable or not RefDesk's, so the log cannot be sealed
    or verified; the message says where the key was looked for."""
