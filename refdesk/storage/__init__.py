"""Storage: the engine and its PRAGMAs, sessions and transactions, migrations."""

from refdesk.storage.database import Database

__all__ = ["Database"]
