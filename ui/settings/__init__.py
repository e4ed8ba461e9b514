"""Settings in one dialog: a list of pages on the left (clinic and letterhead, response targets, service
lines, intake scripts, idle lock, backups, staff, audit log), the chosen page on the right.

``dialog.SettingsDialog`` is the window; ``registry.PAGES`` lists the pages (one line each, with the
roles that see them); the modules beside them are the pages this package builds itself.
"""
