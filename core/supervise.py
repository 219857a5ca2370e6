"""Restarting what died, for `make run` (core/devrun.py): backoff between restarts, and a crash budget.

A child that stops on its own is started again after a delay that doubles with each recent death (1, 2, 4 ... 30 s
by default), so a child that cannot start does not spin. One that dies `max_deaths` times within `window_seconds`
is broken, not unlucky: the supervisor gives up (`GaveUp`) and its owner stops everything, saying why.

    supervisor = Supervisor(RestartPolicy())
    supervisor.add(Child("worker", start=..., ended=...))   # already started by the caller
    supervisor.run()                                        # returns never; raises GaveUp
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("devrun")


@dataclass(frozen=True)
class RestartPolicy:
    first_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    max_deaths: int = 5
    window_seconds: float = 60.0


class GaveUp(Exception):
    """A child died too often to be worth restarting again."""


@dataclass
class CrashBudget:
    """The recent deaths of one child, and what they say about the next restart."""

    policy: RestartPolicy
    _deaths: deque[float] = field(default_factory=deque)

    def died(self, now: float) -> float | None:
        """Seconds to wait before restarting it, or None when it has died too often to restart."""
        self._deaths.append(now)
        while self._deaths[0] < now - self.policy.window_seconds:
            self._deaths.popleft()
        recent = len(self._deaths)
        if recent >= self.policy.max_deaths:
            return None
        return min(self.policy.first_delay_seconds * 2.0 ** (recent - 1), self.policy.max_delay_seconds)


@dataclass
class Child:
    """Something the supervisor keeps running. `ended()` is None while it runs, else how it ended (for the log);
    `start()` starts it again (raising if it cannot, which counts as another death)."""

    name: str
    start: Callable[[], None]
    ended: Callable[[], str | None]


class Supervisor:
    def __init__(self, policy: RestartPolicy | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or RestartPolicy()
        self._clock = clock
        self._children: list[Child] = []
        self._budgets: dict[str, CrashBudget] = {}
        self._restart_at: dict[str, float] = {}

    def add(self, child: Child) -> None:
        self._children.append(child)
        self._budgets[child.name] = CrashBudget(self.policy)

    def run(self, poll_seconds: float = 0.2) -> None:
        """Watch and restart until a child exhausts its budget (GaveUp) or the caller is interrupted."""
        while True:
            self.check()
            time.sleep(poll_seconds)

    def check(self) -> None:
        """One look at every child: schedule a restart for the dead, carry out those that are due."""
        now = self._clock()
        for child in self._children:
            due = self._restart_at.get(child.name)
            if due is None:
                ended = child.ended()
                if ended is not None:
                    self._schedule(child, f"stopped on its own ({ended})", now)
            elif now >= due:
                del self._restart_at[child.name]
                log.info("restarting %s", child.name)
                try:
                    child.start()
                except Exception as error:
                    self._schedule(child, f"could not be restarted ({error})", now)

    def _schedule(self, child: Child, what: str, now: float) -> None:
        delay = self._budgets[child.name].died(now)
        if delay is None:
            policy = self.policy
            raise GaveUp(
                f"{child.name} {what}, its {policy.max_deaths}th death within {policy.window_seconds:.0f}s; "
                "giving up on it"
            )
        log.warning("%s %s; restarting it in %.1fs", child.name, what, delay)
        self._restart_at[child.name] = now + delay
