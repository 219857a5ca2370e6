"""Counting the SQL statements the application runs, for the tests that prove a nested query's cost does not grow
with the number of rows (DESIGN.md: "Every relation has a test that counts SQL statements").

It listens on the application's own engine, so everything the app runs is counted (the caller's lookup, root
resolvers, every loader batch) and nothing else: seed data before entering the block.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from starlette.applications import Starlette


@dataclass
class StatementLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def reading(self, table: str) -> list[str]:
        """The statements that select from or join `table`."""
        pattern = re.compile(rf"\b(FROM|JOIN)\s+{re.escape(table)}\b")
        return [statement for statement in self.statements if pattern.search(statement)]

    def tables(self) -> list[str]:
        """The first table each statement reads, in order: a readable summary for assertion messages."""
        found = []
        for statement in self.statements:
            match = re.search(r"\bFROM\s+(\w+)", statement)
            found.append(match.group(1) if match else statement.split(None, 1)[0])
        return found


@contextmanager
def count_statements(app: Starlette) -> Iterator[StatementLog]:
    """Every statement the application's engine sends to the database inside the block."""
    log = StatementLog()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        log.statements.append(statement)

    engine = app.state.resources.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)
