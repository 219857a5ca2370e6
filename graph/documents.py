"""Parsed documents: kept by their text, and parsed off the event loop when large.

A client sends the same few documents over and over, and parsing one costs more than answering a small query, so
documents that parsed are kept by their text (at most DOCUMENT_CACHE_SIZE, oldest dropped first), with the outcome
of their validation once it ran: both depend only on the text (the validation rules are the schema's, set by the
operation pipeline, graph/pipeline.py). Only successes are parsed here; a miss is parsed by Strawberry itself, so
syntax errors and the token limit are reported as before. (Strawberry's ParserCache parses inside its hook, where a
syntax error escapes the operation and loses its code.) A kept validation outcome is the same for every caller:
nothing in it depends on who asks, or on the variables, which graphql-core checks when it executes.

graphql-core's lexer is pure Python: a 1 MiB document (one long string, a long comment, or whitespace; the token
limit counts none of them) held the event loop for half a second, and every other request with it. A document over
LARGE_DOCUMENT_CHARS is therefore parsed in a thread before the operation starts (`parse_off_loop`); the thread
holds the GIL only in short turns, so the loop keeps answering meanwhile.

graphql-core's lexer links a document's tokens both ways (`prev`, `next`): a reference cycle per parse, which the
cyclic collector alone could free once the document is dropped (graph/execution/acyclic.py says why that matters).
A parsed document keeps only the forward links here. A syntax error's traceback holds the parser's frames and
Strawberry's, which hold the error again: it is dropped (the error is the client's, never logged with a trace).
What remains is the tokens lexed before a syntax error, still linked both ways: graphql-core gives no hold on them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, parse
from strawberry.types import ExecutionContext

DOCUMENT_CACHE_SIZE = 256
# Parsing this much text costs ~15 ms of the loop's time at most (0.5 s per MiB, measured).
LARGE_DOCUMENT_CHARS = 32 * 1024


class KnownDocument:
    """A document that parsed, and the errors of its validation once it ran."""

    __slots__ = ("document", "validation_errors")

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.validation_errors: list[GraphQLError] | None = None


class DocumentStore:
    """One per schema: the token limit and the validation rules are the schema's."""

    def __init__(self, *, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._known: dict[str, KnownDocument] = {}

    def get(self, text: str) -> DocumentNode | None:
        known = self._known.get(text)
        return known.document if known is not None else None

    def keep(self, text: str, document: DocumentNode) -> None:
        if text in self._known:
            return
        if len(self._known) >= DOCUMENT_CACHE_SIZE:
            del self._known[next(iter(self._known))]
        self._known[text] = KnownDocument(document)

    def validation_errors(
        self, text: str | None, document: DocumentNode, validate: Callable[[], list[GraphQLError]]
    ) -> list[GraphQLError]:
        """`validate()`'s errors, run once per kept document; a new list each time (the caller may replace its
        items). A document not kept under `text` (a persisted query's, dropped meanwhile) is validated every time."""
        known = self._known.get(text) if text else None
        if known is None or known.document is not document:
            return validate()
        if known.validation_errors is None:
            known.validation_errors = validate()
        return list(known.validation_errors)

    async def parse_off_loop(self, text: str) -> GraphQLError | None:
        """Parse a large document in a thread and keep it, so the operation finds it parsed; or its syntax error
        (or the token limit's), which the caller answers, as Strawberry would, without parsing it again."""
        if len(text) <= LARGE_DOCUMENT_CHARS or text in self._known:
            return None
        try:
            document = await asyncio.to_thread(parse, text, max_tokens=self.max_tokens)
        except GraphQLError as error:
            error.__traceback__ = None
            return error
        self.keep(text, unlinked(document))
        return None

    def hand_over(self, context: ExecutionContext) -> bool:
        """Before Strawberry parses: gives the operation its kept document, if any (True then)."""
        text = context.query
        cached = self.get(text) if text and context.graphql_document is None else None
        if cached is None:
            return False
        context.graphql_document = cached
        return True

    def take_parsed(self, context: ExecutionContext, handed_over: bool) -> None:
        """After Strawberry parsed: keeps the document it parsed; a syntax error loses its traceback."""
        text = context.query
        if not handed_over and text and context.graphql_document is not None:
            self.keep(text, unlinked(context.graphql_document))
        for error in context.pre_execution_errors or ():
            if isinstance(error, GraphQLSyntaxError):
                error.__traceback__ = None


def unlinked(document: DocumentNode) -> DocumentNode:
    """`document` with its tokens linked forward only (nothing in graphql-core reads `Token.prev` after parsing)."""
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        token.prev = None
        token = token.next
    return document
