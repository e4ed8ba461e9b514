"""The parts of the referral detail view (``ui.referral_detail.ReferralDetail`` puts them together): the
header, the contact log, the state buttons, the history and the in-view message and prompt bars."""
