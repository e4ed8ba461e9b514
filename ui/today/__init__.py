"""Today: the worklist for the day (new referrals, first contacts, callbacks, attempt limits, reminders
of unconfirmed appointments, no-shows to follow up, missing records), each line opening its referral."""

from ui.today.model import TodayModel
from ui.today.view import TodayView

__all__ = ["TodayModel", "TodayView"]
