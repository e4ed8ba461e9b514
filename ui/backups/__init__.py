"""Backups in the GUI: the automatic backup (first change of the day, and on closing), the Backups
dialog (folder, list, back up now, restore) and the words both use for a backup."""
