"""The ``refdesk`` command: the GUI by default, and subcommands for scripted use."""
