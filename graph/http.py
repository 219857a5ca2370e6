"""The plain HTTP endpoints beside /graphql: health, readiness and the OAuth2 token endpoint."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.client_address import client_address
from core.outages import describe_outage, is_outage
from graph.refusals import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE
from graph.request_checks import NUL, NUL_MESSAGE
from services.auth import issue_token_for_credentials
from services.errors import RateLimitedError, UnauthenticatedError
from services.resources import Resources

logger = logging.getLogger("graph.http")

READINESS_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    checks = {"database": _check_database(resources), "redis": _check_redis(resources)}
    results = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, READINESS_TIMEOUT_SECONDS)
            results[name] = "ok"
        except Exception as exc:  # readiness reports any failure; it never raises
            logger.warning("Readiness check %s failed: %s", name, type(exc).__name__)
            results[name] = "unavailable"
    ready = all(value == "ok" for value in results.values())
    return JSONResponse({"status": "ok" if ready else "unavailable", **results}, status_code=200 if ready else 503)


async def _check_database(resources: Resources) -> None:
    async with resources.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _check_redis(resources: Resources) -> None:
    await resources.redis.ping()


async def access_token(request: Request) -> Response:
    """OAuth2 password flow (form fields `username`, `password`), as the spec's security scheme documents."""
    form = await request.form(max_files=0, max_fields=10)
    username, password = form.get("username"), form.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return JSONResponse({"detail": "username and password are required"}, status_code=422)
    if NUL in username or NUL in password:  # PostgreSQL cannot compare text holding one
        return JSONResponse({"detail": f"username and password {NUL_MESSAGE}"}, status_code=422)
    resources = request.app.state.resources
    client = client_address(request, resources.settings.trusted_proxies)
    try:
        token = await issue_token_for_credentials(resources, email=username, password=password, client=client)
    except RateLimitedError as exc:
        return JSONResponse({"detail": exc.message}, status_code=429, headers={"Retry-After": str(exc.retry_after)})
    except UnauthenticatedError as exc:
        return JSONResponse({"detail": exc.message}, status_code=400)
    except Exception as exc:
        if not is_outage(exc):
            raise
        logger.warning("Token refused, a backing service is unreachable: %s", describe_outage(exc))
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return JSONResponse({"detail": UNAVAILABLE_MESSAGE}, status_code=503, headers=headers)
    return JSONResponse({"access_token": token, "token_type": "bearer"})
