"""RefDesk's Qt user interface: windows, table models and dialogs on top of the ``refdesk`` services."""
