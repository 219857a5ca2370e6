"""GraphiQL in a real browser, used as a person would: sign in with the page's Login example, put the token in the
Headers tab, run a query, then follow a ZIP upload's progress with a subscription until it completes.

Everything is real: the app served by uvicorn on a loopback port (`live_server`), a separate arq worker process,
Debian's chromium driven by Playwright, and GraphiQL's own editors, buttons and result pane. The assertions read
what the result pane displays. Every wait is bounded; on failure a screenshot is saved under the test's tmp path
and named in the failure message.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Locator, Page

from graph.graphiql import EMAIL_PLACEHOLDER, PASSWORD_PLACEHOLDER
from tests.conftest import Account, Accounts, GraphQLClient
from tests.jobs.conftest import WorkerProcess
from tests.jobs.lora_helpers import make_subject
from tests.jobs.subscription_helpers import ZIP_ITEMS, progress_zip
from tests.jobs.zip_helpers import upload_zip, uploaded_task

STEP_TIMEOUT = 20.0  # one request and its rendering on the loopback
JOB_TIMEOUT = 60.0  # a worker process starting, then ingesting a 45-image ZIP (a few seconds here)
EXECUTE = "Execute query (Ctrl-Enter)"  # the run button's label when nothing runs; "Stop query ..." while it does
PASSWORD = "a browser-typed password"

T = TypeVar("T")

# What a CodeMirror editor displays, line by line: its rendered lines, not its gutters. CodeMirror renders an empty
# line as a zero-width space and, in a wrapping editor (the result pane), every other space of a run as a
# non-breaking one. The editors here hold a few dozen lines at most, all of them rendered.
READ_LINES = """Array.from(editor.querySelectorAll('.CodeMirror-code pre.CodeMirror-line'))
  .map(line => line.textContent.replace(/\\u200b/g, '').replace(/\\u00a0/g, ' ')).join('\\n')"""
DISPLAYED_TEXT = f"editor => {READ_LINES}"

# Records every text the result pane displays, as it changes, so a test can tell what a person watching it saw.
RECORD_RESULTS = f"""editor => {{
  const read = () => {READ_LINES};
  const shown = window.__shownResults = [];
  const record = () => {{ const text = read(); if (shown[shown.length - 1] !== text) shown.push(text); }};
  new MutationObserver(record).observe(editor, {{ subtree: true, childList: true, characterData: true }});
  record();
}}"""


class GraphiQL:
    """The parts of GraphiQL's page a person uses, found as they appear on screen."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.query_editor = page.locator(".graphiql-query-editor .CodeMirror")
        self.headers_tab = page.locator(".graphiql-editor-tools").get_by_role("button", name="Headers", exact=True)
        # The tools area holds the variables and headers editors; the one not shown carries `hidden`.
        self.headers_editor = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
        self.run_button = page.locator(".graphiql-execute-button")
        self.result_pane = page.locator(".graphiql-response .result-window")

    async def open(self, url: str) -> None:
        await self.page.goto(url)
        await self.query_editor.wait_for(state="visible")
        await self.run_button.wait_for(state="visible")

    async def shown(self, editor: Locator) -> str:
        text: str = await editor.evaluate(DISPLAYED_TEXT)
        return text

    async def type_into(self, editor: Locator, text: str, *, stored_as: str) -> None:
        """Replace an editor's content as a person pasting would: click, select all, insert the text. Inserted
        text is one input event, so CodeMirror's bracket closing and GraphiQL's autocompletion (keystroke
        driven) add nothing to it.

        Then wait, as a person does without noticing, until GraphiQL has taken the edit in: it parses the document
        100 ms after the last change (a debounce), and a run before that sends the previous document's operation
        name and decides HTTP or websocket from the previous document (a subscription pasted over a query would go
        over HTTP). GraphiQL stores the editor's text under `graphiql:<stored_as>` once it has parsed it."""
        await editor.click()
        await self.page.keyboard.press("Control+A")
        await self.page.keyboard.insert_text(text)
        await self.until(lambda: self.shown(editor), lambda shown: shown == text, f"the editor showing {text!r}")
        key = f"graphiql:{stored_as}"
        await self.until(
            lambda: self.page.evaluate("key => window.localStorage.getItem(key)", key),
            lambda stored: stored == text,
            f"GraphiQL taking in the edit ({key})",
        )

    async def run(self) -> None:
        await self.until(self.run_label, lambda label: label == EXECUTE, "the run button ready")
        await self.run_button.click()

    async def run_label(self) -> str:
        return await self.run_button.get_attribute("aria-label") or ""

    async def result_showing(
        self,
        field: str,
        description: str,
        *,
        where: Callable[[dict[str, Any]], bool] = lambda value: True,
        within: float = STEP_TIMEOUT,
    ) -> dict[str, Any]:
        """Wait until the result pane displays errors, or data whose `field` is there and satisfies `where`; answer
        the whole displayed result (a failed wait quotes what the pane displayed last)."""

        def done(text: str) -> bool:
            result = parse_json(text)
            if result is None:
                return False
            value = (result.get("data") or {}).get(field)
            return bool(result.get("errors")) or (isinstance(value, dict) and where(value))

        text = await self.until(lambda: self.shown(self.result_pane), done, description, within)
        found = parse_json(text)
        assert found is not None
        return found

    async def until(
        self,
        read: Callable[[], Awaitable[T]],
        done: Callable[[T], bool],
        description: str,
        within: float = STEP_TIMEOUT,
    ) -> T:
        """Poll `read` until `done` holds for its value; fails after `within` seconds saying what was last seen."""
        deadline = time.monotonic() + within
        while True:
            value = await read()
            if done(value):
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {within}s for {description}; last seen: {value!r}")
            await asyncio.sleep(0.05)


def parse_json(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@asynccontextmanager
async def screenshot_on_failure(page: Page, path: Path) -> AsyncIterator[None]:
    try:
        yield
    except Exception as error:
        try:
            await page.screenshot(path=path, full_page=True, timeout=10_000)
            note = f"screenshot of the page: {path}"
        except Exception as screenshot_error:
            note = f"no screenshot ({screenshot_error})"
        raise AssertionError(f"{error}\n{note}") from error


def task_states(shown: list[str]) -> list[dict[str, Any]]:
    """The upload task as the result pane displayed it, in order, from every text the pane showed."""
    states = []
    for text in shown:
        result = parse_json(text)
        if result and isinstance(result.get("data"), dict) and result["data"].get("uploadTaskProgress"):
            assert "errors" not in result, text
            states.append(result["data"]["uploadTaskProgress"])
    return states


async def test_sign_in_query_and_follow_an_upload_in_graphiql(
    page: Page,
    live_server: str,
    accounts: Accounts,
    worker_process: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    account: Account = await accounts.user(password=PASSWORD)
    email = account.user.email
    graphiql = GraphiQL(page)
    # GraphiQL must work offline: the page may reach nothing but the API that served it.
    contacted: list[str] = []
    page.on("request", lambda request: contacted.append(request.url))
    page.on("websocket", lambda socket: contacted.append(socket.url))
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    async with screenshot_on_failure(page, tmp_path / "graphiql-failure.png"):
        await graphiql.open(f"http://{live_server}/graphql")

        # 1. The Login example as the page shows it (ENVIRONMENT=test: placeholders), with this user's
        #    credentials typed over the placeholders, run with the run button.
        example = await graphiql.shown(graphiql.query_editor)
        assert "mutation Login" in example, example
        placeholders = f"login(email: {json.dumps(EMAIL_PLACEHOLDER)}, password: {json.dumps(PASSWORD_PLACEHOLDER)})"
        assert placeholders in example, example
        filled = example.replace(placeholders, f"login(email: {json.dumps(email)}, password: {json.dumps(PASSWORD)})")
        await graphiql.type_into(graphiql.query_editor, filled, stored_as="query")
        await graphiql.run()
        signed_in = await graphiql.result_showing("login", "the login result")
        assert "errors" not in signed_in, signed_in
        token = signed_in["data"]["login"]["accessToken"]
        assert signed_in["data"]["login"]["tokenType"] == "bearer"

        # 2. The token in the Headers tab, then a query that needs it.
        await graphiql.headers_tab.click()
        await graphiql.type_into(
            graphiql.headers_editor, json.dumps({"Authorization": f"Bearer {token}"}), stored_as="headers"
        )
        await graphiql.type_into(graphiql.query_editor, "{ me { email } }", stored_as="query")
        await graphiql.run()
        me = await graphiql.result_showing("me", "the result of { me { email } }")
        assert "errors" not in me, me
        assert me["data"] == {"me": {"email": email}}

        # 3. A subject and a ZIP of its images, sent over the HTTP API with the token GraphiQL displayed; no worker
        #    runs yet, so the task waits in PENDING until the subscription below is open.
        async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=STEP_TIMEOUT) as http:
            uploader = Account(user=account.user, token=token)
            subject_id = await make_subject(GraphQLClient(http), uploader)
            task = uploaded_task(await upload_zip(http, uploader, progress_zip(), subject_id=subject_id))
        assert task["status"] == "PENDING"

        # 4. The subscription, run from the editor: GraphiQL opens a websocket to /graphql with the headers as the
        #    connection_init payload. The pane shows the task as it stands, then each change.
        await graphiql.result_pane.evaluate(RECORD_RESULTS)
        await graphiql.type_into(
            graphiql.query_editor,
            f"""subscription Progress {{
  uploadTaskProgress(taskId: "{task["id"]}") {{
    status
    progress
    processedItems
    totalItems
    imagesProcessed
    portfolioImagesProcessed
    imagesSkipped
  }}
}}""",
            stored_as="query",
        )
        await graphiql.run()
        first = await graphiql.result_showing("uploadTaskProgress", "the subscription's first event")
        assert first["data"]["uploadTaskProgress"]["status"] == "PENDING", first
        assert await graphiql.run_label() != EXECUTE, "GraphiQL no longer shows the subscription as running"

        # 5. A real worker process takes the job; the pane follows it to COMPLETED, and GraphiQL shows the
        #    subscription ended (the server completed it) by offering to run again.
        worker = worker_process()
        try:
            await graphiql.result_showing(
                "uploadTaskProgress",
                "the task to finish",
                where=lambda task: task["status"] in ("COMPLETED", "FAILED"),
                within=JOB_TIMEOUT,
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\nworker log:\n{worker.log()[-3000:]}") from error
        await graphiql.until(graphiql.run_label, lambda label: label == EXECUTE, "the subscription to end")

        shown: list[str] = await page.evaluate("window.__shownResults")
        states = task_states(shown)
        assert states, shown
        assert states[0]["status"] == "PENDING", states
        assert states[-1] == {
            "status": "COMPLETED",
            "progress": 100,
            "processedItems": ZIP_ITEMS,
            "totalItems": ZIP_ITEMS,
            "imagesProcessed": 2,
            "portfolioImagesProcessed": 42,
            "imagesSkipped": 1,
        }, states
        # Whatever React batched together, what was displayed only ever moved forward.
        processed = [state["processedItems"] for state in states]
        assert processed == sorted(processed), states
        assert all(state["status"] == "PROCESSING" for state in states[1:-1]), states

        assert not page_errors, page_errors
        here = urlsplit(f"http://{live_server}").netloc
        assert contacted, "the page made no requests"
        assert all(urlsplit(url).netloc == here for url in contacted if not url.startswith("data:")), contacted
        assert f"ws://{live_server}/graphql" in contacted, contacted
        # arq's graceful stop; the fixture kills a worker still running when the test fails before this.
        worker.stop()
