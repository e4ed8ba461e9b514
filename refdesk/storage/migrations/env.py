"""Alembic environment: runs on the connection refdesk.storage.migrate hands over, in its transaction."""

from __future__ import annotations

from alembic import context

from refdesk.domain.models import Base
from refdesk.storage.search_index import is_search_table

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - RefDesk always passes its own connection
    raise RuntimeError("Run migrations through refdesk.storage.migrate, which supplies the connection.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    transactional_ddl=True,
    compare_type=True,
    # The search index is managed by refdesk.storage.search_index, not compared with the models.
    include_name=lambda name, kind, _parent: not (kind == "table" and name and is_search_table(name)),
)
with context.begin_transaction():
    context.run_migrations()
