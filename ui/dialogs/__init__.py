"""Dialogs: short tasks on top of the main window (new referral, ...)."""
