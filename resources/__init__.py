"""RefDesk's resources (icons, fonts, style sheet, default intake scripts), shipped in the wheel as the
data package ``refdesk_resources``. Find files through ``refdesk.paths.resource_path``, never by path."""
