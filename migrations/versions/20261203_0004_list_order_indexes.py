"""Indexes for the lists' sort orders and keyset pages

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:30:00

Subjects and styles, the lists that grow big: one (sort column, id) btree per sortable column (scanned forwards
or backwards for either direction) and one for the default order (created_at DESC, id), partial on live rows as
lists show only those; users: (created_at, id), its default order. db/list_indexes.py declares the same.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")
# (table, index name suffix, columns, partial on live rows)
INDEXES = [
    ("subjects", "newest", ["created_at DESC", "id"], True),
    ("subjects", "name", ["name", "id"], True),
    ("subjects", "surname", ["surname", "id"], True),
    ("subjects", "created_at", ["created_at", "id"], True),
    ("subjects", "updated_at", ["updated_at", "id"], True),
    ("styles", "newest", ["created_at DESC", "id"], True),
    ("styles", "name", ["name", "id"], True),
    ("styles", "created_at", ["created_at", "id"], True),
    ("styles", "updated_at", ["updated_at", "id"], True),
    ("users", "created_at", ["created_at", "id"], False),
]


def upgrade() -> None:
    for table, suffix, columns, live in INDEXES:
        op.create_index(
            f"ix_{table}_list_{suffix}",
            table,
            [sa.text(column) for column in columns],
            postgresql_where=LIVE if live else None,
        )


def downgrade() -> None:
    for table, suffix, _columns, _live in reversed(INDEXES):
        op.drop_index(f"ix_{table}_list_{suffix}", table_name=table)
