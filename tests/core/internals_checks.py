"""How the tests of core/internals/ fail: naming the library and its installed version, the private name and what
became of it, the version the module was written for, and what to update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import pytest


@dataclass(frozen=True)
class UpgradeCheck:
    library: str  # as the message names it, e.g. "SQLAlchemy"
    installed: str  # the installed version
    written_for: str  # the version core/internals/<module> was written for
    module: str  # core/internals/<module>.py
    users: str  # what builds on the module

    def fail(self, name: str, what: str) -> NoReturn:
        pytest.fail(
            f"{self.library} {self.installed}'s {name} {what} ({self.module} was written for {self.written_for}):"
            f" update {self.module} and what uses it ({self.users})",
            pytrace=False,
        )

    def require(self, condition: object, name: str, what: str) -> None:
        if not condition:
            self.fail(name, what)

    def function(self, owner: object, attribute: str, name: str) -> Callable[..., object]:
        found: object = getattr(owner, attribute, None)
        if not callable(found):
            self.fail(name, "is gone")
        return found
