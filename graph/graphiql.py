"""GraphiQL that works with no internet: the page for ``GET /graphql`` and the mount serving its assets.

Strawberry's stock page loads React and GraphiQL from a CDN and never starts offline. Here every script and
stylesheet is vendored under ``graph/static/graphiql/`` (``scripts/vendor_graphiql.sh`` re-downloads them,
``VERSIONS.txt`` lists them) and served by the API itself.

Wiring (in the app): override ``render_graphql_ide`` of the Strawberry ASGI view to return
``HTMLResponse(render_graphiql_page(path, login))`` and add ``graphiql_static_mount()`` to the Starlette routes.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

GRAPHIQL_STATIC_PATH = "/static/graphiql"
GRAPHQL_PATH = "/graphql"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "graphiql"

# The default headers carry this text; boot.js drops any header still holding it, so an untouched hint never
# reaches the API as a bogus token.
TOKEN_PLACEHOLDER = "<token from the login mutation>"  # noqa: S105 (a visible hint, not a credential)
DEFAULT_HEADERS = json.dumps({"Authorization": f"Bearer {TOKEN_PLACEHOLDER}"}, indent=2)

# What the Login example shows when the page may not name real credentials. Angle brackets mark them as text to
# replace; they are still valid GraphQL strings, so running the example unchanged answers a clear login error.
EMAIL_PLACEHOLDER = "<your email>"
PASSWORD_PLACEHOLDER = "<your password>"  # noqa: S105 (a visible hint, not a credential)


@dataclass(frozen=True)
class LoginExample:
    """Credentials the page may show in its Login example: only the published development defaults."""

    email: str
    password: str


_QUERY_INTRO = """\
# Studio GraphQL API
#
# 1. Sign in: {sign_in}
# 2. In the Headers tab underneath, put its accessToken:
#      {{"Authorization": "Bearer <accessToken>"}}
#    This browser keeps the headers for later visits.
# 3. Subscriptions use a websocket at the same /graphql
#    address and send the same headers.

mutation Login {{
  login(email: {email}, password: {password}) {{
    accessToken
    tokenType
  }}
}}
"""


def default_query(login: LoginExample | None = None) -> str:
    """The editor's first document: how to sign in, with a Login mutation that works unchanged when ``login`` is
    given (development) and otherwise holds clearly marked placeholders."""
    if login is None:
        sign_in = (
            f"put yours for {EMAIL_PLACEHOLDER} and\n#    {PASSWORD_PLACEHOLDER} below, then run Login (Ctrl-Enter)."
        )
        email, password = EMAIL_PLACEHOLDER, PASSWORD_PLACEHOLDER
    else:
        sign_in = "run the Login mutation below (Ctrl-Enter): it\n#    uses the development superuser."
        email, password = login.email, login.password
    # A JSON string is a valid GraphQL string literal (same quoting and escapes), whatever the value holds.
    return _QUERY_INTRO.format(sign_in=sign_in, email=json.dumps(email), password=json.dumps(password))


# Load order matters: GraphiQL's UMD build needs the React globals, the explorer plugin needs the GraphiQL
# global, and boot.js needs all of them.
STYLESHEETS = ("vendor/graphiql.min.css", "vendor/plugin-explorer.css", "page.css")
SCRIPTS = (
    "vendor/react.production.min.js",
    "vendor/react-dom.production.min.js",
    "vendor/graphiql.min.js",
    "vendor/plugin-explorer.umd.js",
    "boot.js",
)

# Set explicitly because mimetypes depends on the host's /etc/mime.types (application/javascript on some),
# and a declared charset keeps the bundles' non-ASCII text intact whatever the page says.
_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".LICENSE": "text/plain; charset=utf-8",
}

# Asset URLs carry a digest of the file (see asset_url), so a versioned URL can be cached for a year: a new
# vendored release gets new URLs. An unversioned request must revalidate instead.
_VERSIONED_CACHE_CONTROL = "public, max-age=31536000, immutable"
_UNVERSIONED_CACHE_CONTROL = "no-cache"


class _GraphiQLStaticFiles(StaticFiles):
    """StaticFiles with fixed content types and cache headers suited to digest-versioned URLs."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        versioned = "v" in parse_qs(scope.get("query_string", b"").decode("latin-1"))
        response.headers["cache-control"] = _VERSIONED_CACHE_CONTROL if versioned else _UNVERSIONED_CACHE_CONTROL
        response.headers["x-content-type-options"] = "nosniff"
        content_type = _CONTENT_TYPES.get(Path(full_path).suffix)
        if content_type is not None and response.status_code != 304:
            response.headers["content-type"] = content_type
        return response


def graphiql_static_mount() -> Mount:
    """The route serving ``graph/static/graphiql/`` at ``GRAPHIQL_STATIC_PATH``."""
    return Mount(GRAPHIQL_STATIC_PATH, app=_GraphiQLStaticFiles(directory=STATIC_DIR), name="graphiql-static")


@cache
def asset_url(name: str) -> str:
    """The URL of a file under ``graph/static/graphiql/``, versioned by a digest of its content."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:16]
    return f"{GRAPHIQL_STATIC_PATH}/{name}?v={digest}"


def _json_for_script_tag(value: object) -> str:
    # Escaping <, > and & keeps "</script>" or "<!--" in any value from ending the JSON block early.
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_graphiql_page(graphql_path: str = GRAPHQL_PATH, login: LoginExample | None = None) -> str:
    """The HTML page that boots GraphiQL against ``graphql_path`` (HTTP and websockets), with no external URL.

    The header editor is on and persisted in the browser, prefilled with an Authorization hint. The Login example
    shows ``login`` when given (the app passes only the development defaults), else placeholders: no configured
    password ever reaches the page.
    """
    config = {
        "endpoint": graphql_path,
        "defaultHeaders": DEFAULT_HEADERS,
        "tokenPlaceholder": TOKEN_PLACEHOLDER,
        "defaultQuery": default_query(login),
    }
    stylesheets = "\n".join(
        f'    <link rel="stylesheet" href="{html.escape(asset_url(name))}" />' for name in STYLESHEETS
    )
    scripts = "\n".join(f'    <script src="{html.escape(asset_url(name))}"></script>' for name in SCRIPTS)
    # The empty data: icon stops browsers from asking for /favicon.ico, which the API does not serve.
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>GraphiQL · Studio GraphQL API</title>
    <link rel="icon" href="data:," />
{stylesheets}
  </head>
  <body>
    <div id="graphiql">Loading...</div>
    <noscript>GraphiQL needs JavaScript.</noscript>
    <script id="graphiql-config" type="application/json">{_json_for_script_tag(config)}</script>
{scripts}
  </body>
</html>
"""
