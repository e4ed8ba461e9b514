"""Domain: the ORM models and the referral lifecycle."""
