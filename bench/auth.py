"""What authenticating a request costs: `Context.authenticate` (decode the JWT, then the caller's one statement) in
a loop, one call after another, as every authenticated request runs it first.

    .venv/bin/python -m bench.auth [--calls 2000] [--rounds 5] [--revoked 10000]

Servers as the other benches choose them (bench/servers.py: DATABASE_URL / REDIS_URL, else embedded), with a
database of its own, migrated to head. The caller is a user with 3 organizations (so the statement returns 3 rows,
as for a typical member). Where the schema has `revoked_tokens` (sessions, issue 13), it is filled with
`--revoked` logged-out tokens of other users first, so the revocation lookup runs against a populated index.

The script only uses names that exist before and after sessions were added, so the same file measures both: copy
it into a checkout of the earlier commit and run it there (bench/README.md, "Authentication").
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from sqlalchemy import text

from bench.servers import bench_servers, migrated_settings
from core.security import create_access_token
from core.settings import Settings
from db.models import Organization, OrganizationMembership
from db.models.enums import OrganizationRole
from graph.context import Context
from graph.loaders import Loaders
from services.resources import Resources
from services.users import create_user

DATA_DIR = Path(".data/bench")


async def _seed(resources: Resources, revoked: int) -> str:
    """The caller's token (a user in 3 organizations), after filling `revoked_tokens` where the schema has it."""
    async with resources.session_factory() as session, session.begin():
        user = await create_user(
            session,
            email="bench-auth@example.com",
            password="bench-password",  # noqa: S106 - a throwaway user of the bench's own database
            full_name="Bench",
            is_superuser=False,
        )
        for index in range(3):
            organization = Organization(name=f"Bench {index}")
            session.add(organization)
            await session.flush()
            session.add(
                OrganizationMembership(organization_id=organization.id, user_id=user.id, role=OrganizationRole.MEMBER)
            )
        user_id = user.id
        has_revocations = await session.scalar(text("SELECT to_regclass('revoked_tokens') IS NOT NULL"))
        if has_revocations and revoked:
            await session.execute(
                text(
                    "INSERT INTO revoked_tokens (jti, user_id, expires_at) "
                    "SELECT gen_random_uuid(), :user_id, now() + interval '1 day' FROM generate_series(1, :count)"
                ),
                {"user_id": user_id, "count": revoked},
            )
    if has_revocations:
        async with resources.session_factory() as session, session.begin():
            await session.execute(text("ANALYZE revoked_tokens"))
    return create_access_token(user_id, secret=resources.settings.signing_key, expires_minutes=60)


async def _authenticate(resources: Resources, authorization: str) -> None:
    context = Context(request=None, response=None, resources=resources, loaders=Loaders(resources.session_factory))  # type: ignore[arg-type]
    await context.authenticate(authorization)
    assert context.caller is not None, context.auth_problem


async def _measure(settings: Settings, calls: int, rounds: int, revoked: int) -> list[tuple[float, float]]:
    """Per round: wall-clock microseconds per call, and this process's CPU microseconds per call (the API's own
    work, which the load of other processes on the machine moves much less than the wall clock)."""
    resources = Resources.open(settings)
    try:
        authorization = "Bearer " + await _seed(resources, revoked)
        for _ in range(calls):  # warm-up: pool connections, prepared statements, compiled SQL
            await _authenticate(resources, authorization)
        figures = []
        for _ in range(rounds):
            started, cpu_started = time.perf_counter(), time.process_time()
            for _ in range(calls):
                await _authenticate(resources, authorization)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            figures.append((wall / calls * 1e6, cpu / calls * 1e6))
        return figures
    finally:
        await resources.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000, help="calls per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--revoked", type=int, default=10_000, help="logged-out tokens in the table (default 10000)")
    arguments = parser.parse_args(argv)
    with bench_servers(DATA_DIR) as servers:
        settings = migrated_settings(servers, "bench-auth")
        figures = asyncio.run(_measure(settings, arguments.calls, arguments.rounds, arguments.revoked))
    walls, cpus = [wall for wall, _ in figures], [cpu for _, cpu in figures]
    print(
        f"Context.authenticate, {arguments.rounds} rounds of {arguments.calls} calls: "
        f"wall median {statistics.median(walls):.0f} us/call (best {min(walls):.0f}), "
        f"CPU of this process median {statistics.median(cpus):.0f} us/call (best {min(cpus):.0f})"
    )


if __name__ == "__main__":
    main()
