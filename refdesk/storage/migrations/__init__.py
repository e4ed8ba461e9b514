"""Alembic migrations for the RefDesk schema (run through refdesk.storage.migrate)."""
