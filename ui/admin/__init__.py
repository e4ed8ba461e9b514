"""Administration (admin-only, issue 6/7): staff accounts (``staff.StaffDialog``) and the audit log
(``audit_viewer.AuditDialog``). The services refuse anyone else; these screens say so in plain words."""
