"""Start-up chores run once before serving (`python -m services.bootstrap`): the first superuser."""

from __future__ import annotations

import asyncio
import logging

from core.logs import configure_logging
from core.settings import Settings, get_settings
from db.engine import create_engine, create_session_factory
from services.users import create_user, find_user_by_email

logger = logging.getLogger("services.bootstrap")


async def ensure_first_superuser(settings: Settings) -> None:
    if settings.first_superuser_password is None:
        logger.warning("FIRST_SUPERUSER_PASSWORD is not set: no first superuser created")
        return
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=1, pooler=settings.database_pooler)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            if await find_user_by_email(session, settings.first_superuser_email) is not None:
                logger.info("First superuser %s already exists", settings.first_superuser_email)
                return
            await create_user(
                session,
                email=settings.first_superuser_email,
                password=settings.first_superuser_password.get_secret_value(),
                full_name="Administrator",
                is_superuser=True,
            )
            logger.info("Created the first superuser %s", settings.first_superuser_email)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    configure_logging(get_settings())
    asyncio.run(ensure_first_superuser(get_settings()))
