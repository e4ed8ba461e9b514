"""Today: the worklist for the day (new referrals, first contacts, callbacks, attempt limits, reminders,
missing records), each line opening its referral."""

from ui.today.model import TodayModel
from ui.today.view import TodayView

__all__ = ["TodayModel", "TodayView"]
