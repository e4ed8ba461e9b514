"""The signed-in session in the GUI (reliability promises 11 and 12): first-run setup, sign-in, the idle
lock and its lock screen, switching user and changing one's password.

``ui.session.controller.SessionController`` runs it. (Not imported here: the main window uses parts of
this package, and the controller uses the main window.)
"""
