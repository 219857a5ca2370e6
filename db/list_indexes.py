"""The indexes that keep the big lists' pages fast in every order a frontend asks for (graph/lists.py): one
(sort column, id) btree per sortable column, scanned forwards or backwards for either direction, plus the default
order's (newest first, then id ascending). Partial (`deleted_at IS NULL`) where the table has soft deletes, as
lists show only live rows. Migration 0004 creates the same ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, text


def list_order_indexes(
    table: str, *sort_columns: str, newest_first: bool = True, soft_deletes: bool = True
) -> tuple[Index, ...]:
    """For `table`: the default order's index (`newest_first`) and one per sortable column, each ending with
    the id."""
    where: dict[str, Any] = {"postgresql_where": text("deleted_at IS NULL")} if soft_deletes else {}
    indexes = [Index(f"ix_{table}_list_newest", text("created_at DESC"), text("id"), **where)] if newest_first else []
    indexes += [Index(f"ix_{table}_list_{column}", text(column), text("id"), **where) for column in sort_columns]
    return tuple(indexes)
